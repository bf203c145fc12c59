//! Fetching and reading the user pool's key set (JWKS).
//!
//! The key set comes from an `http(s)://` URL — the pool's own, or a private endpoint — or from a
//! `file://` URL, for local runs with a demo pool and for functions that ship their keys.
//!
//! The endpoint is a dependency we do not control, so every way it can misbehave is bounded: a
//! connect timeout and a total timeout well inside API Gateway's 29 s, a cap on the body's size
//! (read in chunks, so a multi-megabyte answer is cut off, not buffered) and on the number of keys.
//! Keys that are not RSA signature keys for RS256 are dropped here, so the verifier only ever
//! sees keys it may use.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use serde::Deserialize;
use serde_json::Value;

/// Limits on the key-set endpoint. Cognito's key set is two keys in well under 2 KiB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchLimits {
    /// How long connecting may take (default 1 s).
    pub connect_timeout: Duration,
    /// How long the whole fetch may take (default 3 s), well inside API Gateway's 29 s.
    pub timeout: Duration,
    /// The largest answer read (default 64 KiB); a larger one is cut off, not buffered.
    pub max_bytes: usize,
    /// The most keys a key set may list (default 32).
    pub max_keys: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(3),
            max_bytes: 64 * 1024,
            max_keys: 32,
        }
    }
}

/// Why a key set could not be had. Never the caller's fault: it becomes a 500, not a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No answer: refused, timed out, or an unreadable file.
    #[error("the request failed: {0}")]
    Request(String),
    /// An answer other than 2xx.
    #[error("the endpoint answered HTTP {0}")]
    Status(u16),
    /// An answer over [`FetchLimits::max_bytes`].
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// An answer that is not a JSON Web Key Set.
    #[error("the answer is not a JWKS: {0}")]
    NotAKeySet(String),
    /// A key set over [`FetchLimits::max_keys`].
    #[error("the key set has more than {0} keys")]
    TooManyKeys(usize),
}

/// Usable keys by key id.
pub type Keys = HashMap<String, Arc<DecodingKey>>;

/// Fetches key sets from one URL; the HTTP client is built once, at cold start.
#[derive(Debug, Clone)]
pub struct KeySetSource {
    url: String,
    /// `None` for a `file://` URL.
    client: Option<reqwest::Client>,
    limits: FetchLimits,
}

impl KeySetSource {
    /// `url` is `http://…`, `https://…` or `file://<path>` (a relative path is read from the
    /// working directory).
    pub fn new(url: String, limits: FetchLimits) -> Result<Self, reqwest::Error> {
        let client = if url.starts_with("file://") {
            None
        } else {
            let client = reqwest::Client::builder()
                .connect_timeout(limits.connect_timeout)
                .timeout(limits.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            Some(client)
        };
        Ok(KeySetSource {
            url,
            client,
            limits,
        })
    }

    /// The URL keys come from, for logs.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One fetch of the key set, within the limits.
    pub async fn fetch(&self) -> Result<Keys, FetchError> {
        let body = match &self.client {
            Some(client) => self.download(client).await?,
            None => self.read_file()?,
        };
        parse(&body, self.limits.max_keys)
    }

    async fn download(&self, client: &reqwest::Client) -> Result<Vec<u8>, FetchError> {
        let request_failed = |e: reqwest::Error| FetchError::Request(e.without_url().to_string());
        let mut response = client.get(&self.url).send().await.map_err(request_failed)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max = self.limits.max_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > max as u64)
        {
            return Err(FetchError::TooLarge(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_failed)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn read_file(&self) -> Result<Vec<u8>, FetchError> {
        let path = self.url.trim_start_matches("file://");
        let unreadable = |e: std::io::Error| FetchError::Request(format!("{path}: {e}"));
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let mut body = Vec::new();
        std::io::Read::take(file, self.limits.max_bytes as u64 + 1)
            .read_to_end(&mut body)
            .map_err(unreadable)?;
        if body.len() > self.limits.max_bytes {
            return Err(FetchError::TooLarge(self.limits.max_bytes));
        }
        Ok(body)
    }
}

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<Value>,
}

/// Reads a JWKS, keeping the RSA signature keys usable with RS256 that have a key id.
pub fn parse(body: &[u8], max_keys: usize) -> Result<Keys, FetchError> {
    let set: RawKeySet =
        serde_json::from_slice(body).map_err(|e| FetchError::NotAKeySet(e.to_string()))?;
    if set.keys.len() > max_keys {
        return Err(FetchError::TooManyKeys(max_keys));
    }
    Ok(set
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .filter_map(|jwk| {
            let usable = matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
                && matches!(
                    jwk.common.public_key_use,
                    None | Some(PublicKeyUse::Signature)
                )
                && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
            let kid = jwk
                .common
                .key_id
                .clone()
                .filter(|kid| usable && !kid.is_empty())?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const N: &str = "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw";

    fn rsa(kid: &str, extra: Value) -> Value {
        let mut key = json!({"kty": "RSA", "kid": kid, "n": N, "e": "AQAB"});
        key.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        key
    }

    fn kids(body: Value) -> Vec<String> {
        let mut kids: Vec<String> = parse(body.to_string().as_bytes(), 32)
            .unwrap()
            .into_keys()
            .collect();
        kids.sort();
        kids
    }

    #[test]
    fn keeps_only_rs256_signature_keys_with_an_id() {
        let body = json!({"keys": [
            rsa("plain", json!({})),
            rsa("cognito", json!({"alg": "RS256", "use": "sig"})),
            rsa("for-encryption", json!({"use": "enc"})),
            rsa("for-rs512", json!({"alg": "RS512"})),
            rsa("", json!({})),
            {"kty": "RSA", "n": N, "e": "AQAB"},
            {"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kid": "garbage"},
            "not even an object",
        ]});
        assert_eq!(kids(body), ["cognito", "plain"]);
    }

    #[tokio::test]
    async fn reads_a_file_url_within_the_size_limit() {
        let path = std::env::temp_dir().join(format!("jwks-{}.json", std::process::id()));
        std::fs::write(
            &path,
            json!({"keys": [rsa("file-key", json!({}))]}).to_string(),
        )
        .unwrap();
        let url = format!("file://{}", path.display());
        let source = KeySetSource::new(url.clone(), FetchLimits::default()).unwrap();
        assert!(source.fetch().await.unwrap().contains_key("file-key"));
        let tiny = FetchLimits {
            max_bytes: 16,
            ..FetchLimits::default()
        };
        let source = KeySetSource::new(url, tiny).unwrap();
        assert!(matches!(
            source.fetch().await,
            Err(FetchError::TooLarge(16))
        ));
        std::fs::remove_file(path).unwrap();
        let missing =
            KeySetSource::new("file:///no/such/jwks.json".into(), FetchLimits::default()).unwrap();
        assert!(matches!(missing.fetch().await, Err(FetchError::Request(_))));
    }

    #[test]
    fn refuses_what_is_not_a_key_set() {
        for body in ["", "[]", "{}", "{\"keys\": 1}", "<html>503</html>"] {
            assert!(
                matches!(parse(body.as_bytes(), 32), Err(FetchError::NotAKeySet(_))),
                "{body}"
            );
        }
        let many = json!({"keys": vec![rsa("k", json!({})); 33]}).to_string();
        assert!(matches!(
            parse(many.as_bytes(), 32),
            Err(FetchError::TooManyKeys(32))
        ));
    }
}
