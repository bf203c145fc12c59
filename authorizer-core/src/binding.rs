//! Tokens bound to a client certificate (RFC 8705, "certificate-bound access tokens").
//!
//! With mutual TLS on a custom domain, API Gateway checks the client's certificate against its
//! truststore and hands it to REQUEST authorizers. An issuer that binds a token to that certificate
//! puts the certificate's SHA-256 thumbprint in the token's `cnf` claim (`x5t#S256`): a stolen token
//! is then useless without the certificate's private key. This step, right after the signature,
//! refuses a bound token unless the request came with that very certificate, and refuses any other
//! confirmation method (`jkt` of DPoP, `jwk`…): taking a sender-constrained token as a plain bearer
//! token would undo its protection.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// The `cnf` member holding the certificate's thumbprint.
const THUMBPRINT: &str = "x5t#S256";

/// Which tokens must be bound to the request's client certificate (`CERTIFICATE_BOUND_TOKENS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateBinding {
    /// `when-bound` (the default): a token with `cnf.x5t#S256` needs its certificate; a token
    /// without `cnf` is a bearer token.
    #[default]
    WhenBound,
    /// `required`: every token must be bound to the request's certificate.
    Required,
}

impl CertificateBinding {
    /// Reads the setting's value; the error lists what it may be.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "when-bound" => Ok(CertificateBinding::WhenBound),
            "required" => Ok(CertificateBinding::Required),
            _ => Err("must be when-bound or required".to_owned()),
        }
    }

    /// Whether `claims` may be used on a request that carried `certificate` (its PEM text, as API
    /// Gateway passes it; a TOKEN event never has one).
    pub fn check(
        self,
        claims: &VerifiedClaims,
        certificate: Option<&str>,
    ) -> Result<(), Rejection> {
        let bound_to = match claims.get("cnf") {
            None if self == CertificateBinding::Required => return Err(Rejection::UnboundToken),
            None => return Ok(()),
            Some(cnf) => thumbprint_claim(cnf)?,
        };
        let certificate = certificate.ok_or(Rejection::MissingCertificate)?;
        if thumbprint(certificate)? == bound_to {
            Ok(())
        } else {
            Err(Rejection::CertificateMismatch)
        }
    }
}

/// The thumbprint of a `cnf` that holds exactly `x5t#S256`, a string; anything else is a binding
/// this kit cannot check.
fn thumbprint_claim(cnf: &Value) -> Result<&str, Rejection> {
    match cnf
        .as_object()
        .map(|members| members.iter().collect::<Vec<_>>())
        .as_deref()
    {
        Some([(name, Value::String(thumbprint))])
            if *name == THUMBPRINT && !thumbprint.is_empty() =>
        {
            Ok(thumbprint)
        }
        _ => Err(Rejection::UnsupportedConfirmation),
    }
}

/// The base64url (unpadded) SHA-256 of the DER of the first certificate in `pem`, which must be an
/// X.509 certificate as webpki reads it: what `cnf.x5t#S256` holds for a token bound to it.
pub fn thumbprint(pem: &str) -> Result<String, Rejection> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|_| Rejection::MalformedCertificate)?;
    webpki::EndEntityCert::try_from(&der).map_err(|_| Rejection::MalformedCertificate)?;
    Ok(base64_simd::URL_SAFE_NO_PAD.encode_to_string(Sha256::digest(der.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> VerifiedClaims {
        VerifiedClaims::new(value.as_object().unwrap().clone())
    }

    #[test]
    fn reads_both_settings_and_nothing_else() {
        assert_eq!(
            CertificateBinding::parse("when-bound"),
            Ok(CertificateBinding::WhenBound)
        );
        assert_eq!(
            CertificateBinding::parse("required"),
            Ok(CertificateBinding::Required)
        );
        for value in ["Required", "when_bound", "always", ""] {
            assert!(CertificateBinding::parse(value).is_err(), "{value}");
        }
    }

    #[test]
    fn an_unbound_token_is_a_bearer_token_unless_binding_is_required() {
        let plain = claims(json!({"sub": "bob"}));
        assert_eq!(CertificateBinding::WhenBound.check(&plain, None), Ok(()));
        assert_eq!(
            CertificateBinding::Required.check(&plain, None),
            Err(Rejection::UnboundToken)
        );
    }

    #[test]
    fn refuses_every_confirmation_it_cannot_check() {
        for cnf in [
            json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
            json!({"jwk": {"kty": "EC"}}),
            json!({"x5t#S256": "abc", "jkt": "abc"}),
            json!({"x5t#S256": ["abc"]}),
            json!({"x5t#S256": ""}),
            json!({"x5t": "abc"}),
            json!({}),
            json!("abc"),
            json!(null),
            json!(["x5t#S256", "abc"]),
        ] {
            let token = claims(json!({"sub": "bob", "cnf": cnf}));
            for binding in [CertificateBinding::WhenBound, CertificateBinding::Required] {
                assert_eq!(
                    binding.check(&token, Some("irrelevant")),
                    Err(Rejection::UnsupportedConfirmation),
                    "{token:?}"
                );
            }
        }
    }

    #[test]
    fn a_bound_token_is_accepted_with_its_own_certificate_only() {
        use testkit::keys::{ALICE_CERTIFICATE as ALICE, MALLORY_CERTIFICATE as MALLORY};
        let token = claims(json!({"sub": "alice", "cnf": {"x5t#S256": ALICE.thumbprint}}));
        for binding in [CertificateBinding::WhenBound, CertificateBinding::Required] {
            assert_eq!(binding.check(&token, Some(ALICE.pem)), Ok(()));
            assert_eq!(
                binding.check(&token, Some(MALLORY.pem)),
                Err(Rejection::CertificateMismatch)
            );
        }
        // The thumbprint is compared exactly: not padded, not in standard base64, not truncated.
        for other in [
            format!("{}=", ALICE.thumbprint),
            ALICE.thumbprint.to_lowercase(),
            ALICE.thumbprint[1..].to_owned(),
        ] {
            let token = claims(json!({"sub": "alice", "cnf": {"x5t#S256": other}}));
            assert_eq!(
                CertificateBinding::WhenBound.check(&token, Some(ALICE.pem)),
                Err(Rejection::CertificateMismatch)
            );
        }
    }

    #[test]
    fn a_bound_token_needs_a_certificate_that_parses() {
        let token = claims(json!({"sub": "bob", "cnf": {"x5t#S256": "abc"}}));
        let binding = CertificateBinding::WhenBound;
        assert_eq!(
            binding.check(&token, None),
            Err(Rejection::MissingCertificate)
        );
        for broken in [
            "",
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert_eq!(
                binding.check(&token, Some(broken)),
                Err(Rejection::MalformedCertificate),
                "{broken:?}"
            );
        }
    }
}
