//! End to end against real tokens: moto's Cognito (a local stand-in that issues genuine RS256
//! tokens with the real AWS issuer) and the release `authorizer-cognito`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e_tests::moto::Moto;
use e2e_tests::{Function, outcome, release_binary};
use serde_json::{Value, json};

fn event(token: &str, method: &str) -> String {
    let api = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": format!("{api}/{method}/pets")})
        .to_string()
}

/// Bob's token with his claims rewritten to make him an admin, his signature kept.
fn doctored(token: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["cognito:groups"] = json!(["admin"]);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts[1] = &payload;
    parts.join(".")
}

#[test]
fn real_cognito_tokens_get_the_pet_store_rules() {
    let binary = release_binary("authorizer-cognito");
    let moto = Moto::start();
    let pool: Value = serde_json::from_str(&moto.run_script("moto_cognito.py", &[])).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let env = [
        ("USER_POOL_ID".to_owned(), text(&pool["pool"])),
        ("APP_CLIENT_IDS".to_owned(), text(&pool["client"])),
        ("JWKS_URL".to_owned(), text(&pool["jwks_url"])),
    ];
    let mut function = Function::start(&binary, &env);

    for kind in ["id", "access"] {
        let (alice, bob) = (text(&pool["alice"][kind]), text(&pool["bob"][kind]));
        let check = |function: &mut Function, token: &str, method, expected| {
            assert_eq!(
                outcome(&function.invoke(&event(token, method))),
                expected,
                "{kind} token, {method}"
            );
        };
        check(
            &mut function,
            &alice,
            "POST",
            "200 allows GET /pets, POST /pets",
        );
        check(
            &mut function,
            &alice,
            "GET",
            "200 allows GET /pets, POST /pets",
        );
        check(&mut function, &bob, "GET", "200 allows GET /pets");
        check(&mut function, &bob, "POST", "403 allows GET /pets");
        check(&mut function, &doctored(&bob), "POST", "401");
        check(
            &mut function,
            &text(&pool["bob_other_client"][kind]),
            "GET",
            "401",
        );
    }
    assert_eq!(
        outcome(&function.invoke(&event(&text(&pool["bob"]["refresh"]), "GET"))),
        "401"
    );
}
