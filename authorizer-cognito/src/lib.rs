//! The Cognito authorizer: Amazon Cognito user-pool tokens, ID and access, verified with RS256
//! against the pool's key set.
//!
//! [`Config`] is read once at cold start; [`keyset`] fetches and filters the pool's keys within
//! strict limits and [`cache`] keeps them across invocations; [`Cognito`] is the [`Verifier`] the
//! shared [`Authorizer`] calls. Access rules, policies and outcomes are `authorizer_core`'s.

pub mod cache;
pub mod keyset;

use std::time::Duration;

use authorizer_core::config::{self, ConfigError, Lookup, invalid, optional, required};
use authorizer_core::jwt::{decode_claims, rejection, strict_validation};
use authorizer_core::{
    AuthError, Authorizer, ClaimNames, CommonConfig, Principal, Rejection, Verifier,
};
use jsonwebtoken::{Algorithm, Validation, decode_header};
use serde_json::{Map, Value};

use crate::cache::{CachePolicy, KeyCache};
use crate::keyset::{FetchLimits, KeySetSource};

/// Cognito lists a user's groups in `cognito:groups` unless `GROUPS_CLAIM` says otherwise.
pub const DEFAULT_GROUPS_CLAIM: &str = "cognito:groups";

/// ID tokens name the user in `cognito:username`, access tokens in `username`.
const USERNAME_CLAIMS: &[&str] = &["cognito:username", "username"];

/// Which kinds of Cognito token are accepted (`TOKEN_USE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
    /// Either kind (the default).
    Any,
}

/// The Cognito authorizer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub common: CommonConfig,
    /// `USER_POOL_ID`, `<region>_<id>`.
    pub user_pool_id: String,
    /// `APP_CLIENT_IDS`: ID tokens' `aud` and access tokens' `client_id` must be one of these.
    pub app_client_ids: Vec<String>,
    /// `TOKEN_USE`: `id`, `access` or `any`.
    pub token_use: TokenUse,
    /// `JWKS_URL`, or the pool's own key-set URL; `file://` reads a local key set.
    pub jwks_url: String,
    pub cache: CachePolicy,
}

impl Config {
    /// Reads and checks every variable; nothing is fetched yet.
    pub fn from_env(env: Lookup) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, DEFAULT_GROUPS_CLAIM, USERNAME_CLAIMS)?;
        let user_pool_id = required(env, "USER_POOL_ID")?.trim().to_owned();
        let region = region_of(&user_pool_id).ok_or_else(|| {
            invalid(
                "USER_POOL_ID",
                "expected <region>_<id>, e.g. us-east-1_AbCdEf123",
            )
        })?;
        let app_client_ids = config::list(env, "APP_CLIENT_IDS")?.ok_or(ConfigError::Missing {
            var: "APP_CLIENT_IDS",
        })?;
        let token_use = match optional(env, "TOKEN_USE").as_deref().map(str::trim) {
            None | Some("any") => TokenUse::Any,
            Some("id") => TokenUse::Id,
            Some("access") => TokenUse::Access,
            Some(_) => return Err(invalid("TOKEN_USE", "must be id, access or any")),
        };
        let jwks_url = match optional(env, "JWKS_URL") {
            Some(url)
                if ["https://", "http://", "file://"]
                    .iter()
                    .any(|s| url.starts_with(s)) =>
            {
                url.trim().to_owned()
            }
            Some(_) => {
                return Err(invalid(
                    "JWKS_URL",
                    "must be an https://, http:// or file:// URL",
                ));
            }
            None => format!(
                "{}/.well-known/jwks.json",
                issuers(region, &user_pool_id)[0]
            ),
        };
        let seconds = |var: &'static str, default: Duration, max: u64| match optional(env, var) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&s| (1..=max).contains(&s))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    invalid(
                        var,
                        format!("must be a whole number of seconds from 1 to {max}"),
                    )
                }),
        };
        let defaults = CachePolicy::default();
        let cache = CachePolicy {
            min_refetch_interval: seconds(
                "JWKS_MIN_REFETCH_SECONDS",
                defaults.min_refetch_interval,
                3600,
            )?,
            max_age: seconds("JWKS_MAX_AGE_SECONDS", defaults.max_age, 7 * 86_400)?,
        };
        Ok(Config {
            common,
            user_pool_id,
            app_client_ids,
            token_use,
            jwks_url,
            cache,
        })
    }
}

