//! Usage-plan API keys named by the authorizer: which key the caller's requests count against.
//!
//! With an API whose API key source is `AUTHORIZER`, API Gateway throttles and meters each request
//! under the key the authorizer's answer names (`usageIdentifierKey`), so the caller's tier follows
//! their token and no key travels with the client. `USAGE_PLAN_KEYS_SECRET_ARN` names a Secrets
//! Manager secret holding a JSON object from rule keys (`*`, `group:<name>`, `scope:<name>`,
//! `claim:<name>=<value>`, as in `ACCESS_RULES`) to API key values, read once at cold start.
//!
//! When several keys name a caller, the first in this order wins: claim conditions, then groups,
//! then scopes, then `*`; within each kind, by the rule key's text. A caller named by none gets no
//! key (API Gateway then answers 403 for methods that require one). The values are secrets: they
//! are never logged, never shown by `Debug`, never quoted in an error.

use std::fmt;

use serde_json::{Map, Value};

use crate::principal::Principal;
use crate::rules::Who;

/// The mapping, in the order of precedence; empty when `USAGE_PLAN_KEYS_SECRET_ARN` is unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<(Who, String)>);

impl ApiKeys {
    /// Reads the secret's JSON; the error names the rule key at fault, never a value.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let object: Map<String, Value> = serde_json::from_str(text)
            .map_err(|_| "the secret is not a JSON object of rule keys to API keys".to_owned())?;
        let mut keys = object
            .into_iter()
            .map(|(key, value)| {
                let who = Who::parse(&key)?;
                match value {
                    Value::String(value) if is_api_key(&value) => Ok((who, value)),
                    _ => Err(format!(
                        "under {key:?}: not an API key (20 to 128 letters and digits)"
                    )),
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        keys.sort_by(|(a, _), (b, _)| a.cmp(b));
        Ok(ApiKeys(keys))
    }

    /// The key `principal`'s requests count against, if any names them.
    pub fn for_principal(&self, principal: &Principal) -> Option<&str> {
        self.0
            .iter()
            .find(|(who, _)| who.names(principal))
            .map(|(_, key)| key.as_str())
    }
}

/// What API Gateway accepts as an API key's value.
fn is_api_key(value: &str) -> bool {
    (20..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whom: Vec<&Who> = self.0.iter().map(|(who, _)| who).collect();
        f.debug_tuple("ApiKeys").field(&whom).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STANDARD: &str = "Standard0000000000000001";
    const PREMIUM: &str = "Premium00000000000000002";
    const GOLD: &str = "Gold00000000000000000003";
    const VETS: &str = "Vets00000000000000000004";

    fn keys() -> ApiKeys {
        ApiKeys::from_json(
            &json!({
                "*": STANDARD, "group:premium": PREMIUM, "group:vets": VETS,
                "claim:custom:tier=gold": GOLD,
            })
            .to_string(),
        )
        .unwrap()
    }

    fn caller(groups: &[&str], claims: serde_json::Value) -> Principal {
        Principal {
            sub: "c".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            claims: claims.as_object().unwrap().clone(),
            ..Principal::default()
        }
    }

    #[test]
    fn the_most_specific_key_wins_in_a_documented_order() {
        let keys = keys();
        assert_eq!(keys.for_principal(&caller(&[], json!({}))), Some(STANDARD));
        assert_eq!(
            keys.for_principal(&caller(&["premium"], json!({}))),
            Some(PREMIUM)
        );
        assert_eq!(
            keys.for_principal(&caller(&["vets", "premium"], json!({}))),
            Some(PREMIUM),
            "within a kind, by the rule key's text"
        );
        assert_eq!(
            keys.for_principal(&caller(&["premium"], json!({"custom:tier": "gold"}))),
            Some(GOLD),
            "claim conditions first"
        );
        let none = ApiKeys::from_json(&json!({"group:premium": PREMIUM}).to_string()).unwrap();
        assert_eq!(none.for_principal(&caller(&[], json!({}))), None);
        assert_eq!(
            ApiKeys::default().for_principal(&caller(&[], json!({}))),
            None
        );
    }

    #[test]
    fn errors_and_debug_output_never_show_a_key() {
        assert!(!format!("{:?}", keys()).contains(PREMIUM));
        for (text, hint) in [
            (
                json!({"*": 12345678901234567890_u64}).to_string(),
                "under \"*\"",
            ),
            (json!({"*": "short"}).to_string(), "under \"*\""),
            (
                json!({"*": "has spaces in it 0000000"}).to_string(),
                "under \"*\"",
            ),
            (json!({"admins": PREMIUM}).to_string(), "\"admins\""),
            (format!("{{\"*\": \"{PREMIUM}\""), "not a JSON object"),
        ] {
            let error = ApiKeys::from_json(&text).unwrap_err();
            assert!(error.contains(hint), "{text}: {error}");
            for secret in [PREMIUM, "12345678901234567890", "short", "has spaces"] {
                assert!(!error.contains(secret), "{error}");
            }
        }
    }
}
