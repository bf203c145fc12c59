//! End to end: the release `authorizer-oidc` behind a loopback Lambda Runtime API, trusting real
//! OpenID Providers (oidc-provider, on loopback) at once — RS256, ES256 and EdDSA issuers whose
//! keys share a `kid` —, moto's Cognito, and a multi-tenant Entra ID application whose `common`
//! discovery document and key set are loopback stand-ins.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use testkit::entra::{self, CONTOSO, Entra, FABRIKAM, HOME, STRANGER};
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
    let mut bad = vec![
        "".to_owned(),
        "{}".to_owned(),
        json!([{"issuer": "https://idp.example.com", "audiences": ["x"], "algorithms": ["HS256"]}]).to_string(),
        json!([{"issuer": "http://idp.example.com", "audiences": ["x"]}]).to_string(),
        json!([{"issuer": "https://idp.example.com", "audiences": ["x"], "jwks_file": "/no/such.json"}]).to_string(),
    ];
    let template = entra::TEMPLATE;
    let entra =
        |tenants: Value| json!([{"issuer": template, "audiences": ["x"], "tenants": tenants}]);
    let single = entra::issuer(template, CONTOSO);
    // A template without tenants, or with tenants that are none or not tenant ids; tenants on an
    // issuer that is no template; a listed tenant's issuer also listed on its own.
    for tenants in [
        json!([{"issuer": template, "audiences": ["x"]}]),
        entra(json!([])),
        entra(json!(["common"])),
        entra(json!([CONTOSO.to_uppercase()])),
        entra(json!([format!("{{{CONTOSO}}}")])),
        entra(json!([CONTOSO, 1])),
        entra(json!(CONTOSO)),
        json!([{"issuer": single, "audiences": ["x"], "tenants": [CONTOSO]}]),
        json!([entra(json!([CONTOSO]))[0], {"issuer": single, "audiences": ["x"]}]),
    ] {
        bad.push(tenants.to_string());
    }
    for issuers in bad {
        let mut function = start(&issuers, &[]);
        function.assert_init_fails_naming("OIDC_ISSUERS", Duration::from_secs(10));
    }
}

/// The entry of a multi-tenant application of `entra` accepting `tenants`, its key set found by
/// discovery.
fn multi_tenant(entra: &Entra, tenants: &[&str]) -> Value {
    json!({"issuer": entra.template, "audiences": [API_A], "tenants": tenants})
}

/// A token of bob's with this `iss` and `tid` (none when `null`), signed by Entra's key under
/// `kid`.
fn entra_token(kid: &str, iss: &str, tid: Value) -> String {
    let claims = json!({"sub": "bob", "iss": iss, "aud": API_A, "exp": now() + 600});
    signed(Key::Ours, kid, &patched(&claims, json!({"tid": tid})))
}

