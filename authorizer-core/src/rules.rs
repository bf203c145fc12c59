//! Access rules: which methods of the API each kind of caller may call.
//!
//! `ACCESS_RULES` is a JSON object whose keys say who (`*` for any valid token, `group:<name>`,
//! `scope:<name>`, `claim:<name>=<value>`) and whose values list what (`"<METHOD> <path>"`, or
//! `"$connect"` for a WebSocket API's connect route, which no method wildcard covers). Rules
//! are parsed and checked once, at cold start; a request only looks them up. Paths use IAM's `*`
//! wildcard (any run of characters, `/` included) because they end up verbatim in the policy's
//! resources, and our own matcher must agree with IAM's: `?`, IAM's other wildcard, is therefore
//! refused.
//!
//! A path may name the caller: `${sub}` and `${claim:<name>}` are replaced by the caller's claim,
//! so that `"PUT /accounts/${sub}"` grants each caller their own account and nobody else's, in a
//! policy that still depends on the caller alone. A value that could widen the grant — an IAM
//! wildcard, a `/`, anything but the characters of one plain path segment — is never substituted:
//! the rule is left out for that caller ([`Placeholder`]). Since a method ARN holds the path as
//! the client wrote it, the grant lists the value plain and percent-encoded.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};
use tracing::warn;

use crate::arn::{CONNECT_ROUTE, MethodArn};
#[cfg(feature = "cedar")]
use crate::cedar::CedarRules;
use crate::principal::Principal;

/// The rules of the seeds' pet store: anyone signed in may list pets, admins may also add them.
pub const PET_STORE_RULES: &str =
    r#"{"*": ["GET /pets"], "group:admin": ["GET /pets", "POST /pets"]}"#;

const METHODS: [&str; 8] = [
    "*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// One `"<METHOD> <path>"` entry: a method (or `*`) and a path pattern, as granted to a caller
/// (its placeholders, if it had any, replaced); or the `$connect` entry, the WebSocket route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// A method of [`METHODS`], or [`CONNECT_ROUTE`].
    method: &'static str,
    /// Without the leading `/`, as it follows the method in an ARN; empty for the route.
    path: String,
}

/// What a path may name of the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `${sub}`: the token's subject.
    Sub,
    /// `${claim:<name>}`: the claim `<name>`, a string or an integer.
    Claim(String),
}

/// A rule's entry: a grant, or one whose path names the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Plain(Grant),
    /// The path's literal text around its placeholders: `pieces` holds the text before each
    /// placeholder, and `tail` what follows the last.
    Template {
        method: &'static str,
        pieces: Vec<(String, Placeholder)>,
        tail: String,
    },
}