/// `us-east-1_AbC123` → `us-east-1`. The id's length is not constrained: local stand-ins use 32
/// hexadecimal characters where Cognito uses 9 letters and digits.
fn region_of(user_pool_id: &str) -> Option<&str> {
    let (region, id) = user_pool_id.split_once('_')?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric());
    (region_ok && id_ok).then_some(region)
}

/// The issuers a pool's tokens may carry: the classic one, and the one of pools with
/// multi-region replication. Nothing else — not `http://`, not another pool.
fn issuers(region: &str, user_pool_id: &str) -> [String; 2] {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    [
        format!("https://cognito-idp.{region}.{suffix}/{user_pool_id}"),
        format!("https://issuer-cognito-idp.{region}.{suffix}/{user_pool_id}"),
    ]
}

/// Verifies Cognito tokens against the pool's cached keys.
#[derive(Debug)]
pub struct Cognito {
    keys: KeyCache,
    validation: Validation,
    max_age_seconds: Option<u64>,
    app_client_ids: Vec<String>,
    token_use: TokenUse,
    claim_names: ClaimNames,
}

impl Cognito {
    /// Builds the verifier and its HTTP client; the keys are fetched by [`Cognito::prefetch`].
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let region = region_of(&config.user_pool_id).expect("checked by Config::from_env");
        let mut validation = strict_validation(Algorithm::RS256, config.common.leeway_seconds);
        validation.set_issuer(&issuers(region, &config.user_pool_id));
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        let source =
            KeySetSource::new(config.jwks_url.clone(), FetchLimits::default()).map_err(|e| {
                ConfigError::Unavailable {
                    var: "JWKS_URL",
                    reason: e.to_string(),
                }
            })?;
        Ok(Cognito {
            keys: KeyCache::new(source, config.cache),
            validation,
            max_age_seconds: config.common.max_age_seconds,
            app_client_ids: config.app_client_ids.clone(),
            token_use: config.token_use,
            claim_names: config.common.claim_names.clone(),
        })
    }

    /// Fetches the key set at cold start (a failure is logged and retried on demand).
    pub async fn prefetch(&self) {
        self.keys.prefetch().await;
    }

    /// The key cache, for tests and benchmarks that count fetches.
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }

    /// The Cognito-specific claims: the kind of token, and the app client it was issued to.
    fn check_use_and_client(&self, claims: &Map<String, Value>) -> Result<(), Rejection> {
        let claim = |name: &'static str| match claims.get(name) {
            None => Err(Rejection::MissingClaim(name)),
            Some(Value::String(value)) => Ok(value.as_str()),
            Some(_) => Err(Rejection::BadClaim(name)),
        };
        let client = match (claim("token_use")?, self.token_use) {
            ("id", TokenUse::Id | TokenUse::Any) => claim("aud")?,
            ("access", TokenUse::Access | TokenUse::Any) => claim("client_id")?,
            _ => return Err(Rejection::WrongTokenUse),
        };
        if self.app_client_ids.iter().any(|id| id == client) {
            Ok(())
        } else {
            Err(Rejection::WrongClient)
        }
    }
}

impl Verifier for Cognito {
    async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        // The header is read before the signature is checked only to pick the key; `jku`, `x5u`,
        // `jwk` and `x5c` are never followed: keys come from the configured key set alone.
        let header = decode_header(token).map_err(|e| rejection(e.kind()))?;
        if header.alg != Algorithm::RS256 {
            return Err(Rejection::WrongAlgorithm.into());
        }
        let kid = header.kid.ok_or(Rejection::MissingKeyId)?;
        let key = self.keys.key(&kid).await?;
        let claims = decode_claims(token, &key, &self.validation, self.max_age_seconds)?;
        self.check_use_and_client(&claims)?;
        Ok(Principal::from_claims(&claims, &self.claim_names)?)
    }
}

