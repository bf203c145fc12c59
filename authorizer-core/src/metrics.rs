//! Metrics: CloudWatch's embedded metric format (EMF), one JSON line per answer on stdout.
//!
//! Lambda sends every line a function writes to stdout to CloudWatch Logs as one log event, as
//! written (for a custom runtime such as `provided.al2023`, the function's log format changes only
//! Lambda's own lines), and CloudWatch Logs turns each event that is a JSON object carrying an
//! `_aws` member into metrics. So the metrics are a line of their own, beside the request's log
//! line: the log line's fields are tracing's (flat values only, no `_aws` object), its level
//! filter must not drop a metric, and a JSON line is extracted whatever `AWS_LAMBDA_LOG_FORMAT`
//! says, plain-text local runs included.
//!
//! Each answer counts once in `Allowed`, `Denied`, `Unauthorized` or `Fault`, with the dimension
//! sets `[service]` and `[service, reason]`, `reason` being the stable code of
//! [`crate::error`] (`allowed` and `no_grant` for answers); each key-set fetch counts in
//! `KeySetFetches` or `KeySetFetchFailures` and reports its `KeySetFetchDuration`, by `service`.
//! Namespace and service are read as Powertools for AWS Lambda reads them.
//!
//! Metrics are written once [`init`] (or [`install`]) has run: `main` calls it at cold start;
//! tests, benchmarks and fuzz targets that build an authorizer without it write none.

use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::ser::{SerializeMap as _, Serializer};
use serde_json::Number;

use crate::config::Env;
use crate::error::{Fault, InitError, Rejection};

crate::variables! {
    /// The variables every authorizer reads for its metrics, named as Powertools names them.
    VARIABLES {
        /// the CloudWatch namespace of the metrics, see [Metrics and alarms](#metrics-and-alarms)
        POWERTOOLS_METRICS_NAMESPACE = Value("LambdaAuthorizers");

        /// the value of the metrics' `service` dimension
        POWERTOOLS_SERVICE_NAME = Derived("the function's name: `authorizer-hs256`, `authorizer-cognito`, `authorizer-oidc`");
    }
}

/// Room for a line with the default namespace and service, so that writing it allocates once.
const LINE_CAPACITY: usize = 384;
/// The longest namespace CloudWatch accepts.
const MAX_NAMESPACE: usize = 255;
/// The longest dimension value CloudWatch accepts.
const MAX_DIMENSION_VALUE: usize = 1024;

/// What a request came to: one count in the metric of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// An answer letting the request through.
    Allowed,
    /// An answer denying the called method: no rule grants it (403).
    Denied,
    /// A refused token or event (401).
    Unauthorized(&'a Rejection),
    /// No answer could be decided (500).
    Fault(&'a Fault),
    /// The function could not start, so every request gets a 500 until it can: counted once, as
    /// a `Fault`, at the cold start that failed.
    InitFailed(&'a InitError),
}

impl Outcome<'_> {
    /// The metric's name.
    pub fn metric(&self) -> &'static str {
        match self {
            Outcome::Allowed => "Allowed",
            Outcome::Denied => "Denied",
            Outcome::Unauthorized(_) => "Unauthorized",
            Outcome::Fault(_) | Outcome::InitFailed(_) => "Fault",
        }
    }

    /// The `reason` dimension: the error's stable code, or what decided an answer.
    pub fn reason(&self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "no_grant",
            Outcome::Unauthorized(rejection) => rejection.code(),
            Outcome::Fault(fault) => fault.code(),
            Outcome::InitFailed(error) => error.code(),
        }
    }
}

/// CloudWatch's units for the metrics here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Unit {
    Count,
    Milliseconds,
}

/// One metric of a line: its name, its unit, its value.
#[derive(Debug, Clone)]
struct Metric {
    name: &'static str,
    unit: Unit,
    value: Number,
}

impl Metric {
    fn count(name: &'static str) -> Self {
        Metric {
            name,
            unit: Unit::Count,
            value: Number::from(1),
        }
    }
}

