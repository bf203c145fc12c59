//! The caller a verified token describes, read from its claims.
//!
//! The authorizers verify differently but describe the caller the same way, so the access rules and
//! the policy never look at raw claims. Claims whose type is wrong are a reason to refuse the token,
//! not to guess: a `groups` claim that is a number must not silently mean "no groups" in one place and
//! something else in another.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// Who is calling, as far as the access rules and the policy context are concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: the policy's `principalId`.
    pub sub: String,
    /// From the claims [`ClaimNames::groups`] names (`GROUPS_CLAIM`), in order, without
    /// repeats; none when the token has none of them.
    pub groups: Vec<String>,
    /// From the claims [`ClaimNames::scopes`] names (the OAuth `scope`, space-separated), in
    /// order, without repeats; none when the token has none of them.
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
    /// `GROUPS_CLAIM`: `groups` for custom tokens and OpenID Connect, `cognito:groups` for
    /// Cognito; an OpenID Connect issuer may name several (Keycloak's `realm_access.roles`).
    pub groups: Vec<ClaimPath>,
    /// `scope`, and for OpenID Connect also `scp` (Okta, Entra ID) or Auth0's `permissions`.
    pub scopes: Vec<ClaimPath>,
    /// Tried in order; Cognito ID tokens say `cognito:username`, access tokens `username`.
    pub username: &'static [&'static str],
}

/// Where a claim is: a top-level claim's name, or the names leading to a claim nested in
/// objects (Keycloak's `realm_access` → `roles`). A name is taken whole, whatever it holds, so
/// that Auth0's namespaced `https://example.com/roles` and a nested path cannot be confused.
///
/// In JSON (an OpenID Connect issuer's configuration), a string is one name and an array of
/// strings a path: `"https://example.com/roles"`, `["realm_access", "roles"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawPath")]
pub struct ClaimPath(Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPath {
    Name(String),
    Path(Vec<String>),
}

impl TryFrom<RawPath> for ClaimPath {
    type Error = String;

    fn try_from(raw: RawPath) -> Result<Self, String> {
        let names = match raw {
            RawPath::Name(name) => vec![name],
            RawPath::Path(names) => names,
        };
        if names.is_empty() || names.iter().any(String::is_empty) {
            return Err("a claim path is a non-empty name, or an array of them".to_owned());
        }
        Ok(ClaimPath(names))
    }
}

impl ClaimPath {
    /// The top-level claim `name`.
    pub fn name(name: &str) -> Self {
        ClaimPath(vec![name.to_owned()])
    }

    /// The value at this path in `claims`, if every step is there and an object.
    fn find<'a>(&self, claims: &'a VerifiedClaims) -> Option<&'a Value> {
        let (first, rest) = self.0.split_first()?;
        rest.iter()
            .try_fold(claims.get(first)?, |value, name| value.get(name))
    }
}

impl Principal {
    /// Reads the principal from verified claims, which it keeps. `sub` must be a non-empty string.
    pub fn from_claims(claims: VerifiedClaims, names: &ClaimNames) -> Result<Self, Rejection> {
        let sub = match claims.get("sub") {
            None => return Err(Rejection::MissingClaim("sub")),
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            Some(_) => return Err(Rejection::BadClaim("sub")),
        };
        let groups = gather(&claims, &names.groups).ok_or(Rejection::BadClaim("groups"))?;
        let scopes = gather(&claims, &names.scopes).ok_or(Rejection::BadClaim("scope"))?;
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

/// The names listed at each of `paths` in `claims`, in order, without repeats; `None` when one of
/// them is not a list.
fn gather(claims: &VerifiedClaims, paths: &[ClaimPath]) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for value in paths.iter().filter_map(|path| path.find(claims)) {
        for name in list(value)? {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Some(names)
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
    use crate::claims::claims as claims_of;
    use serde_json::json;

    fn names() -> ClaimNames {
        ClaimNames {
            groups: vec![ClaimPath::name("groups")],
            scopes: vec![ClaimPath::name("scope")],
            username: &["cognito:username", "username"],
        }
    }

    fn path(json: Value) -> ClaimPath {
        serde_json::from_value(json).unwrap()
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
                json!({"sub": "a", "scope": ["x", 2]}),
                Rejection::BadClaim("scope"),
            ),
            (
                json!({"sub": "a", "scope": {"x": true}}),
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

    #[test]
    fn reads_each_providers_groups_and_scopes() {
        let read_with = |groups: Value, scopes: Value, claims: Value| {
            let names = ClaimNames {
                groups: serde_json::from_value(groups).unwrap(),
                scopes: serde_json::from_value(scopes).unwrap(),
                username: &[],
            };
            let principal = Principal::from_claims(claims_of(claims), &names);
            let principal = principal.unwrap();
            (principal.groups, principal.scopes)
        };
        // Auth0: namespaced roles, RBAC permissions beside the scope.
        assert_eq!(
            read_with(
                json!(["https://example.com/roles"]),
                json!(["scope", "permissions"]),
                json!({"sub": "a", "https://example.com/roles": ["admin"], "scope": "openid pets:read",
                       "permissions": ["pets:read", "pets:write"], "https://example.com": {"roles": ["no"]}}),
            ),
            (
                vec!["admin".to_owned()],
                vec![
                    "openid".to_owned(),
                    "pets:read".to_owned(),
                    "pets:write".to_owned()
                ]
            )
        );
        // Okta: `scp` as an array; Entra ID: `scp` as a string, `roles`.
        let okta = read_with(
            json!(["groups"]),
            json!(["scope", "scp"]),
            json!({"sub": "a", "groups": ["Everyone", "admin"], "scp": ["pets.read", "openid"]}),
        );
        assert_eq!(okta.1, ["pets.read", "openid"]);
        let entra = read_with(
            json!(["roles"]),
            json!(["scope", "scp"]),
            json!({"sub": "a", "roles": ["admin"], "scp": "pets.read pets.write"}),
        );
        assert_eq!(
            entra,
            (
                vec!["admin".to_owned()],
                vec!["pets.read".to_owned(), "pets.write".to_owned()]
            )
        );
        // Keycloak: roles nested in objects.
        let keycloak = read_with(
            json!([
                ["realm_access", "roles"],
                ["resource_access", "pets", "roles"]
            ]),
            json!(["scope"]),
            json!({"sub": "a", "realm_access": {"roles": ["admin", "user"]},
                   "resource_access": {"pets": {"roles": ["user", "vet"]}}}),
        );
        assert_eq!(keycloak.0, ["admin", "user", "vet"]);
    }

    #[test]
    fn a_path_is_a_name_or_an_array_of_names() {
        assert_eq!(
            path(json!("https://example.com/roles")),
            ClaimPath::name("https://example.com/roles")
        );
        assert_eq!(path(json!(["a", "b"])).0, ["a", "b"]);
        for wrong in [
            json!(""),
            json!([]),
            json!(["a", ""]),
            json!(1),
            json!([["a"]]),
        ] {
            assert!(
                serde_json::from_value::<ClaimPath>(wrong.clone()).is_err(),
                "{wrong}"
            );
        }
        let nested = path(json!(["realm_access", "roles"]));
        let claims = claims(json!({"realm_access": "not an object"}));
        assert_eq!(nested.find(&claims), None);
    }
}
