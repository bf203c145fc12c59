//! The errors of the kit: why a request was not allowed, and why a function could not start.
//!
//! Per request, API Gateway reads exactly three answers from a REST authorizer: a policy (200 or,
//! with an explicit Deny, 403), the error whose message is exactly `Unauthorized` (401), and any
//! other error (500). [`Rejection`] is everything that means "this caller is not authenticated";
//! [`Fault`] is everything that means "we could not decide" — an outage, not the caller's fault.
//! The variants name the reason so that it can be logged with a stable code; the client only ever
//! sees `Unauthorized` or a generic fault message. No variant carries the token or any part of it.
//!
//! At cold start, [`InitError`] is everything that stops a function before it serves: a setting
//! that is missing or wrong, or a dependency (Secrets Manager) that cannot give what a setting
//! names. It is kept apart from the per-request errors because it is never sent to a caller.

use lambda_runtime::Diagnostic;

/// The message API Gateway turns into a 401. Any other message is a 500.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// Why a token (or the event carrying it) was refused: always a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The event is not one API Gateway sends an authorizer.
    #[error("the event is not an API Gateway REST authorizer event")]
    MalformedEvent,
    /// The `methodArn` could widen a grant or is not an ARN at all.
    #[error("the event's methodArn is not an execute-api method ARN")]
    MalformedMethodArn,
    /// No `Authorization` token, or an empty one.
    #[error("no token in the event")]
    MissingToken,
    /// Two different tokens: `Authorization` headers, or a header and the query-string parameter.
    #[error("more than one token in the event")]
    AmbiguousToken,
    /// A token longer than [`crate::MAX_TOKEN_BYTES`], refused unread.
    #[error("the token is longer than {max} bytes")]
    Oversized {
        /// The limit.
        max: usize,
    },
    /// Not three base64url parts of JSON, or not the JWT alphabet.
    #[error("the token is not a well-formed JWT")]
    MalformedToken,
    /// A header naming critical extensions (`crit`, or RFC 7797's `b64`), none of which this kit
    /// understands (RFC 7515 §4.1.11).
    #[error("the token's header names critical extensions")]
    CriticalExtension,
    /// An `alg` other than the one accepted (`none` included).
    #[error("the token's algorithm is not the one this authorizer accepts")]
    WrongAlgorithm,
    /// No `kid` in the header of a token verified against a key set.
    #[error("the token's header names no key id")]
    MissingKeyId,
    /// A `kid` that the issuer's fresh key set does not hold.
    #[error("the token's key id is not in the key set")]
    UnknownKeyId,
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// `exp` is past, beyond the leeway.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is ahead, beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is ahead, beyond the leeway.
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    /// `iat` is older than `JWT_MAX_AGE_SECONDS` (plus the leeway).
    #[error("the token was issued longer ago than the maximum age")]
    TooOld,
    /// A required claim is absent.
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or is empty.
    #[error("the claim `{0}` has the wrong type or is empty")]
    BadClaim(&'static str),
    /// `iss` is not the trusted issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// `iss` has the shape of a multi-tenant issuer's (`{tenantid}`), but its `tid` is not one of
    /// the listed tenants, or is not the tenant its `iss` names.
    #[error("the token was issued for a tenant its issuer does not accept")]
    WrongTenant,
    /// `aud` names none of the configured audiences.
    #[error("the token was issued for another audience")]
    WrongAudience,
    /// The token was issued to an app client that is not configured.
    #[error("the token was issued to another app client")]
    WrongClient,
    /// A Cognito `token_use` that is not accepted (refresh tokens never are).
    #[error("the token is not of a use this authorizer accepts")]
    WrongTokenUse,
    /// A certificate-bound token (`cnf.x5t#S256`) came without a client certificate.
    #[error("the token is bound to a client certificate, and the request has none")]
    MissingCertificate,
    /// The request's client certificate is not a PEM-encoded X.509 certificate.
    #[error("the client certificate does not parse")]
    MalformedCertificate,
    /// The token is bound to another certificate than the request's.
    #[error("the token is bound to another client certificate")]
    CertificateMismatch,
    /// A `cnf` this kit cannot check (DPoP's `jkt`, a `jwk`, anything but `x5t#S256`): accepting
    /// such a sender-constrained token as a bearer token would undo its protection.
    #[error("the token's confirmation method cannot be checked here")]
    UnsupportedConfirmation,
    /// `CERTIFICATE_BOUND_TOKENS=required`, and the token is not bound to a certificate.
    #[error("the token is not bound to a client certificate")]
    UnboundToken,
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
            Rejection::CriticalExtension => "critical_extension",
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
            Rejection::WrongTenant => "wrong_tenant",
            Rejection::WrongAudience => "wrong_audience",
            Rejection::WrongClient => "wrong_client",
            Rejection::WrongTokenUse => "wrong_token_use",
            Rejection::MissingCertificate => "missing_certificate",
            Rejection::MalformedCertificate => "malformed_certificate",
            Rejection::CertificateMismatch => "certificate_mismatch",
            Rejection::UnsupportedConfirmation => "unsupported_cnf",
            Rejection::UnboundToken => "unbound_token",
        }
    }
}

/// Why the authorizer could not decide: a 500, logged, never blamed on the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The key set could not be fetched, and the token's key is not cached.
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl Fault {
    /// A stable code for logs and alarms.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::KeysUnavailable(_) => "keys_unavailable",
        }
    }
}

/// The error a handler returns. Its conversion into [`Diagnostic`] is the only place where a
/// reason becomes what API Gateway sees, so that no reason can leak to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The caller is not authenticated: 401.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The authorizer could not decide: 500.
    #[error(transparent)]
    Fault(#[from] Fault),
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

/// Why a function stopped at cold start. The message names the variable at fault, never its
/// value (it may be a secret); the runtime reports it to Lambda as an init error, and the function
/// never serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    /// A required variable is unset or blank.
    #[error("{var} is required but not set")]
    Missing {
        /// The variable's name.
        var: &'static str,
    },
    /// A variable's value cannot be used.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What is wrong with it, without the value.
        reason: String,
    },
    /// What a variable names could not be had (a secret that cannot be read).
    #[error("{var}: {reason}")]
    Unavailable {
        /// The variable's name.
        var: &'static str,
        /// What failed.
        reason: String,
    },
}

impl InitError {
    /// A stable code for logs and alarms: what kind of cold-start failure it is.
    pub fn code(&self) -> &'static str {
        match self {
            InitError::Missing { .. } => "init_setting_missing",
            InitError::Invalid { .. } => "init_setting_invalid",
            InitError::Unavailable { .. } => "init_dependency_unavailable",
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
