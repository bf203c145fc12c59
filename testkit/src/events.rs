//! The events API Gateway hands a function: built for one test, or read from the sample events of
//! `events/<function>/`, each with its expected outcome beside it.

use std::path::Path;

use serde_json::{Value, json};

use crate::paths::root;

/// The TOKEN authorizer event for a call of `method /pets` on the API stage whose ARN is `api`
/// (`arn:aws:execute-api:<region>:<account>:<api id>/<stage>`), the token sent as a bearer token.
pub fn token_event(api: &str, method: &str, token: &str) -> String {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": format!("{api}/{method}/pets"),
    })
    .to_string()
}

/// The Lambda proxy event of a REST API for `method /pets` with these request `headers` (a JSON
/// object).
pub fn rest_event(method: &str, headers: Value) -> String {
    json!({"resource": "/pets", "path": "/pets", "httpMethod": method, "headers": headers})
        .to_string()
}

/// A sample event of `events/<function>/`: its name, its JSON, and its expected outcome.
pub struct SampleEvent {
    /// The file's name without `.json`.
    pub name: String,
    /// The event, as the function receives it.
    pub json: String,
    /// The `.expected` file's text, trimmed: an [`crate::reply::outcome`].
    pub expected: String,
}

/// Every sample event of a function, sorted by name.
pub fn sample_events(function: &str) -> Vec<SampleEvent> {
    let dir = root().join("events").join(function);
    let mut events: Vec<SampleEvent> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| read_sample(&path))
        .collect();
    events.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!events.is_empty(), "no events in {}", dir.display());
    events
}

/// The sample event `events/<function>/<name>.json`.
pub fn sample_event(function: &str, name: &str) -> SampleEvent {
    read_sample(
        &root()
            .join("events")
            .join(function)
            .join(format!("{name}.json")),
    )
}

fn read_sample(path: &Path) -> SampleEvent {
    let expected = std::fs::read_to_string(path.with_extension("expected"))
        .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
    SampleEvent {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        json: std::fs::read_to_string(path).unwrap(),
        expected: expected.trim().to_owned(),
    }
}
