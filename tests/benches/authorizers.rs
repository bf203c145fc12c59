//! Both authorizers' request path: verification alone, and the whole handler (event JSON in,
//! response JSON out), as `main` builds them.
//!
//! Cognito's key set is served from a `file://` URL and fetched once, as at cold start, so what is
//! measured is the per-request work with a warm key cache. Nothing here waits (HS256 never does,
//! Cognito not with its keys cached), so `now_or_never` completes each call without a runtime.

use std::hint::black_box;

use authorizer_cognito::Cognito;
use authorizer_core::{Authorizer, Verifier};
use authorizer_hs256::{Hs256, SecretSource};
use criterion::{Criterion, criterion_group, criterion_main};
use e2e_tests::root;
use futures_util::FutureExt as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};
use tracing_subscriber::util::SubscriberInitExt as _;

const SECRET: &str = "benchmark-secret-of-at-least-32-bytes!";
const ISSUER: &str = "https://petstore.example/demo";
const POOL: &str = "eu-west-1_BenchPool1";
const CLIENT: &str = "bench-app-client";
const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod/POST/pets";

/// The HS256 authorizer with the secret inline and an issuer pinned.
fn hs256() -> Authorizer<Hs256> {
    let env = |name: &str| match name {
        "JWT_SECRET" => Some(SECRET.to_owned()),
        "JWT_ISSUER" => Some(ISSUER.to_owned()),
        _ => None,
    };
    let config = authorizer_hs256::Config::from_env(&env).unwrap();
    let SecretSource::Inline(secret) = &config.secret else {
        unreachable!("the secret is inline")
    };
    Authorizer {
        verifier: Hs256::new(secret, &config),
        rules: config.common.rules.clone(),
    }
}

/// The Cognito authorizer, its key set (the end-to-end tests' public key) fetched once.
fn cognito() -> Authorizer<Cognito> {
    let jwk: Value =
        serde_json::from_slice(&std::fs::read(root().join("tests/keys/ours.jwk.json")).unwrap())
            .unwrap();
    let dir = std::env::temp_dir().join(format!("cognito-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, json!({"keys": [jwk]}).to_string()).unwrap();
    let jwks_url = format!("file://{}", path.display());
    let env = |name: &str| match name {
        "USER_POOL_ID" => Some(POOL.to_owned()),
        "APP_CLIENT_IDS" => Some(CLIENT.to_owned()),
        "JWKS_URL" => Some(jwks_url.clone()),
        _ => None,
    };
    let config = authorizer_cognito::Config::from_env(&env).unwrap();
    let verifier = Cognito::new(&config).unwrap();
    verifier.prefetch().now_or_never().unwrap();
    Authorizer {
        verifier,
        rules: config.common.rules,
    }
}

/// Alice, an admin, with a custom token.
fn hs256_token() -> String {
    let now = get_current_timestamp();
    let claims = json!({
        "sub": "alice", "groups": ["admin"], "iss": ISSUER, "username": "alice",
        "email": "alice@example.com", "iat": now, "exp": now + 86_400,
    });
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
}

/// Alice's access token, as Cognito issues it, signed with the pool's key.
fn cognito_token() -> String {
    let now = get_current_timestamp();
    let claims = json!({
        "sub": "a1a1a1a1-0000-4000-8000-000000000001", "cognito:groups": ["admin"],
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "client_id": CLIENT, "token_use": "access", "username": "alice",
        "scope": "aws.cognito.signin.user.admin", "iat": now, "exp": now + 86_400,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ours-key".to_owned());
    let pem = std::fs::read(root().join("tests/keys/ours.pem")).unwrap();
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

/// The TOKEN event of Alice calling `POST /pets` with `token`.
fn event(token: &str) -> String {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": ARN})
        .to_string()
}

/// What the runtime does with an event: the handler, then the response's JSON.
fn handle<V: Verifier + Sync>(authorizer: &Authorizer<V>, event: &str) -> Vec<u8> {
    let response = authorizer.authorize(event).now_or_never().unwrap();
    serde_json::to_vec(&response.unwrap()).unwrap()
}

/// `<name>/verify` and `<name>/handler`.
fn bench_paths<V: Verifier + Sync>(
    c: &mut Criterion,
    name: &str,
    authorizer: &Authorizer<V>,
    token: &str,
) {
    let verify = |token: &str| authorizer.verifier.verify(token).now_or_never().unwrap();
    assert!(verify(token).is_ok(), "{name}: the token must verify");
    c.bench_function(&format!("{name}/verify"), |b| {
        b.iter(|| verify(black_box(token)))
    });
    let event = event(token);
    c.bench_function(&format!("{name}/handler"), |b| {
        b.iter(|| handle(authorizer, black_box(&event)))
    });
}

fn bench(c: &mut Criterion) {
    let hs256 = hs256();
    let token = hs256_token();
    bench_paths(c, "hs256", &hs256, &token);
    let cognito = cognito();
    bench_paths(c, "cognito", &cognito, &cognito_token());
    // Every request above found its key in the cache.
    assert_eq!(cognito.verifier.key_cache().fetch_count(), 1);

    // What a deployment adds: the JSON log line, formatted but written nowhere.
    let logs = tracing_subscriber::fmt()
        .json()
        .without_time()
        .with_writer(std::io::sink)
        .finish();
    let _logging = logs.set_default();
    let event = event(&token);
    c.bench_function("hs256/handler_logged", |b| {
        b.iter(|| handle(&hs256, black_box(&event)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
