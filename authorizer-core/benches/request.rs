//! The per-request work around verification: reading the event, and writing the response and
//! the metric line.
//!
//! Together with the verifier and the grants and answer (benches/rules.rs), this is the handler path;
//! these two parts are measured apart so that a change to either shows on its own. The events are
//! the sample events of `events/authorizer-hs256/`, as API Gateway sends them. A certificate-bound
//! token also costs its certificate's thumbprint.

use std::hint::black_box;
use std::path::Path;

use authorizer_core::answer::{Answer, AnswerShape, HttpApiResponse};
use authorizer_core::binding::thumbprint;
use authorizer_core::event::AuthorizerRequest;
use authorizer_core::metrics::{Metrics, Outcome};
use authorizer_core::{AccessRules, Env, Principal, Rejection};
use criterion::{Criterion, criterion_group, criterion_main};

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/authorizer-hs256");
    std::fs::read_to_string(path.join(name)).unwrap()
}

fn bench(c: &mut Criterion) {
    let token_event = sample("admin-post.json");
    let request_event = sample("request-type.json");
    c.bench_function("event/token", |b| {
        b.iter(|| AuthorizerRequest::from_json(black_box(&token_event), None).unwrap())
    });
    c.bench_function("event/request", |b| {
        b.iter(|| AuthorizerRequest::from_json(black_box(&request_event), None).unwrap())
    });
    let http_event = sample("http-v2-admin-post.json");
    c.bench_function("event/http_v2", |b| {
        b.iter(|| AuthorizerRequest::from_json(black_box(&http_event), None).unwrap())
    });
    let websocket_event = sample("front-doors/ws-admin-query-token.json");
    c.bench_function("event/websocket_query_token", |b| {
        b.iter(|| AuthorizerRequest::from_json(black_box(&websocket_event), Some("token")).unwrap())
    });
    // What a certificate-bound token adds: the request's certificate read and hashed.
    let certificate = testkit::keys::ALICE_CERTIFICATE;
    c.bench_function("binding/thumbprint", |b| {
        b.iter(|| thumbprint(black_box(certificate.pem)).unwrap())
    });

    let request = AuthorizerRequest::from_json(&token_event, None).unwrap();
    let principal = Principal {
        sub: "alice".into(),
        groups: vec!["admin".into()],
        username: Some("alice".into()),
        email: Some("alice@example.com".into()),
        ..Principal::default()
    };
    let rules = AccessRules::default();
    let grants = rules.grants_for(&principal);
    let (_, response) = Answer::new(
        request.shape.answer_shape(HttpApiResponse::Simple),
        &principal,
        &[],
        &grants,
        &request.method_arn,
    );
    c.bench_function("response/serialize", |b| {
        b.iter(|| serde_json::to_vec(black_box(&response)).unwrap())
    });
    let (_, simple) = Answer::new(
        AnswerShape::Simple,
        &principal,
        &[],
        &grants,
        &request.method_arn,
    );
    c.bench_function("response/serialize_simple", |b| {
        b.iter(|| serde_json::to_vec(black_box(&simple)).unwrap())
    });
    let metrics = Metrics::from_env(&Env::new(&|_| None), "authorizer-hs256").unwrap();
    let expired = Rejection::Expired;
    c.bench_function("metrics/outcome_line", |b| {
        b.iter(|| {
            metrics.outcome_line(
                black_box(Outcome::Unauthorized(&expired)),
                1_790_000_000_000,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
