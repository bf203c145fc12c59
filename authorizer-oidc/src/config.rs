//! The OpenID Connect authorizer's settings: every variable it reads, declared once in
//! [`VARIABLES`], and the trusted issuers `OIDC_ISSUERS` lists.

use std::collections::HashSet;
use std::path::PathBuf;

use authorizer_core::config::{Env, Preset, Settings, Var};
use authorizer_core::{ClaimNames, ClaimPath, InitError};
use authorizer_jwks::cache::{self, CachePolicy};
use authorizer_jwks::discovery::is_secure_url;
use jsonwebtoken::Algorithm;
use serde::Deserialize;

use crate::tenants::Tenants;

authorizer_core::variables! {
    /// The OpenID Connect authorizer's own variables, beside the groups every key-fetching
    /// function reads ([`cache::function_variables`]).
    OWN {
        /// a JSON array of the trusted issuers, one object each (`issuer`, `audiences`, and
        /// optionally `algorithms`, `jwks_uri`, `jwks_file`, `groups_claims`, `scope_claims`, and
        /// `tenants` for a multi-tenant issuer): see [authorizer-oidc](#authorizer-oidc)
        OIDC_ISSUERS = Required;
    }
}

/// Every variable the function reads, in the groups the README documents.
pub const VARIABLES: [&[Var]; 6] = cache::function_variables(OWN);

/// OpenID Connect's own claims: `groups` unless an issuer says otherwise, scopes in `scope`
/// (space-separated) or `scp` (Okta's array, Entra ID's string), the user's name in
/// `preferred_username`.
const PRESET: Preset = Preset {
    groups_claim: "groups",
    scope_claims: &["scope", "scp"],
    username_claims: &["preferred_username", "username"],
};

/// The algorithms an issuer may sign with: public-key signatures only. `none` and the HMAC
/// algorithms are refused, since a key set's public key would then be a shared secret.
const SIGNATURE_ALGORITHMS: [(&str, Algorithm); 9] = [
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

/// One trusted issuer, as `OIDC_ISSUERS` lists it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// `issuer`: the exact `iss` of its tokens, an `https://` URL (`http://` on loopback only);
    /// or, holding `{tenantid}`, the template of the issuers of [`Issuer::tenants`].
    pub issuer: String,
    /// `audiences`: a token's `aud` must name one of them.
    pub audiences: Vec<String>,
    /// `algorithms` (default `["RS256"]`): what its tokens may be signed with.
    pub algorithms: Vec<Algorithm>,
    /// `jwks_uri`: where its key set is; unset, its discovery document says.
    pub jwks_uri: Option<String>,
    /// `jwks_file`: a key set shipped with the function, read at cold start instead of a fetch.
    pub jwks_file: Option<PathBuf>,
    /// Where its tokens' groups (`groups_claims`) and scopes (`scope_claims`) are.
    pub claim_names: ClaimNames,
    /// `tenants`: for an `issuer` holding `{tenantid}` (a multi-tenant Entra ID application), the
    /// tenants whose tokens it accepts; `None` for any other issuer.
    pub tenants: Option<Tenants>,
}

impl Issuer {
    /// Every `iss` its tokens may carry: its `issuer`, or its template's for each of its tenants
    /// (never the template itself).
    pub fn accepted(&self) -> Vec<String> {
        match &self.tenants {
            None => vec![self.issuer.clone()],
            Some(tenants) => tenants
                .tenants()
                .iter()
                .map(|tenant| tenants.issuer_of(tenant))
                .collect(),
        }
    }

    /// The issuer whose discovery document it reads (unless `jwks_uri` is set): its own, or
    /// Entra ID's `common` for a template, whose document publishes the template.
    pub fn discovery_issuer(&self) -> String {
        self.tenants
            .as_ref()
            .map_or_else(|| self.issuer.clone(), Tenants::discovery_issuer)
    }
}

/// The OpenID Connect authorizer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The settings every authorizer shares (rules, leeway, maximum age, claim names).
    pub shared: Settings,
    /// `OIDC_ISSUERS`: at least one, each `issuer` once, and no `iss` accepted by two.
    pub issuers: Vec<Issuer>,
    /// `JWKS_MIN_REFETCH_SECONDS` and `JWKS_MAX_AGE_SECONDS`, for each issuer's keys.
    pub cache: CachePolicy,
}

