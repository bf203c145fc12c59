//! What every verifier does with `jsonwebtoken`: the same reading of a token's header, the same
//! decoding and the same reading of its errors, so that a given flaw in a token is refused for the
//! same reason everywhere. The strict validation verifiers start from is
//! [`crate::Settings::validation`].
//!
//! Public keys are [`PublicKey`]s, parsed once when a key set is read and used by
//! [`decode_with`], which checks the signature with aws-lc directly and then the claims as
//! `jsonwebtoken::decode` does ([`crate::registered`]); a shared secret goes through [`decode`].
//! Outside `jsonwebtoken`, a token's parts are decoded by [`base64url`], which accepts exactly what
//! `jsonwebtoken`'s decoder accepts.

use aws_lc_rs::signature::{self as aws, ParsedPublicKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// A token whose header has been read and is one this kit can process; its signature is not
/// checked yet. The [`crate::Authorizer`] makes one for each request and hands it to its
/// [`crate::Verifier`], so no verifier can forget the header's checks, nor read it twice.
#[derive(Debug)]
pub struct Token<'a> {
    raw: &'a str,
    header: Header,
    /// Where the payload starts: after the header and its dot.
    payload_at: usize,
    /// Where the signature's dot is: the end of the signed message.
    signature_dot: usize,
}

impl<'a> Token<'a> {
    /// Reads `raw`'s header. A header naming critical extensions (`crit`, RFC 7515 §4.1.11) is
    /// refused, since this kit understands none, and so is RFC 7797's `b64`, which is only valid
    /// as such an extension: a recipient that ignored them would verify something other than
    /// what the signer meant.
    pub fn parse(raw: &'a str) -> Result<Self, Rejection> {
        // `jsonwebtoken::decode_header`'s reading: the header is what precedes the payload, before
        // the last dot but one, and is refused as malformed unless it reads as a `Header`.
        // The two dots are found here, once: the verifiers read the parts where they are.
        let (message, _) = raw.rsplit_once('.').ok_or(Rejection::MalformedToken)?;
        let (encoded_header, _) = message.rsplit_once('.').ok_or(Rejection::MalformedToken)?;
        let header: Header = base64url(encoded_header)
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(Rejection::MalformedToken)?;
        if header.crit.is_some() || header.extras.inner().contains_key("b64") {
            return Err(Rejection::CriticalExtension);
        }
        Ok(Token {
            raw,
            header,
            payload_at: encoded_header.len() + 1,
            signature_dot: message.len(),
        })
    }

    /// The header: `alg` and `kid` choose the key; `jku`, `x5u`, `jwk` and `x5c` are never
    /// followed, since keys come from configuration alone.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload's claims as `T`, **unverified**: only to choose among configured issuers
    /// before the signature is checked, or to explain why verified claims were refused.
    pub fn unverified_claims<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        let json = base64url(self.payload()).ok_or(Rejection::MalformedToken)?;
        serde_json::from_slice(&json).map_err(|_| Rejection::MalformedToken)
    }

    /// What the signature signs: the header and the payload, as they were sent, with their dot.
    /// [`Token::parse`] split the token as `jsonwebtoken` does: a token has these three parts.
    fn message(&self) -> &'a str {
        &self.raw[..self.signature_dot]
    }

    /// The payload, base64url-encoded.
    fn payload(&self) -> &'a str {
        &self.raw[self.payload_at..self.signature_dot]
    }

    /// The signature, base64url-encoded.
    fn signature(&self) -> &'a str {
        &self.raw[self.signature_dot + 1..]
    }
}

/// Verifies the signature and the registered claims `validation` names, and returns the claims.
/// Beyond `jsonwebtoken`'s checks, `iss` must be a single string when present (RFC 7519 §4.1.1),
/// whether or not an issuer is configured: `jsonwebtoken` would accept an array holding it.
pub fn decode(
    token: &Token<'_>,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<VerifiedClaims, Rejection> {
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token.raw, key, validation)
        .map(|data| data.claims);
    verified(token, claims)
}