impl Entry {
    fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == CONNECT_ROUTE {
            return Ok(Entry::Plain(Grant::connect()));
        }
        let (method, path) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("{text:?} is neither \"<METHOD> <path>\" nor \"$connect\""))?;
        let method = METHODS
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(method))
            .ok_or_else(|| format!("{method:?} is not an HTTP method or `*`"))?;
        let path = path
            .strip_prefix('/')
            .filter(|p| p.bytes().all(|b| b.is_ascii_graphic() && b != b'?'))
            .ok_or_else(|| {
                format!("{path:?} must start with `/` and hold no space, `?` or non-ASCII")
            })?;
        let mut pieces = Vec::new();
        let mut rest = path;
        while let Some(start) = rest.find("${") {
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| format!("{path:?} has an unterminated `${{`"))?;
            let inside = &rest[start + 2..start + end];
            let placeholder = match inside.strip_prefix("claim:") {
                _ if inside == "sub" => Placeholder::Sub,
                Some(name) if !name.is_empty() => Placeholder::Claim(name.to_owned()),
                _ => {
                    return Err(format!(
                        "{path:?}: `${{{inside}}}` is neither `${{sub}}` nor `${{claim:<name>}}`"
                    ));
                }
            };
            pieces.push((rest[..start].to_owned(), placeholder));
            rest = &rest[start + end + 1..];
        }
        if pieces.is_empty() {
            return Ok(Entry::Plain(Grant {
                method,
                path: path.to_owned(),
            }));
        }
        Ok(Entry::Template {
            method,
            pieces,
            tail: rest.to_owned(),
        })
    }

    /// The grants this entry gives `principal`: itself when plain; else its path with the
    /// caller's values in each of the spellings a method ARN may hold them in ([`Spelling`]), or
    /// nothing when a placeholder has no value that the grant can safely hold (logged).
    fn grants_for<'a>(&'a self, principal: &Principal) -> Vec<Cow<'a, Grant>> {
        let (method, pieces, tail) = match self {
            Entry::Plain(grant) => return vec![Cow::Borrowed(grant)],
            Entry::Template {
                method,
                pieces,
                tail,
            } => (method, pieces, tail),
        };
        let mut values = Vec::with_capacity(pieces.len());
        for (_, placeholder) in pieces {
            let value = match placeholder {
                Placeholder::Sub => Some(Cow::Borrowed(principal.sub.as_str())),
                Placeholder::Claim(name) => match principal.claims.get(name) {
                    Some(Value::String(value)) => Some(Cow::Borrowed(value.as_str())),
                    Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
                        Some(Cow::Owned(number.to_string()))
                    }
                    _ => None,
                },
            };
            match value {
                Some(value) if is_one_segment(&value) => values.push(value),
                unusable => {
                    let reason = match unusable {
                        None => "placeholder_without_value",
                        Some(_) => "placeholder_value_refused",
                    };
                    warn!(
                        reason,
                        ?placeholder,
                        method,
                        "a rule naming the caller is left out for them"
                    );
                    return Vec::new();
                }
            }
        }
        // Most values need no encoding, and have one spelling.
        let spellings = if values.iter().all(|value| Spelling::is_plain(value)) {
            &Spelling::ALL[..1]
        } else {
            &Spelling::ALL[..]
        };
        spellings
            .iter()
            .map(|spelling| {
                let mut path = String::with_capacity(64);
                for ((text, _), value) in pieces.iter().zip(&values) {
                    path.push_str(text);
                    spelling.write(value, &mut path);
                }
                path.push_str(tail);
                Cow::Owned(Grant { method, path })
            })
            .collect()
    }
}

/// Whether `value` can stand for one path segment without widening a grant: not empty, and made
/// only of letters, digits and `-._~!&'()+,;=:@|` — none of IAM's wildcards `*` and `?`, no `/`,
/// no `$` (IAM's variables), no `%` (which could smuggle any of those in encoded), no space or
/// control character.
fn is_one_segment(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!&'()+,;=:@|".contains(&b))
}

/// How a substituted value is written into a grant's path. API Gateway puts the request's path
/// into the method ARN as the client sent it (REST APIs) or decoded (HTTP APIs), so a caller's
/// own resource may be spelt with its characters as they are or percent-encoded, with upper- or
/// lower-case hex digits: the grant lists each spelling, every one of them that caller's path
/// alone. Letters, digits and `-._~` are never encoded, so most subjects have one spelling.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    /// As it is: `auth0|123`.
    Plain,
    /// Every other character as `%XX`: `auth0%7C123`, as `encodeURIComponent` writes it.
    UpperHex,
    /// Likewise with lower-case hex digits: `auth0%7c123`.
    LowerHex,
}

impl Spelling {
    const ALL: [Spelling; 3] = [Spelling::Plain, Spelling::UpperHex, Spelling::LowerHex];

    /// Whether a byte is written as it is in every spelling (RFC 3986's unreserved characters).
    fn unreserved(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"-._~".contains(&b)
    }

    /// Whether `value` is spelt the same in every spelling.
    fn is_plain(value: &str) -> bool {
        value.bytes().all(Spelling::unreserved)
    }

    fn write(self, value: &str, path: &mut String) {
        const UPPER: &[u8; 16] = b"0123456789ABCDEF";
        const LOWER: &[u8; 16] = b"0123456789abcdef";
        let digits = match self {
            Spelling::Plain => {
                path.push_str(value);
                return;
            }
            Spelling::UpperHex => UPPER,
            Spelling::LowerHex => LOWER,
        };
        for b in value.bytes() {
            if Spelling::unreserved(b) {
                path.push(b as char);
            } else {
                path.push('%');
                path.push(digits[usize::from(b >> 4)] as char);
                path.push(digits[usize::from(b & 0xf)] as char);
            }
        }
    }
}

