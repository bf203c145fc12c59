//! End to end: the release `authorizer-oidc` behind a loopback Lambda Runtime API, trusting real
//! OpenID Providers (oidc-provider, on loopback) at once — RS256, ES256 and EdDSA issuers whose
//! keys share a `kid` — and moto's Cognito.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use testkit::env::owned;
use testkit::events::{in_every_shape, token_event};
use testkit::function::{Function, assert_sample_events_pass};
use testkit::keys::{Key, file_url, key_set_file};
use testkit::logs::assert_logs_are_clean;
use testkit::moto::Moto;
use testkit::oidc_provider::{IssuerSpec, OidcProvider};
use testkit::paths::release_binary;
use testkit::reply::outcome;
use testkit::tokens::{Parts, b64, now, patched, signed, signed_yet_refused};

const API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore02/$default";
const API_A: &str = "https://api-a.example";
const API_B: &str = "https://api-b.example";
const API_C: &str = "https://api-c.example";

/// Issuer A signs with RS256 and B with ES256, both under the kid `shared`; C with EdDSA.
fn specs() -> Vec<IssuerSpec> {
    vec![
        IssuerSpec {
            other_resource: Some(API_B),
            ..IssuerSpec::new(Key::Ours, "shared", API_A)
        },
        IssuerSpec::new(Key::Ec, "shared", API_B),
        IssuerSpec::new(Key::Ed, "ed", API_C),
    ]
}

/// `OIDC_ISSUERS` for `issuers`: A accepts RS256 and ES256, B ES256 and RS256 (so that only the
/// key decides), C EdDSA; each the audience of its resource and the ID tokens' clients.
fn issuers_json(provider: &OidcProvider, extra: &[Value]) -> String {
    let [a, b, c] = &provider.issuers[..] else {
        panic!("three issuers")
    };
    let mut issuers = vec![
        json!({"issuer": a.issuer, "audiences": [API_A, "alice", "bob"], "algorithms": ["RS256", "ES256"]}),
        json!({"issuer": b.issuer, "audiences": [API_B, "alice", "bob"], "algorithms": ["ES256", "RS256"]}),
        json!({"issuer": c.issuer, "audiences": [API_C, "alice", "bob"], "algorithms": ["EdDSA"]}),
    ];
    issuers.extend_from_slice(extra);
    Value::Array(issuers).to_string()
}

fn start(issuers: &str, extra: &[(&str, &str)]) -> Function {
    let env = [owned(&[("OIDC_ISSUERS", issuers)]), owned(extra)].concat();
    Function::start(&release_binary("authorizer-oidc"), &env)
}

fn event(token: &str, method: &str) -> String {
    token_event(API, method, token)
}

#[test]
fn every_sample_event_gets_its_expected_outcome() {
    assert_sample_events_pass("authorizer-oidc");
}

#[test]
fn real_tokens_of_each_issuer_get_the_pet_store_rules() {
    let provider = OidcProvider::start(&specs());
    let mut function = start(&issuers_json(&provider, &[]), &[]);
    for issued in &provider.issuers {
        for kind in ["access", "id"] {
            let alice = issued.token(&format!("alice_{kind}"));
            let bob = issued.token(&format!("bob_{kind}"));
            function.assert_pet_store_rules(API, &alice, &bob);
            function.assert_pet_store_rules_on_http_apis(HTTP_API, &alice, &bob);
        }
    }
    let logs = function.logs();
    assert_eq!(
        logs.matches("fetched the key set").count(),
        3,
        "one fetch per issuer:\n{logs}"
    );
}