/// A public key parsed once, for one algorithm: what [`decode_with`] verifies signatures with.
/// Its algorithm's aws-lc parameters are `jsonwebtoken`'s own for that algorithm (RSA keys of
/// 2048 to 8192 bits, fixed-length ECDSA signatures).
pub struct PublicKey {
    algorithm: Algorithm,
    key: ParsedPublicKey,
}

impl PublicKey {
    /// An RSA key for `algorithm` (RS256 to PS512), from its modulus and exponent, big-endian
    /// without leading zeros; none for another algorithm or components aws-lc refuses.
    pub fn rsa(algorithm: Algorithm, n: &[u8], e: &[u8]) -> Option<Self> {
        use Algorithm::*;
        let parameters: &'static aws::RsaParameters = match algorithm {
            RS256 => &aws::RSA_PKCS1_2048_8192_SHA256,
            RS384 => &aws::RSA_PKCS1_2048_8192_SHA384,
            RS512 => &aws::RSA_PKCS1_2048_8192_SHA512,
            PS256 => &aws::RSA_PSS_2048_8192_SHA256,
            PS384 => &aws::RSA_PSS_2048_8192_SHA384,
            PS512 => &aws::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        };
        let key = aws::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(parameters)
            .ok()?;
        Some(PublicKey { algorithm, key })
    }

    /// An ECDSA key for ES256 or ES384, from its point's coordinates; none for another
    /// algorithm, or a point not on that algorithm's curve.
    pub fn ec(algorithm: Algorithm, x: &[u8], y: &[u8]) -> Option<Self> {
        let parameters: &'static aws::EcdsaVerificationAlgorithm = match algorithm {
            Algorithm::ES256 => &aws::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &aws::ECDSA_P384_SHA384_FIXED,
            _ => return None,
        };
        let point = [&[0x04][..], x, y].concat();
        let key = ParsedPublicKey::new(parameters, point).ok()?;
        Some(PublicKey { algorithm, key })
    }

    /// An Ed25519 key (EdDSA), from its 32 bytes. aws-lc does not refuse degenerate keys (of
    /// small order): whoever reads keys from elsewhere must.
    pub fn ed25519(x: &[u8]) -> Option<Self> {
        let key = ParsedPublicKey::new(&aws::ED25519, x).ok()?;
        Some(PublicKey {
            algorithm: Algorithm::EdDSA,
            key,
        })
    }

    /// `jwk`'s public key for `algorithm`: none if `jwk` is of another type (an EC key for
    /// EdDSA), its components are not base64url, or aws-lc refuses them (a point off the curve,
    /// an RSA component with a leading zero), which `jsonwebtoken` would have refused at each
    /// signature instead. Its `use`, `key_ops`, `alg` and curve are for the caller to check.
    pub fn from_jwk(jwk: &Jwk, algorithm: Algorithm) -> Option<Self> {
        match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                PublicKey::rsa(algorithm, &base64url(&rsa.n)?, &base64url(&rsa.e)?)
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                PublicKey::ec(algorithm, &base64url(&ec.x)?, &base64url(&ec.y)?)
            }
            AlgorithmParameters::OctetKeyPair(okp) if algorithm == Algorithm::EdDSA => {
                PublicKey::ed25519(&base64url(&okp.x)?)
            }
            _ => None,
        }
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether `signature` (base64url) is this key's signature of `message`: the signature
    /// alone, as `jsonwebtoken::crypto::verify` checks it, for benchmarks. A verifier calls
    /// [`decode_with`], which checks the claims too.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        base64url(signature)
            .is_some_and(|signature| self.key.verify_sig(message, &signature).is_ok())
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// [`decode`] with a key parsed once: the same checks in the same order, refusing a token for the
/// same reason, without rebuilding the key, nor reading the header again, for each token. A key
/// of another algorithm than the token's `alg` refuses it.
pub fn decode_with(
    token: &Token<'_>,
    key: &PublicKey,
    validation: &Validation,
) -> Result<VerifiedClaims, Rejection> {
    verified(token, claims_of(token, key, validation))
}