/// Where the lines go, and under which namespace and service: read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    namespace: String,
    service: String,
}

impl Metrics {
    /// Reads `POWERTOOLS_METRICS_NAMESPACE` and `POWERTOOLS_SERVICE_NAME`, whose default is
    /// `function` (the function's package name). A value CloudWatch would not accept stops init,
    /// instead of metrics silently lost.
    pub fn from_env(env: &Env, function: &'static str) -> Result<Self, InitError> {
        let namespace = env
            .parse(&POWERTOOLS_METRICS_NAMESPACE, |value| {
                let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
                if value.len() > MAX_NAMESPACE || !value.chars().all(allowed) {
                    Err(format!(
                        "must be at most {MAX_NAMESPACE} letters, digits, spaces or . - _ / # :"
                    ))
                } else if value.starts_with("AWS/") {
                    Err("must not start with AWS/, which is AWS's own".to_owned())
                } else {
                    Ok(value.to_owned())
                }
            })?
            .expect("POWERTOOLS_METRICS_NAMESPACE has a default");
        let service = env
            .parse(&POWERTOOLS_SERVICE_NAME, |value| {
                if value.len() > MAX_DIMENSION_VALUE
                    || !value.chars().all(|c| c == ' ' || c.is_ascii_graphic())
                {
                    Err(format!(
                        "must be at most {MAX_DIMENSION_VALUE} printable ASCII characters"
                    ))
                } else {
                    Ok(value.to_owned())
                }
            })?
            .unwrap_or_else(|| function.to_owned());
        Ok(Metrics { namespace, service })
    }

    /// The EMF line of an answer's `outcome` at `timestamp_ms` (milliseconds since the epoch).
    pub fn outcome_line(&self, outcome: Outcome, timestamp_ms: u64) -> String {
        self.line(
            timestamp_ms,
            Some(outcome.reason()),
            &[Metric::count(outcome.metric())],
        )
    }

    /// The EMF line of a key-set fetch that took `duration`.
    pub fn key_set_fetch_line(
        &self,
        succeeded: bool,
        duration: Duration,
        timestamp_ms: u64,
    ) -> String {
        let count = if succeeded {
            "KeySetFetches"
        } else {
            "KeySetFetchFailures"
        };
        let duration = Metric {
            name: "KeySetFetchDuration",
            unit: Unit::Milliseconds,
            value: Number::from_f64(duration.as_secs_f64() * 1000.0).unwrap_or(Number::from(0)),
        };
        self.line(timestamp_ms, None, &[Metric::count(count), duration])
    }

    fn line(&self, timestamp_ms: u64, reason: Option<&str>, metrics: &[Metric]) -> String {
        let document = Document {
            metrics: self,
            timestamp_ms,
            reason,
            values: metrics,
        };
        let mut line = Vec::with_capacity(LINE_CAPACITY);
        if serde_json::to_writer(&mut line, &document).is_err() {
            return String::new();
        }
        line.push(b'\n');
        // serde_json writes UTF-8 only.
        String::from_utf8(line).unwrap_or_default()
    }
}

/// An EMF document: `_aws`, then the dimensions' and the metrics' values at the root.
struct Document<'a> {
    metrics: &'a Metrics,
    timestamp_ms: u64,
    reason: Option<&'a str>,
    values: &'a [Metric],
}

/// `_aws`: when, and which members of the root are metrics under which dimensions.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Aws<'a> {
    timestamp: u64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: &'static [&'static [&'static str]],
    metrics: Definitions<'a>,
}

/// The metrics' names and units, without their values.
struct Definitions<'a>(&'a [Metric]);

impl Serialize for Definitions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|metric| Definition {
            name: metric.name,
            unit: metric.unit,
        }))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Definition {
    name: &'static str,
    unit: Unit,
}

