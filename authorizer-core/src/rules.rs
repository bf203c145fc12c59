//! Access rules: which methods of the API each kind of caller may call.
//!
//! `ACCESS_RULES` is a JSON object whose keys say who (`*` for any valid token, `group:<name>`,
//! `scope:<name>`, `claim:<name>=<value>`) and whose values list what (`"<METHOD> <path>"`). Rules are parsed and checked
//! once, at cold start; a request only looks them up. Paths use IAM's `*` wildcard (any run of
//! characters, `/` included) because they end up verbatim in the policy's resources, and our own
//! matcher must agree with IAM's: `?`, IAM's other wildcard, is therefore refused.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::principal::Principal;

/// The rules of the seeds' pet store: anyone signed in may list pets, admins may also add them.
pub const PET_STORE_RULES: &str =
    r#"{"*": ["GET /pets"], "group:admin": ["GET /pets", "POST /pets"]}"#;

const METHODS: [&str; 8] = [
    "*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// One `"<METHOD> <path>"` entry: a method (or `*`) and a path pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    method: &'static str,
    /// Without the leading `/`, as it follows the method in an ARN.
    path: String,
}

impl Grant {
    fn parse(text: &str) -> Result<Self, String> {
        let (method, path) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("{text:?} is not \"<METHOD> <path>\""))?;
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
        Ok(Grant {
            method,
            path: path.to_owned(),
        })
    }

    /// The method, as written in the ARN (`*` for every method).
    pub fn method(&self) -> &str {
        self.method
    }

    /// The path pattern, without its leading `/`, as written in the ARN.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether IAM would let this grant's resource cover `method` on `path` (no leading `/`).
    pub fn covers(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method == method) && wildcard_match(&self.path, path)
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// A `claim:<name>=<value>` key: the caller's claim `<name>` must equal `<value>`, or hold it
/// when the claim is an array. `true`, `false` and numbers are compared as JSON values (the claim
/// `true` matches `claim:email_verified=true`, the string `"true"` does not); anything else as a
/// string.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimCondition {
    name: String,
    value: Value,
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
    anyone: Vec<Grant>,
    groups: HashMap<String, Vec<Grant>>,
    scopes: HashMap<String, Vec<Grant>>,
    claims: Vec<(ClaimCondition, Vec<Grant>)>,
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
                .map(|entry| Grant::parse(entry))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("under {key:?}: {e}"))?;
            let slot = if key == "*" {
                &mut rules.anyone
            } else if let Some(group) = key.strip_prefix("group:").filter(|g| !g.is_empty()) {
                rules.groups.entry(group.to_owned()).or_default()
            } else if let Some(scope) = key.strip_prefix("scope:").filter(|s| !s.is_empty()) {
                rules.scopes.entry(scope.to_owned()).or_default()
            } else if let Some(condition) =
                key.strip_prefix("claim:").and_then(ClaimCondition::parse)
            {
                rules.claims.push((condition, Vec::new()));
                &mut rules.claims.last_mut().expect("just pushed").1
            } else {
                return Err(format!(
                    "key {key:?} is none of `*`, `group:<name>`, `scope:<name>`, \
                     `claim:<name>=<value>`"
                ));
            };
            slot.extend(grants);
        }
        Ok(rules)
    }

    /// Every grant the principal holds, sorted and without repeats, so that the same principal
    /// always gets the same policy.
    pub fn grants_for(&self, principal: &Principal) -> Vec<&Grant> {
        let by_group = principal.groups.iter().filter_map(|g| self.groups.get(g));
        let by_scope = principal.scopes.iter().filter_map(|s| self.scopes.get(s));
        let by_claim = self
            .claims
            .iter()
            .filter(|(condition, _)| condition.holds(&principal.claims))
            .map(|(_, grants)| grants);
        let mut grants: Vec<&Grant> = self
            .anyone
            .iter()
            .chain(by_group.flatten())
            .chain(by_scope.flatten())
            .chain(by_claim.flatten())
            .collect();
        grants.sort_unstable();
        grants.dedup();
        grants
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

    fn shown(grants: Vec<&Grant>) -> Vec<String> {
        grants.into_iter().map(Grant::to_string).collect()
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
        let grant = |text| Grant::parse(text).unwrap();
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
