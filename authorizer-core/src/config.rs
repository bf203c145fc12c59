//! Configuration: every environment variable declared once, read once, at cold start.
//!
//! Each variable a function reads is a [`Var`] constant: its name, what applies when it is unset,
//! and what it means. The code reads variables only through those constants ([`Env`] takes a
//! `&Var`, never a bare name), each function lists its constants in one `VARIABLES` declaration,
//! and the README's configuration tables and the template checks are tested against those lists:
//! a variable cannot be read without being declared, nor declared without being documented.
//!
//! Every setting is checked before the function serves its first request: a typo in
//! `ACCESS_RULES` or a short secret stops the function at init with a message naming the variable,
//! instead of turning into a wrong answer later. An empty variable counts as unset, because that
//! is what a deployment template writes for an optional parameter left blank.

use std::ops::RangeInclusive;

use jsonwebtoken::{Algorithm, Validation};

use crate::answer::{CONTEXT_KEYS, HttpApiResponse};
use crate::binding::CertificateBinding;
#[cfg(feature = "cedar")]
use crate::cedar::{CedarError, CedarRules};
use crate::error::InitError;
use crate::principal::{ClaimNames, ClaimPath};
use crate::rules::{AccessRules, PET_STORE_RULES, Rules};
use crate::secrets::SecretsManager;

/// One environment variable: what the README's configuration tables show of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// The variable's name, e.g. `ACCESS_RULES`.
    pub name: &'static str,
    /// What applies when it is unset or blank.
    pub when_unset: WhenUnset,
    /// What it does, as one line of the README's Markdown (leading and trailing spaces aside).
    pub meaning: &'static str,
}

