//! Reading configuration from the environment, once, at cold start.
//!
//! Every setting is checked before the function serves its first request: a typo in
//! `ACCESS_RULES` or a short secret stops the function at init with a message naming the variable,
//! instead of turning into a wrong answer later. An empty variable counts as unset, because that
//! is what a deployment template writes for an optional parameter left blank.

use crate::principal::ClaimNames;
use crate::rules::{AccessRules, PET_STORE_RULES};

/// A way to read a variable: the process environment in `main`, a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a [`Lookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A configuration mistake. The message names the variable, never its value (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is required but not set")]
    Missing { var: &'static str },
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("{var}: {reason}")]
    Unavailable { var: &'static str, reason: String },
}

/// The variable's value, or `None` when it is unset or blank.
pub fn optional(env: Lookup, var: &'static str) -> Option<String> {
    env(var).filter(|value| !value.trim().is_empty())
}

/// The variable's value; unset or blank is an error.
pub fn required(env: Lookup, var: &'static str) -> Result<String, ConfigError> {
    optional(env, var).ok_or(ConfigError::Missing { var })
}

/// A comma-separated list, items trimmed, empty items dropped; `None` when unset.
pub fn list(env: Lookup, var: &'static str) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(value) = optional(env, var) else {
        return Ok(None);
    };
    let items: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect();
    if items.is_empty() {
        return Err(invalid(var, "lists nothing"));
    }
    Ok(Some(items))
}

/// Shorthand for [`ConfigError::Invalid`].
pub fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

/// The clock skew tolerated on `exp` and `nbf` unless `JWT_LEEWAY_SECONDS` says otherwise.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;
/// More skew than this would let expired tokens live on noticeably.
pub const MAX_LEEWAY_SECONDS: u64 = 300;

/// The settings both authorizers read the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    /// `ACCESS_RULES`; the pet store's rules when unset.
    pub rules: AccessRules,
    /// `JWT_LEEWAY_SECONDS`.
    pub leeway_seconds: u64,
    /// `JWT_MAX_AGE_SECONDS`: refuse tokens issued (`iat`) longer ago than this; unset, no limit.
    pub max_age_seconds: Option<u64>,
    /// `GROUPS_CLAIM` and where the username is read from.
    pub claim_names: ClaimNames,
}

impl CommonConfig {
    /// Reads the shared settings; `default_groups_claim` and `username_claims` are the
    /// authorizer's own conventions.
    pub fn from_env(
        env: Lookup,
        default_groups_claim: &str,
        username_claims: &'static [&'static str],
    ) -> Result<Self, ConfigError> {
        let rules_json = optional(env, "ACCESS_RULES");
        let rules = AccessRules::from_json(rules_json.as_deref().unwrap_or(PET_STORE_RULES))
            .map_err(|reason| invalid("ACCESS_RULES", reason))?;
        let leeway_seconds = match optional(env, "JWT_LEEWAY_SECONDS") {
            None => DEFAULT_LEEWAY_SECONDS,
            Some(text) => text
                .trim()
                .parse()
                .ok()
                .filter(|&seconds| seconds <= MAX_LEEWAY_SECONDS)
                .ok_or_else(|| {
                    invalid(
                        "JWT_LEEWAY_SECONDS",
                        format!("must be a whole number of seconds from 0 to {MAX_LEEWAY_SECONDS}"),
                    )
                })?,
        };
        let max_age_seconds = optional(env, "JWT_MAX_AGE_SECONDS")
            .map(|text| {
                text.trim().parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    invalid(
                        "JWT_MAX_AGE_SECONDS",
                        "must be a positive whole number of seconds",
                    )
                })
            })
            .transpose()?;
        let groups = optional(env, "GROUPS_CLAIM")
            .map(|claim| claim.trim().to_owned())
            .unwrap_or_else(|| default_groups_claim.to_owned());
        Ok(CommonConfig {
            rules,
            leeway_seconds,
            max_age_seconds,
            claim_names: ClaimNames {
                groups,
                username: username_claims,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<CommonConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CommonConfig::from_env(&|name| vars.get(name).cloned(), "groups", &["username"])
    }

    #[test]
    fn defaults_to_the_pet_store() {
        let config = read(&[("ACCESS_RULES", "  "), ("GROUPS_CLAIM", "")]).unwrap();
        assert_eq!(config.rules, AccessRules::default());
        assert_eq!(config.leeway_seconds, DEFAULT_LEEWAY_SECONDS);
        assert_eq!(config.claim_names.groups, "groups");
    }

    #[test]
    fn reads_what_is_set() {
        let config = read(&[
            ("JWT_LEEWAY_SECONDS", "0"),
            ("GROUPS_CLAIM", "roles"),
            ("ACCESS_RULES", r#"{"*": []}"#),
        ])
        .unwrap();
        assert_eq!(config.leeway_seconds, 0);
        assert_eq!(config.max_age_seconds, None);
        assert_eq!(config.claim_names.groups, "roles");
        assert_ne!(config.rules, AccessRules::default());
    }

    #[test]
    fn names_the_variable_at_fault() {
        for (var, value) in [
            ("ACCESS_RULES", "{not json"),
            ("JWT_LEEWAY_SECONDS", "-1"),
            ("JWT_LEEWAY_SECONDS", "301"),
            ("JWT_LEEWAY_SECONDS", "1m"),
            ("JWT_MAX_AGE_SECONDS", "0"),
            ("JWT_MAX_AGE_SECONDS", "1h"),
        ] {
            let error = read(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{error}");
        }
    }

    #[test]
    fn lists_split_on_commas() {
        let env = |name: &str| (name == "L").then(|| " a, b ,,c ".to_owned());
        assert_eq!(
            list(&env, "L").unwrap(),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(list(&env, "M").unwrap(), None);
        let commas = |_: &str| Some(" , ".to_owned());
        assert!(list(&commas, "L").is_err());
    }
}