/// Every line can be aggregated by service alone (what alarms watch); outcomes also by reason.
const BY_SERVICE: &[&[&str]] = &[&["service"]];
const BY_SERVICE_AND_REASON: &[&[&str]] = &[&["service"], &["service", "reason"]];

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let aws = Aws {
            timestamp: self.timestamp_ms,
            cloud_watch_metrics: [Directive {
                namespace: &self.metrics.namespace,
                dimensions: match self.reason {
                    Some(_) => BY_SERVICE_AND_REASON,
                    None => BY_SERVICE,
                },
                metrics: Definitions(self.values),
            }],
        };
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("_aws", &aws)?;
        map.serialize_entry("service", &self.metrics.service)?;
        if let Some(reason) = self.reason {
            map.serialize_entry("reason", reason)?;
        }
        for metric in self.values {
            map.serialize_entry(metric.name, &metric.value)?;
        }
        map.end()
    }
}

/// Where lines go: stdout in a function, nowhere in a benchmark.
pub type Write = fn(&str);

/// The metrics of this process and where their lines go, once installed.
static INSTALLED: OnceLock<(Metrics, Write)> = OnceLock::new();

/// Reads the settings and writes metrics to stdout from now on; call once at cold start, before
/// the first key-set fetch. `function` is the function's package name, the default service.
pub fn init(env: &Env, function: &'static str) -> Result<(), InitError> {
    install(Metrics::from_env(env, function)?, stdout);
    Ok(())
}

/// Writes metrics of `metrics` through `write` from now on (benchmarks write them nowhere); a
/// second call changes nothing.
pub fn install(metrics: Metrics, write: Write) {
    let _ = INSTALLED.set((metrics, write));
}

