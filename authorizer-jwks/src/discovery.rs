//! OpenID Connect Discovery: where an issuer publishes its key set.
//!
//! An issuer's discovery document is at `<issuer>/.well-known/openid-configuration` (the
//! issuer's trailing `/`, if any, removed first: OpenID Connect Discovery §4). Its `issuer` must be
//! exactly the configured one (§4.3), or the document is someone else's and nothing in it is
//! used; its `jwks_uri` is where the keys are. The document is read within the same limits as a
//! key set.
//!
//! A multi-tenant issuer is the exception to where the document is: Entra ID publishes the
//! issuer template `…/{tenantid}/v2.0` in the document of its `common` endpoint
//! (`…/common/v2.0/.well-known/openid-configuration`), so the caller says where to read it.

use serde::Deserialize;

use crate::keyset::{FetchError, FetchLimits, download};

/// Where `issuer`'s discovery document is.
pub fn document_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Whether `url` may be trusted for an issuer, a discovery document or a key set: `https://` with
/// a host, or `http://` to a loopback address (local stand-ins and tests), and never with user
/// information, which could make a loopback-looking URL name another host
/// (`http://127.0.0.1:80@evil.example/`). The URL is parsed as reqwest will fetch it.
pub fn is_secure_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" => !host.is_empty(),
        "http" => {
            host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// Reads the discovery document at `document` (as a rule [`document_url`] of `issuer`), which
/// must name `issuer`, and returns its `jwks_uri`.
pub async fn jwks_uri(
    client: &reqwest::Client,
    document: &str,
    issuer: &str,
    limits: &FetchLimits,
) -> Result<String, FetchError> {
    let body = download(client, document, limits.max_bytes).await?;
    read(&body, issuer)
}

/// The `jwks_uri` of the document `body`, which must be `issuer`'s.
fn read(body: &[u8], issuer: &str) -> Result<String, FetchError> {
    let wrong = |reason: String| FetchError::Discovery(reason);
    let document: Document = serde_json::from_slice(body)
        .map_err(|e| wrong(format!("the document is not JSON: {e}")))?;
    match document.issuer {
        Some(named) if named == issuer => {}
        Some(named) => {
            return Err(wrong(format!(
                "the document names the issuer {named:?}, not {issuer:?}"
            )));
        }
        None => return Err(wrong("the document names no issuer".to_owned())),
    }
    match document.jwks_uri {
        Some(uri) if is_secure_url(&uri) => Ok(uri),
        Some(uri) => Err(wrong(format!(
            "its jwks_uri {uri:?} is neither https:// nor http:// on loopback"
        ))),
        None => Err(wrong("the document has no jwks_uri".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_document_is_beside_the_issuer_without_its_trailing_slash() {
        assert_eq!(
            document_url("https://tenant.example.com/"),
            "https://tenant.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            document_url("https://idp.example.com/realms/pets"),
            "https://idp.example.com/realms/pets/.well-known/openid-configuration"
        );
    }

    #[test]
    fn only_https_or_loopback_http_is_secure() {
        for url in [
            "https://idp.example.com",
            "http://127.0.0.1:8080/x",
            "http://[::1]:80/",
            "http://localhost:3000",
        ] {
            assert!(is_secure_url(url), "{url}");
        }
        for url in [
            "http://idp.example.com",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example",
            "https://",
            "ftp://127.0.0.1/",
            "file:///etc/jwks.json",
            "http://127.0.0.1:80@evil.example/jwks",
            "http://[::1]@evil.example/",
            "http://localhost@evil.example/",
            "https://user:pass@idp.example.com/",
        ] {
            assert!(!is_secure_url(url), "{url}");
        }
    }

    #[test]
    fn a_document_must_name_exactly_the_configured_issuer() {
        let issuer = "https://tenant.example.com/";
        let document = |value: serde_json::Value| read(value.to_string().as_bytes(), issuer);
        assert_eq!(
            document(json!({"issuer": issuer, "jwks_uri": "https://tenant.example.com/jwks"})),
            Ok("https://tenant.example.com/jwks".to_owned())
        );
        for wrong in [
            json!({"issuer": "https://tenant.example.com", "jwks_uri": "https://x/jwks"}),
            json!({"issuer": "https://mallory.example/", "jwks_uri": "https://x/jwks"}),
            json!({"jwks_uri": "https://x/jwks"}),
            json!({"issuer": issuer}),
            json!({"issuer": issuer, "jwks_uri": "http://mallory.example/jwks"}),
            json!([]),
        ] {
            assert!(
                matches!(document(wrong.clone()), Err(FetchError::Discovery(_))),
                "{wrong}"
            );
        }
    }
}