impl Grant {
    /// Reads one plain `"<METHOD> <path>"` entry, as an access rule writes it: no placeholder.
    pub fn parse(text: &str) -> Result<Self, String> {
        match Entry::parse(text)? {
            Entry::Plain(grant) => Ok(grant),
            Entry::Template { .. } => Err(format!("{text:?} names the caller")),
        }
    }

    /// The grant of a WebSocket API's connect route.
    pub fn connect() -> Self {
        Grant {
            method: CONNECT_ROUTE,
            path: String::new(),
        }
    }

    /// The method, as written in the ARN (`*` for every method, [`CONNECT_ROUTE`] for the route).
    pub fn method(&self) -> &str {
        self.method
    }

    /// The path pattern, without its leading `/`, as written in the ARN.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether IAM would let this grant's resource cover `method` on `path` (no leading `/`). A
    /// method wildcard's resource, `<stage>/*/<path>`, never covers `<stage>/$connect`: it needs
    /// a `/` after the method.
    pub fn covers(&self, method: &str, path: &str) -> bool {
        let method_covered = self.method == method || self.method == "*" && method != CONNECT_ROUTE;
        method_covered && wildcard_match(&self.path, path)
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.method == CONNECT_ROUTE {
            return f.write_str(CONNECT_ROUTE);
        }
        write!(f, "{} /{}", self.method, self.path)
    }
}

/// IAM's resource matching for `*`: any run of characters, possibly empty, `/` included.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and where in the text its match currently ends.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Whom a rule key names: `*`, `group:<name>`, `scope:<name>` or `claim:<name>=<value>`. The keys
/// of `ACCESS_RULES` and of the usage-plan keys' mapping ([`crate::api_keys`]) alike.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    /// `claim:<name>=<value>`: callers whose claim matches (see [`ClaimCondition`]).
    Claim(ClaimCondition),
    /// `group:<name>`: callers in the group.
    Group(String),
    /// `scope:<name>`: callers holding the OAuth scope.
    Scope(String),
    /// `*`: any caller with a valid token.
    Anyone,
}

impl Who {
    /// Reads a rule key; the error names it and says what keys may be.
    pub fn parse(key: &str) -> Result<Self, String> {
        let nonempty = |name: &str| (!name.is_empty()).then(|| name.to_owned());
        if key == "*" {
            Ok(Who::Anyone)
        } else if let Some(group) = key.strip_prefix("group:").and_then(nonempty) {
            Ok(Who::Group(group))
        } else if let Some(scope) = key.strip_prefix("scope:").and_then(nonempty) {
            Ok(Who::Scope(scope))
        } else if let Some(condition) = key.strip_prefix("claim:").and_then(ClaimCondition::parse) {
            Ok(Who::Claim(condition))
        } else {
            Err(format!(
                "key {key:?} is none of `*`, `group:<name>`, `scope:<name>`, `claim:<name>=<value>`"
            ))
        }
    }

    /// Whether the key names `principal`.
    pub fn names(&self, principal: &Principal) -> bool {
        match self {
            Who::Anyone => true,
            Who::Group(group) => principal.groups.contains(group),
            Who::Scope(scope) => principal.scopes.contains(scope),
            Who::Claim(condition) => condition.holds(&principal.claims),
        }
    }
}

/// A `claim:<name>=<value>` key: the caller's claim `<name>` must equal `<value>`, or hold it
/// when the claim is an array. `true`, `false` and numbers are compared as JSON values (the claim
/// `true` matches `claim:email_verified=true`, the string `"true"` does not); anything else as a
/// string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimCondition {
    name: String,
    value: Value,
}

/// Conditions order by their claim's name, then their value's JSON text.
impl PartialOrd for ClaimCondition {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClaimCondition {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.name, self.value.to_string()).cmp(&(&other.name, other.value.to_string()))
    }
}