/// Writes `line` to stdout in one piece, so that no other line cuts it; a failed write loses the
/// line, never the answer.
fn stdout(line: &str) {
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// Milliseconds since the epoch, as `_aws.Timestamp` wants them.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// Counts an answer's `outcome`.
pub fn answered(outcome: Outcome) {
    if let Some((metrics, write)) = INSTALLED.get() {
        write(&metrics.outcome_line(outcome, now_ms()));
    }
}

/// Counts a key-set fetch, successful or not, and reports how long it took: the one call every
/// key cache makes after each fetch.
pub fn key_set_fetch(succeeded: bool, duration: Duration) {
    if let Some((metrics, write)) = INSTALLED.get() {
        write(&metrics.key_set_fetch_line(succeeded, duration, now_ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use testkit::emf::{UNITS, check, extract};

    fn metrics(vars: &[(&str, &str)]) -> Result<Metrics, InitError> {
        let lookup = testkit::env::lookup(vars);
        Metrics::from_env(&Env::new(&lookup), "authorizer-test")
    }

    const AT: u64 = 1_790_000_000_123;

    /// The line, checked against the specification, as JSON.
    fn document(line: &str) -> Value {
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line:?}"
        );
        let document = check(line).unwrap_or_else(|wrong| panic!("{wrong}: {line}"));
        Value::Object(document)
    }

    #[test]
    fn an_outcome_line_is_one_count_by_service_and_by_service_and_reason() {
        let metrics = metrics(&[]).unwrap();
        let expired = Rejection::Expired;
        let down = Fault::KeysUnavailable("connection refused".into());
        for (outcome, name, reason) in [
            (Outcome::Allowed, "Allowed", "allowed"),
            (Outcome::Denied, "Denied", "no_grant"),
            (Outcome::Unauthorized(&expired), "Unauthorized", "expired"),
            (Outcome::Fault(&down), "Fault", "keys_unavailable"),
        ] {
            let line = metrics.outcome_line(outcome, AT);
            let document = document(&line);
            let mut expected = json!({
                "_aws": {"Timestamp": AT, "CloudWatchMetrics": [{
                    "Namespace": "LambdaAuthorizers",
                    "Dimensions": [["service"], ["service", "reason"]],
                    "Metrics": [{"Name": name, "Unit": "Count"}],
                }]},
                "service": "authorizer-test", "reason": reason,
            });
            expected[name] = json!(1);
            assert_eq!(document, expected);
            assert!(document["_aws"]["Timestamp"].is_u64(), "an integer: {line}");
            assert!(!line.contains("connection refused"), "codes only: {line}");
        }
    }

    #[test]
    fn a_key_set_fetch_line_counts_it_and_reports_its_duration_by_service() {
        let metrics = metrics(&[("POWERTOOLS_SERVICE_NAME", "pets-auth")]).unwrap();
        for (succeeded, count) in [(true, "KeySetFetches"), (false, "KeySetFetchFailures")] {
            let line = metrics.key_set_fetch_line(succeeded, Duration::from_micros(2_500), AT);
            let extracted = extract(&check(&line).unwrap());
            let by_service = vec![vec![("service".to_owned(), "pets-auth".to_owned())]];
            let shown: Vec<(&str, &str, f64)> = extracted
                .iter()
                .map(|m| (m.name.as_str(), m.unit.as_str(), m.value.as_f64().unwrap()))
                .collect();
            assert_eq!(
                shown,
                [
                    (count, "Count", 1.0),
                    ("KeySetFetchDuration", "Milliseconds", 2.5)
                ]
            );
            assert!(extracted.iter().all(|m| m.dimensions == by_service));
            assert!(extracted.iter().all(|m| UNITS.contains(&m.unit.as_str())));
            assert!(!line.contains("reason"), "{line}");
        }
    }

    #[test]
    fn reads_namespace_and_service_as_powertools_does() {
        let line = metrics(&[
            ("POWERTOOLS_METRICS_NAMESPACE", " Pet Store/Auth "),
            ("POWERTOOLS_SERVICE_NAME", r#"pets "v2" \ auth"#),
        ])
        .unwrap()
        .outcome_line(Outcome::Allowed, AT);
        let document = document(&line);
        assert_eq!(
            document["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Pet Store/Auth"
        );
        assert_eq!(document["service"], r#"pets "v2" \ auth"#);
        let blank = metrics(&[("POWERTOOLS_SERVICE_NAME", " ")]).unwrap();
        assert_eq!(blank.service, "authorizer-test");
    }

    #[test]
    fn refuses_what_cloudwatch_would_refuse_naming_the_variable() {
        let long = "n".repeat(256);
        let too_long = "s".repeat(1025);
        for (var, value) in [
            ("POWERTOOLS_METRICS_NAMESPACE", "AWS/Lambda"),
            ("POWERTOOLS_METRICS_NAMESPACE", "pets{auth}"),
            ("POWERTOOLS_METRICS_NAMESPACE", long.as_str()),
            ("POWERTOOLS_SERVICE_NAME", "pets\u{7}"),
            ("POWERTOOLS_SERVICE_NAME", "pétales"),
            ("POWERTOOLS_SERVICE_NAME", too_long.as_str()),
        ] {
            let error = metrics(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{error}");
        }
    }

    #[test]
    fn the_checker_refuses_what_the_specification_refuses() {
        let good = json!({
            "_aws": {"Timestamp": AT, "CloudWatchMetrics": [{"Namespace": "N",
                "Dimensions": [["service"]], "Metrics": [{"Name": "M", "Unit": "Count"}]}]},
            "service": "s", "M": 1,
        });
        assert!(check(&good.to_string()).is_ok());
        let broken = |pointer: &str, value: Value| {
            let mut document = good.clone();
            *document.pointer_mut(pointer).unwrap() = value;
            check(&document.to_string()).is_err()
        };
        assert!(broken("/_aws/Timestamp", json!(1.5)));
        assert!(broken("/_aws/Timestamp", json!("now")));
        assert!(broken(
            "/_aws/CloudWatchMetrics/0/Dimensions",
            json!(["service"])
        ));
        assert!(broken(
            "/_aws/CloudWatchMetrics/0/Dimensions/0/0",
            json!("absent")
        ));
        assert!(broken("/service", json!(1)));
        assert!(broken(
            "/_aws/CloudWatchMetrics/0/Metrics/0/Unit",
            json!("Requests")
        ));
        assert!(broken("/M", json!("1")));
        let keys: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
        assert!(broken(
            "/_aws/CloudWatchMetrics/0/Dimensions/0",
            json!(keys)
        ));
        assert!(check(&format!("{} trailing", good)).is_err());
    }
}