#[test]
fn the_adversarial_set_fails_closed_and_the_function_keeps_serving() {
    let provider = OidcProvider::start(&specs());
    let [a, b, _] = &provider.issuers[..] else {
        panic!()
    };
    let mut function = start(
        &issuers_json(&provider, &[]),
        &[("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")],
    );
    let bob_a = a.token("bob_access");
    let claims_a = Parts::of(&bob_a).claims();
    let promoted = patched(&claims_a, json!({"groups": ["admin"]}));
    // HS256 "signed" with issuer A's public key, as a JWK and as its modulus.
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some("shared".into());
    let confused =
        |secret: &[u8]| encode(&hs256, &promoted, &EncodingKey::from_secret(secret)).unwrap();
    let jwk: Value = serde_json::from_str(Key::Ours.jwk()).unwrap();
    let mut tokens = vec![
        (
            "one issuer's token for the other's audience",
            a.token("bob_access_other"),
        ),
        (
            "issuer B's key under the shared kid, with A's issuer",
            signed(Key::Ec, "shared", &promoted),
        ),
        (
            "issuer A's key under the shared kid, with B's issuer",
            signed(
                Key::Ours,
                "shared",
                &patched(
                    &Parts::of(&b.token("bob_access")).claims(),
                    json!({"groups": ["admin"]}),
                ),
            ),
        ),
        (
            "an unknown issuer",
            signed(
                Key::Ours,
                "shared",
                &patched(&promoted, json!({"iss": "https://mallory.example/"})),
            ),
        ),
        (
            "A's issuer with a trailing slash",
            signed(
                Key::Ours,
                "shared",
                &patched(&promoted, json!({"iss": format!("{}/", a.issuer)})),
            ),
        ),
        (
            "HS256 with the public JWK",
            confused(Key::Ours.jwk().as_bytes()),
        ),
        (
            "HS256 with the modulus",
            confused(jwk["n"].as_str().unwrap().as_bytes()),
        ),
        (
            "RS256 header on issuer B's EC key",
            Parts {
                header: b64(&json!({"alg": "RS256", "kid": "shared"})),
                ..Parts::of(&b.token("bob_access"))
            }
            .join(),
        ),
        (
            "alg none",
            Parts {
                header: b64(&json!({"alg": "none", "kid": "shared"})),
                payload: b64(&promoted),
                signature: String::new(),
            }
            .join(),
        ),
        (
            "a doctored payload",
            Parts {
                payload: b64(&promoted),
                ..Parts::of(&bob_a)
            }
            .join(),
        ),
        (
            "no sub",
            signed(
                Key::Ours,
                "shared",
                &patched(&claims_a, json!({"sub": null})),
            ),
        ),
        (
            "no exp",
            signed(
                Key::Ours,
                "shared",
                &patched(&claims_a, json!({"exp": null})),
            ),
        ),
        (
            "no aud",
            signed(
                Key::Ours,
                "shared",
                &patched(&claims_a, json!({"aud": null})),
            ),
        ),
        (
            "expired",
            signed(
                Key::Ours,
                "shared",
                &patched(&claims_a, json!({"exp": now() - 3600})),
            ),
        ),
        ("unknown kid", signed(Key::Stranger, "mallory", &claims_a)),
    ];
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("shared".into());
    tokens.extend(signed_yet_refused(
        &header,
        &Key::Ours.encoding_key(),
        &claims_a,
    ));
    function.assert_each_refused(
        tokens
            .iter()
            .flat_map(|(name, token)| in_every_shape(name, token, API, HTTP_API)),
    );
    function.assert_still_serves(&event(&bob_a, "GET"), "200 allows GET /pets");
    let logs = function.logs();
    let mut all: Vec<&str> = tokens.iter().map(|(_, token)| token.as_str()).collect();
    all.push(&bob_a);
    assert_logs_are_clean(&logs, &all, 3 * tokens.len());
    for reason in [
        "wrong_audience",
        "wrong_algorithm",
        "wrong_issuer",
        "bad_signature",
        "missing_claim",
        "expired",
        "unknown_kid",
        "critical_extension",
        "bad_claim",
    ] {
        assert!(logs.contains(reason), "no {reason} in the logs:\n{logs}");
    }
    // Unknown issuers cost no fetch, and the unknown kid none within the interval.
    assert_eq!(logs.matches("fetched the key set").count(), 3, "{logs}");
}

#[test]
fn a_rotated_key_is_fetched_once_from_the_restarted_issuer() {
    let mut specs = specs();
    let provider = OidcProvider::start(&specs);
    let issuers = issuers_json(&provider, &[]);
    let mut function = start(&issuers, &[("JWKS_MIN_REFETCH_SECONDS", "1")]);
    let old = provider.issuers[0].token("bob_access");
    assert_eq!(
        outcome(&function.invoke(&event(&old, "GET"))),
        "200 allows GET /pets"
    );

    // The issuer rotates: it now signs with a new key, and still publishes the old one.
    let ports: Vec<u16> = provider.issuers.iter().map(|issued| issued.port).collect();
    drop(provider);
    for (spec, port) in specs.iter_mut().zip(ports) {
        spec.port = port;
    }
    specs[0].keys = vec![(Key::Stranger, "rotated"), (Key::Ours, "shared")];
    let rotated = OidcProvider::start(&specs);
    std::thread::sleep(Duration::from_millis(1100));
    let new = rotated.issuers[0].token("bob_access");
    let kid = jsonwebtoken::decode_header(&new).unwrap().kid;
    assert_eq!(kid.as_deref(), Some("rotated"));
    for _ in 0..3 {
        for token in [&new, &old] {
            assert_eq!(
                outcome(&function.invoke(&event(token, "GET"))),
                "200 allows GET /pets"
            );
        }
    }
    let logs = function.logs();
    assert_eq!(logs.matches("fetched the key set").count(), 4, "{logs}");
}