impl ClaimCondition {
    /// `<name>=<value>`, split at the first `=`; neither part may be empty.
    fn parse(spec: &str) -> Option<Self> {
        let (name, value) = spec.split_once('=')?;
        if name.is_empty() || value.is_empty() {
            return None;
        }
        let value = match serde_json::from_str::<Value>(value) {
            Ok(scalar @ (Value::Bool(_) | Value::Number(_))) => scalar,
            _ => Value::String(value.to_owned()),
        };
        Some(ClaimCondition {
            name: name.to_owned(),
            value,
        })
    }

    fn holds(&self, claims: &Map<String, Value>) -> bool {
        match claims.get(&self.name) {
            Some(Value::Array(items)) => items.contains(&self.value),
            Some(claim) => *claim == self.value,
            None => false,
        }
    }
}

/// Who may call what, parsed from `ACCESS_RULES` once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRules {
    anyone: Vec<Entry>,
    groups: HashMap<String, Vec<Entry>>,
    scopes: HashMap<String, Vec<Entry>>,
    claims: Vec<(ClaimCondition, Vec<Entry>)>,
}

impl AccessRules {
    /// Parses and checks the JSON form; the error says which key or entry is wrong.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let object: HashMap<String, Vec<String>> = serde_json::from_str(text).map_err(|e| {
            format!("not a JSON object of arrays of \"<METHOD> <path>\" strings: {e}")
        })?;
        let mut rules = AccessRules {
            anyone: Vec::new(),
            groups: HashMap::new(),
            scopes: HashMap::new(),
            claims: Vec::new(),
        };
        for (key, entries) in object {
            let grants = entries
                .iter()
                .map(|entry| Entry::parse(entry))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("under {key:?}: {e}"))?;
            let slot = match Who::parse(&key)? {
                Who::Anyone => &mut rules.anyone,
                Who::Group(group) => rules.groups.entry(group).or_default(),
                Who::Scope(scope) => rules.scopes.entry(scope).or_default(),
                Who::Claim(condition) => {
                    rules.claims.push((condition, Vec::new()));
                    &mut rules.claims.last_mut().expect("just pushed").1
                }
            };
            slot.extend(grants);
        }
        Ok(rules)
    }

    /// Every grant the principal holds, sorted and without repeats, so that the same principal
    /// always gets the same policy. Grants whose path names the caller are theirs alone.
    pub fn grants_for(&self, principal: &Principal) -> Vec<Cow<'_, Grant>> {
        let by_group = principal.groups.iter().filter_map(|g| self.groups.get(g));
        let by_scope = principal.scopes.iter().filter_map(|s| self.scopes.get(s));
        let by_claim = self
            .claims
            .iter()
            .filter(|(condition, _)| condition.holds(&principal.claims))
            .map(|(_, grants)| grants);
        let mut grants: Vec<Cow<'_, Grant>> = self
            .anyone
            .iter()
            .chain(by_group.flatten())
            .chain(by_scope.flatten())
            .chain(by_claim.flatten())
            .flat_map(|entry| entry.grants_for(principal))
            .collect();
        grants.sort_unstable();
        grants.dedup();
        grants
    }
}

/// Who may call what: `ACCESS_RULES`, or Cedar policies when `CEDAR_POLICIES` is set; the pet
/// store's access rules by default. A request asks it once, through [`Rules::grants_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// `ACCESS_RULES`.
    Access(AccessRules),
    /// `CEDAR_POLICIES`, `CEDAR_SCHEMA` and `CEDAR_ENTITY_ID_PREFIX` (boxed: it is larger), in
    /// builds with the `cedar` feature.
    #[cfg(feature = "cedar")]
    Cedar(Box<CedarRules>),
}

/// What a principal may call, as [`Rules::grants_for`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted<'a> {
    /// Every grant the principal holds, sorted and without repeats.
    pub grants: Vec<Cow<'a, Grant>>,
    /// With Cedar, the ids of the policies that decided the route called (comma-separated, empty
    /// when none did and Cedar denied by default), for the log line; `None` with access rules.
    pub policies: Option<String>,
}