/// Everything cold start does: read the configuration, build the verifier and prefetch the keys.
pub async fn authorizer_from_env(env: Lookup<'_>) -> Result<Authorizer<Cognito>, ConfigError> {
    let config = Config::from_env(env)?;
    let verifier = Cognito::new(&config)?;
    verifier.prefetch().await;
    Ok(Authorizer {
        verifier,
        rules: config.common.rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut all: HashMap<String, String> = [
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("APP_CLIENT_IDS", "c1,c2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::from_env(&|name| all.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_pool() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(config.app_client_ids, ["c1", "c2"]);
        assert_eq!(config.token_use, TokenUse::Any);
        assert_eq!(config.cache, CachePolicy::default());
        assert_eq!(config.common.claim_names.groups, "cognito:groups");
    }

    #[test]
    fn accepts_pool_ids_of_any_length() {
        let moto = "us-east-1_466068e42f1e464fb4075e40ed155387";
        assert_eq!(region_of(moto), Some("us-east-1"));
        assert_eq!(
            config(&[("USER_POOL_ID", moto)]).unwrap().user_pool_id,
            moto
        );
    }

    #[test]
    fn trusts_exactly_the_two_issuer_forms() {
        assert_eq!(
            issuers("us-east-1", "us-east-1_X"),
            [
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
                "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
            ]
        );
        assert!(
            issuers("cn-north-1", "cn-north-1_X")[0].ends_with(".amazonaws.com.cn/cn-north-1_X")
        );
    }

    /// A verifier whose key set is the test key `testkit/keys/ours`, read from a file.
    fn verifier(runtime: &tokio::runtime::Runtime) -> Cognito {
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../testkit/keys/ours.jwk.json");
        let path = std::env::temp_dir().join(format!("ours-jwks-{}.json", std::process::id()));
        let jwk = std::fs::read_to_string(keys).unwrap();
        std::fs::write(&path, format!("{{\"keys\": [{jwk}]}}")).unwrap();
        let url = format!("file://{}", path.display());
        let cognito = Cognito::new(&config(&[("JWKS_URL", url.as_str())]).unwrap()).unwrap();
        runtime.block_on(cognito.prefetch());
        cognito
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Changing any one character of a signed Cognito token — header, payload or signature —
        /// makes it a token the authorizer refuses.
        #[test]
        fn any_mutation_of_a_signed_token_is_refused(position in 0usize..2000, replacement in "[A-Za-z0-9_.=-]") {
            use jsonwebtoken::{EncodingKey, Header, encode};
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let cognito = verifier(&runtime);
            let pem = include_bytes!("../../testkit/keys/ours.pem");
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("ours-key".into());
            let claims = serde_json::json!({
                "sub": "bob", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
                "token_use": "access", "client_id": "c1", "exp": jsonwebtoken::get_current_timestamp() + 600
            });
            let original = encode(&header, &claims, &EncodingKey::from_rsa_pem(pem).unwrap()).unwrap();
            proptest::prop_assert!(runtime.block_on(cognito.verify(&original)).is_ok());
            let position = position % original.len();
            let replacement = replacement.chars().next().unwrap();
            proptest::prop_assume!(original.as_bytes()[position] as char != replacement);
            let mut mutated = original.into_bytes();
            mutated[position] = replacement as u8;
            let mutated = String::from_utf8(mutated).unwrap();
            proptest::prop_assert!(runtime.block_on(cognito.verify(&mutated)).is_err(), "{mutated}");
        }
    }

    #[test]
    fn configuration_errors_name_the_variable() {
        for (var, value) in [
            ("USER_POOL_ID", "AbC123"),
            ("USER_POOL_ID", "eu-west-1_"),
            ("USER_POOL_ID", "EU_abc"),
            ("APP_CLIENT_IDS", " , "),
            ("TOKEN_USE", "refresh"),
            ("JWKS_URL", "jwks.json"),
            ("JWKS_MIN_REFETCH_SECONDS", "0"),
            ("JWKS_MAX_AGE_SECONDS", "forever"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{var}={value}: {error}");
        }
        let error = Config::from_env(&|_| None).unwrap_err();
        assert!(error.to_string().starts_with("USER_POOL_ID"), "{error}");
    }
}