#[test]
fn a_multi_tenant_entra_app_accepts_its_tenants_and_no_other_without_a_fetch() {
    let entra = Entra::start();
    // A single-tenant application of another tenant beside it, on the same key set.
    let single = json!({"issuer": entra.issuer(HOME), "audiences": [API_A],
                        "jwks_uri": entra.keys.url()});
    let issuers = json!([multi_tenant(&entra, &[CONTOSO, FABRIKAM]), single]).to_string();
    let mut function = start(
        &issuers,
        &[
            ("RUST_LOG", "trace"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("JWKS_MIN_REFETCH_SECONDS", "1"),
        ],
    );
    for tenant in [CONTOSO, FABRIKAM, HOME] {
        let token = entra_token("ours-key", &entra.issuer(tenant), json!(tenant));
        assert_eq!(
            outcome(&function.invoke(&event(&token, "GET"))),
            "200 allows GET /pets",
            "{tenant}"
        );
    }
    assert_eq!(
        entra.discovery.paths(),
        ["/common/v2.0/.well-known/openid-configuration"]
    );
    assert_eq!(
        entra.keys.fetches(),
        2,
        "one fetch per issuer at cold start"
    );

    // Past the refetch interval, a token that reached the key cache with an unknown kid would
    // cost a fetch: these must be refused before.
    std::thread::sleep(Duration::from_millis(1100));
    let template = entra.template.as_str();
    let mut refused = vec![
        (
            "an unlisted tenant",
            entra.issuer(STRANGER),
            json!(STRANGER),
        ),
        (
            "a tid disagreeing with iss",
            entra.issuer(CONTOSO),
            json!(FABRIKAM),
        ),
        (
            "a listed tid, an unlisted iss",
            entra.issuer(STRANGER),
            json!(CONTOSO),
        ),
        (
            "the home tid on a listed iss",
            entra.issuer(CONTOSO),
            json!(HOME),
        ),
        ("no tid", entra.issuer(CONTOSO), Value::Null),
        ("the template as iss", template.to_owned(), json!(CONTOSO)),
        (
            "the template twice",
            template.to_owned(),
            json!("{tenantid}"),
        ),
        ("tid as a number", entra.issuer(CONTOSO), json!(42)),
        ("tid as an array", entra.issuer(CONTOSO), json!([CONTOSO])),
        (
            "another issuer of the host",
            format!("{}/", entra.issuer(CONTOSO)),
            json!(CONTOSO),
        ),
    ];
    let upper = CONTOSO.to_uppercase();
    let braced = format!("{{{CONTOSO}}}");
    let longer = format!("{CONTOSO}0");
    let dotted = format!("{CONTOSO}/../{FABRIKAM}");
    for hostile in [
        "../",
        "common",
        "{tenantid}",
        "",
        &upper,
        &braced,
        &longer,
        &dotted,
    ] {
        refused.push(("a hostile tid", entra.issuer(hostile), json!(hostile)));
    }
    let tokens: Vec<(String, String)> = refused
        .iter()
        .map(|(name, iss, tid)| {
            (
                format!("{name} ({tid})"),
                entra_token("rotated", iss, tid.clone()),
            )
        })
        .collect();
    function.assert_each_refused(
        tokens
            .iter()
            .map(|(name, token)| (name, event(token, "GET"))),
    );
    assert_eq!(entra.keys.fetches(), 2, "a refused tenant cost a fetch");
    let logs = function.logs();
    for reason in ["wrong_tenant", "missing_claim", "bad_claim", "wrong_issuer"] {
        assert!(logs.contains(reason), "no {reason} in the logs:\n{logs}");
    }
    assert!(!logs.contains("unknown_kid"), "{logs}");
    let all: Vec<&str> = tokens.iter().map(|(_, token)| token.as_str()).collect();
    assert_logs_are_clean(&logs, &all, tokens.len());

    // A listed tenant's unknown kid does reach the key set.
    let rotated = entra_token("rotated", &entra.issuer(CONTOSO), json!(CONTOSO));
    assert_eq!(outcome(&function.invoke(&event(&rotated, "GET"))), "401");
    assert_eq!(entra.keys.fetches(), 3);
}

#[test]
fn a_template_is_discovered_at_common_whose_document_must_name_it() {
    let entra = Entra::start();
    let port = entra.discovery.address().port();
    for named in [
        entra.issuer("common"),
        entra.issuer(CONTOSO),
        format!("http://localhost:{port}/{{tenantid}}/v2.0"),
        format!("{}/", entra.template),
    ] {
        entra.publish(&named);
        let issuers = json!([multi_tenant(&entra, &[CONTOSO])]).to_string();
        let mut function = start(&issuers, &[]);
        let logs = function.assert_init_fails_naming("OIDC_ISSUERS", Duration::from_secs(10));
        assert!(
            logs.contains("names the issuer") && logs.contains(&entra.template),
            "{named}: {logs}"
        );
    }
    assert!(
        entra
            .discovery
            .paths()
            .iter()
            .all(|path| path == "/common/v2.0/.well-known/openid-configuration"),
        "{:?}",
        entra.discovery.paths()
    );

    // With `jwks_uri`, no discovery at all.
    let asked = entra.discovery.fetches();
    let mut entry = multi_tenant(&entra, &[CONTOSO]);
    entry["jwks_uri"] = json!(entra.keys.url());
    let mut function = start(&json!([entry]).to_string(), &[]);
    let token = entra_token("ours-key", &entra.issuer(CONTOSO), json!(CONTOSO));
    assert_eq!(
        outcome(&function.invoke(&event(&token, "GET"))),
        "200 allows GET /pets"
    );
    assert_eq!(entra.discovery.fetches(), asked);
}
