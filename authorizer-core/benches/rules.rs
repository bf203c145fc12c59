//! Access rules with many entries: parsing them at cold start, and per request the grants a
//! principal holds and the answer built from them.
//!
//! `ACCESS_RULES` is parsed once, but `grants_for` and the answer run on every request, so their
//! cost must stay small however many rules a deployment lists. `…_placeholders` are the same
//! rules with the caller's `${sub}` in every path but the two of `*` and `group:admin`.

use authorizer_core::answer::{Answer, AnswerShape};
use authorizer_core::{AccessRules, MethodArn, Principal};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use std::hint::black_box;

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod/POST/pets";

/// `groups` groups and `scopes` scopes of four grants each, plus two grants for anyone: a large
/// deployment's `ACCESS_RULES`; with `placeholders`, each of those four grants names the caller.
fn many_rules(groups: usize, scopes: usize, placeholders: bool) -> String {
    let owner = if placeholders { "/${sub}" } else { "" };
    let grants = |name: &str| {
        json!([
            format!("GET /{name}{owner}"),
            format!("GET /{name}{owner}/*"),
            format!("POST /{name}{owner}"),
            format!("DELETE /{name}{owner}/*/items/*"),
        ])
    };
    let mut rules = Map::new();
    rules.insert("*".into(), json!(["GET /pets", "GET /health"]));
    rules.insert("group:admin".into(), json!(["GET /pets", "POST /pets"]));
    for i in 0..groups {
        rules.insert(format!("group:team-{i}"), grants(&format!("team-{i}")));
    }
    for i in 0..scopes {
        rules.insert(format!("scope:api/res-{i}"), grants(&format!("res-{i}")));
    }
    Value::Object(rules).to_string()
}

/// A caller in a few groups with a few scopes, some of which have rules and some not.
fn principal() -> Principal {
    Principal {
        sub: "alice".into(),
        groups: ["admin", "team-7", "team-150", "nobody"]
            .map(String::from)
            .to_vec(),
        scopes: ["api/res-3", "api/res-90", "openid"]
            .map(String::from)
            .to_vec(),
        username: Some("alice".into()),
        email: Some("alice@example.com".into()),
        ..Principal::default()
    }
}

/// The grants and the answer, as the authorizer builds them for a REST event.
fn answer(principal: &Principal, arn: &MethodArn, rules: &AccessRules) -> Answer {
    let grants = rules.grants_for(principal);
    Answer::new(AnswerShape::RestPolicy, principal, &[], &grants, arn).1
}

fn bench(c: &mut Criterion) {
    let arn = MethodArn::parse(ARN).unwrap();
    let principal = principal();
    for (groups, scopes) in [(0, 0), (100, 100), (500, 250)] {
        let text = many_rules(groups, scopes, false);
        let entries = 4 * (groups + scopes) + 4;
        let rules = AccessRules::from_json(&text).unwrap();
        c.bench_with_input(
            BenchmarkId::new("rules/from_json", entries),
            &text,
            |b, text| b.iter(|| AccessRules::from_json(black_box(text)).unwrap()),
        );
        c.bench_with_input(
            BenchmarkId::new("rules/grants_for", entries),
            &rules,
            |b, rules| b.iter(|| rules.grants_for(black_box(&principal)).len()),
        );
        c.bench_with_input(
            BenchmarkId::new("policy/respond", entries),
            &rules,
            |b, rules| b.iter(|| answer(black_box(&principal), &arn, rules)),
        );
        let owned = AccessRules::from_json(&many_rules(groups, scopes, true)).unwrap();
        c.bench_with_input(
            BenchmarkId::new("policy/respond_placeholders", entries),
            &owned,
            |b, rules| b.iter(|| answer(black_box(&principal), &arn, rules)),
        );
    }
}

/// Cedar's part of a request with the pet store's policies (`policies/petstore/`): the grants of
/// Alice (an admin) with 7 and 70 actions in the schema (`cedar/grants_for/<actions>`: her
/// entities, then Cedar asked about each action), and one action asked of Cedar alone, her
/// entities built beforehand (`cedar/is_authorized`).
fn bench_cedar(c: &mut Criterion) {
    use authorizer_core::CedarRules;
    use cedar_policy::{Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request};
    use std::collections::HashSet;
    use std::str::FromStr;

    let arn = MethodArn::parse(ARN).unwrap();
    let alice = principal();
    for actions in [7, 70] {
        let (policies, schema) = testkit::authorizers::cedar_pet_store(actions);
        let rules = CedarRules::new(&policies, &schema, None).unwrap();
        assert!(rules.grants_for(&alice, &arn).grants.len() >= 3);
        c.bench_function(&format!("cedar/grants_for/{actions}"), |b| {
            b.iter(|| rules.grants_for(black_box(&alice), &arn))
        });
    }
    let (policies, _) = testkit::authorizers::cedar_pet_store(7);
    let policies = PolicySet::from_str(&policies).unwrap();
    let uid = |text: &str| EntityUid::from_str(text).unwrap();
    let user = uid(r#"PetStore::User::"alice""#);
    let admin = uid(r#"PetStore::UserGroup::"admin""#);
    let entities = Entities::from_entities(
        [
            Entity::new_no_attrs(user.clone(), HashSet::from([admin.clone()])),
            Entity::new_no_attrs(admin, HashSet::new()),
        ],
        None,
    )
    .unwrap();
    let request = Request::new(
        user,
        uid(r#"PetStore::Action::"post /pets""#),
        uid(r#"PetStore::Application::"PetStore""#),
        Context::empty(),
        None,
    )
    .unwrap();
    let authorizer = Authorizer::new();
    assert_eq!(
        authorizer
            .is_authorized(&request, &policies, &entities)
            .decision(),
        cedar_policy::Decision::Allow
    );
    c.bench_function("cedar/is_authorized", |b| {
        b.iter(|| authorizer.is_authorized(black_box(&request), &policies, &entities))
    });
}

criterion_group!(benches, bench, bench_cedar);
criterion_main!(benches);