#[test]
fn discovery_that_names_another_issuer_stops_the_function() {
    let provider = OidcProvider::start(&specs()[..1]);
    let port = provider.issuers[0].port;
    // The same provider, reached by another name (and with Auth0's trailing slash): its
    // document names the issuer it is, not the one configured.
    for issuer in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        let issuers = json!([{"issuer": issuer, "audiences": [API_A]}]).to_string();
        let mut function = start(&issuers, &[]);
        let logs = function.assert_init_fails_naming("OIDC_ISSUERS", Duration::from_secs(10));
        assert!(
            logs.contains(&issuer) && logs.contains("names the issuer"),
            "{logs}"
        );
    }
}

#[test]
fn an_unreachable_issuer_at_cold_start_fails_init_unless_its_keys_are_shipped() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let issuer = format!("http://127.0.0.1:{closed}");
    let issuers = json!([{"issuer": issuer, "audiences": [API_A]}]).to_string();
    let mut function = start(&issuers, &[]);
    let logs = function.assert_init_fails_naming("OIDC_ISSUERS", Duration::from_secs(10));
    assert!(logs.contains(&issuer), "{logs}");

    let shipped = file_url(&key_set_file(&[Key::Ours]));
    let issuers = json!([{"issuer": issuer, "audiences": [API_A],
                          "jwks_file": shipped.trim_start_matches("file://")}])
    .to_string();
    let mut function = start(&issuers, &[]);
    let claims = json!({"sub": "bob", "iss": issuer, "aud": API_A, "exp": now() + 600});
    assert_eq!(
        outcome(&function.invoke(&event(&signed(Key::Ours, "ours-key", &claims), "GET"))),
        "200 allows GET /pets"
    );
    // A key the file lacks cannot be had: a 500, never a 401 or an Allow.
    assert_eq!(
        outcome(&function.invoke(&event(&signed(Key::Ours, "rotated", &claims), "GET"))),
        "500"
    );
}

#[test]
fn moto_cognito_id_tokens_pass_through_the_pools_issuer() {
    let moto = Moto::start();
    let pool = moto.cognito_pool();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let issuer = format!(
        "https://cognito-idp.us-east-1.amazonaws.com/{}",
        text(&pool["pool"])
    );
    let issuers = json!([{"issuer": issuer, "audiences": [text(&pool["client"])],
                          "jwks_uri": text(&pool["jwks_url"]), "groups_claims": ["cognito:groups"]}])
    .to_string();
    let mut function = start(&issuers, &[]);
    let (alice, bob) = (text(&pool["alice"]["id"]), text(&pool["bob"]["id"]));
    function.assert_pet_store_rules(API, &alice, &bob);
    function.assert_each_refused([
        (
            "another app client's ID token",
            event(&text(&pool["bob_other_client"]["id"]), "GET"),
        ),
        // Cognito's access tokens have no `aud` (their client is `client_id`): authorizer-cognito's.
        (
            "an access token",
            event(&text(&pool["bob"]["access"]), "GET"),
        ),
    ]);
}

#[test]
fn bad_configuration_stops_the_function_at_init_naming_the_variable() {
    for issuers in [
        "".to_owned(),
        "{}".to_owned(),
        json!([{"issuer": "https://idp.example.com", "audiences": ["x"], "algorithms": ["HS256"]}]).to_string(),
        json!([{"issuer": "http://idp.example.com", "audiences": ["x"]}]).to_string(),
        json!([{"issuer": "https://idp.example.com", "audiences": ["x"], "jwks_file": "/no/such.json"}]).to_string(),
    ] {
        let mut function = start(&issuers, &[]);
        function.assert_init_fails_naming("OIDC_ISSUERS", Duration::from_secs(10));
    }
}
