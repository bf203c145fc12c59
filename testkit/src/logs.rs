//! What a function's logs must say, and must never say; and the metrics they carry.

use crate::emf::metric_lines;

/// Checks the logs of an adversarial run: one `refused` line per refused request, and no part of
/// any token (header, payload or signature) anywhere. Run the function with `RUST_LOG=trace` and
/// `AWS_LAMBDA_LOG_FORMAT=JSON` so that this covers everything it can log.
pub fn assert_logs_are_clean(logs: &str, tokens: &[&str], refused: usize) {
    assert_eq!(
        logs.matches("\"message\":\"refused\"").count(),
        refused,
        "refusal lines:\n{logs}"
    );
    for token in tokens {
        for part in token.split('.').filter(|part| part.len() >= 16) {
            assert!(
                !logs.contains(part),
                "part of a token reached the logs: {part}\n{logs}"
            );
        }
    }
}

/// The namespace of the metrics when `POWERTOOLS_METRICS_NAMESPACE` is unset.
pub const NAMESPACE: &str = "LambdaAuthorizers";

/// The outcomes counted in `logs`, in order, as `(metric, reason)`: `("Unauthorized",
/// "expired")`. Asserts that each is a valid EMF line in the default namespace counting 1 under
/// the dimension sets `[service]` and `[service, reason]`, the service being `service`.
pub fn outcomes(logs: &str, service: &str) -> Vec<(String, String)> {
    const OUTCOMES: [&str; 4] = ["Allowed", "Denied", "Unauthorized", "Fault"];
    metric_lines(logs)
        .into_iter()
        .filter(|line| line.iter().any(|m| OUTCOMES.contains(&m.name.as_str())))
        .map(|line| {
            let [metric] = line.as_slice() else {
                panic!("one outcome per line: {line:?}")
            };
            let by_service = [("service".to_owned(), service.to_owned())];
            let [just_service, with_reason] = metric.dimensions.as_slice() else {
                panic!("two dimension sets: {metric:?}")
            };
            assert_eq!(just_service.as_slice(), by_service, "{metric:?}");
            assert_eq!(with_reason[..1], by_service, "{metric:?}");
            assert_eq!(with_reason[1].0, "reason", "{metric:?}");
            assert_eq!(
                (
                    metric.namespace.as_str(),
                    metric.unit.as_str(),
                    &metric.value
                ),
                (NAMESPACE, "Count", &serde_json::json!(1)),
                "{metric:?}"
            );
            (metric.name.clone(), with_reason[1].1.clone())
        })
        .collect()
}

/// The key-set fetches counted in `logs`, in order: `KeySetFetches` or `KeySetFetchFailures`.
/// Asserts that each is a valid EMF line in the default namespace counting 1 and reporting its
/// `KeySetFetchDuration` in milliseconds, under the one dimension set `[service]`.
pub fn key_set_fetches(logs: &str, service: &str) -> Vec<String> {
    metric_lines(logs)
        .into_iter()
        .filter(|line| line.iter().any(|m| m.name.starts_with("KeySetFetch")))
        .map(|line| {
            let [count, duration] = line.as_slice() else {
                panic!("a count and a duration: {line:?}")
            };
            for metric in [count, duration] {
                let by_service = vec![vec![("service".to_owned(), service.to_owned())]];
                assert_eq!(metric.dimensions, by_service, "{metric:?}");
                assert_eq!(metric.namespace, NAMESPACE, "{metric:?}");
            }
            assert_eq!(
                (count.unit.as_str(), &count.value),
                ("Count", &serde_json::json!(1))
            );
            assert_eq!(
                (duration.name.as_str(), duration.unit.as_str()),
                ("KeySetFetchDuration", "Milliseconds")
            );
            assert!(
                duration.value.as_f64().is_some_and(|ms| ms >= 0.0),
                "{duration:?}"
            );
            count.name.clone()
        })
        .collect()
}
