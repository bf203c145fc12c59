//! The authorizers built in-process exactly as their `main`s build them (`authorizer_from_env`),
//! for the benchmarks and the fuzz targets: nothing here needs a network or a runtime.

use authorizer_cognito::Cognito;
use authorizer_core::{Authorizer, Env};
use authorizer_hs256::Hs256;
use authorizer_oidc::Oidc;
use futures_util::FutureExt as _;

use crate::env::lookup;
use crate::keys::{Key, file_url, key_set_file};

/// The HS256 authorizer with `secret` inline (`JWT_SECRET`) and `extra` settings such as
/// `JWT_ISSUER`.
pub fn hs256(secret: &str, extra: &[(&str, &str)]) -> Authorizer<Hs256> {
    let env = lookup(&[&[("JWT_SECRET", secret)], extra].concat());
    authorizer_hs256::authorizer_from_env(&Env::new(&env))
        .now_or_never()
        .expect("an inline secret needs no wait")
        .expect("a valid HS256 configuration")
}

/// The Cognito authorizer for the user pool `pool` and the app client `client`, its key set a
/// file publishing the test key [`Key::Ours`] (kid `ours-key`), fetched once as at cold start: every
/// later request finds its key in the cache.
pub fn cognito(pool: &str, client: &str) -> Authorizer<Cognito> {
    let jwks_url = file_url(&key_set_file(&[Key::Ours]));
    let env = lookup(&[
        ("USER_POOL_ID", pool),
        ("APP_CLIENT_IDS", client),
        ("JWKS_URL", &jwks_url),
    ]);
    authorizer_cognito::authorizer_from_env(&Env::new(&env))
        .now_or_never()
        .expect("reading a file:// key set never waits")
        .expect("a valid Cognito configuration")
}

/// The OpenID Connect authorizer trusting three issuers, `{base}/rs256` signing with RS256 (the
/// test key [`Key::Ours`], kid `ours-key`), `{base}/es256` with ES256 ([`Key::Ec`], kid
/// `ours-ec-key`), and the multi-tenant `{base}/{tenantid}/v2.0` of the tenant
/// [`CONTOSO`](crate::entra::CONTOSO) (its `tid`) with RS256 ([`Key::Ours`]), all for `audience`,
/// their key sets shipped as files (`jwks_file`): a cold start without a fetch, after which every
/// request finds its key in the cache.
pub fn oidc(base: &str, audience: &str) -> Authorizer<Oidc> {
    let issuer = |name: &str, key: Key| {
        serde_json::json!({
            "issuer": format!("{base}/{name}"), "audiences": [audience],
            "algorithms": [format!("{:?}", key.algorithm())],
            "jwks_uri": format!("{base}/{name}/jwks"),
            "jwks_file": key_set_file(&[key]),
        })
    };
    let mut multi_tenant = issuer("{tenantid}/v2.0", Key::Ours);
    multi_tenant["tenants"] = serde_json::json!([crate::entra::CONTOSO]);
    let issuers = serde_json::json!([
        issuer("rs256", Key::Ours),
        issuer("es256", Key::Ec),
        multi_tenant
    ]);
    let env = lookup(&[("OIDC_ISSUERS", &issuers.to_string())]);
    authorizer_oidc::authorizer_from_env(&Env::new(&env))
        .now_or_never()
        .expect("shipped key sets need no wait")
        .expect("a valid OpenID Connect configuration")
}

/// The pet store's Cedar policies (`policies/petstore/`) and its schema grown to `actions` route
/// actions (its own five, then `get /shelf<i>/{itemId}`), as `CEDAR_POLICIES` and `CEDAR_SCHEMA`
/// hold them inline: what the benchmarks measure Cedar with, per action of the schema.
pub fn cedar_pet_store(actions: usize) -> (String, String) {
    let read = |file: &str| {
        std::fs::read_to_string(crate::paths::root().join("policies/petstore").join(file))
            .expect("the pet store's Cedar files read")
    };
    let (policies, schema) = (read("policies.cedar"), read("schema.cedarschema"));
    let own = schema.matches("\"get ").count()
        + schema.matches("\"post ").count()
        + schema.matches("\"put ").count();
    let more: String = (0..actions.saturating_sub(own))
        .map(|i| format!("\"get /shelf{i}/{{itemId}}\", "))
        .collect();
    let schema = schema.replacen(
        "action \"get /pets\"",
        &format!("action {more}\"get /pets\""),
        1,
    );
    (policies, schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entra::{CONTOSO, STRANGER};
    use crate::tokens::{now, signed};
    use authorizer_core::Verifier as _;
    use authorizer_core::jwt::Token;

    #[test]
    fn the_oidc_authorizer_accepts_its_multi_tenant_issuers_listed_tenant_only() {
        let oidc = oidc("http://127.0.0.1:9", "fuzz-api");
        let verify = |tenant: &str| {
            let iss = crate::entra::issuer("http://127.0.0.1:9/{tenantid}/v2.0", tenant);
            let claims = serde_json::json!({"sub": "bob", "iss": iss, "tid": tenant,
                                            "aud": "fuzz-api", "exp": now() + 600});
            let token = signed(Key::Ours, "ours-key", &claims);
            let token = Token::parse(&token).unwrap();
            oidc.verifier.verify(&token).now_or_never().unwrap()
        };
        assert!(verify(CONTOSO).is_ok());
        assert!(verify(STRANGER).is_err());
    }
}
