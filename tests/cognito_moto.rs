//! End to end against real tokens: moto's Cognito (a local stand-in that issues genuine RS256
//! tokens with the real AWS issuer) and the release `authorizer-cognito`.

use serde_json::{Value, json};
use testkit::env::owned;
use testkit::events::token_event;
use testkit::function::Function;
use testkit::moto::Moto;
use testkit::paths::release_binary;
use testkit::tokens::{Parts, b64, patched};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";

/// Bob's token with his claims rewritten to make him an admin, his signature kept.
fn doctored(token: &str) -> String {
    let parts = Parts::of(token);
    let claims = patched(&parts.claims(), json!({"cognito:groups": ["admin"]}));
    Parts {
        payload: b64(&claims),
        ..parts
    }
    .join()
}

#[test]
fn real_cognito_tokens_get_the_pet_store_rules() {
    let binary = release_binary("authorizer-cognito");
    let moto = Moto::start();
    let pool = moto.cognito_pool();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let env = owned(&[
        ("USER_POOL_ID", &text(&pool["pool"])),
        ("APP_CLIENT_IDS", &text(&pool["client"])),
        ("JWKS_URL", &text(&pool["jwks_url"])),
    ]);
    let mut function = Function::start(&binary, &env);

    for kind in ["id", "access"] {
        let (alice, bob) = (text(&pool["alice"][kind]), text(&pool["bob"][kind]));
        function.assert_pet_store_rules(API, &alice, &bob);
        function.assert_each_refused([
            (
                format!("{kind}: a doctored token"),
                token_event(API, "POST", &doctored(&bob)),
            ),
            (
                format!("{kind}: another app client's token"),
                token_event(API, "GET", &text(&pool["bob_other_client"][kind])),
            ),
        ]);
    }
    function.assert_each_refused([(
        "a refresh token",
        token_event(API, "GET", &text(&pool["bob"]["refresh"])),
    )]);
}
