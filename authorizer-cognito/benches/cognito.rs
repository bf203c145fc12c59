//! The Cognito authorizer's request path with a warm key cache: RS256 verification alone, and the
//! whole handler (event JSON in, response JSON out).
//!
//! The key set is served from a `file://` URL in a temporary directory and fetched once, as
//! `main` does at cold start, so what is measured is the per-request work only.

use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, Waker};

use authorizer_cognito::{Cognito, Config};
use authorizer_core::{Authorizer, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

const POOL: &str = "eu-west-1_BenchPool1";
const CLIENT: &str = "bench-app-client";
const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_BenchPool1";
const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod/POST/pets";

/// With the keys cached (and read from a file), nothing here waits: one poll completes it.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benchmarked path never waits"),
    }
}

/// The end-to-end tests' key pair: the pool's key set holds its public half.
fn test_keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys")
}

/// Writes `{"keys": [ours]}` into a fresh temporary directory and returns its `file://` URL.
fn key_set_url() -> String {
    let jwk: Value =
        serde_json::from_slice(&std::fs::read(test_keys().join("ours.jwk.json")).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("cognito-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, json!({"keys": [jwk]}).to_string()).unwrap();
    format!("file://{}", path.display())
}

/// The authorizer as `main` builds it, its keys prefetched.
fn authorizer() -> Authorizer<Cognito> {
    let jwks_url = key_set_url();
    let env = |name: &str| match name {
        "USER_POOL_ID" => Some(POOL.to_owned()),
        "APP_CLIENT_IDS" => Some(CLIENT.to_owned()),
        "JWKS_URL" => Some(jwks_url.clone()),
        _ => None,
    };
    let config = Config::from_env(&env).unwrap();
    let verifier = Cognito::new(&config).unwrap();
    ready(verifier.prefetch());
    assert_eq!(verifier.key_cache().fetch_count(), 1);
    Authorizer {
        verifier,
        rules: config.common.rules,
    }
}

/// Alice's access token, as Cognito issues it, signed with the pool's key.
fn token() -> String {
    let now = get_current_timestamp();
    let claims = json!({
        "sub": "a1a1a1a1-0000-4000-8000-000000000001", "cognito:groups": ["admin"],
        "iss": ISSUER, "client_id": CLIENT, "token_use": "access", "username": "alice",
        "scope": "aws.cognito.signin.user.admin", "iat": now, "exp": now + 86_400,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ours-key".to_owned());
    let pem = std::fs::read(test_keys().join("ours.pem")).unwrap();
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let authorizer = authorizer();
    let token = token();
    let event =
        json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": ARN})
            .to_string();

    c.bench_function("cognito/verify_warm", |b| {
        b.iter(|| ready(authorizer.verifier.verify(black_box(&token))).unwrap())
    });
    c.bench_function("cognito/handler_warm", |b| {
        b.iter(|| {
            let response = ready(authorizer.authorize(black_box(&event))).unwrap();
            serde_json::to_vec(&response).unwrap()
        })
    });
    // Every request above found its key in the cache.
    assert_eq!(authorizer.verifier.key_cache().fetch_count(), 1);
}

criterion_group!(benches, bench);
criterion_main!(benches);
