//! The Cognito authorizer's settings: every variable it reads, declared once in [`VARIABLES`].

use std::path::PathBuf;

use authorizer_core::config::{Env, Preset, Settings, Var, invalid};
use authorizer_core::{InitError, Partition};

use authorizer_jwks::cache::{self, CachePolicy};
use authorizer_jwks::discovery::is_secure_url;

authorizer_core::variables! {
    /// The Cognito authorizer's own variables, beside the groups every key-fetching function reads
    /// ([`cache::function_variables`]).
    OWN {
        /// `<region>_<id>`; the issuer and the key-set URL follow from it
        USER_POOL_ID = Required;

        /// comma-separated: ID tokens' `aud` and access tokens' `client_id` must be one of them
        APP_CLIENT_IDS = Required;

        /// `id`, `access` or `any`: which kind of token is accepted (refresh tokens never are)
        TOKEN_USE = Value("any");

        /// another key-set URL: a private `https://` endpoint, a local stand-in (`http://` on
        /// loopback only), or `file://<path>`
        JWKS_URL = Derived("the pool's `…/.well-known/jwks.json`");

        /// the path of a key set shipped with the function (in its package, or a layer's
        /// `/opt/…`) that fills the key cache at cold start without a fetch: a function without
        /// internet access then serves, and `JWKS_URL` is fetched only for a key it lacks
        JWKS_FILE = Off;
    }
}

/// Every variable the function reads, in the groups the README documents.
pub const VARIABLES: [&[Var]; 6] = cache::function_variables(OWN);

/// Cognito lists a user's groups in `cognito:groups`; ID tokens name the user in
/// `cognito:username`, access tokens in `username`.
const PRESET: Preset = Preset {
    groups_claim: "cognito:groups",
    scope_claims: &["scope"],
    username_claims: &["cognito:username", "username"],
};

/// Which kinds of Cognito token are accepted (`TOKEN_USE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// ID tokens only.
    Id,
    /// Access tokens only.
    Access,
    /// Either kind (the default).
    Any,
}

/// The Cognito authorizer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The settings every authorizer shares (rules, leeway, maximum age, claim names).
    pub shared: Settings,
    /// `USER_POOL_ID`, `<region>_<id>`.
    pub user_pool_id: String,
    /// The issuers the pool's tokens may carry (from `USER_POOL_ID`).
    pub issuers: [String; 2],
    /// `APP_CLIENT_IDS`: ID tokens' `aud` and access tokens' `client_id` must be one of these.
    pub app_client_ids: Vec<String>,
    /// `TOKEN_USE` (default `any`).
    pub token_use: TokenUse,
    /// `JWKS_URL`, or the pool's own key-set URL; `file://` reads a local key set.
    pub jwks_url: String,
    /// `JWKS_FILE`: a key set shipped with the function, read at cold start instead of a fetch.
    pub jwks_file: Option<PathBuf>,
    /// `JWKS_MIN_REFETCH_SECONDS` (default 10 s) and `JWKS_MAX_AGE_SECONDS` (default 6 h).
    pub cache: CachePolicy,
}

impl Config {
    /// Reads and checks every variable; nothing is fetched yet.
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let shared = Settings::from_env(env, &PRESET)?;
        let user_pool_id = env.required(&USER_POOL_ID)?;
        let region = region_of(&user_pool_id).ok_or_else(|| {
            invalid(
                &USER_POOL_ID,
                "expected <region>_<id>, e.g. us-east-1_AbCdEf123",
            )
        })?;
        let issuers = issuers(region, &user_pool_id);
        let app_client_ids = env.list(&APP_CLIENT_IDS)?.ok_or(InitError::Missing {
            var: APP_CLIENT_IDS.name,
        })?;
        let token_use = env
            .parse(&TOKEN_USE, |value| match value {
                "any" => Ok(TokenUse::Any),
                "id" => Ok(TokenUse::Id),
                "access" => Ok(TokenUse::Access),
                _ => Err("must be id, access or any".to_owned()),
            })?
            .expect("TOKEN_USE has a default");
        let jwks_url = env
            .parse(&JWKS_URL, |url| {
                // Plain http:// anywhere but on this machine would let the network hand us keys.
                (url.starts_with("file://") || is_secure_url(url))
                    .then(|| url.to_owned())
                    .ok_or_else(|| {
                        "must be an https:// URL, http:// on loopback only, or file://".to_owned()
                    })
            })?
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuers[0]));
        let jwks_file = env.get(&JWKS_FILE).map(PathBuf::from);
        let cache = CachePolicy::from_env(env)?;
        Ok(Config {
            shared,
            user_pool_id,
            issuers,
            app_client_ids,
            token_use,
            jwks_url,
            jwks_file,
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
    let suffix = Partition::of_region(region).dns_suffix();
    [
        format!("https://cognito-idp.{region}.{suffix}/{user_pool_id}"),
        format!("https://issuer-cognito-idp.{region}.{suffix}/{user_pool_id}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(vars: &[(&'static str, &'static str)]) -> Result<Config, InitError> {
        let pool = [
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("APP_CLIENT_IDS", "c1,c2"),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .chain(&pool)
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Config::from_env(&Env::new(&lookup))
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
        assert_eq!(
            config.cache,
            CachePolicy {
                min_refetch_interval: Duration::from_secs(10),
                max_age: Duration::from_secs(6 * 3600),
            }
        );
        assert_eq!(
            config.shared.claim_names.groups,
            [authorizer_core::ClaimPath::name("cognito:groups")]
        );
    }

    #[test]
    fn a_plain_http_key_set_is_trusted_on_loopback_only() {
        for url in [
            "http://127.0.0.1:9229/pool/.well-known/jwks.json",
            "http://localhost:3000/jwks.json",
            "http://[::1]:8080/jwks.json",
            "https://keys.internal.example/jwks.json",
            "file:///opt/jwks.json",
        ] {
            assert_eq!(config(&[("JWKS_URL", url)]).unwrap().jwks_url, url);
        }
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

    #[test]
    fn configuration_errors_name_the_variable() {
        for (var, value) in [
            ("USER_POOL_ID", "AbC123"),
            ("USER_POOL_ID", "eu-west-1_"),
            ("USER_POOL_ID", "EU_abc"),
            ("USER_POOL_ID", "not-a-pool"),
            ("APP_CLIENT_IDS", " , "),
            ("TOKEN_USE", "refresh"),
            ("JWKS_URL", "jwks.json"),
            ("JWKS_URL", "ftp://x"),
            ("JWKS_URL", "http://keys.example.com/jwks.json"),
            ("JWKS_URL", "http://10.0.0.7/jwks.json"),
            ("JWKS_URL", "http://127.0.0.1:80@keys.example.com/jwks.json"),
            ("JWKS_MIN_REFETCH_SECONDS", "0"),
            ("JWKS_MIN_REFETCH_SECONDS", "3601"),
            ("JWKS_MAX_AGE_SECONDS", "forever"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{var}={value}: {error}");
        }
        let error = Config::from_env(&Env::new(&|_| None)).unwrap_err();
        assert!(error.to_string().starts_with("USER_POOL_ID"), "{error}");
    }
}
