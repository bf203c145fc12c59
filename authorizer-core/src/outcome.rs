//! Why a request was not allowed, and how API Gateway must be told.
//!
//! API Gateway reads exactly three answers from a REST authorizer: a policy (200 or, with an explicit
//! Deny, 403), the error whose message is exactly `Unauthorized` (401), and any other error (500).
//! [`Rejection`] is everything that means "this caller is not authenticated"; [`Fault`] is everything
//! that means "we could not decide" — an outage, not the caller's fault. The variants name the reason
//! so that it can be logged with a stable code; the client only ever sees `Unauthorized` or a generic
//! fault message. No variant carries the token or any part of it.

use lambda_runtime::Diagnostic;

/// The message API Gateway turns into a 401. Any other message is a 500.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// Why a token (or the event carrying it) was refused: always a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the event is not an API Gateway REST authorizer event")]
    MalformedEvent,
    #[error("the event's methodArn is not an execute-api method ARN")]
    MalformedMethodArn,
    #[error("no token in the event")]
    MissingToken,
    #[error("more than one Authorization header")]
    AmbiguousToken,
    #[error("the token is longer than {max} bytes")]
    Oversized { max: usize },
    #[error("the token is not a well-formed JWT")]
    MalformedToken,
    #[error("the token's algorithm is not the one this authorizer accepts")]
    WrongAlgorithm,
    #[error("the token's header names no key id")]
    MissingKeyId,
    #[error("the token's key id is not in the key set")]
    UnknownKeyId,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    #[error("the token was issued longer ago than the maximum age")]
    TooOld,
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(&'static str),
    #[error("the claim `{0}` has the wrong type or is empty")]
    BadClaim(&'static str),
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token was issued for another audience")]
    WrongAudience,
    #[error("the token was issued to another app client")]
    WrongClient,
    #[error("the token is not of a use this authorizer accepts")]
    WrongTokenUse,
}

impl Rejection {
    /// A stable, machine-friendly code for logs and alarms; unlike the message, it never changes.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MalformedEvent => "malformed_event",
            Rejection::MalformedMethodArn => "malformed_method_arn",
            Rejection::MissingToken => "missing_token",
            Rejection::AmbiguousToken => "ambiguous_token",
            Rejection::Oversized { .. } => "oversized_token",
            Rejection::MalformedToken => "malformed_token",
            Rejection::WrongAlgorithm => "wrong_algorithm",
            Rejection::MissingKeyId => "missing_kid",
            Rejection::UnknownKeyId => "unknown_kid",
            Rejection::BadSignature => "bad_signature",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::IssuedInFuture => "iat_in_future",
            Rejection::TooOld => "too_old",
            Rejection::MissingClaim(_) => "missing_claim",
            Rejection::BadClaim(_) => "bad_claim",
            Rejection::WrongIssuer => "wrong_issuer",
            Rejection::WrongAudience => "wrong_audience",
            Rejection::WrongClient => "wrong_client",
            Rejection::WrongTokenUse => "wrong_token_use",
        }
    }
}

/// Why the authorizer could not decide: a 500, logged, never blamed on the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Fault {
    /// A stable code for logs and alarms.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::KeysUnavailable(_) => "keys_unavailable",
            Fault::Internal(_) => "internal",
        }
    }
}

/// The error a handler returns. Its conversion into [`Diagnostic`] is the only place where a
/// reason becomes what API Gateway sees, so that no reason can leak to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl AuthError {
    /// The stable code of the reason, for the log line.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Rejected(rejection) => rejection.code(),
            AuthError::Fault(fault) => fault.code(),
        }
    }
}

impl From<AuthError> for Diagnostic {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Rejected(_) => Diagnostic {
                error_type: UNAUTHORIZED.to_owned(),
                error_message: UNAUTHORIZED.to_owned(),
            },
            AuthError::Fault(_) => Diagnostic {
                error_type: "AuthorizerFault".to_owned(),
                error_message: "The authorizer could not decide; see its logs".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_reads_exactly_unauthorized() {
        let diagnostic = Diagnostic::from(AuthError::from(Rejection::Expired));
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }

    #[test]
    fn a_fault_is_never_read_as_unauthorized() {
        let fault = Fault::KeysUnavailable("connection refused".into());
        let diagnostic = Diagnostic::from(AuthError::from(fault));
        assert_ne!(diagnostic.error_message, UNAUTHORIZED);
        assert!(!diagnostic.error_message.contains("connection refused"));
    }
}
