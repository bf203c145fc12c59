//! The OpenID Connect authorizer: the tokens of any OpenID Connect issuer — Auth0, Okta, Entra ID,
//! Keycloak, Google, Cognito… —, several at once, each verified against its own key set.
//!
//! [`config`] declares and reads the settings once at cold start, the trusted issuers among
//! them, and [`tenants`] checks the tenants of a multi-tenant (Entra ID) issuer; `authorizer_jwks`
//! finds each issuer's key set (through its discovery document, or where it is configured),
//! fetches it within strict limits, or reads it from a file shipped with the function, and keeps
//! it across invocations; [`Oidc`] is the [`Verifier`] the shared
//! [`Authorizer`] calls. The checks every issuer shares, access rules, answers and errors are
//! `authorizer_core`'s.

#![warn(missing_docs)]

pub mod config;
pub mod tenants;

use std::collections::HashMap;

use authorizer_core::config::Env;
use authorizer_core::jwt::Token;
use authorizer_core::{
    AuthError, Authorizer, ClaimNames, InitError, Rejection, VerifiedClaims, Verifier,
};
use authorizer_jwks::cache::KeyCache;
use authorizer_jwks::discovery::document_url;
use authorizer_jwks::keyset::{FetchLimits, HttpClient, KeySetSource};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;

pub use crate::config::{Config, Issuer};
use crate::tenants::Tenants;

/// Verifies the tokens of the configured issuers: the issuer is chosen by the token's `iss` (and,
/// for a multi-tenant issuer, its `tid`), and everything else — keys, algorithms, audiences,
/// claim names — is that issuer's alone.
#[derive(Debug)]
pub struct Oidc {
    /// By `issuer` as configured: a template for a multi-tenant issuer.
    issuers: HashMap<String, IssuerVerifier>,
}

/// One issuer's keys and checks.
#[derive(Debug)]
struct IssuerVerifier {
    keys: KeyCache,
    /// One validation per accepted algorithm: `jsonwebtoken` requires every algorithm of a
    /// validation to be of the key's family.
    validations: Vec<(Algorithm, Validation)>,
    claim_names: ClaimNames,
    jwks_file: Option<std::path::PathBuf>,
    /// A multi-tenant issuer's tenants: its tokens are chosen by the template, not by `iss`.
    tenants: Option<Tenants>,
}

impl Oidc {
    /// Builds the verifier and the HTTP client every issuer shares (built on its first fetch,
    /// trusting the system's root certificates unless every key set is on loopback `http://`);
    /// the keys are had by [`Oidc::prefetch`].
    pub fn new(config: &Config) -> Self {
        let limits = FetchLimits::default();
        // Discovery may name an https:// key set whatever the issuer's scheme.
        let https = config.issuers.iter().any(|issuer| {
            issuer
                .jwks_uri
                .as_ref()
                .is_none_or(|uri| uri.starts_with("https://"))
        });
        let client = HttpClient::new(&limits, https);
        let issuers = config
            .issuers
            .iter()
            .map(|issuer| {
                let verifier = IssuerVerifier::new(issuer, config, client.clone(), &limits);
                (issuer.issuer.clone(), verifier)
            })
            .collect();
        Oidc { issuers }
    }

    /// Fills each issuer's key cache at cold start, every issuer at once: from its `jwks_file`
    /// when it has one (no network), else by reading its discovery document (unless `jwks_uri`
    /// is set) and fetching its key set. A file that cannot be read, or a discovery document that
    /// cannot be had or names another issuer, stops the function, naming the issuer; a key set
    /// that cannot be fetched is logged and fetched again on demand, as for Cognito.
    pub async fn prefetch(&self) -> Result<(), InitError> {
        futures_util::future::try_join_all(self.issuers.iter().map(|(name, issuer)| async move {
            let keys = &issuer.keys;
            if let Some(path) = &issuer.jwks_file {
                return keys
                    .preload(path)
                    .map_err(|e| config::unavailable(name, format!("jwks_file: {e}")));
            }
            keys.source()
                .discover()
                .await
                .map_err(|e| config::unavailable(name, e))?;
            keys.prefetch().await;
            Ok(())
        }))
        .await
        .map(|_| ())
    }

    /// The key cache of `issuer` (as configured: a template for a multi-tenant issuer), for tests
    /// and benchmarks that count fetches.
    pub fn key_cache(&self, issuer: &str) -> Option<&KeyCache> {
        self.issuers.get(issuer).map(|issuer| &issuer.keys)
    }