impl Config {
    /// Reads and checks every variable; nothing is fetched yet.
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let shared = Settings::from_env(env, &PRESET)?;
        let issuers = env
            .parse(&OIDC_ISSUERS, |json| issuers(json, &shared.claim_names))?
            .ok_or(InitError::Missing {
                var: OIDC_ISSUERS.name,
            })?;
        let cache = CachePolicy::from_env(env)?;
        Ok(Config {
            shared,
            issuers,
            cache,
        })
    }
}

/// An issuer as written in `OIDC_ISSUERS`; anything it does not know is a mistake.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Option<Vec<String>>,
    jwks_uri: Option<String>,
    jwks_file: Option<PathBuf>,
    groups_claims: Option<Vec<ClaimPath>>,
    scope_claims: Option<Vec<ClaimPath>>,
    tenants: Option<Vec<String>>,
}

/// Reads `OIDC_ISSUERS`; `names` are the shared claim names each issuer starts from.
fn issuers(json: &str, names: &ClaimNames) -> Result<Vec<Issuer>, String> {
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("must be a JSON array of issuers: {e}"))?;
    if raw.is_empty() {
        return Err("lists no issuer".to_owned());
    }
    let mut seen = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(at, value)| {
            // Name the issuer at fault by its `issuer` when it has one, else by its position.
            let name = match value.get("issuer").and_then(|issuer| issuer.as_str()) {
                Some(issuer) => format!("issuer {issuer:?}"),
                None => format!("issuer #{}", at + 1),
            };
            let raw: RawIssuer =
                serde_json::from_value(value).map_err(|e| format!("{name}: {e}"))?;
            let issuer = issuer(raw, names).map_err(|reason| format!("{name}: {reason}"))?;
            // A template is listed once too, and no `iss` may choose between two issuers.
            let template = issuer.tenants.is_some().then(|| issuer.issuer.clone());
            let mut accepted = issuer.accepted().into_iter().chain(template);
            match accepted.find(|iss| !seen.insert(iss.clone())) {
                Some(twice) if twice == issuer.issuer => {
                    return Err(format!("{name} is listed twice"));
                }
                Some(twice) => {
                    return Err(format!(
                        "{name}: its tenant's issuer {twice:?} is listed twice"
                    ));
                }
                None => {}
            }
            Ok(issuer)
        })
        .collect()
}