impl Rules {
    /// What `principal` may call; `arn`, the method called, only says which policies to name
    /// in [`Granted::policies`]: the grants never depend on it, so the answer stays cache-safe.
    #[cfg_attr(not(feature = "cedar"), expect(unused_variables))]
    pub fn grants_for(&self, principal: &Principal, arn: &MethodArn) -> Granted<'_> {
        match self {
            Rules::Access(rules) => Granted {
                grants: rules.grants_for(principal),
                policies: None,
            },
            #[cfg(feature = "cedar")]
            Rules::Cedar(rules) => rules.grants_for(principal, arn),
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::Access(AccessRules::default())
    }
}

impl Default for AccessRules {
    fn default() -> Self {
        AccessRules::from_json(PET_STORE_RULES).expect("the built-in rules are valid")
    }
}

/// A straightforward, exponential reference for IAM's `*`, for tests to check matchers against.
#[cfg(test)]
pub(crate) fn reference_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| reference_match(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && reference_match(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn principal(groups: &[&str], scopes: &[&str]) -> Principal {
        Principal {
            sub: "someone".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Principal::default()
        }
    }

    fn shown(grants: Vec<Cow<'_, Grant>>) -> Vec<String> {
        grants.iter().map(|grant| grant.to_string()).collect()
    }

    #[test]
    fn the_default_is_the_pet_store() {
        let rules = AccessRules::default();
        assert_eq!(shown(rules.grants_for(&principal(&[], &[]))), ["GET /pets"]);
        assert_eq!(
            shown(rules.grants_for(&principal(&["admin"], &[]))),
            ["GET /pets", "POST /pets"]
        );
    }

    #[test]
    fn groups_and_scopes_add_up() {
        let rules = AccessRules::from_json(
            r#"{"group:vet": ["put /pets/*"], "scope:pets/read": ["GET /pets/*"], "*": []}"#,
        )
        .unwrap();
        assert_eq!(
            shown(rules.grants_for(&principal(&["vet", "other"], &["pets/read"]))),
            ["GET /pets/*", "PUT /pets/*"]
        );
        assert!(rules.grants_for(&principal(&["Vet"], &[])).is_empty());
    }

    #[test]
    fn claim_conditions_compare_json_values_and_look_into_arrays() {
        let rules = AccessRules::from_json(
            r#"{"claim:email_verified=true": ["GET /profile"],
                "claim:custom:tier=premium": ["GET /premium/*"],
                "claim:level=3": ["GET /level3"],
                "claim:aud=pets-api": ["GET /pets/*"]}"#,
        )
        .unwrap();
        let with = |claims: serde_json::Value| {
            let principal = Principal {
                claims: claims.as_object().unwrap().clone(),
                ..principal(&[], &[])
            };
            shown(rules.grants_for(&principal))
        };
        assert_eq!(
            with(serde_json::json!({"email_verified": true, "custom:tier": "premium", "level": 3})),
            ["GET /level3", "GET /premium/*", "GET /profile"]
        );
        assert_eq!(
            with(serde_json::json!({"aud": ["other", "pets-api"]})),
            ["GET /pets/*"]
        );
        assert!(
            with(
                serde_json::json!({"email_verified": "true", "custom:tier": "Premium",
                                    "level": "3", "aud": "other"})
            )
            .is_empty(),
            "strings are not booleans or numbers, and comparisons are exact"
        );
        assert!(with(serde_json::json!({})).is_empty());
    }

    /// The grants `rules` give a caller whose `sub` is `sub` and whose claims are `claims`.
    fn granted(rules: &str, sub: &str, claims: serde_json::Value) -> Vec<String> {
        let rules = AccessRules::from_json(rules).unwrap();
        let principal = Principal {
            sub: sub.into(),
            claims: claims.as_object().unwrap().clone(),
            ..Principal::default()
        };
        shown(rules.grants_for(&principal))
    }

    #[test]
    fn placeholders_grant_each_caller_their_own_resource() {
        let rules = r#"{"*": ["PUT /accounts/${sub}", "GET /teams/${claim:custom:team}/members/*",
                              "GET /levels/${claim:level}"]}"#;
        for sub in [
            "a1b2c3d4-0000-4000-8000-000000000001",
            "auth0|5f7c8ec7c33c6c004bbafe82",
            "00u1abcd2EFGH3ijk4x7",
            "alice+pets@example.com",
        ] {
            let claims = serde_json::json!({"custom:team": "vets", "level": 3});
            let own = granted(rules, sub, claims);
            assert!(
                own.contains(&"GET /teams/vets/members/*".to_owned()),
                "{own:?}"
            );
            assert!(own.contains(&"GET /levels/3".to_owned()), "{own:?}");
            assert!(
                own.contains(&format!("PUT /accounts/{sub}")),
                "{sub}: {own:?}"
            );
        }
        assert_eq!(
            granted(
                r#"{"*": ["PUT /accounts/${sub}"]}"#,
                "bob",
                serde_json::json!({})
            ),
            ["PUT /accounts/bob"]
        );
        assert_eq!(
            granted(
                r#"{"*": ["PUT /accounts/${sub}"]}"#,
                "auth0|5f7c",
                serde_json::json!({})
            ),
            [
                "PUT /accounts/auth0%7C5f7c",
                "PUT /accounts/auth0%7c5f7c",
                "PUT /accounts/auth0|5f7c"
            ],
            "the caller's path as sent (either hex case) and decoded"
        );
    }

    #[test]
    fn a_value_that_could_widen_a_grant_leaves_the_rule_out() {
        let rules = r#"{"*": ["GET /pets", "PUT /accounts/${sub}"]}"#;
        for sub in [
            "*",
            "bob*",
            "b?b",
            "bob/..",
            "../admin",
            "a b",
            "tab\t",
            "new\nline",
            "50%25",
            "é",
            "${sub}",
            "a#b",
            "",
        ] {
            assert_eq!(
                granted(rules, sub, serde_json::json!({})),
                ["GET /pets"],
                "{sub:?}"
            );
        }
        let team = r#"{"*": ["GET /teams/${claim:team}"]}"#;
        for claims in [
            serde_json::json!({}),
            serde_json::json!({"team": null}),
            serde_json::json!({"team": ["a", "b"]}),
            serde_json::json!({"team": true}),
            serde_json::json!({"team": 1.5}),
            serde_json::json!({"team": {"name": "a"}}),
        ] {
            assert!(granted(team, "bob", claims.clone()).is_empty(), "{claims}");
        }
    }

    #[test]
    fn refuses_unknown_or_unterminated_placeholders() {
        for (text, hint) in [
            (r#"{"*": ["GET /accounts/${user}"]}"#, "${user}"),
            (r#"{"*": ["GET /accounts/${claim:}"]}"#, "${claim:}"),
            (r#"{"*": ["GET /accounts/${}"]}"#, "${}"),
            (r#"{"*": ["GET /accounts/${sub"]}"#, "unterminated"),
        ] {
            let error = AccessRules::from_json(text).unwrap_err();
            assert!(error.contains(hint), "{text}: {error}");
        }
    }

    proptest! {
        /// Whatever the subject, the grant `PUT /accounts/${sub}` gives covers no path but the
        /// caller's own: `accounts/<sub>` exactly, and nothing when the subject was refused.
        #[test]
        fn a_substituted_grant_covers_only_the_callers_own_path(
            sub in "[a-zA-Z0-9|@+*?/%. _~=:!$&'(),;-]{0,12}",
            other in "[a-zA-Z0-9|@+*?/%. _~=:!$&'(),;-]{0,12}",
            shape in 0..4usize,
        ) {
            let rules = AccessRules::from_json(r#"{"*": ["PUT /accounts/${sub}"]}"#).unwrap();
            let principal = Principal { sub: sub.clone(), ..Principal::default() };
            let grants = rules.grants_for(&principal);
            // The caller's own path, in each spelling a client may send.
            let own: Vec<String> = Spelling::ALL
                .iter()
                .map(|spelling| {
                    let mut path = "accounts/".to_owned();
                    spelling.write(&sub, &mut path);
                    path
                })
                .collect();
            let called = match shape {
                0 => own[1].clone(),
                1 => format!("{}{other}", own[0]),
                2 => format!("accounts/{other}{sub}"),
                _ => format!("accounts/{other}"),
            };
            for grant in &grants {
                if grant.covers("PUT", &called) {
                    prop_assert!(own.contains(&called), "{grant} covers {called}");
                }
            }
        }
    }

    #[test]
    fn refuses_invalid_rules_with_a_reason() {
        for (text, hint) in [
            ("[]", "JSON object"),
            (r#"{"*": "GET /pets"}"#, "JSON object"),
            (r#"{"admin": ["GET /pets"]}"#, "\"admin\""),
            (r#"{"group:": ["GET /pets"]}"#, "\"group:\""),
            (r#"{"claim:tier": ["GET /pets"]}"#, "\"claim:tier\""),
            (r#"{"claim:=x": ["GET /pets"]}"#, "\"claim:=x\""),
            (r#"{"claim:tier=": ["GET /pets"]}"#, "claim:<name>=<value>"),
            (r#"{"*": ["GET"]}"#, "<METHOD> <path>"),
            (r#"{"*": ["FETCH /pets"]}"#, "FETCH"),
            (r#"{"*": ["GET pets"]}"#, "must start with `/`"),
            (r#"{"*": ["GET /pets?x"]}"#, "`?`"),
            (r#"{"*": ["GET /pets /toys"]}"#, "space"),
        ] {
            let error = AccessRules::from_json(text).unwrap_err();
            assert!(error.contains(hint), "{text}: {error}");
        }
    }

    #[test]
    fn a_grant_covers_what_iam_would_match() {
        let grant = |text| match Entry::parse(text).unwrap() {
            Entry::Plain(grant) => grant,
            template => panic!("{template:?} is not a plain grant"),
        };
        assert!(grant("GET /pets").covers("GET", "pets"));
        assert!(!grant("GET /pets").covers("GET", "pets/1"));
        assert!(!grant("GET /pets").covers("POST", "pets"));
        assert!(grant("* /pets").covers("DELETE", "pets"));
        assert!(grant("GET /pets/*").covers("GET", "pets/1/toys"));
        assert!(grant("GET /pets/*").covers("GET", "pets/"));
        assert!(!grant("GET /pets/*").covers("GET", "pets"));
        assert!(grant("GET /*/toys").covers("GET", "pets/1/toys"));
        assert!(grant("GET /").covers("GET", ""));
        assert!(grant("GET /*").covers("GET", ""));
    }

    #[test]
    fn only_the_connect_entry_grants_the_websocket_route() {
        let rules =
            AccessRules::from_json(r#"{"group:chat": [" $connect "], "*": ["* /*", "GET /pets"]}"#)
                .unwrap();
        let connect = |groups: &[&str]| {
            rules
                .grants_for(&principal(groups, &[]))
                .iter()
                .any(|grant| grant.covers(CONNECT_ROUTE, ""))
        };
        assert!(connect(&["chat"]));
        assert!(!connect(&["other"]), "`* /*` must not cover $connect");
        assert_eq!(
            shown(rules.grants_for(&principal(&["chat"], &[]))),
            ["$connect", "* /*", "GET /pets"]
        );
        // IAM agrees: the wildcard grant's resource does not match the route's ARN.
        let arn = crate::arn::MethodArn::parse(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect",
        )
        .unwrap();
        let resource = |method, path| arn.sibling(method, path);
        assert!(!reference_match(
            resource("*", "*").as_bytes(),
            arn.to_string().as_bytes()
        ));
        assert_eq!(resource(CONNECT_ROUTE, ""), arn.to_string());
        for text in ["$connect /", "$CONNECT", "GET $connect", "$disconnect"] {
            assert!(Entry::parse(text).is_err(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn wildcard_match_agrees_with_the_reference(pattern in "[ab/*]{0,8}", text in "[ab/]{0,10}") {
            prop_assert_eq!(
                wildcard_match(&pattern, &text),
                reference_match(pattern.as_bytes(), text.as_bytes())
            );
        }
    }
}