    /// The issuer of a token whose (unverified) `iss` and `tid` are these: the issuer configured
    /// as `iss`, or the multi-tenant issuer whose template `iss` fits, if it accepts `tid` there.
    /// The template itself is never an issuer. An `iss` that fits no template is a
    /// [`Rejection::WrongIssuer`]; one that fits a template is refused as [`Tenants::check`] says.
    fn issuer_of(&self, iss: &str, tid: Option<&Value>) -> Result<&IssuerVerifier, Rejection> {
        if let Some(issuer) = self.issuers.get(iss).filter(|i| i.tenants.is_none()) {
            return Ok(issuer);
        }
        let mut refusal = Rejection::WrongIssuer;
        for issuer in self.issuers.values() {
            let Some(tenants) = issuer.tenants.as_ref().filter(|t| t.fits(iss)) else {
                continue;
            };
            match tenants.check(iss, tid) {
                Ok(()) => return Ok(issuer),
                Err(rejection) => refusal = rejection,
            }
        }
        Err(refusal)
    }
}

impl IssuerVerifier {
    fn new(issuer: &Issuer, config: &Config, client: HttpClient, limits: &FetchLimits) -> Self {
        let source = match &issuer.jwks_uri {
            Some(uri) => {
                KeySetSource::http(uri.clone(), client, limits.clone(), &issuer.algorithms)
            }
            None => KeySetSource::discovery(
                issuer.issuer.clone(),
                document_url(&issuer.discovery_issuer()),
                client,
                limits.clone(),
                &issuer.algorithms,
            ),
        };
        let validations = issuer
            .algorithms
            .iter()
            .map(|algorithm| {
                let mut validation = config.shared.validation(*algorithm);
                validation.set_issuer(&issuer.accepted());
                validation.set_audience(&issuer.audiences);
                validation.validate_aud = true;
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                (*algorithm, validation)
            })
            .collect();
        IssuerVerifier {
            keys: KeyCache::new(source, config.cache),
            validations,
            claim_names: issuer.claim_names.clone(),
            jwks_file: issuer.jwks_file.clone(),
            tenants: issuer.tenants.clone(),
        }
    }
}

/// The claims read before the signature is checked, and only to choose the issuer: `tid` is
/// read as any JSON, since only a multi-tenant issuer asks it to be a string.
#[derive(Deserialize)]
struct Unverified {
    iss: Option<String>,
    tid: Option<Value>,
}

impl Verifier for Oidc {
    async fn verify(&self, token: &Token<'_>) -> Result<VerifiedClaims, AuthError> {
        // The header and the payload's `iss` are read before the signature is checked only to
        // choose the issuer and its key; an issuer that is not configured, or a tenant that is
        // not listed, costs no fetch.
        let header = token.header();
        let unverified = token.unverified_claims::<Unverified>()?;
        let iss = unverified.iss.ok_or(Rejection::MissingClaim("iss"))?;
        let issuer = self.issuer_of(&iss, unverified.tid.as_ref())?;
        let (_, validation) = issuer
            .validations
            .iter()
            .find(|(algorithm, _)| *algorithm == header.alg)
            .ok_or(Rejection::WrongAlgorithm)?;
        let kid = header.kid.as_deref().ok_or(Rejection::MissingKeyId)?;
        let key = issuer.keys.key(kid, header.alg).await?;
        Ok(key.decode(token, validation)?)
    }

    fn claim_names<'a>(&'a self, claims: &VerifiedClaims, names: &'a ClaimNames) -> &'a ClaimNames {
        claims
            .get("iss")
            .and_then(Value::as_str)
            .and_then(|iss| self.issuer_of(iss, claims.get("tid")).ok())
            .map_or(names, |issuer| &issuer.claim_names)
    }
}