fn issuer(raw: RawIssuer, names: &ClaimNames) -> Result<Issuer, String> {
    if !is_secure_url(&raw.issuer) {
        return Err("`issuer` must be an https:// URL (http:// only on loopback)".to_owned());
    }
    let tenants = Tenants::new(&raw.issuer, raw.tenants).map_err(|e| e.to_string())?;
    if raw.audiences.is_empty() || raw.audiences.iter().any(|aud| aud.trim().is_empty()) {
        return Err("`audiences` must list at least one audience, none empty".to_owned());
    }
    let algorithms = match raw.algorithms {
        None => vec![Algorithm::RS256],
        Some(names) if names.is_empty() => {
            return Err("`algorithms` lists none".to_owned());
        }
        Some(names) => names
            .iter()
            .map(|name| {
                SIGNATURE_ALGORITHMS
                    .iter()
                    .find(|(known, _)| known == name)
                    .map(|(_, algorithm)| *algorithm)
                    .ok_or_else(|| {
                        format!(
                            "`algorithms`: {name:?} is not one of RS256, RS384, RS512, PS256, \
                             PS384, PS512, ES256, ES384, EdDSA (none and HMAC are refused)"
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    if let Some(uri) = raw.jwks_uri.as_deref().filter(|uri| !is_secure_url(uri)) {
        return Err(format!(
            "`jwks_uri` {uri:?} must be an https:// URL (http:// only on loopback)"
        ));
    }
    if raw
        .jwks_file
        .as_ref()
        .is_some_and(|path| path.as_os_str().is_empty())
    {
        return Err("`jwks_file` is empty".to_owned());
    }
    let claims = |paths: Option<Vec<ClaimPath>>, field: &str, default: &[ClaimPath]| match paths {
        Some(paths) if paths.is_empty() => Err(format!("`{field}` lists no claim")),
        Some(paths) => Ok(paths),
        None => Ok(default.to_vec()),
    };
    let claim_names = ClaimNames {
        groups: claims(raw.groups_claims, "groups_claims", &names.groups)?,
        scopes: claims(raw.scope_claims, "scope_claims", &names.scopes)?,
        username: names.username,
    };
    Ok(Issuer {
        issuer: raw.issuer,
        audiences: raw.audiences,
        algorithms,
        jwks_uri: raw.jwks_uri,
        jwks_file: raw.jwks_file,
        claim_names,
        tenants,
    })
}

/// [`InitError::Unavailable`] for `OIDC_ISSUERS`, naming the issuer: what cold start says when an
/// issuer's keys cannot be had.
pub fn unavailable(issuer: &str, reason: impl std::fmt::Display) -> InitError {
    InitError::Unavailable {
        var: OIDC_ISSUERS.name,
        reason: format!("issuer {issuer:?}: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use testkit::entra::{CONTOSO, FABRIKAM, TEMPLATE, issuer as entra};

    fn config(issuers: Value, extra: &[(&str, &str)]) -> Result<Config, InitError> {
        let json = issuers.to_string();
        let lookup = testkit::env::lookup(&[&[("OIDC_ISSUERS", json.as_str())], extra].concat());
        Config::from_env(&Env::new(&lookup))
    }

    fn auth0() -> Value {
        json!({"issuer": "https://tenant.eu.auth0.com/", "audiences": ["https://petstore.example/api"]})
    }

    #[test]
    fn defaults_to_rs256_discovery_and_the_usual_claims() {
        let config = config(json!([auth0()]), &[]).unwrap();
        let [issuer] = &config.issuers[..] else {
            panic!()
        };
        assert_eq!(issuer.algorithms, [Algorithm::RS256]);
        assert_eq!(issuer.jwks_uri, None);
        assert_eq!(issuer.claim_names.groups, [ClaimPath::name("groups")]);
        assert_eq!(
            issuer.claim_names.scopes,
            [ClaimPath::name("scope"), ClaimPath::name("scp")]
        );
        assert_eq!(
            config.cache,
            CachePolicy::from_env(&Env::new(&|_| None)).unwrap()
        );
    }

    #[test]
    fn reads_every_field_of_several_issuers() {
        let keycloak = json!({
            "issuer": "http://127.0.0.1:8080/realms/pets", "audiences": ["petstore", "account"],
            "algorithms": ["ES256", "EdDSA", "PS256"], "jwks_uri": "http://127.0.0.1:8080/certs",
            "jwks_file": "/opt/keycloak.json", "groups_claims": [["realm_access", "roles"]],
            "scope_claims": ["scope"],
        });
        let config = config(json!([auth0(), keycloak]), &[("GROUPS_CLAIM", "roles")]).unwrap();
        let [auth0, keycloak] = &config.issuers[..] else {
            panic!()
        };
        assert_eq!(auth0.claim_names.groups, [ClaimPath::name("roles")]);
        assert_eq!(
            keycloak.algorithms,
            [Algorithm::ES256, Algorithm::EdDSA, Algorithm::PS256]
        );
        assert_eq!(keycloak.audiences, ["petstore", "account"]);
        assert_eq!(
            keycloak.jwks_file,
            Some(PathBuf::from("/opt/keycloak.json"))
        );
        assert_eq!(
            keycloak.claim_names.groups,
            [serde_json::from_value::<ClaimPath>(json!(["realm_access", "roles"])).unwrap()]
        );
        assert_eq!(keycloak.claim_names.scopes, [ClaimPath::name("scope")]);
    }

    /// A multi-tenant Entra ID application's entry, listing `tenants`.
    fn multi_tenant(tenants: Value) -> Value {
        json!({"issuer": TEMPLATE, "audiences": ["<application-id>"], "tenants": tenants})
    }

    #[test]
    fn a_template_issuer_accepts_the_issuer_of_each_tenant_and_discovers_at_common() {
        let single = entra(TEMPLATE, CONTOSO);
        let plain = json!({"issuer": single, "audiences": ["x"]});
        let config = config(json!([multi_tenant(json!([FABRIKAM])), plain]), &[]).unwrap();
        let [template, plain] = &config.issuers[..] else {
            panic!()
        };
        assert_eq!(template.issuer, TEMPLATE);
        assert_eq!(template.accepted(), [entra(TEMPLATE, FABRIKAM)]);
        assert_eq!(template.discovery_issuer(), entra(TEMPLATE, "common"));
        assert_eq!(
            (plain.accepted(), plain.discovery_issuer()),
            (vec![single.clone()], single)
        );
        assert_eq!(plain.tenants, None);
    }

    #[test]
    fn tenants_wrong_or_misplaced_name_the_variable() {
        let single = entra(TEMPLATE, CONTOSO);
        for issuers in [
            json!([{"issuer": TEMPLATE, "audiences": ["x"]}]),
            json!([multi_tenant(json!([]))]),
            json!([multi_tenant(json!(CONTOSO))]),
            json!([multi_tenant(json!(["common"]))]),
            json!([multi_tenant(json!([CONTOSO.to_uppercase()]))]),
            json!([multi_tenant(json!([format!("{{{CONTOSO}}}")]))]),
            json!([multi_tenant(json!([CONTOSO, 7]))]),
            json!([multi_tenant(json!([CONTOSO, CONTOSO]))]),
            json!([{"issuer": single, "audiences": ["x"], "tenants": [CONTOSO]}]),
            json!([{"issuer": single, "audiences": ["x"], "tenants": []}]),
            json!([{"issuer": "http://login.microsoftonline.com/{tenantid}/v2.0",
                    "audiences": ["x"], "tenants": [CONTOSO]}]),
            json!([{"issuer": "https://{tenantid}.example.com/", "audiences": ["x"],
                    "tenants": [CONTOSO]}]),
            // The same iss twice: a template twice, or a plain issuer that is a listed tenant's.
            json!([
                multi_tenant(json!([CONTOSO])),
                multi_tenant(json!([CONTOSO]))
            ]),
            json!([
                multi_tenant(json!([FABRIKAM])),
                multi_tenant(json!([CONTOSO]))
            ]),
            json!([multi_tenant(json!([CONTOSO])), {"issuer": single, "audiences": ["x"]}]),
        ] {
            let error = config(issuers.clone(), &[]).unwrap_err().to_string();
            assert!(
                error.starts_with("OIDC_ISSUERS is invalid"),
                "{issuers}: {error}"
            );
            assert!(
                error.contains("login.microsoftonline.com") || error.contains("example.com"),
                "{issuers}: {error}"
            );
        }
    }

    #[test]
    fn anything_wrong_names_the_variable_and_the_issuer() {
        let with = |patch: Value| {
            let mut issuer = auth0();
            for (key, value) in patch.as_object().unwrap() {
                match value {
                    Value::Null => issuer.as_object_mut().unwrap().remove(key),
                    value => issuer
                        .as_object_mut()
                        .unwrap()
                        .insert(key.clone(), value.clone()),
                };
            }
            json!([issuer])
        };
        for (issuers, names) in [
            (json!({}), "a JSON array"),
            (json!([]), "no issuer"),
            (json!([auth0(), auth0()]), "twice"),
            (
                with(json!({"issuer": "http://tenant.eu.auth0.com/"})),
                "tenant.eu.auth0.com",
            ),
            (with(json!({"issuer": null})), "issuer #1"),
            (with(json!({"audiences": []})), "auth0"),
            (with(json!({"audiences": [""]})), "auth0"),
            (with(json!({"audiences": null})), "auth0"),
            (with(json!({"algorithms": ["none"]})), "auth0"),
            (with(json!({"algorithms": ["HS256"]})), "auth0"),
            (with(json!({"algorithms": ["rs256"]})), "auth0"),
            (with(json!({"algorithms": []})), "auth0"),
            (
                with(json!({"jwks_uri": "http://tenant.eu.auth0.com/jwks"})),
                "auth0",
            ),
            (with(json!({"jwks_file": ""})), "auth0"),
            (with(json!({"groups_claims": []})), "auth0"),
            (
                with(json!({"groups_claims": [["realm_access", ""]]})),
                "auth0",
            ),
            (with(json!({"scope_claims": "scp"})), "auth0"),
            (with(json!({"audience": "typo"})), "auth0"),
        ] {
            let error = config(issuers.clone(), &[]).unwrap_err().to_string();
            assert!(error.starts_with("OIDC_ISSUERS"), "{issuers}: {error}");
            assert!(error.contains(names), "{issuers}: {error}");
        }
        let error = Config::from_env(&Env::new(&|_| None)).unwrap_err();
        assert_eq!(error.to_string(), "OIDC_ISSUERS is required but not set");
    }
}
