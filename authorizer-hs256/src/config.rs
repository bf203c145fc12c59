//! The HS256 authorizer's settings: every variable it reads, declared once in [`VARIABLES`].

use std::fmt;

use authorizer_core::config::{self, Env, Preset, Settings, Var, invalid};
use authorizer_core::{InitError, logging, metrics};

use authorizer_core::secrets::{self, SecretsManager};

authorizer_core::variables! {
    /// The HS256 authorizer's own variables, beside [`logging::VARIABLES`],
    /// [`metrics::VARIABLES`] and [`config::SHARED`]; [`secrets::VARIABLES`] too when the secret
    /// comes from Secrets Manager.
    OWN {
        /// an AWS Secrets Manager secret whose `SecretString` is the key, read once at cold start
        /// (deployments); this or `JWT_SECRET` is required
        JWT_SECRET_ARN = Off;

        /// instead, the key itself (local runs and tests)
        JWT_SECRET = Off;

        /// when set, `iss` is required and must equal it
        JWT_ISSUER = Off;

        /// comma-separated; when set, `aud` is required and must name one of them. When unset, `aud` is
        /// not checked
        JWT_AUDIENCE = Off;
    }
}

/// Every variable the function reads, in the groups the README documents.
pub const VARIABLES: [&[Var]; 5] = [
    logging::VARIABLES,
    metrics::VARIABLES,
    config::SHARED,
    OWN,
    secrets::VARIABLES,
];

/// Custom tokens name their groups `groups`, and their user `username` or `preferred_username`.
const PRESET: Preset = Preset {
    groups_claim: "groups",
    scope_claims: &["scope"],
    username_claims: &["username", "preferred_username"],
};

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
pub const MIN_SECRET_BYTES: usize = 32;

/// The shared secret. Its `Debug` never shows it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Accepts a secret only if it is long enough; `var` names where it came from.
    pub fn new(bytes: Vec<u8>, var: &Var) -> Result<Self, InitError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(invalid(
                var,
                format!("the secret must be at least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)"),
            ));
        }
        Ok(Secret(bytes))
    }

    /// The key's bytes, for the verifier.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where the secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `JWT_SECRET`: the secret itself, for local runs and tests.
    Inline(Secret),
    /// `JWT_SECRET_ARN`: a Secrets Manager secret, read once at cold start.
    SecretsManager(SecretsManager),
}

/// The HS256 authorizer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The settings every authorizer shares (rules, leeway, maximum age, claim names).
    pub shared: Settings,
    /// Where the key comes from.
    pub secret: SecretSource,
    /// `JWT_ISSUER`: when set, `iss` is required and must equal it; unset, `iss` is not checked.
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE` (comma-separated): when set, `aud` is required and must name one of them.
    /// When unset, `aud` is not checked, whatever the token carries.
    pub audiences: Option<Vec<String>>,
}

impl Config {
    /// Reads and checks every variable; nothing is fetched yet.
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let shared = Settings::from_env(env, &PRESET)?;
        let secret = match (env.raw(&JWT_SECRET), env.get(&JWT_SECRET_ARN)) {
            (Some(secret), None) => {
                SecretSource::Inline(Secret::new(secret.into_bytes(), &JWT_SECRET)?)
            }
            (None, Some(arn)) => {
                SecretSource::SecretsManager(SecretsManager::from_env(&JWT_SECRET_ARN, arn, env)?)
            }
            (None, None) => {
                return Err(InitError::Missing {
                    var: "JWT_SECRET_ARN (or JWT_SECRET)",
                });
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    &JWT_SECRET,
                    "set either JWT_SECRET or JWT_SECRET_ARN, not both",
                ));
            }
        };
        Ok(Config {
            shared,
            secret,
            issuer: env.get(&JWT_ISSUER),
            audiences: env.list(&JWT_AUDIENCE)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "unit-test-secret-of-at-least-32-bytes!";

    fn config(vars: &[(&'static str, &'static str)]) -> Result<Config, InitError> {
        Config::from_env(&Env::new(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }))
    }

    #[test]
    fn configuration_errors_name_the_variable() {
        let short = config(&[("JWT_SECRET", "too-short")]).unwrap_err();
        assert!(short.to_string().starts_with("JWT_SECRET "), "{short}");
        assert!(!short.to_string().contains("too-short"));
        let none = config(&[]).unwrap_err();
        assert!(none.to_string().contains("JWT_SECRET_ARN"), "{none}");
        let both = config(&[("JWT_SECRET", SECRET), ("JWT_SECRET_ARN", "arn:x")]).unwrap_err();
        assert!(both.to_string().contains("JWT_SECRET_ARN"), "{both}");
        let audience = config(&[("JWT_SECRET", SECRET), ("JWT_AUDIENCE", ",")]).unwrap_err();
        assert!(
            audience.to_string().starts_with("JWT_AUDIENCE"),
            "{audience}"
        );
        let arn = config(&[("JWT_SECRET_ARN", "jwt-secret")]).unwrap_err();
        assert!(arn.to_string().starts_with("JWT_SECRET_ARN"), "{arn}");
    }

    #[test]
    fn reads_the_secret_manager_settings_with_the_arn() {
        let config = config(&[
            (
                "JWT_SECRET_ARN",
                "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:jwt-AbCdEf",
            ),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
        ])
        .unwrap();
        let SecretSource::SecretsManager(source) = config.secret else {
            panic!("not from Secrets Manager");
        };
        assert_eq!(
            source.endpoint(),
            "https://secretsmanager.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
