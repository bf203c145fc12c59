//! The caller a verified token describes, read from its claims.
//!
//! Both authorizers verify differently but describe the caller the same way, so the access rules and
//! the policy never look at raw claims. Claims whose type is wrong are a reason to refuse the token,
//! not to guess: a `groups` claim that is a number must not silently mean "no groups" in one place and
//! something else in another.

use serde_json::{Map, Value};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// Who is calling, as far as the access rules and the policy context are concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: the policy's `principalId`.
    pub sub: String,
    /// From the claim `GROUPS_CLAIM` names; none when the token has no such claim.
    pub groups: Vec<String>,
    /// From the space-separated OAuth `scope` claim; none when the token has none.
    pub scopes: Vec<String>,
    /// From the first of [`ClaimNames::username`] the token has.
    pub username: Option<String>,
    /// From the `email` claim.
    pub email: Option<String>,
    /// Every claim of the verified token, for claim conditions (`claim:<name>=<value>`) and
    /// `CONTEXT_CLAIMS`.
    pub claims: Map<String, Value>,
}

/// Where in the claims each part of the principal is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// `GROUPS_CLAIM`: `groups` for custom tokens, `cognito:groups` for Cognito.
    pub groups: String,
    /// Tried in order; Cognito ID tokens say `cognito:username`, access tokens `username`.
    pub username: &'static [&'static str],
}

impl Principal {
    /// Reads the principal from verified claims, which it keeps. `sub` must be a non-empty string.
    pub fn from_claims(claims: VerifiedClaims, names: &ClaimNames) -> Result<Self, Rejection> {
        let sub = match claims.get("sub") {
            None => return Err(Rejection::MissingClaim("sub")),
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            Some(_) => return Err(Rejection::BadClaim("sub")),
        };
        let groups = match claims.get(names.groups.as_str()) {
            None => Vec::new(),
            Some(value) => list(value).ok_or(Rejection::BadClaim("groups"))?,
        };
        let scopes = match claims.get("scope") {
            None => Vec::new(),
            Some(Value::String(scope)) => words(scope),
            Some(_) => return Err(Rejection::BadClaim("scope")),
        };
        let username = names
            .username
            .iter()
            .find_map(|name| claims.get(name))
            .map(|value| string(value, "username"))
            .transpose()?;
        let email = claims
            .get("email")
            .map(|value| string(value, "email"))
            .transpose()?;
        Ok(Principal {
            sub,
            groups,
            scopes,
            username,
            email,
            claims: claims.into_map(),
        })
    }
}

fn string(value: &Value, claim: &'static str) -> Result<String, Rejection> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or(Rejection::BadClaim(claim))
}

/// A JSON array of strings, or one string of names separated by spaces or commas.
fn list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(text) => Some(words(text)),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn words(text: &str) -> Vec<String> {
    text.split([' ', ','])
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::claims;
    use serde_json::json;

    fn names() -> ClaimNames {
        ClaimNames {
            groups: "groups".into(),
            username: &["cognito:username", "username"],
        }
    }

    fn read(value: Value) -> Result<Principal, Rejection> {
        Principal::from_claims(claims(value), &names())
    }

    #[test]
    fn reads_every_part() {
        let principal = read(json!({
            "sub": "alice", "groups": ["admin", "staff"], "scope": "pets/read  pets/write",
            "cognito:username": "alice1", "username": "ignored", "email": "alice@example.com"
        }))
        .unwrap();
        assert_eq!(
            principal,
            Principal {
                sub: "alice".into(),
                groups: vec!["admin".into(), "staff".into()],
                scopes: vec!["pets/read".into(), "pets/write".into()],
                username: Some("alice1".into()),
                email: Some("alice@example.com".into()),
                claims: principal.claims.clone(),
            }
        );
        assert_eq!(
            principal.claims["username"], "ignored",
            "every claim is kept"
        );
    }

    #[test]
    fn groups_may_be_one_string() {
        let principal = read(json!({"sub": "a", "groups": "admin, staff vets"})).unwrap();
        assert_eq!(principal.groups, ["admin", "staff", "vets"]);
    }

    #[test]
    fn refuses_missing_empty_or_mistyped_claims() {
        for (claims, reason) in [
            (json!({}), Rejection::MissingClaim("sub")),
            (json!({"sub": ""}), Rejection::BadClaim("sub")),
            (json!({"sub": 7}), Rejection::BadClaim("sub")),
            (
                json!({"sub": "a", "groups": 1}),
                Rejection::BadClaim("groups"),
            ),
            (
                json!({"sub": "a", "groups": ["admin", 1]}),
                Rejection::BadClaim("groups"),
            ),
            (
                json!({"sub": "a", "scope": ["x"]}),
                Rejection::BadClaim("scope"),
            ),
            (
                json!({"sub": "a", "email": false}),
                Rejection::BadClaim("email"),
            ),
        ] {
            assert_eq!(read(claims.clone()), Err(reason), "{claims}");
        }
    }
}
