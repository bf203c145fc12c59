//! Fetching and reading an issuer's key set (JWKS).
//!
//! The key set comes from an `http(s)://` URL — the issuer's own, or a private endpoint —, from
//! the `jwks_uri` of the issuer's OpenID Connect discovery document, or from a file, for local
//! runs and for functions that ship their keys.
//!
//! The endpoint is a dependency we do not control, so every way it can misbehave is bounded: a
//! connect timeout and a total timeout well inside API Gateway's 29 s, a cap on the body's size
//! (read in chunks, so a multi-megabyte answer is cut off, not buffered) and on the number of keys.
//! Keys that cannot verify any of the issuer's algorithms are dropped here — as are keys that are
//! not for verifying (`use`, `key_ops`) and degenerate Ed25519 keys —, and each key kept knows the
//! algorithms it may verify, so the verifier only ever sees keys it may use, and uses them only as
//! their type, curve, `alg`, `use` and `key_ops` allow.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use authorizer_core::jwt::{self, PublicKey, Token};
use authorizer_core::{Rejection, VerifiedClaims};
use curve25519_dalek::edwards::CompressedEdwardsY;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;

/// Limits on the key-set and discovery endpoints. Cognito's key set is two keys in well under
/// 2 KiB; discovery documents are a few KiB.
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
    /// A key set shipped with the function holds no key usable with the issuer's algorithms.
    #[error("the key set holds no signature key with a kid usable with {0}")]
    NoUsableKey(String),
    /// The discovery document cannot be used: not JSON, no `jwks_uri`, or another issuer's.
    #[error("discovery: {0}")]
    Discovery(String),
}

/// A public key of a key set, parsed once for each algorithm it may verify: those its type and
/// curve allow, narrowed to its own `alg` when it names one, and to the issuer's accepted
/// algorithms.
pub struct VerifyingKey {
    keys: Vec<PublicKey>,
}

impl VerifyingKey {
    /// The key for a token whose header says `algorithm`, if this key may verify it.
    fn public_key(&self, algorithm: Algorithm) -> Option<&PublicKey> {
        self.keys.iter().find(|key| key.algorithm() == algorithm)
    }

    /// Whether a token whose header says `algorithm` may be verified with this key.
    pub fn accepts(&self, algorithm: Algorithm) -> bool {
        self.public_key(algorithm).is_some()
    }

    /// `token`'s claims, once its signature verifies with this key for the algorithm its header
    /// names and its registered claims pass `validation`. A key that may not verify that
    /// algorithm refuses the token ([`Rejection::WrongAlgorithm`]).
    pub fn decode(
        &self,
        token: &Token<'_>,
        validation: &Validation,
    ) -> Result<VerifiedClaims, Rejection> {
        let key = self.public_key(token.header().alg);
        jwt::decode_with(token, key.ok_or(Rejection::WrongAlgorithm)?, validation)
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<Algorithm> = self.keys.iter().map(PublicKey::algorithm).collect();
        f.debug_struct("VerifyingKey")
            .field("algorithms", &algorithms)
            .finish_non_exhaustive()
    }
}

/// The usable keys of one key id: one, as a rule; more when an issuer publishes keys of different
/// types under one `kid`, as RFC 7517 §4.5 allows. A token's `alg` picks among them.
pub type KeysOfId = Arc<[Arc<VerifyingKey>]>;

/// Usable keys by key id.
pub type Keys = HashMap<String, KeysOfId>;

/// The key of `keys` that may verify `algorithm`, the first in the key set's order if several
/// may: none means the token's `alg` is not one its key id's keys were published for.
pub fn for_algorithm(keys: &KeysOfId, algorithm: Algorithm) -> Option<Arc<VerifyingKey>> {
    keys.iter().find(|key| key.accepts(algorithm)).cloned()
}

/// The HTTP client every fetch of a function shares, built on its first fetch: a cold start that
/// reads a shipped key set builds none. It has the limits' timeouts, and follows no redirect (a
/// key set is where its issuer says, not where an answer points).
///
/// Building one with rustls loads and parses the system's root certificates, which costs a cold
/// start milliseconds; a function whose key sets are all `http://` on loopback (local stand-ins)
/// needs none, and loads none.
#[derive(Debug, Clone)]
pub struct HttpClient(Arc<LazyClient>);

