//! CloudWatch's embedded metric format (EMF), as its specification states it: what a metric line
//! must be for CloudWatch Logs to extract its metrics. The core's unit tests and the end-to-end
//! suites both hold the functions' lines to [`check`].

use serde_json::{Map, Value};

/// The units the specification allows (CloudWatch's `StandardUnit`).
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// The most dimension keys in one dimension set.
const MAX_DIMENSIONS: usize = 30;
/// The most metrics in one directive, and values in one metric's array.
const MAX_METRICS: usize = 100;

/// Reads `line` as an EMF document and checks it against the specification: a JSON object (one
/// line, nothing around it) whose `_aws` holds an integer `Timestamp` in milliseconds and
/// `CloudWatchMetrics` directives, each with a `Namespace`, `Dimensions` (arrays of at most 30
/// keys, each a string member of the root) and `Metrics` (a `Name`, a `Unit` of [`UNITS`], each
/// name a number, or an array of numbers, at the root); no object defined by the specification
/// has other members. Returns the document, or what is wrong with it.
pub fn check(line: &str) -> Result<Map<String, Value>, String> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if line.contains('\n') {
        return Err("an EMF document is one log event: one line".into());
    }
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(line) else {
        return Err(format!("not one JSON object: {line}"));
    };
    let aws = object(root.get("_aws"), "_aws")?;
    only(
        aws,
        &[
            "Timestamp",
            "CloudWatchMetrics",
            "LogGroupName",
            "LogStreamName",
        ],
        "_aws",
    )?;
    let timestamp = aws.get("Timestamp").and_then(Value::as_u64);
    if timestamp.is_none_or(|ms| ms <= 1_000_000_000_000) {
        return Err("_aws.Timestamp must be milliseconds since the epoch, an integer".into());
    }
    let directives = array(aws.get("CloudWatchMetrics"), "_aws.CloudWatchMetrics")?;
    for directive in directives {
        let directive = object(Some(directive), "a metric directive")?;
        only(
            directive,
            &["Namespace", "Dimensions", "Metrics"],
            "a metric directive",
        )?;
        let namespace = directive.get("Namespace").and_then(Value::as_str);
        if !namespace.is_some_and(|n| (1..=255).contains(&n.len())) {
            return Err("Namespace must be a string of 1 to 255 characters".into());
        }
        for set in array(directive.get("Dimensions"), "Dimensions")? {
            let set = array(Some(set), "a dimension set")?;
            if set.len() > MAX_DIMENSIONS {
                return Err(format!("a dimension set has {} keys", set.len()));
            }
            for key in set {
                let key = key.as_str().ok_or("a dimension key must be a string")?;
                if !root.get(key).is_some_and(Value::is_string) {
                    return Err(format!("the dimension {key} is not a string at the root"));
                }
            }
        }
        let metrics = array(directive.get("Metrics"), "Metrics")?;
        if metrics.len() > MAX_METRICS {
            return Err(format!("{} metrics in one directive", metrics.len()));
        }
        for metric in metrics {
            let metric = object(Some(metric), "a metric definition")?;
            only(
                metric,
                &["Name", "Unit", "StorageResolution"],
                "a metric definition",
            )?;
            let name = metric
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("a metric's Name must be a string")?;
            if let Some(unit) = metric.get("Unit")
                && !unit.as_str().is_some_and(|unit| UNITS.contains(&unit))
            {
                return Err(format!("{name}: {unit} is not a CloudWatch unit"));
            }
            let value = root.get(name);
            let numbers = match value {
                Some(Value::Array(values)) if values.len() <= MAX_METRICS => {
                    values.iter().collect()
                }
                Some(number) => vec![number],
                None => vec![],
            };
            if numbers.is_empty() || !numbers.iter().all(|v| v.is_number()) {
                return Err(format!("{name} has no numeric value at the root"));
            }
        }
    }
    Ok(root)
}

fn object<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{what} must be an object"))
}

fn array<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a Vec<Value>, String> {
    value
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or_else(|| format!("{what} must be a non-empty array"))
}

fn only(object: &Map<String, Value>, members: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|key| !members.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "{what} has a member the specification does not define: {key}"
        )),
        None => Ok(()),
    }
}

/// One metric of a document: its name, unit, the dimension sets it is under and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The directive's namespace.
    pub namespace: String,
    /// The metric's name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Its dimension sets, each with the dimensions' values: `[[("service", "authorizer-hs256")]]`.
    pub dimensions: Vec<Vec<(String, String)>>,
    /// Its value.
    pub value: Value,
}

/// What CloudWatch would extract from a document that passed [`check`].
pub fn extract(document: &Map<String, Value>) -> Vec<Extracted> {
    let mut extracted = Vec::new();
    for directive in document["_aws"]["CloudWatchMetrics"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let dimensions: Vec<Vec<(String, String)>> = directive["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|set| {
                set.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|key| {
                        (
                            key.to_owned(),
                            document[key].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .collect();
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            extracted.push(Extracted {
                namespace: directive["Namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                name: name.to_owned(),
                unit: metric["Unit"].as_str().unwrap_or("None").to_owned(),
                dimensions: dimensions.clone(),
                value: document[name].clone(),
            });
        }
    }
    extracted
}

/// The metrics of each EMF line in `logs` (lines that are JSON objects with `_aws`), each line
/// checked against the specification; panics naming the line that fails.
pub fn metric_lines(logs: &str) -> Vec<Vec<Extracted>> {
    logs.lines()
        .filter(|line| line.starts_with('{') && line.contains("\"_aws\""))
        .map(|line| match check(line) {
            Ok(document) => extract(&document),
            Err(wrong) => panic!("not an EMF line ({wrong}): {line}"),
        })
        .collect()
}
