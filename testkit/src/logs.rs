//! What a function's logs must say, and must never say.

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