#[derive(Debug)]
struct LazyClient {
    limits: FetchLimits,
    https: bool,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl HttpClient {
    /// A client within `limits`, trusting the system's root certificates when `https`.
    pub fn new(limits: &FetchLimits, https: bool) -> Self {
        HttpClient(Arc::new(LazyClient {
            limits: limits.clone(),
            https,
            client: OnceLock::new(),
        }))
    }

    /// The client, built now if it was not yet.
    pub fn get(&self) -> Result<&reqwest::Client, FetchError> {
        let LazyClient {
            limits,
            https,
            client,
        } = &*self.0;
        client
            .get_or_init(|| {
                let builder = reqwest::Client::builder()
                    .connect_timeout(limits.connect_timeout)
                    .timeout(limits.timeout)
                    .redirect(reqwest::redirect::Policy::none());
                let builder = if *https {
                    builder
                } else {
                    builder.tls_certs_only([])
                };
                builder.build().map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| FetchError::Request(format!("no HTTP client: {e}")))
    }
}

/// Where a key set comes from.
#[derive(Debug)]
enum Origin {
    /// A file: read, never fetched.
    File(PathBuf),
    /// An `http(s)://` URL.
    Url { client: HttpClient, url: String },
    /// The `jwks_uri` of the discovery document at `document`, which must name `issuer`, found
    /// on the first fetch (or by [`KeySetSource::discover`]) and then kept.
    Discovery {
        client: HttpClient,
        document: String,
        issuer: String,
        jwks_uri: OnceLock<String>,
    },
}

/// Fetches one issuer's key set, keeping the keys usable with its algorithms.
#[derive(Debug)]
pub struct KeySetSource {
    origin: Origin,
    limits: FetchLimits,
    algorithms: Vec<Algorithm>,
}

impl KeySetSource {
    /// `url` is `http://…`, `https://…` or `file://<path>` (a relative path is read from the
    /// working directory), with an HTTP client of its own unless it is a file.
    pub fn from_url(url: String, limits: FetchLimits, algorithms: &[Algorithm]) -> Self {
        match url.strip_prefix("file://") {
            Some(path) => KeySetSource::file(path.into(), limits, algorithms),
            None => {
                let client = HttpClient::new(&limits, url.starts_with("https://"));
                KeySetSource::http(url, client, limits, algorithms)
            }
        }
    }

    /// A key set read from the file at `path`.
    pub fn file(path: PathBuf, limits: FetchLimits, algorithms: &[Algorithm]) -> Self {
        KeySetSource::with(Origin::File(path), limits, algorithms)
    }

    /// A key set fetched from `url` with `client`.
    pub fn http(
        url: String,
        client: HttpClient,
        limits: FetchLimits,
        algorithms: &[Algorithm],
    ) -> Self {
        KeySetSource::with(Origin::Url { client, url }, limits, algorithms)
    }

    /// A key set fetched from the `jwks_uri` that `issuer`'s discovery document names (OpenID
    /// Connect Discovery), with `client`. The document is read at `document`: as a rule
    /// [`crate::discovery::document_url`] of `issuer`, but a multi-tenant issuer's is elsewhere.
    pub fn discovery(
        issuer: String,
        document: String,
        client: HttpClient,
        limits: FetchLimits,
        algorithms: &[Algorithm],
    ) -> Self {
        let jwks_uri = OnceLock::new();
        let origin = Origin::Discovery {
            client,
            document,
            issuer,
            jwks_uri,
        };
        KeySetSource::with(origin, limits, algorithms)
    }

    fn with(origin: Origin, limits: FetchLimits, algorithms: &[Algorithm]) -> Self {
        KeySetSource {
            origin,
            limits,
            algorithms: algorithms.to_vec(),
        }
    }

    /// Where keys come from, for logs: a path, a URL, or the discovery document's URL until it
    /// has named the key set's.
    pub fn url(&self) -> &str {
        match &self.origin {
            Origin::File(path) => path.to_str().unwrap_or("<file>"),
            Origin::Url { url, .. } => url,
            Origin::Discovery {
                issuer, jwks_uri, ..
            } => jwks_uri.get().map_or(issuer, String::as_str),
        }
    }

    /// Reads the discovery document now, if keys come from one and it was not read yet: at cold
    /// start, so that an issuer whose document cannot be had, or names another issuer, stops the
    /// function instead of failing each request.
    pub async fn discover(&self) -> Result<(), FetchError> {
        match &self.origin {
            Origin::Discovery {
                client,
                document,
                issuer,
                jwks_uri,
            } if jwks_uri.get().is_none() => {
                let found =
                    crate::discovery::jwks_uri(client.get()?, document, issuer, &self.limits)
                        .await?;
                let _ = jwks_uri.set(found);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Reads a key set shipped with the function (in its package or a layer), within the same
    /// limits and keeping the same keys as a fetch; one without a usable key is an error, since
    /// it can only be a mistake.
    pub fn read_shipped(&self, path: &std::path::Path) -> Result<Keys, FetchError> {
        let keys = parse(
            &read_file(path, self.limits.max_bytes)?,
            self.limits.max_keys,
            &self.algorithms,
        )?;
        if keys.is_empty() {
            return Err(FetchError::NoUsableKey(format!("{:?}", self.algorithms)));
        }
        Ok(keys)
    }

    /// One fetch of the key set, within the limits.
    pub async fn fetch(&self) -> Result<Keys, FetchError> {
        let body = match &self.origin {
            Origin::File(path) => read_file(path, self.limits.max_bytes)?,
            Origin::Url { client, url } => {
                download(client.get()?, url, self.limits.max_bytes).await?
            }
            Origin::Discovery {
                client, jwks_uri, ..
            } => {
                self.discover().await?;
                let url = jwks_uri.get().expect("discover() has found it");
                download(client.get()?, url, self.limits.max_bytes).await?
            }
        };
        parse(&body, self.limits.max_keys, &self.algorithms)
    }
}

/// A GET of `url`, its answer's body read up to `max` bytes.
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &str,
    max: usize,
) -> Result<Vec<u8>, FetchError> {
    let request_failed = |e: reqwest::Error| FetchError::Request(e.without_url().to_string());
    let mut response = client.get(url).send().await.map_err(request_failed)?;
    if !response.status().is_success() {
        return Err(FetchError::Status(response.status().as_u16()));
    }
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

fn read_file(path: &std::path::Path, max: usize) -> Result<Vec<u8>, FetchError> {
    let unreadable = |e: std::io::Error| FetchError::Request(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut body = Vec::new();
    std::io::Read::take(file, max as u64 + 1)
        .read_to_end(&mut body)
        .map_err(unreadable)?;
    if body.len() > max {
        return Err(FetchError::TooLarge(max));
    }
    Ok(body)
}

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<Value>,
}

/// Reads a JWKS, keeping the signature keys with a key id that can verify one of `accepted`;
/// every such key of a key id is kept, in the key set's order.
pub fn parse(body: &[u8], max_keys: usize, accepted: &[Algorithm]) -> Result<Keys, FetchError> {
    let set: RawKeySet =
        serde_json::from_slice(body).map_err(|e| FetchError::NotAKeySet(e.to_string()))?;
    if set.keys.len() > max_keys {
        return Err(FetchError::TooManyKeys(max_keys));
    }
    let mut by_kid: HashMap<String, Vec<Arc<VerifyingKey>>> = HashMap::new();
    let usable = set
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .filter_map(|jwk| {
            let algorithms: Vec<Algorithm> = algorithms_of(&jwk)
                .iter()
                .copied()
                .filter(|algorithm| accepted.contains(algorithm))
                .collect();
            let kid = jwk
                .common
                .key_id
                .clone()
                .filter(|kid| !algorithms.is_empty() && !kid.is_empty())?;
            let keys: Vec<PublicKey> = algorithms
                .into_iter()
                .map(|algorithm| PublicKey::from_jwk(&jwk, algorithm))
                .collect::<Option<_>>()?;
            Some((kid, Arc::new(VerifyingKey { keys })))
        });
    for (kid, key) in usable {
        by_kid.entry(kid).or_default().push(key);
    }
    Ok(by_kid
        .into_iter()
        .map(|(kid, keys)| (kid, keys.into()))
        .collect())
}

/// The algorithms `jwk` may verify: by its type and curve (never HMAC: a key set's `oct` keys
/// are no one's business), none if its `use` is not `sig` or its `key_ops` lack `verify`, none
/// if it is a degenerate Ed25519 key, and only its own `alg` if it has one.
fn algorithms_of(jwk: &Jwk) -> &'static [Algorithm] {
    use Algorithm::*;
    const RSA: &[Algorithm] = &[RS256, RS384, RS512, PS256, PS384, PS512];
    let for_verifying = matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    ) && jwk
        .common
        .key_operations
        .as_ref()
        .is_none_or(|operations| operations.contains(&KeyOperations::Verify));
    if !for_verifying {
        return &[];
    }
    let by_type: &'static [Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA,
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => &[ES256],
            EllipticCurve::P384 => &[ES384],
            _ => &[],
        },
        AlgorithmParameters::OctetKeyPair(okp)
            if okp.curve == EllipticCurve::Ed25519 && is_sound_ed25519(&okp.x) =>
        {
            &[EdDSA]
        }
        _ => &[],
    };
    match &jwk.common.key_algorithm {
        None => by_type,
        Some(own) => {
            let at = by_type
                .iter()
                .position(|algorithm| KeyAlgorithm::from(*algorithm) == *own);
            at.map_or(&[], |at| &by_type[at..=at])
        }
    }
}

/// Whether `x`, an Ed25519 public key in base64url, is the canonical encoding of a point of large
/// order. A point of small order — the identity, the all-zero encoding and the other points of
/// order 2, 4 or 8 — verifies the signature R = that point, S = 0 on every message, a forgery
/// anyone can make; a non-canonical encoding (y ≥ p, or the sign of x = 0 set) can alias such a
/// point and is never what an issuer publishes.
fn is_sound_ed25519(x: &str) -> bool {
    let Some(bytes) = jwt::base64url(x).and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()) else {
        return false;
    };
    let encoded = CompressedEdwardsY(bytes);
    encoded
        .decompress()
        .is_some_and(|point| !point.is_small_order() && point.compress() == encoded)
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
        kids_for(body, &[Algorithm::RS256])
    }

    fn kids_for(body: Value, accepted: &[Algorithm]) -> Vec<String> {
        let mut kids: Vec<String> = parse(body.to_string().as_bytes(), 32, accepted)
            .unwrap()
            .into_keys()
            .collect();
        kids.sort();
        kids
    }

    /// A P-256 public key (the x and y of the generator point, a valid point).
    fn ec(kid: &str, extra: Value) -> Value {
        let mut key = json!({"kty": "EC", "kid": kid, "crv": "P-256",
            "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
            "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"});
        key.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        key
    }

    #[test]
    fn each_key_verifies_only_what_its_type_curve_and_alg_allow() {
        use Algorithm::*;
        let accepted = [RS256, PS256, ES256, ES384, EdDSA];
        let body = json!({"keys": [
            rsa("rsa", json!({})),
            rsa("rsa-ps256", json!({"alg": "PS256"})),
            rsa("rsa-says-es256", json!({"alg": "ES256"})),
            ec("p256", json!({"use": "sig"})),
            ec("p256-says-es384", json!({"alg": "ES384"})),
            ec("p256-for-encryption", json!({"use": "enc"})),
            {"kty": "OKP", "kid": "ed25519", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},
        ]});
        let keys = parse(body.to_string().as_bytes(), 32, &accepted).unwrap();
        let accepts = |kid: &str| -> Vec<Algorithm> {
            accepted
                .into_iter()
                .filter(|alg| keys[kid].iter().any(|key| key.accepts(*alg)))
                .collect()
        };
        assert_eq!(accepts("rsa"), [RS256, PS256]);
        assert_eq!(accepts("rsa-ps256"), [PS256]);
        assert_eq!(accepts("p256"), [ES256]);
        assert_eq!(accepts("ed25519"), [EdDSA]);
        let mut kept: Vec<&String> = keys.keys().collect();
        kept.sort();
        assert_eq!(kept, ["ed25519", "p256", "rsa", "rsa-ps256"]);
        assert_eq!(
            kids_for(body, &[RS384]),
            ["rsa"],
            "only keys usable with the issuer's algorithms are kept"
        );
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

    #[test]
    fn keeps_every_key_of_a_shared_kid_and_picks_by_algorithm() {
        use Algorithm::*;
        let body = json!({"keys": [rsa("shared", json!({})), ec("shared", json!({}))]});
        let keys = parse(body.to_string().as_bytes(), 32, &[RS256, ES256]).unwrap();
        assert_eq!(keys["shared"].len(), 2);
        for algorithm in [RS256, ES256] {
            let key = for_algorithm(&keys["shared"], algorithm).expect("a key for each type");
            assert!(key.accepts(algorithm));
        }
        assert!(for_algorithm(&keys["shared"], PS256).is_none());
    }

    #[test]
    fn a_key_whose_operations_exclude_verify_is_dropped() {
        let body = json!({"keys": [
            rsa("verify", json!({"key_ops": ["verify"]})),
            rsa("sign-and-verify", json!({"key_ops": ["sign", "verify"]})),
            rsa("sign", json!({"key_ops": ["sign"]})),
            rsa("encrypt", json!({"key_ops": ["encrypt", "wrapKey"]})),
            rsa("custom", json!({"key_ops": ["attest"]})),
            rsa("none", json!({"key_ops": []})),
        ]});
        assert_eq!(kids(body), ["sign-and-verify", "verify"]);
    }

    /// An Ed25519 key set entry of kid `kid` whose `x` is `hex`.
    fn ed25519(kid: &str, hex: &str) -> Value {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
            .collect();
        json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": base64_simd::URL_SAFE_NO_PAD.encode_to_string(bytes)})
    }

    #[test]
    fn degenerate_ed25519_keys_are_never_usable() {
        let ff = "ff".repeat(30);
        // Every point of small order, by its canonical encodings (with either sign of x), and
        // non-canonical aliases of some: y = p - 1 + p is too large, but y = p and y = p + 1 are
        // the identity's and the order-4 points' y written unreduced.
        let degenerate = [
            format!("01{}", "00".repeat(31)),   // the identity (0, 1)
            format!("01{}80", "00".repeat(30)), // the identity with the sign of x = 0 set
            "00".repeat(32),                    // y = 0: the points of order 4
            format!("00{}80", "00".repeat(30)),
            format!("ec{ff}7f"), // y = p - 1: the point of order 2
            format!("ec{ff}ff"),
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05".to_owned(),
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85".to_owned(),
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a".to_owned(),
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa".to_owned(),
            format!("ed{ff}7f"), // y = p, an alias of y = 0
            format!("ee{ff}7f"), // y = p + 1, an alias of the identity
        ];
        // A sound key, the one the tests sign with, and a canonical point of large order.
        let sound = json!({"kty": "OKP", "kid": "sound", "crv": "Ed25519",
                           "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let mut keys = vec![sound];
        keys.extend(
            degenerate
                .iter()
                .enumerate()
                .map(|(n, hex)| ed25519(&format!("bad{n}"), hex)),
        );
        keys.push(ed25519("short", "0102"));
        assert_eq!(
            kids_for(json!({"keys": keys}), &[Algorithm::EdDSA]),
            ["sound"]
        );
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
        let rs256 = [Algorithm::RS256];
        let source = KeySetSource::from_url(url.clone(), FetchLimits::default(), &rs256);
        assert!(source.fetch().await.unwrap().contains_key("file-key"));
        let tiny = FetchLimits {
            max_bytes: 16,
            ..FetchLimits::default()
        };
        let source = KeySetSource::from_url(url, tiny, &rs256);
        assert!(matches!(
            source.fetch().await,
            Err(FetchError::TooLarge(16))
        ));
        std::fs::remove_file(path).unwrap();
        let missing =
            KeySetSource::file("/no/such/jwks.json".into(), FetchLimits::default(), &rs256);
        assert!(matches!(missing.fetch().await, Err(FetchError::Request(_))));
    }

    #[test]
    fn refuses_what_is_not_a_key_set() {
        for body in ["", "[]", "{}", "{\"keys\": 1}", "<html>503</html>"] {
            assert!(
                matches!(
                    parse(body.as_bytes(), 32, &[Algorithm::RS256]),
                    Err(FetchError::NotAKeySet(_))
                ),
                "{body}"
            );
        }
        let many = json!({"keys": vec![rsa("k", json!({})); 33]}).to_string();
        assert!(matches!(
            parse(many.as_bytes(), 32, &[Algorithm::RS256]),
            Err(FetchError::TooManyKeys(32))
        ));
    }
}