/// What applies when a variable is unset or blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnset {
    /// Nothing can: init fails, naming the variable.
    Required,
    /// The feature it sets is off (its meaning says what that implies).
    Off,
    /// This value, read exactly as if it had been given: the default is decided here, once.
    Value(&'static str),
    /// A value derived from other settings, described in words.
    Derived(&'static str),
    /// Lambda sets it in every function's environment.
    SetByLambda,
}

/// Declares a group of environment variables: a [`Var`] constant named after each, and a slice
/// constant of the group, in the order given. Each variable's doc comment is its meaning, as the
/// README shows it; `= Kind` or `= Kind(value)` is what applies when it is unset (a [`WhenUnset`]
/// variant):
///
/// ```
/// authorizer_core::variables! {
///     /// What the example reads.
///     EXAMPLE {
///         /// when set, `iss` is required and must equal it
///         JWT_ISSUER = Off;
///         /// at most one key-set fetch per this interval
///         JWKS_MIN_REFETCH_SECONDS = Value("10");
///     }
/// }
/// assert_eq!(EXAMPLE[1].name, "JWKS_MIN_REFETCH_SECONDS");
/// assert_eq!(JWT_ISSUER.meaning.trim(), "when set, `iss` is required and must equal it");
/// ```
#[macro_export]
macro_rules! variables {
    (
        $(#[doc = $group_doc:literal])+
        $group:ident {
            $($(#[doc = $doc:literal])+ $name:ident = $kind:ident $(($value:expr))?;)+
        }
    ) => {
        $(
            $(#[doc = $doc])+
            pub const $name: $crate::config::Var = $crate::config::Var {
                name: stringify!($name),
                when_unset: $crate::config::WhenUnset::$kind $(($value))?,
                meaning: concat!($($doc),+),
            };
        )+
        $(#[doc = $group_doc])+
        pub const $group: &[$crate::config::Var] = &[$($name),+];
    };
}

/// A way to look a variable up by name: the process environment in `main`, a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a [`Lookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The environment as the configuration reads it: through declared variables only.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl<'a> Env<'a> {
    /// Reads variables through `lookup`.
    pub fn new(lookup: Lookup<'a>) -> Self {
        Env { lookup }
    }

    /// The value as set, untrimmed; `None` when unset or blank. For secrets, whose every byte counts.
    pub fn raw(&self, var: &Var) -> Option<String> {
        (self.lookup)(var.name).filter(|value| !value.trim().is_empty())
    }

    /// The value, trimmed, or the declared [`WhenUnset::Value`]; `None` when neither.
    pub fn get(&self, var: &Var) -> Option<String> {
        match (self.raw(var), var.when_unset) {
            (Some(value), _) => Some(value.trim().to_owned()),
            (None, WhenUnset::Value(default)) => Some(default.to_owned()),
            (None, _) => None,
        }
    }

    /// The value; unset or blank is [`InitError::Missing`].
    pub fn required(&self, var: &Var) -> Result<String, InitError> {
        self.get(var).ok_or(InitError::Missing { var: var.name })
    }

    /// The value read by `parse`, whose error becomes [`InitError::Invalid`] naming the variable.
    pub fn parse<T>(
        &self,
        var: &Var,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, InitError> {
        self.get(var)
            .map(|value| parse(&value).map_err(|reason| invalid(var, reason)))
            .transpose()
    }

    /// A comma-separated list, items trimmed, empty items dropped; a list of nothing is invalid.
    pub fn list(&self, var: &Var) -> Result<Option<Vec<String>>, InitError> {
        self.parse(var, |value| {
            let items: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect();
            if items.is_empty() {
                return Err("lists nothing".to_owned());
            }
            Ok(items)
        })
    }

    /// A whole number of seconds within `range`: the one reader of every duration setting.
    pub fn seconds(&self, var: &Var, range: RangeInclusive<u64>) -> Result<Option<u64>, InitError> {
        self.parse(var, |value| {
            value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse().ok())
                .flatten()
                .filter(|seconds| range.contains(seconds))
                .ok_or_else(|| match *range.end() {
                    u64::MAX => format!(
                        "must be a whole number of seconds, at least {}",
                        range.start()
                    ),
                    end => format!(
                        "must be a whole number of seconds from {} to {end}",
                        range.start()
                    ),
                })
        })
    }
}

/// [`InitError::Invalid`] for `var`.
pub fn invalid(var: &Var, reason: impl Into<String>) -> InitError {
    InitError::Invalid {
        var: var.name,
        reason: reason.into(),
    }
}

crate::variables! {
    /// The variables every authorizer reads the same way.
    SHARED {
        /// who may call what, see [Access rules](#access-rules); not with `CEDAR_POLICIES`
        ACCESS_RULES = Value(PET_STORE_RULES);

        /// a Cedar policy set, the text itself or `file:<path>` (`file:/opt/policies.cedar`, from a
        /// layer), in place of `ACCESS_RULES`; see [Cedar policies](#cedar-policies)
        CEDAR_POLICIES = Off;

        /// required with `CEDAR_POLICIES`: its Cedar schema, in JSON (as Amazon Verified Permissions
        /// stores it) or Cedar's human-readable format, the text itself or `file:<path>`
        CEDAR_SCHEMA = Off;

        /// when set, principal and group ids are the prefix, a vertical bar and the value, as Amazon
        /// Verified Permissions names them (a Cognito user pool's id, an OIDC identity source's
        /// `entityIdPrefix`)
        CEDAR_ENTITY_ID_PREFIX = Off;

        /// clock skew tolerated on `exp`, `nbf` and `iat`, 0 to 300
        JWT_LEEWAY_SECONDS = Value("30");

        /// refuse tokens issued (`iat`, then required) longer ago than this, whatever their `exp`;
        /// limits replay of long-lived tokens
        JWT_MAX_AGE_SECONDS = Off;

        /// the claim listing the caller's groups: a JSON array of strings, or one string separated
        /// by spaces or commas
        GROUPS_CLAIM = Derived("`groups` (HS256, OIDC), `cognito:groups` (Cognito)");

        /// how HTTP API events of payload format 2.0 are answered: `simple` (`{"isAuthorized": …}`,
        /// for authorizers with simple responses enabled) or `iam` (an IAM policy, as for REST); see
        /// [HTTP APIs](#http-apis)
        HTTP_API_RESPONSE = Value("simple");

        /// comma-separated claims passed to the backend in the answer's `context` beside `sub`,
        /// `groups`, `scope`, `username` and `email`, each under its own name: strings, numbers and
        /// booleans as they are, arrays and objects as their JSON text (`["a","b"]`)
        CONTEXT_CLAIMS = Off;

        /// an AWS Secrets Manager secret mapping rule keys to the API keys of usage plans, read once
        /// at cold start: REST answers name the caller's key (`usageIdentifierKey`), see [API keys and
        /// usage plans](#api-keys-and-usage-plans)
        USAGE_PLAN_KEYS_SECRET_ARN = Off;

        /// the name of a query-string parameter that may carry the token in REQUEST, HTTP API and
        /// WebSocket events, beside the `Authorization` header (two different tokens: 401); unset,
        /// the query string is never read. See [WebSocket APIs and tokens in the query
        /// string](#websocket-apis-and-tokens-in-the-query-string)
        TOKEN_QUERY_PARAMETER = Off;

        /// `when-bound`: a token whose `cnf` holds `x5t#S256` is accepted only with the client
        /// certificate it names, any other `cnf` is refused; `required`: every token must be so
        /// bound. See [Certificate-bound tokens](#certificate-bound-tokens)
        CERTIFICATE_BOUND_TOKENS = Value("when-bound");
    }
}

/// `ACCESS_RULES`, or the Cedar policies when `CEDAR_POLICIES` is set. Only one of the two may be
/// set: a Cedar policy set beside access rules would leave a reader guessing which one decides.
fn rules(env: &Env) -> Result<Rules, InitError> {
    let Some(policies) = env.raw(&CEDAR_POLICIES) else {
        if env.raw(&CEDAR_SCHEMA).is_some() {
            return Err(invalid(&CEDAR_SCHEMA, "is set without CEDAR_POLICIES"));
        }
        let rules = env
            .parse(&ACCESS_RULES, AccessRules::from_json)?
            .expect("ACCESS_RULES has a default");
        return Ok(Rules::Access(rules));
    };
    if env.raw(&ACCESS_RULES).is_some() {
        return Err(invalid(
            &CEDAR_POLICIES,
            "ACCESS_RULES is set as well: set CEDAR_POLICIES or ACCESS_RULES, not both",
        ));
    }
    cedar_rules(env, &policies)
}

/// The Cedar policies of `CEDAR_POLICIES` (`policies`), `CEDAR_SCHEMA` and `CEDAR_ENTITY_ID_PREFIX`.
#[cfg(feature = "cedar")]
fn cedar_rules(env: &Env, policies: &str) -> Result<Rules, InitError> {
    let policies = contents(&CEDAR_POLICIES, policies)?;
    let schema = contents(&CEDAR_SCHEMA, &env.required(&CEDAR_SCHEMA)?)?;
    let prefix = env.get(&CEDAR_ENTITY_ID_PREFIX);
    let rules = CedarRules::new(&policies, &schema, prefix.as_deref()).map_err(|e| match e {
        CedarError::Policies(reason) => invalid(&CEDAR_POLICIES, reason),
        CedarError::Schema(reason) => invalid(&CEDAR_SCHEMA, reason),
    })?;
    Ok(Rules::Cedar(Box::new(rules)))
}

/// Without the `cedar` feature, Cedar policies cannot be read: init stops rather than let the
/// function answer by rules it was not given.
#[cfg(not(feature = "cedar"))]
fn cedar_rules(_env: &Env, _policies: &str) -> Result<Rules, InitError> {
    Err(invalid(
        &CEDAR_POLICIES,
        "this build has no Cedar: build the function with its `cedar` feature \
         (`CARGO_LAMBDA_CONTEXT=cedar sam build`)",
    ))
}

/// A setting given as its text, or as `file:<path>`, the path of a file holding it.
#[cfg(feature = "cedar")]
fn contents(var: &Var, value: &str) -> Result<String, InitError> {
    match value.trim().strip_prefix("file:") {
        Some(path) => std::fs::read_to_string(path.trim())
            .map_err(|e| invalid(var, format!("cannot read {}: {e}", path.trim()))),
        None => Ok(value.to_owned()),
    }
}

/// More skew than this would let expired tokens live on noticeably.
const MAX_LEEWAY_SECONDS: u64 = 300;

/// What differs between authorizers in reading the shared settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Their `GROUPS_CLAIM` when it is unset.
    pub groups_claim: &'static str,
    /// The claims listing the caller's scopes, in order.
    pub scope_claims: &'static [&'static str],
    /// Where the username is read from, tried in order.
    pub username_claims: &'static [&'static str],
}

/// The settings every authorizer shares: what happens after a token's signature checks out.
/// A function's own settings hold these whole; the [`crate::Authorizer`] owns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `ACCESS_RULES`, or the Cedar policies of `CEDAR_POLICIES`; the pet store's access rules
    /// when neither is set.
    pub rules: Rules,
    /// `JWT_LEEWAY_SECONDS` (default 30): clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway_seconds: u64,
    /// `JWT_MAX_AGE_SECONDS`: refuse tokens issued (`iat`) longer ago than this; unset, no limit.
    pub max_age_seconds: Option<u64>,
    /// `GROUPS_CLAIM` and where the username is read from.
    pub claim_names: ClaimNames,
    /// `HTTP_API_RESPONSE` (default `simple`): how HTTP API 2.0 events are answered.
    pub http_api_response: HttpApiResponse,
    /// `CONTEXT_CLAIMS`: the claims added to the answer's context; none when unset.
    pub context_claims: Vec<String>,
    /// `USAGE_PLAN_KEYS_SECRET_ARN`: where the usage-plan keys are read from at cold start; unset,
    /// answers name no key.
    pub usage_plan_keys: Option<SecretsManager>,
    /// `TOKEN_QUERY_PARAMETER`: the query-string parameter that may carry the token; unset, the
    /// query string is never read.
    pub token_query_parameter: Option<String>,
    /// `CERTIFICATE_BOUND_TOKENS` (default `when-bound`): which tokens must come with the client
    /// certificate they are bound to.
    pub certificate_binding: CertificateBinding,
}

impl Settings {
    /// Reads the shared settings, with the authorizer's own `preset`.
    pub fn from_env(env: &Env, preset: &Preset) -> Result<Self, InitError> {
        let rules = rules(env)?;
        let leeway_seconds = env
            .seconds(&JWT_LEEWAY_SECONDS, 0..=MAX_LEEWAY_SECONDS)?
            .expect("JWT_LEEWAY_SECONDS has a default");
        Ok(Settings {
            rules,
            leeway_seconds,
            max_age_seconds: env.seconds(&JWT_MAX_AGE_SECONDS, 1..=u64::MAX)?,
            http_api_response: env
                .parse(&HTTP_API_RESPONSE, |value| match value {
                    "simple" => Ok(HttpApiResponse::Simple),
                    "iam" => Ok(HttpApiResponse::Iam),
                    _ => Err("must be simple or iam".to_owned()),
                })?
                .expect("HTTP_API_RESPONSE has a default"),
            context_claims: env
                .list(&CONTEXT_CLAIMS)?
                .map(|names| {
                    match names
                        .iter()
                        .find(|name| CONTEXT_KEYS.contains(&name.as_str()))
                    {
                        Some(taken) => Err(invalid(
                            &CONTEXT_CLAIMS,
                            format!("{taken:?} is in the context already"),
                        )),
                        None => Ok(names),
                    }
                })
                .transpose()?
                .unwrap_or_default(),
            token_query_parameter: env.parse(&TOKEN_QUERY_PARAMETER, |name| {
                if name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
                {
                    Ok(name.to_owned())
                } else {
                    Err(
                        "must be a query-string parameter name: letters, digits and `-._~`"
                            .to_owned(),
                    )
                }
            })?,
            certificate_binding: env
                .parse(&CERTIFICATE_BOUND_TOKENS, CertificateBinding::parse)?
                .expect("CERTIFICATE_BOUND_TOKENS has a default"),
            usage_plan_keys: env
                .get(&USAGE_PLAN_KEYS_SECRET_ARN)
                .map(|arn| SecretsManager::from_env(&USAGE_PLAN_KEYS_SECRET_ARN, arn, env))
                .transpose()?,
            claim_names: ClaimNames {
                groups: vec![ClaimPath::name(
                    &env.get(&GROUPS_CLAIM)
                        .unwrap_or_else(|| preset.groups_claim.to_owned()),
                )],
                scopes: preset
                    .scope_claims
                    .iter()
                    .map(|name| ClaimPath::name(name))
                    .collect(),
                username: preset.username_claims,
            },
        })
    }

    /// The `jsonwebtoken` validation every verifier starts from: exactly `algorithm`, `exp`
    /// required, `exp` and `nbf` checked with the leeway, `aud` not checked unless the verifier
    /// sets audiences (jsonwebtoken's default refuses every token that carries `aud` when none is
    /// configured: the "Invalid audience" of the seeds' workshop). Verifiers add their issuer and
    /// audiences; `iat` and the maximum age are the [`crate::Authorizer`]'s.
    pub fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        validation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const PRESET: Preset = Preset {
        groups_claim: "groups",
        scope_claims: &["scope"],
        username_claims: &["username"],
    };

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn read(vars: &[(&str, &str)]) -> Result<Settings, InitError> {
        Settings::from_env(&Env::new(&lookup(vars)), &PRESET)
    }

    #[test]
    fn defaults_to_the_pet_store() {
        let settings = read(&[("ACCESS_RULES", "  "), ("GROUPS_CLAIM", "")]).unwrap();
        assert_eq!(settings.rules, Rules::default());
        assert_eq!(settings.leeway_seconds, 30);
        assert_eq!(settings.max_age_seconds, None);
        assert_eq!(settings.claim_names.groups, [ClaimPath::name("groups")]);
        assert_eq!(settings.http_api_response, HttpApiResponse::Simple);
        assert_eq!(settings.token_query_parameter, None);
        assert_eq!(settings.certificate_binding, CertificateBinding::WhenBound);
    }

    #[test]
    fn reads_what_is_set() {
        let settings = read(&[
            ("JWT_LEEWAY_SECONDS", "0"),
            ("JWT_MAX_AGE_SECONDS", " 3600 "),
            ("GROUPS_CLAIM", "roles"),
            ("ACCESS_RULES", r#"{"*": []}"#),
            ("HTTP_API_RESPONSE", "iam"),
            ("CONTEXT_CLAIMS", "custom:tier, email_verified"),
            ("TOKEN_QUERY_PARAMETER", " access_token "),
            ("CERTIFICATE_BOUND_TOKENS", "required"),
        ])
        .unwrap();
        assert_eq!(
            settings.token_query_parameter.as_deref(),
            Some("access_token")
        );
        assert_eq!(settings.certificate_binding, CertificateBinding::Required);
        assert_eq!(settings.context_claims, ["custom:tier", "email_verified"]);
        assert_eq!(settings.http_api_response, HttpApiResponse::Iam);
        assert_eq!(settings.leeway_seconds, 0);
        assert_eq!(settings.max_age_seconds, Some(3600));
        assert_eq!(settings.claim_names.groups, [ClaimPath::name("roles")]);
        assert_ne!(settings.rules, Rules::default());
    }

    #[test]
    fn names_the_variable_at_fault() {
        for (var, value) in [
            ("ACCESS_RULES", "{not json"),
            ("JWT_LEEWAY_SECONDS", "-1"),
            ("JWT_LEEWAY_SECONDS", "301"),
            ("JWT_LEEWAY_SECONDS", "1m"),
            ("JWT_LEEWAY_SECONDS", "+5"),
            ("JWT_MAX_AGE_SECONDS", "0"),
            ("JWT_MAX_AGE_SECONDS", "1h"),
            ("HTTP_API_RESPONSE", "IAM policy"),
            ("CONTEXT_CLAIMS", "tier, email"),
            ("TOKEN_QUERY_PARAMETER", "token&x=1"),
            ("TOKEN_QUERY_PARAMETER", "to ken"),
            ("CERTIFICATE_BOUND_TOKENS", "always"),
            ("CERTIFICATE_BOUND_TOKENS", "Required"),
        ] {
            let error = read(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{error}");
        }
    }

    #[test]
    fn lists_split_on_commas() {
        const L: Var = Var {
            name: "L",
            when_unset: WhenUnset::Off,
            meaning: "",
        };
        let env = lookup(&[("L", " a, b ,,c ")]);
        assert_eq!(
            Env::new(&env).list(&L).unwrap(),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(Env::new(&lookup(&[])).list(&L).unwrap(), None);
        assert!(Env::new(&lookup(&[("L", " , ")])).list(&L).is_err());
    }

    #[test]
    fn a_declared_default_is_read_like_a_given_value() {
        const D: Var = Var {
            name: "D",
            when_unset: WhenUnset::Value("12"),
            meaning: "",
        };
        let unset = lookup(&[("D", " ")]);
        assert_eq!(Env::new(&unset).seconds(&D, 0..=20).unwrap(), Some(12));
        assert!(Env::new(&unset).seconds(&D, 0..=10).is_err());
        assert_eq!(Env::new(&unset).raw(&D), None);
    }
}
