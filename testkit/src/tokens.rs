//! Tokens as callers send them: signed with a secret or a test key, hand-assembled from base64url
//! parts, or with claims patched and characters changed to make the ones an authorizer must refuse.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::keys::Key;

/// Now, in Unix seconds, for `iat`, `exp` and `nbf`.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// `claims` signed with `secret` by an HMAC algorithm (HS256, HS384 or HS512).
pub fn hs(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes());
    encode(&Header::new(algorithm), claims, &key).expect("HMAC signing does not fail")
}

/// `claims` signed by RS256 with the test key `key`, its header naming the key id `kid`.
pub fn rs256(key: Key, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &key.encoding_key()).expect("RSA signing does not fail")
}

/// `claims` signed with the test key `key` by its own algorithm (RS256, ES256 or EdDSA), its
/// header naming the key id `kid`.
pub fn signed(key: Key, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(key.algorithm());
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &key.encoding_key()).expect("signing with a test key does not fail")
}

/// `value`'s JSON text in base64url without padding: one part of a hand-made token.
pub fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token taken apart into its three base64url parts, to be put back together with one of them
/// changed: `Parts { payload: …, ..Parts::of(&valid) }.join()` is a forgery under a genuine
/// header and signature.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The header, encoded.
    pub header: String,
    /// The claims, encoded.
    pub payload: String,
    /// The signature, encoded; empty for an unsigned token.
    pub signature: String,
}

impl Parts {
    /// The parts of `token`, which must have three.
    pub fn of(token: &str) -> Parts {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            panic!("not a token of three parts: {token}")
        };
        Parts {
            header: header.to_owned(),
            payload: payload.to_owned(),
            signature: signature.to_owned(),
        }
    }

    /// The claims, decoded without any check.
    pub fn claims(&self) -> Value {
        let json = URL_SAFE_NO_PAD
            .decode(&self.payload)
            .expect("the payload is base64url");
        serde_json::from_slice(&json).expect("the payload is JSON")
    }

    /// `header.payload.signature`.
    pub fn join(&self) -> String {
        format!("{}.{}.{}", self.header, self.payload, self.signature)
    }
}

/// What a forger makes of the genuine token `valid`, whose claims are `claims`, named: its
/// payload changed under its signature (`sub` become `alice`), its signature stripped, and its
/// payload swapped for 100 KB. An authorizer must refuse them all, whatever its algorithm.
pub fn forgeries(valid: &str, claims: &Value) -> [(&'static str, String); 3] {
    let parts = Parts::of(valid);
    let tampered = b64(&patched(claims, json!({"sub": "alice"})));
    [
        (
            "tampered payload",
            Parts {
                payload: tampered,
                ..parts.clone()
            }
            .join(),
        ),
        (
            "stripped signature",
            Parts {
                signature: String::new(),
                ..parts.clone()
            }
            .join(),
        ),
        (
            "100 KB token",
            Parts {
                payload: "A".repeat(100 * 1024),
                ..parts
            }
            .join(),
        ),
    ]
}

/// Tokens correctly signed with `key` under `header` (which names its `alg` and `kid`) that an
/// authorizer must refuse all the same, named: headers naming critical extensions (`crit`, and
/// RFC 7797's unencoded payload, `b64: false`), an `iss` that is an array holding the genuine
/// `claims`' own, and an `exp` that is a string. They are logged as `critical_extension` and
/// `bad_claim`.
pub fn signed_yet_refused(
    header: &Header,
    key: &EncodingKey,
    claims: &Value,
) -> [(&'static str, String); 4] {
    let sign = |header: &Header, claims: &Value| encode(header, claims, key).expect("signing");
    let critical = Header {
        crit: Some(vec!["exp".to_owned()]),
        ..header.clone()
    };
    let mut unencoded = Header {
        crit: Some(vec!["b64".to_owned()]),
        ..header.clone()
    };
    unencoded.extras.insert("b64", false);
    [
        ("a crit header", sign(&critical, claims)),
        (
            "an unencoded payload (b64: false)",
            sign(&unencoded, claims),
        ),
        (
            "iss as an array",
            sign(header, &patched(claims, json!({"iss": [claims["iss"]]}))),
        ),
        (
            "exp as a string",
            sign(header, &patched(claims, json!({"exp": "tomorrow"}))),
        ),
    ]
}

/// `claims` with `patch` (a JSON object) applied: each member replaces the claim of its name, and
/// a `null` member removes it.
pub fn patched(claims: &Value, patch: Value) -> Value {
    let mut claims = claims.clone();
    let Value::Object(patch) = patch else {
        panic!("a patch is a JSON object, not {patch}")
    };
    for (name, value) in patch {
        let members = claims.as_object_mut().expect("claims are a JSON object");
        if value.is_null() {
            members.remove(&name);
        } else {
            members.insert(name, value);
        }
    }
    claims
}

/// `token` with the character at `position` (wrapping around its length, so that any number
/// picks one) replaced by `replacement`; `None` when that character already is `replacement`,
/// since the token would be unchanged.
pub fn mutate(token: &str, position: usize, replacement: char) -> Option<String> {
    let count = token.chars().count();
    if count == 0 {
        return None;
    }
    let position = position % count;
    let mut chars: Vec<char> = token.chars().collect();
    if chars[position] == replacement {
        return None;
    }
    chars[position] = replacement;
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutate_changes_exactly_one_character_wrapping_around() {
        assert_eq!(mutate("abc.def", 1, 'X').as_deref(), Some("aXc.def"));
        assert_eq!(mutate("abc.def", 8, 'X').as_deref(), Some("aXc.def"));
        assert_eq!(mutate("abc.def", 3, '.'), None);
        assert_eq!(mutate("", 0, 'X'), None);
    }

    #[test]
    fn patched_replaces_adds_and_removes_claims() {
        let claims = json!({"sub": "bob", "exp": 1, "groups": ["staff"]});
        let patch = json!({"sub": "alice", "exp": null, "nbf": 2});
        assert_eq!(
            patched(&claims, patch),
            json!({"sub": "alice", "groups": ["staff"], "nbf": 2})
        );
    }

    #[test]
    fn parts_put_a_token_back_together() {
        let claims = json!({"sub": "bob"});
        let token = hs(
            Algorithm::HS256,
            "a-secret-of-at-least-32-bytes-long",
            &claims,
        );
        let parts = Parts::of(&token);
        assert_eq!(parts.join(), token);
        assert_eq!(parts.claims(), claims);
        assert_eq!(parts.payload, b64(&claims));
    }
}
