//! The configuration examples of a Markdown text (README.md): every value it shows for a setting,
//! so that a test can hold each one to the functions that read it and no example can rot.
//!
//! An example is either a fenced `json` block shaped like a setting's value — an array of issuer
//! objects (`OIDC_ISSUERS`), an object of rule keys to grants (`ACCESS_RULES`) or to API keys (the
//! secret of `USAGE_PLAN_KEYS_SECRET_ARN`) —, or an assignment `NAME=value`, `NAME = 'value'`
//! anywhere in the text (prose, shell, TOML), where `NAME` is a variable or a template parameter
//! that sets one. Placeholders such as `<tenant-id>` stand for a value the reader supplies; they
//! are replaced by [`PLACEHOLDER`], letters and digits that every setting takes.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a placeholder (`<…>`) of an example becomes.
pub const PLACEHOLDER: &str = "Placeholder0Value0For0Tests";

/// What an example sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    /// An environment variable, by name.
    Variable(String),
    /// The JSON mapping that the secret named by `USAGE_PLAN_KEYS_SECRET_ARN` holds.
    UsagePlanKeys,
}

/// One example: what it sets, to what, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The setting.
    pub setting: Setting,
    /// The value, its placeholders replaced.
    pub value: String,
    /// Its line in the text, from 1.
    pub line: usize,
}

/// Every example of `text`. `names` maps each name an assignment may use to the variable it
/// sets: each variable to itself, each template parameter to the variable it becomes.
pub fn examples(text: &str, names: &BTreeMap<String, String>) -> Vec<Example> {
    let mut found = Vec::new();
    let mut json_block: Option<(usize, String)> = None;
    for (at, line) in text.lines().enumerate() {
        let number = at + 1;
        match &mut json_block {
            Some((start, block)) if line.trim_end() == "```" => {
                found.extend(from_json_block(block, *start));
                json_block = None;
            }
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
            None if line.trim_end() == "```json" => json_block = Some((number, String::new())),
            None => found.extend(assignments(line, names).map(|(var, value)| Example {
                setting: Setting::Variable(var),
                value,
                line: number,
            })),
        }
    }
    found
}

/// The example a `json` block is, if its shape is that of a setting.
fn from_json_block(block: &str, start: usize) -> Option<Example> {
    let value = without_placeholders(block);
    let json: Value = serde_json::from_str(&value)
        .unwrap_or_else(|e| panic!("the json block of line {start} is not JSON: {e}"));
    let is_rule_key = |key: &String| {
        key == "*"
            || ["group:", "scope:", "claim:"]
                .iter()
                .any(|p| key.starts_with(p))
    };
    let setting = match &json {
        Value::Array(issuers) if issuers.iter().all(|issuer| issuer.get("issuer").is_some()) => {
            Setting::Variable("OIDC_ISSUERS".to_owned())
        }
        Value::Object(map) if !map.is_empty() && map.keys().all(is_rule_key) => {
            if map.values().all(Value::is_string) {
                Setting::UsagePlanKeys
            } else {
                Setting::Variable("ACCESS_RULES".to_owned())
            }
        }
        _ => return None,
    };
    Some(Example {
        setting,
        value,
        line: start,
    })
}

/// The assignments `NAME=value` on `line` whose name is one of `names`, as (variable, value).
/// A value is quoted (`'…'`, `"…"`) or runs to the next space or backtick; one that the shell
/// computes (`$…`) is no example.
fn assignments<'a>(
    line: &'a str,
    names: &'a BTreeMap<String, String>,
) -> impl Iterator<Item = (String, String)> + 'a {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.char_indices()
        .filter(move |&(at, c)| is_name(c) && !line[..at].ends_with(is_name))
        .filter_map(move |(at, _)| {
            let name_end = line[at..]
                .find(|c| !is_name(c))
                .map_or(line.len(), |n| at + n);
            let var = names.get(&line[at..name_end])?;
            let rest = line[name_end..].trim_start_matches(' ').strip_prefix('=')?;
            let rest = rest.trim_start_matches(' ');
            let value = match rest.chars().next()? {
                quote @ ('\'' | '"') => rest[1..].split(quote).next()?,
                _ => rest.split([' ', '`']).next()?,
            };
            (!value.is_empty() && !value.starts_with('$') && !value.starts_with('='))
                .then(|| (var.clone(), without_placeholders(value)))
        })
}

/// `text` with each `<…>` replaced by [`PLACEHOLDER`].
fn without_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(PLACEHOLDER);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# Configuration

With `CONTEXT_CLAIMS=custom:tier,roles`, and `RUST_LOG==x` is no assignment.

```json
{"*": ["GET /pets"], "group:admin": ["POST /pets"]}
```

```json
{"*": "<the standard plan's key>"}
```

```json
{"_aws": {}}
```

```sh
sam deploy --parameter-overrides AccessRules='{"*": []}' UserPoolId=eu-west-1_X
export ACCESS_RULES=$(cat rules.json); XACCESS_RULES=no
```

```toml
OidcIssuers = '[{"issuer": "https://<tenant>.example/"}]'
```
"#;

    fn names() -> BTreeMap<String, String> {
        [
            ("CONTEXT_CLAIMS", "CONTEXT_CLAIMS"),
            ("RUST_LOG", "RUST_LOG"),
            ("ACCESS_RULES", "ACCESS_RULES"),
            ("AccessRules", "ACCESS_RULES"),
            ("UserPoolId", "USER_POOL_ID"),
            ("OidcIssuers", "OIDC_ISSUERS"),
        ]
        .into_iter()
        .map(|(name, var)| (name.to_owned(), var.to_owned()))
        .collect()
    }

    #[test]
    fn finds_json_blocks_of_a_settings_shape_and_assignments() {
        let variable = |name: &str| Setting::Variable(name.to_owned());
        let found: Vec<(Setting, String, usize)> = examples(TEXT, &names())
            .into_iter()
            .map(|example| (example.setting, example.value, example.line))
            .collect();
        assert_eq!(
            found,
            [
                (variable("CONTEXT_CLAIMS"), "custom:tier,roles".into(), 3),
                (
                    variable("ACCESS_RULES"),
                    "{\"*\": [\"GET /pets\"], \"group:admin\": [\"POST /pets\"]}\n".into(),
                    5
                ),
                (
                    Setting::UsagePlanKeys,
                    format!("{{\"*\": \"{PLACEHOLDER}\"}}\n"),
                    9
                ),
                (variable("ACCESS_RULES"), "{\"*\": []}".into(), 18),
                (variable("USER_POOL_ID"), "eu-west-1_X".into(), 18),
                (
                    variable("OIDC_ISSUERS"),
                    format!("[{{\"issuer\": \"https://{PLACEHOLDER}.example/\"}}]"),
                    23
                ),
            ]
        );
    }
}