/// What `jsonwebtoken::decode` does after reading the header (which [`Token::parse`] did), with
/// `key`'s own verification of the signature.
fn claims_of(
    token: &Token<'_>,
    key: &PublicKey,
    validation: &Validation,
) -> jsonwebtoken::errors::Result<Map<String, Value>> {
    let algorithm = token.header.alg;
    // `decode` and its `verify_signature`: an algorithm not accepted (none is, if the validation
    // names none), or a validation mixing families, is refused before the signature is looked at.
    if !validation.algorithms.contains(&algorithm)
        || validation
            .algorithms
            .iter()
            .any(|accepted| accepted.family() != algorithm.family())
        || key.algorithm != algorithm
    {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    // The token's parts as `jsonwebtoken` splits them, where Token::parse found them.
    let signature = base64url(token.signature()).ok_or(ErrorKind::InvalidToken)?;
    if key
        .key
        .verify_sig(token.message().as_bytes(), &signature)
        .is_err()
    {
        return Err(ErrorKind::InvalidSignature.into());
    }
    let payload = base64url(token.payload()).ok_or(ErrorKind::InvalidToken)?;
    crate::registered::read(&payload, validation)
}

/// The bytes of a token's part or of a JWK's component: base64url without padding, in its one
/// canonical form (the bits after the last byte are zero), exactly as `jsonwebtoken` reads them,
/// so that no two texts are the same token. A token's parts are read on every request: with SIMD
/// (base64-simd), in under a third of the `base64` crate's instructions (BENCHMARKS.md).
pub fn base64url(text: &str) -> Option<Vec<u8>> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(text).ok()
}

/// The claims `jsonwebtoken` (or [`claims_of`]) returned, or the reason they were refused, with
/// the checks this kit adds.
fn verified(
    token: &Token<'_>,
    claims: jsonwebtoken::errors::Result<Map<String, Value>>,
) -> Result<VerifiedClaims, Rejection> {
    let claims = claims.map_err(|error| match error.kind() {
        // jsonwebtoken reports a required claim of the wrong type (an `exp` that is a string)
        // as missing. It checks claims only once the signature has verified, so the payload
        // can be read to tell the two apart.
        ErrorKind::MissingRequiredClaim(claim) if has_claim(token, claim) => {
            Rejection::BadClaim(static_claim(claim))
        }
        kind => rejection(kind),
    })?;
    if claims.get("iss").is_some_and(|iss| !iss.is_string()) {
        return Err(Rejection::BadClaim("iss"));
    }
    Ok(VerifiedClaims::new(claims))
}

fn has_claim(token: &Token<'_>, claim: &str) -> bool {
    token
        .unverified_claims::<Map<String, Value>>()
        .is_ok_and(|claims| claims.get(claim).is_some_and(|value| !value.is_null()))
}

/// The reason behind a `jsonwebtoken` error.
fn rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => Rejection::WrongAlgorithm,
        ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(static_claim(claim)),
        ErrorKind::InvalidClaimFormat(claim) => Rejection::BadClaim(static_claim(claim)),
        ErrorKind::InvalidSubject => Rejection::BadClaim("sub"),
        _ => Rejection::MalformedToken,
    }
}