/// Everything cold start does: read the configuration, build the verifier and have each issuer's
/// keys.
pub async fn authorizer_from_env(env: &Env<'_>) -> Result<Authorizer<Oidc>, InitError> {
    let config = Config::from_env(env)?;
    let verifier = Oidc::new(&config);
    verifier.prefetch().await?;
    Authorizer::new(verifier, config.shared).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;
    use serde_json::{Value, json};
    use testkit::entra::{CONTOSO, FABRIKAM, STRANGER, TEMPLATE};
    use testkit::keys::Key;
    use testkit::tokens::{now, patched, signed};

    const A: &str = "https://a.example.com/";
    const B: &str = "https://b.example.com/realms/pets";

    /// The public JWK of `key` under `kid`.
    fn jwk(key: Key, kid: &str) -> Value {
        let mut jwk: Value = serde_json::from_str(key.jwk()).unwrap();
        jwk["kid"] = json!(kid);
        jwk
    }

    /// A key set file publishing `keys`, of its own: tests running at once never read a file
    /// another is writing.
    fn key_file(keys: &[Value]) -> String {
        static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("oidc-{}-{n}.json", std::process::id()));
        std::fs::write(&path, json!({"keys": keys}).to_string()).unwrap();
        path.display().to_string()
    }

    /// The authorizer of issuer A alone, accepting `algorithms`, its key set `keys` shipped.
    fn issuer_a(algorithms: &[&str], keys: &[Value]) -> Authorizer<Oidc> {
        let issuers = json!([{"issuer": A, "audiences": ["api-a"], "algorithms": algorithms,
            "jwks_uri": "http://127.0.0.1:9/a", "jwks_file": key_file(keys)}]);
        let lookup = testkit::env::lookup(&[("OIDC_ISSUERS", &issuers.to_string())]);
        authorizer_from_env(&Env::new(&lookup))
            .now_or_never()
            .expect("shipped key sets need no wait")
            .unwrap()
    }

    /// The authorizer of `OIDC_ISSUERS` = `issuers`, whose key sets are all shipped files.
    fn from_issuers(issuers: &str) -> Authorizer<Oidc> {
        let lookup = testkit::env::lookup(&[("OIDC_ISSUERS", issuers)]);
        authorizer_from_env(&Env::new(&lookup))
            .now_or_never()
            .expect("shipped key sets need no wait")
            .unwrap()
    }

    /// Issuer A signs RS256 (and may ES256), issuer B ES256; both use the kid `shared`. Their key
    /// sets are shipped files; their URLs refuse connections, so any fetch would fail.
    fn oidc() -> Authorizer<Oidc> {
        let issuers = json!([
            {"issuer": A, "audiences": ["api-a"], "algorithms": ["RS256", "ES256"],
             "jwks_uri": "http://127.0.0.1:9/a", "jwks_file": key_file(&[jwk(Key::Ours, "shared")]),
             "groups_claims": ["https://a.example.com/roles"], "scope_claims": ["permissions"]},
            {"issuer": B, "audiences": ["api-b"], "algorithms": ["ES256"],
             "jwks_uri": "http://127.0.0.1:9/b", "jwks_file": key_file(&[jwk(Key::Ec, "shared")]),
             "groups_claims": [["realm_access", "roles"]]},
        ])
        .to_string();
        from_issuers(&issuers)
    }

    fn claims(iss: &str, aud: &str) -> Value {
        json!({"sub": "bob", "iss": iss, "aud": [aud, "other"], "exp": now() + 600,
               "https://a.example.com/roles": ["admin"], "permissions": ["pets:read"],
               "realm_access": {"roles": ["vet"]}})
    }

    fn verify(oidc: &Authorizer<Oidc>, token: &str) -> Result<VerifiedClaims, AuthError> {
        let token = Token::parse(token)?;
        oidc.verifier.verify(&token).now_or_never().unwrap()
    }

    fn refused(oidc: &Authorizer<Oidc>, token: &str) -> Rejection {
        match verify(oidc, token) {
            Err(AuthError::Rejected(rejection)) => rejection,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn each_issuer_verifies_its_own_tokens_with_its_own_keys() {
        let oidc = oidc();
        let a = verify(&oidc, &signed(Key::Ours, "shared", &claims(A, "api-a"))).unwrap();
        let b = verify(&oidc, &signed(Key::Ec, "shared", &claims(B, "api-b"))).unwrap();
        let names = &oidc.settings.claim_names;
        let principal = |claims: VerifiedClaims| {
            let names = oidc.verifier.claim_names(&claims, names).clone();
            authorizer_core::Principal::from_claims(claims, &names).unwrap()
        };
        let (a, b) = (principal(a), principal(b));
        assert_eq!(
            (a.groups, a.scopes),
            (vec!["admin".to_owned()], vec!["pets:read".to_owned()])
        );
        assert_eq!(b.groups, ["vet"]);
        for issuer in [A, B] {
            assert_eq!(oidc.verifier.key_cache(issuer).unwrap().fetch_count(), 0);
        }
    }

    #[test]
    fn an_issuers_key_never_verifies_the_other_issuers_tokens() {
        let oidc = oidc();
        // B's key, under the kid both use, with A's issuer: A's `shared` is its RSA key.
        assert_eq!(
            refused(&oidc, &signed(Key::Ec, "shared", &claims(A, "api-a"))),
            Rejection::WrongAlgorithm
        );
        // A's key with B's issuer: B accepts ES256 only.
        assert_eq!(
            refused(&oidc, &signed(Key::Ours, "shared", &claims(B, "api-b"))),
            Rejection::WrongAlgorithm
        );
        // One issuer's token for the other's audience.
        assert_eq!(
            refused(&oidc, &signed(Key::Ours, "shared", &claims(A, "api-b"))),
            Rejection::WrongAudience
        );
    }

    #[test]
    fn an_unknown_issuer_is_refused_without_a_fetch() {
        let oidc = oidc();
        let mut claims = claims("https://mallory.example/", "api-a");
        assert_eq!(
            refused(&oidc, &signed(Key::Ours, "shared", &claims)),
            Rejection::WrongIssuer
        );
        claims.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            refused(&oidc, &signed(Key::Ours, "shared", &claims)),
            Rejection::MissingClaim("iss")
        );
        assert_eq!(
            refused(&oidc, "e30.bm90IGpzb24.x"),
            Rejection::MalformedToken
        );
        for issuer in [A, B] {
            assert_eq!(oidc.verifier.key_cache(issuer).unwrap().fetch_count(), 0);
        }
    }

    #[test]
    fn exp_sub_and_aud_are_required() {
        let oidc = oidc();
        for (claim, rejection) in [
            ("exp", Rejection::MissingClaim("exp")),
            ("sub", Rejection::MissingClaim("sub")),
            ("aud", Rejection::MissingClaim("aud")),
        ] {
            let mut claims = claims(A, "api-a");
            claims.as_object_mut().unwrap().remove(claim);
            assert_eq!(
                refused(&oidc, &signed(Key::Ours, "shared", &claims)),
                rejection
            );
        }
    }

    #[test]
    fn keys_of_different_types_under_one_kid_each_verify_their_own_algorithm() {
        let oidc = issuer_a(
            &["RS256", "ES256"],
            &[jwk(Key::Ours, "both"), jwk(Key::Ec, "both")],
        );
        for key in [Key::Ours, Key::Ec] {
            let token = signed(key, "both", &claims(A, "api-a"));
            assert!(verify(&oidc, &token).is_ok(), "{key:?}");
        }
    }

    #[test]
    fn a_small_order_ed25519_key_cannot_be_used_to_forge() {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // The identity point: with it as the public key, R = identity and S = 0 verify any message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = json!({"kty": "OKP", "crv": "Ed25519", "kid": "weak", "x": b64(&identity)});
        let oidc = issuer_a(&["EdDSA"], &[jwk(Key::Ed, "ed"), weak]);
        assert!(verify(&oidc, &signed(Key::Ed, "ed", &claims(A, "api-a"))).is_ok());

        let header = json!({"alg": "EdDSA", "kid": "weak"}).to_string();
        let payload = claims(A, "api-a").to_string();
        let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let forged = format!("{message}.{}", b64(&[identity, [0; 32]].concat()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let token = Token::parse(&forged).unwrap();
        // The key was never kept: its kid is unknown, and the refetch finds no endpoint.
        let refused = runtime.block_on(oidc.verifier.verify(&token));
        assert!(matches!(refused, Err(AuthError::Fault(_))), "{refused:?}");
    }

    /// The issuer of an Entra ID `tenant`.
    fn entra(tenant: &str) -> String {
        testkit::entra::issuer(TEMPLATE, tenant)
    }

    /// Issuer A beside a multi-tenant Entra ID application of the tenants Contoso and Fabrikam,
    /// its roles in `roles`, its RS256 key set (kid `entra`) shipped; any fetch would fail.
    fn multi_tenant() -> Authorizer<Oidc> {
        let issuers = json!([
            {"issuer": A, "audiences": ["api-a"], "jwks_uri": "http://127.0.0.1:9/a",
             "jwks_file": key_file(&[jwk(Key::Ours, "shared")])},
            {"issuer": TEMPLATE, "audiences": ["api-entra"], "tenants": [CONTOSO, FABRIKAM],
             "jwks_uri": "http://127.0.0.1:9/entra", "jwks_file": key_file(&[jwk(Key::Ours, "entra")]),
             "groups_claims": ["roles"]},
        ])
        .to_string();
        from_issuers(&issuers)
    }

    /// An Entra ID token's claims: `iss` and `tid` as given (a `null` `tid` is none).
    fn entra_claims(iss: &str, tid: Value) -> Value {
        patched(
            &claims(iss, "api-entra"),
            json!({"roles": ["vet"], "tid": tid}),
        )
    }

    #[test]
    fn a_multi_tenant_issuer_accepts_its_tenants_beside_a_plain_issuer() {
        let oidc = multi_tenant();
        let names = &oidc.settings.claim_names;
        for tenant in [CONTOSO, FABRIKAM] {
            let token = signed(
                Key::Ours,
                "entra",
                &entra_claims(&entra(tenant), json!(tenant)),
            );
            let claims = verify(&oidc, &token).unwrap();
            let names = oidc.verifier.claim_names(&claims, names).clone();
            let principal = authorizer_core::Principal::from_claims(claims, &names).unwrap();
            assert_eq!(principal.groups, ["vet"], "{tenant}");
        }
        let a = signed(Key::Ours, "shared", &claims(A, "api-a"));
        assert!(verify(&oidc, &a).is_ok());
        // A listed tenant's token for issuer A's audience.
        let contoso = entra_claims(&entra(CONTOSO), json!(CONTOSO));
        let for_a = patched(&contoso, json!({"aud": "api-a"}));
        assert_eq!(
            refused(&oidc, &signed(Key::Ours, "entra", &for_a)),
            Rejection::WrongAudience
        );
    }

    #[test]
    fn a_token_of_another_tenant_is_refused_without_a_fetch() {
        let oidc = multi_tenant();
        let upper = CONTOSO.to_uppercase();
        let longer = format!("{CONTOSO}0");
        let mut tokens = vec![
            // An unlisted tenant; tids that disagree with iss; the template itself.
            (entra(STRANGER), json!(STRANGER), Rejection::WrongTenant),
            (entra(STRANGER), json!(CONTOSO), Rejection::WrongTenant),
            (entra(CONTOSO), json!(FABRIKAM), Rejection::WrongTenant),
            (entra(CONTOSO), json!(STRANGER), Rejection::WrongTenant),
            (TEMPLATE.to_owned(), json!(CONTOSO), Rejection::WrongTenant),
            (
                TEMPLATE.to_owned(),
                json!(tenants::PLACEHOLDER),
                Rejection::WrongTenant,
            ),
            // No tid, or one that is not a string.
            (entra(CONTOSO), Value::Null, Rejection::MissingClaim("tid")),
            (entra(CONTOSO), json!([CONTOSO]), Rejection::BadClaim("tid")),
            (entra(CONTOSO), json!(1), Rejection::BadClaim("tid")),
            (
                entra(CONTOSO),
                json!({"id": CONTOSO}),
                Rejection::BadClaim("tid"),
            ),
            // Another issuer of the host.
            (
                format!("{}/", entra(CONTOSO)),
                json!(CONTOSO),
                Rejection::WrongIssuer,
            ),
        ];
        for hostile in ["../", "common", tenants::PLACEHOLDER, "", &upper, &longer] {
            tokens.push((entra(hostile), json!(hostile), Rejection::WrongTenant));
        }
        for (iss, tid, rejection) in tokens {
            // A kid the shipped key set lacks: a token let through would cost a fetch.
            let token = signed(Key::Ours, "rotated", &entra_claims(&iss, tid.clone()));
            assert_eq!(refused(&oidc, &token), rejection, "{iss} {tid}");
        }
        for issuer in [A, TEMPLATE] {
            assert_eq!(oidc.verifier.key_cache(issuer).unwrap().fetch_count(), 0);
        }
    }

    #[test]
    fn a_key_that_cannot_be_fetched_is_a_fault() {
        let oidc = oidc();
        let token = signed(Key::Ours, "rotated", &claims(A, "api-a"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(matches!(
            runtime.block_on(oidc.verifier.verify(&Token::parse(&token).unwrap())),
            Err(AuthError::Fault(_))
        ));
    }
}