/// Rejections name claims with `'static` strings; these are the only ones jsonwebtoken checks.
fn static_claim(claim: &str) -> &'static str {
    ["exp", "nbf", "iat", "sub", "iss", "aud"]
        .into_iter()
        .find(|known| *known == claim)
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, encode};
    use proptest::prelude::*;
    use serde_json::json;

    const SECRET: &[u8] = b"a-unit-test-secret-of-32-bytes!!";

    fn signed(header: Value, claims: Value) -> String {
        let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let message = format!("{}.{}", b64(&header), b64(&claims));
        let key = EncodingKey::from_secret(SECRET);
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256);
        format!("{message}.{}", signature.unwrap())
    }

    fn verify(token: &str) -> Result<VerifiedClaims, Rejection> {
        let validation = Validation::new(Algorithm::HS256);
        decode(
            &Token::parse(token)?,
            &DecodingKey::from_secret(SECRET),
            &validation,
        )
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[test]
    fn a_plain_header_is_read_and_the_token_verifies() {
        let claims = json!({"sub": "alice", "exp": in_an_hour()});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(Token::parse(&token).unwrap().header().alg, Algorithm::HS256);
        assert!(verify(&token).is_ok());
    }

    #[test]
    fn refuses_any_critical_extension_before_the_signature() {
        let claims = json!({"sub": "alice", "exp": in_an_hour()});
        for header in [
            json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
            json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            json!({"alg": "HS256", "crit": []}),
            json!({"alg": "HS256", "b64": false}),
            json!({"alg": "HS256", "b64": true}),
        ] {
            let token = signed(header.clone(), claims.clone());
            assert_eq!(
                Token::parse(&token).unwrap_err(),
                Rejection::CriticalExtension,
                "{header}"
            );
            // Refused before any key is looked at: a token signed by no one is refused the same.
            let unsigned = format!("{}.x", token.rsplit_once('.').unwrap().0);
            assert_eq!(verify(&unsigned).unwrap_err(), Rejection::CriticalExtension);
        }
    }

    #[test]
    fn an_iss_that_is_not_one_string_is_refused_even_unconfigured() {
        for iss in [json!(["https://a.example", "https://b.example"]), json!(7)] {
            let token = signed(
                json!({"alg": "HS256"}),
                json!({"sub": "a", "exp": in_an_hour(), "iss": iss}),
            );
            assert_eq!(verify(&token).unwrap_err(), Rejection::BadClaim("iss"));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["https://a.example"]);
        let token = signed(
            json!({"alg": "HS256"}),
            json!({"sub": "a", "exp": in_an_hour(), "iss": ["https://a.example"]}),
        );
        let key = DecodingKey::from_secret(SECRET);
        assert_eq!(
            decode(&Token::parse(&token).unwrap(), &key, &validation).unwrap_err(),
            Rejection::BadClaim("iss"),
            "an array holding the configured issuer is still refused"
        );
    }

    #[test]
    fn a_required_claim_of_the_wrong_type_is_bad_not_missing() {
        for exp in [json!("tomorrow"), json!(true), json!(-1)] {
            let token = signed(json!({"alg": "HS256"}), json!({"sub": "a", "exp": exp}));
            assert_eq!(verify(&token).unwrap_err(), Rejection::BadClaim("exp"));
        }
        for claims in [json!({"sub": "a"}), json!({"sub": "a", "exp": null})] {
            let token = signed(json!({"alg": "HS256"}), claims);
            assert_eq!(verify(&token).unwrap_err(), Rejection::MissingClaim("exp"));
        }
    }

    #[test]
    fn reads_unverified_claims_only_from_a_json_payload() {
        let token = signed(json!({"alg": "HS256"}), json!({"iss": "https://a.example"}));
        let claims: Map<String, Value> = Token::parse(&token).unwrap().unverified_claims().unwrap();
        assert_eq!(claims["iss"], "https://a.example");
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        for payload in ["", "!!", &URL_SAFE_NO_PAD.encode("not json")] {
            let raw = format!("{header}.{payload}.x");
            let token = Token::parse(&raw).unwrap();
            assert_eq!(
                token.unverified_claims::<Map<String, Value>>().unwrap_err(),
                Rejection::MalformedToken
            );
        }
    }

    /// Texts near base64url: its alphabet, the other alphabet's `+` and `/`, padding, dots,
    /// spaces and a non-ASCII letter, in every length modulo 4.
    fn near_base64url() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_\\-]{0,12}[A-Za-z0-9_\\-+/=. é]{0,3}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The same bytes as the `base64` crate's base64url without padding, which `jsonwebtoken`
        /// decodes with, for every text: the same texts refused, non-canonical last characters
        /// and padding among them.
        #[test]
        fn base64url_reads_as_jsonwebtoken_reads(text in near_base64url()) {
            prop_assert_eq!(base64url(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        /// The header `Token::parse` reads is the one `jsonwebtoken::decode_header` reads, and it
        /// refuses what that refuses: any header, payload and signature texts, any number of parts;
        /// the parts it keeps are where `jsonwebtoken::decode` finds them.
        #[test]
        fn reads_the_header_as_jsonwebtoken_does(
            header in prop_oneof![
                Just(r#"{"alg":"RS256","kid":"k"}"#.to_owned()),
                Just(r#"{"alg":"none"}"#.to_owned()),
                Just(r#"{"typ":"JWT"}"#.to_owned()),
                Just("[]".to_owned()),
                "\\PC{0,8}",
            ].prop_map(|json| URL_SAFE_NO_PAD.encode(json)),
            parts in proptest::collection::vec(near_base64url(), 0..4),
            mangled in any::<bool>(),
        ) {
            let mut raw = [vec![header], parts].concat().join(".");
            if mangled {
                raw.insert(0, '=');
            }
            let theirs = jsonwebtoken::decode_header(&raw).ok();
            let token = Token::parse(&raw);
            // A token read has three parts, which it finds as `jsonwebtoken` splits them.
            if let Ok(token) = &token {
                let (message, signature) = raw.rsplit_once('.').unwrap();
                prop_assert_eq!(
                    (token.message(), token.payload(), token.signature()),
                    (message, message.rsplit_once('.').unwrap().1, signature)
                );
            }
            prop_assert_eq!(token.map(|token| token.header).ok(), theirs);
        }
    }
}

/// [`decode_with`] against `jsonwebtoken::decode` (through [`decode`]): over tokens of every flaw
/// the claims checks tell apart, signed by every kind of key, both accept the same tokens with the
/// same claims and refuse the others for the same reason.
#[cfg(test)]
mod differential {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;
    use testkit::keys::Key;

    const ISSUER: &str = "https://issuer.example";
    const AUDIENCE: &str = "https://api.example";

    /// Both forms of `key`'s public key, for `algorithm`.
    fn keys(key: Key, algorithm: Algorithm) -> (DecodingKey, PublicKey) {
        let jwk: Jwk = serde_json::from_str(key.jwk()).unwrap();
        let public = PublicKey::from_jwk(&jwk, algorithm).unwrap();
        (DecodingKey::from_jwk(&jwk).unwrap(), public)
    }

    /// The validations the authorizers use (Cognito's, the OpenID Connect issuers', HS256's) and
    /// `jsonwebtoken`'s default, for `algorithms`.
    fn validation(kind: u8, algorithms: &[Algorithm]) -> Validation {
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms.to_vec();
        if kind == 3 {
            return validation;
        }
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        match kind {
            0 => {
                validation.set_issuer(&[ISSUER]);
                validation.set_required_spec_claims(&["exp", "iss"]);
            }
            1 => {
                validation.set_issuer(&[ISSUER, "https://other-tenant.example"]);
                validation.set_audience(&[AUDIENCE]);
                validation.validate_aud = true;
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            }
            _ => {}
        }
        validation
    }

    /// JSON texts for `exp` (`future` false) or `nbf` (`future` true), `None` for no claim:
    /// within and beyond the leeway, of every JSON type, and numbers a u64 cannot hold.
    fn time(future: bool) -> impl Strategy<Value = Option<String>> {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let sign = if future { 1 } else { -1 };
        prop_oneof![
            Just(None),
            Just(Some((now - sign * 3600).to_string())),
            Just(Some((now + sign * 3600).to_string())),
            Just(Some((now + sign * 10).to_string())),
            Just(Some((now + sign * 50).to_string())),
            Just(Some(format!("{}.4", now - sign * 3600))),
            Just(Some(format!("{}.6", now + sign * 3600))),
            Just(Some(format!("{}e0", now + sign * 3600))),
            Just(Some("-1".to_owned())),
            Just(Some("0".to_owned())),
            Just(Some("1e30".to_owned())),
            Just(Some("18446744073709551615".to_owned())),
            Just(Some("18446744073709551616".to_owned())),
            Just(Some("\"tomorrow\"".to_owned())),
            Just(Some(format!("\"{now}\""))),
            Just(Some("null".to_owned())),
            Just(Some("true".to_owned())),
            Just(Some("[1]".to_owned())),
            Just(Some("{\"at\": 1}".to_owned())),
        ]
    }

    /// JSON texts for `iss` or `aud`, whose configured value is `right`.
    fn names(right: &'static str) -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some(format!("\"{right}\""))),
            Just(Some("\"https://wrong.example\"".to_owned())),
            Just(Some(format!("[\"{right}\"]"))),
            Just(Some(format!("[\"{right}\", \"https://wrong.example\"]"))),
            Just(Some("[\"https://wrong.example\"]".to_owned())),
            Just(Some("[]".to_owned())),
            Just(Some(format!("[\"{right}\", \"{right}\"]"))),
            Just(Some(format!("\"{}\"", right.replace('/', "\\/")))),
            Just(Some("7".to_owned())),
            Just(Some("null".to_owned())),
            Just(Some(format!("{{\"name\": \"{right}\"}}"))),
            Just(Some("[7]".to_owned())),
        ]
    }

    fn subject() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some("\"alice\"".to_owned())),
            Just(Some("\"\"".to_owned())),
            Just(Some("5".to_owned())),
            Just(Some("null".to_owned())),
            Just(Some("[\"alice\"]".to_owned())),
        ]
    }

    /// A payload's JSON text: the claims in order, a registered claim or another given twice, or
    /// not an object at all.
    fn payload() -> impl Strategy<Value = String> {
        let claims = (
            time(false),
            time(true),
            names(ISSUER),
            names(AUDIENCE),
            subject(),
            0..6u8,
        )
            .prop_map(|(exp, nbf, iss, aud, sub, quirk)| {
                let mut fields: Vec<String> = [
                    ("exp", exp),
                    ("nbf", nbf),
                    ("iss", iss),
                    ("aud", aud),
                    ("sub", sub),
                ]
                .into_iter()
                .filter_map(|(name, value)| Some(format!("\"{name}\": {}", value?)))
                .collect();
                fields.push("\"groups\": [\"admin\"]".to_owned());
                match quirk {
                    0 => fields.push("\"exp\": 1".to_owned()),
                    1 => fields.insert(0, "\"iss\": \"https://wrong.example\"".to_owned()),
                    2 => fields.reverse(),
                    3 => fields.push("\"groups\": [\"customer\"]".to_owned()),
                    _ => {}
                }
                format!("{{{}}}", fields.join(", "))
            });
        prop_oneof![
            20 => claims,
            1 => Just("[]".to_owned()),
            1 => Just("null".to_owned()),
            1 => Just("not json".to_owned()),
            1 => Just("{\"exp\": 1".to_owned()),
        ]
    }

    /// A signed token, then maybe spoilt: `flaw` 0–3 leave it, 4 changes a character of its
    /// signature, 5 truncates the signature, 6 makes it not base64url, 7 empties it, 8 swaps in
    /// another payload, 9 makes the payload not base64url.
    fn token(key: Key, algorithm: Algorithm, payload: &str, flaw: u8) -> String {
        let header = serde_json::json!({"alg": algorithm, "kid": "k", "typ": "JWT"});
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding_key(), algorithm).unwrap();
        let (head, _) = message.split_once('.').unwrap();
        match flaw {
            4 => {
                let mut bytes = signature.into_bytes();
                bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
                format!("{message}.{}", String::from_utf8(bytes).unwrap())
            }
            5 => format!("{message}.{}", &signature[..signature.len() - 4]),
            6 => format!("{message}.{}!", &signature[1..]),
            7 => format!("{message}."),
            8 => format!(
                "{head}.{}.{signature}",
                URL_SAFE_NO_PAD.encode("{\"exp\": 1}")
            ),
            9 => format!("{head}.!!{}.{signature}", &message[head.len() + 3..]),
            _ => format!("{message}.{signature}"),
        }
    }

    /// The keys and the algorithms they sign with, and the algorithms a validation may accept
    /// beside them: a token signed by one algorithm of a family where the validation accepts
    /// another is refused by both.
    const CASES: [(Key, Algorithm, &[Algorithm]); 7] = [
        (Key::Ours, Algorithm::RS256, &[Algorithm::RS256]),
        (
            Key::Ours,
            Algorithm::PS256,
            &[Algorithm::PS256, Algorithm::RS256],
        ),
        (Key::Ours, Algorithm::RS512, &[Algorithm::RS256]),
        (
            Key::Ours,
            Algorithm::PS384,
            &[Algorithm::PS384, Algorithm::ES256],
        ),
        (Key::Ec, Algorithm::ES256, &[Algorithm::ES256]),
        (Key::Ec384, Algorithm::ES384, &[Algorithm::ES384]),
        (Key::Ed, Algorithm::EdDSA, &[Algorithm::EdDSA]),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn decides_as_jsonwebtoken_does(
            case in 0..CASES.len(),
            kind in 0..4u8,
            payload in payload(),
            flaw in 0..10u8,
        ) {
            let (key, algorithm, accepted) = CASES[case];
            let raw = token(key, algorithm, &payload, flaw);
            let token = Token::parse(&raw).unwrap();
            let validation = validation(kind, accepted);
            let (decoding_key, public_key) = keys(key, algorithm);
            let theirs = decode(&token, &decoding_key, &validation);
            let ours = decode_with(&token, &public_key, &validation);
            prop_assert_eq!(&ours, &theirs, "{} with {:?}", payload, validation);
        }
    }

    #[test]
    fn covers_acceptance_and_every_reason() {
        let now = jsonwebtoken::get_current_timestamp();
        let (decoding_key, public_key) = keys(Key::Ours, Algorithm::RS256);
        let validation = validation(1, &[Algorithm::RS256]);
        // The claims of a good token, with `patch`'s claims changed (removed where null).
        let claims = |patch: Value| {
            let mut claims = serde_json::json!({
                "sub": "a", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60,
            });
            for (name, value) in patch.as_object().unwrap() {
                match value {
                    Value::Null => claims.as_object_mut().unwrap().remove(name),
                    value => claims
                        .as_object_mut()
                        .unwrap()
                        .insert(name.clone(), value.clone()),
                };
            }
            claims.to_string()
        };
        use serde_json::json;
        let cases = [
            (claims(json!({})), 0, None),
            (claims(json!({})), 4, Some(Rejection::BadSignature)),
            (claims(json!({})), 6, Some(Rejection::MalformedToken)),
            (
                claims(json!({"exp": now - 60})),
                0,
                Some(Rejection::Expired),
            ),
            (
                claims(json!({"nbf": now + 60})),
                0,
                Some(Rejection::NotYetValid),
            ),
            (
                claims(json!({"iss": "https://wrong.example"})),
                0,
                Some(Rejection::WrongIssuer),
            ),
            (
                claims(json!({"aud": "https://wrong.example"})),
                0,
                Some(Rejection::WrongAudience),
            ),
            (
                claims(json!({"iss": [ISSUER]})),
                0,
                Some(Rejection::BadClaim("iss")),
            ),
            (
                claims(json!({"exp": "soon"})),
                0,
                Some(Rejection::BadClaim("exp")),
            ),
            (
                claims(json!({"sub": null})),
                0,
                Some(Rejection::MissingClaim("sub")),
            ),
        ];
        for (payload, flaw, refused) in cases {
            let raw = token(Key::Ours, Algorithm::RS256, &payload, flaw);
            let token = Token::parse(&raw).unwrap();
            let ours = decode_with(&token, &public_key, &validation);
            assert_eq!(
                ours,
                decode(&token, &decoding_key, &validation),
                "{payload}"
            );
            assert_eq!(ours.err(), refused, "{payload}");
        }
        let ps256 = keys(Key::Ours, Algorithm::PS256).1;
        let raw = token(Key::Ours, Algorithm::RS256, &claims(json!({})), 0);
        assert_eq!(
            decode_with(&Token::parse(&raw).unwrap(), &ps256, &validation).unwrap_err(),
            Rejection::WrongAlgorithm,
            "a key for another algorithm than the token's is never used"
        );
    }
}
