//! End to end: Cedar policies (`CEDAR_POLICIES`, `CEDAR_SCHEMA`, `CEDAR_ENTITY_ID_PREFIX`) in the
//! release `authorizer-hs256`, whose tokens a test signs with any claims. The three authorizers
//! share this code (authorizer_core); their Cedar sample events (`events/<function>/cedar/`) run
//! in their own suites.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use testkit::env::{owned, with};
use testkit::events::{http_event, token_event, websocket_event};
use testkit::function::Function;
use testkit::paths::{release_binary, root};
use testkit::readme::fenced_block;
use testkit::reply::outcome;
use testkit::tokens::{hs, now};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore02/$default";
const WEBSOCKET_API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore03/prod";
const SECRET: &str = "e2e-secret-that-is-at-least-32-bytes-long";

/// The pet store's policies and schema, as a layer would hold them.
const PET_STORE: [(&str, &str); 2] = [
    ("CEDAR_POLICIES", "file:policies/petstore/policies.cedar"),
    ("CEDAR_SCHEMA", "file:policies/petstore/schema.cedarschema"),
];

/// The template's default access rules without their `${sub}` entries (the caller's own
/// account), which a Cedar policy about the API's actions cannot name.
const PET_STORE_RULES: &str = r#"{"*": ["GET /pets", "$connect"],
    "group:admin": ["GET /pets", "POST /pets", "GET /accounts/*"],
    "claim:email_verified=true": ["GET /pets/*"]}"#;

/// A schema of the shape the tests' policies read, in Cedar's human-readable format.
const SCHEMA: &str = r#"namespace Shop {
    entity UserGroup;
    entity User in [UserGroup] { tier?: String, suspended?: Bool, level?: Long,
                                 address?: {city?: String}, roles?: Set<String> };
    entity Application;
    action "get /pets", "post /pets", "get /pets/{petId}", "delete /pets/{petId}"
        appliesTo { principal: [User], resource: [Application], context: { scopes: Set<String> } };
}"#;

fn start(extra: &[(&str, &str)]) -> Function {
    let env = with(&owned(&[("JWT_SECRET", SECRET)]), extra);
    Function::start(&release_binary("authorizer-hs256"), &env)
}

fn token(sub: &str, groups: &[&str], extra: Value) -> String {
    let mut claims = json!({"sub": sub, "groups": groups, "exp": now() + 600});
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    hs(Algorithm::HS256, SECRET, &claims)
}

/// The TOKEN event calling `method` on `path` (no leading `/`).
fn call(token: &str, method: &str, path: &str) -> String {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"),
           "methodArn": format!("{API}/{method}/{path}")})
    .to_string()
}

#[test]
fn the_pet_store_policies_answer_alice_bob_carol_and_mallory_as_its_access_rules_do() {
    let mut cedar = start(&PET_STORE);
    let mut rules = start(&[("ACCESS_RULES", PET_STORE_RULES)]);
    let callers = [
        (
            "alice",
            token("alice", &["admin"], json!({"email": "alice@example.com"})),
        ),
        ("bob", token("bob", &["customer"], json!({}))),
        (
            "carol",
            token("carol", &[], json!({"email_verified": true})),
        ),
        (
            "mallory",
            token(
                "mallory",
                &["Admin", "admin\" ) permit(", "PetStore::UserGroup::admin"],
                json!({"email_verified": "true"}),
            ),
        ),
    ];
    let mut seen = Vec::new();
    for (name, token) in &callers {
        for (method, path) in [
            ("GET", "pets"),
            ("POST", "pets"),
            ("GET", "pets/7"),
            ("GET", "accounts/bob"),
            ("PUT", "accounts/bob"),
        ] {
            let event = call(token, method, path);
            let (expected, got) = (
                outcome(&rules.invoke(&event)),
                outcome(&cedar.invoke(&event)),
            );
            assert_eq!(got, expected, "{name} {method} /{path}");
            seen.push(got);
        }
        let v2 = http_event(
            HTTP_API,
            "POST",
            json!({"authorization": format!("Bearer {token}")}),
        );
        assert_eq!(
            outcome(&cedar.invoke(&v2)),
            outcome(&rules.invoke(&v2)),
            "{name} HTTP 2.0"
        );
        let connect = websocket_event(WEBSOCKET_API, json!({"Authorization": token}), json!({}));
        assert_eq!(
            outcome(&cedar.invoke(&connect)),
            outcome(&rules.invoke(&connect)),
            "{name} WebSocket"
        );
    }
    // The answers tell the story.
    assert_eq!(
        seen[1],
        "200 allows $connect, GET /accounts/*, GET /pets, POST /pets"
    );
    assert_eq!(seen[6], "403 allows $connect, GET /pets");
    assert_eq!(seen[12], "200 allows $connect, GET /pets, GET /pets/*");
    assert_eq!(seen[16], "403 allows $connect, GET /pets");
    let logs = cedar.logs();
    assert!(
        logs.contains("admins-add-pets-and-read-accounts"),
        "the deciding policy is logged:\n{logs}"
    );
    assert!(!logs.contains("alice@example.com"), "{logs}");
}

#[test]
fn groups_attributes_scopes_forbid_and_unless_decide_and_claims_stay_data() {
    let policies = r#"
        @id("anyone-lists")
        permit(principal, action == Shop::Action::"get /pets", resource);
        @id("staff-change")
        permit(principal in Shop::UserGroup::"staff",
               action in [Shop::Action::"post /pets", Shop::Action::"delete /pets/{petId}"], resource)
            when { context.scopes.contains("pets/write") };
        @id("premium-reads")
        permit(principal, action == Shop::Action::"get /pets/{petId}", resource)
            when { principal has tier && principal.tier == "premium" };
        @id("suspended-never-writes")
        forbid(principal, action in [Shop::Action::"post /pets", Shop::Action::"delete /pets/{petId}"], resource)
            unless { if principal has suspended then !principal.suspended else true };
        @id("lyon-reads")
        permit(principal, action == Shop::Action::"get /pets/{petId}", resource)
            when { principal has address && principal.address has city && principal.address.city == "Lyon" };
    "#;
    let mut function = start(&[
        ("CEDAR_POLICIES", policies),
        ("CEDAR_SCHEMA", SCHEMA),
        ("RUST_LOG", "info"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ]);
    let mut ask = |token: &str, method: &str, path: &str| {
        outcome(&function.invoke(&call(token, method, path)))
    };
    let staff = token("sam", &["staff"], json!({"scope": "pets/write"}));
    assert_eq!(
        ask(&staff, "POST", "pets"),
        "200 allows DELETE /pets/*, GET /pets, POST /pets"
    );
    let no_scope = token("sam", &["staff"], json!({"scope": "pets/read"}));
    assert_eq!(ask(&no_scope, "POST", "pets"), "403 allows GET /pets");
    let suspended = token(
        "sam",
        &["staff"],
        json!({"scope": "pets/write", "suspended": true}),
    );
    assert_eq!(
        ask(&suspended, "POST", "pets"),
        "403 allows GET /pets",
        "forbid wins over permit"
    );
    let premium = token("pat", &[], json!({"tier": "premium"}));
    assert_eq!(
        ask(&premium, "GET", "pets/7"),
        "200 allows GET /pets, GET /pets/*"
    );
    // Claims of the wrong type: `==` on a number is false, and the forbid whose condition errs
    // on a string is ignored, as Cedar specifies: the permits stand on their own.
    let wrong = token(
        "pat",
        &["staff"],
        json!({"tier": 3, "suspended": "yes", "scope": "pets/write"}),
    );
    assert_eq!(
        ask(&wrong, "GET", "pets/7"),
        "403 allows DELETE /pets/*, GET /pets, POST /pets"
    );
    // Cedar's JSON escapes inside claims are data, not entities or extension values.
    let escapes = token(
        "eve",
        &[],
        json!({"address": {"__entity": {"type": "Shop::Application", "id": "Shop"}},
               "tier": {"__extn": {"fn": "decimal", "arg": "1.0"}},
               "roles": [{"__entity": {"type": "Shop::UserGroup", "id": "staff"}}]}),
    );
    assert_eq!(ask(&escapes, "GET", "pets/7"), "403 allows GET /pets");
    let lyon = token(
        "lou",
        &[],
        json!({"address": {"city": "Lyon", "__entity": 1}}),
    );
    assert_eq!(
        ask(&lyon, "GET", "pets/7"),
        "200 allows GET /pets, GET /pets/*"
    );
    // Group names that look like Cedar syntax are ids, compared exactly.
    for group in [
        "staff\" ) permit(",
        "Shop::UserGroup::staff",
        "Staff",
        "staff ",
    ] {
        let token = token("max", &[group], json!({"scope": "pets/write"}));
        assert_eq!(
            ask(&token, "POST", "pets"),
            "403 allows GET /pets",
            "{group}"
        );
    }
    let logs = function.logs();
    let decided: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|line| line["fields"].clone())
        .filter(|fields| fields["message"] == "authorized")
        .collect();
    assert_eq!(decided[0]["policies"], "staff-change", "{logs}");
    assert_eq!(decided[2]["policies"], "suspended-never-writes", "{logs}");
    assert_eq!(decided[1]["policies"], "", "denied by default: {logs}");
    assert!(logs.contains("premium-reads"), "{logs}");
    for value in ["Lyon", "pets/write"] {
        assert!(
            !logs.contains(value),
            "a claim's value reached the logs: {value}\n{logs}"
        );
    }
}

#[test]
fn the_readmes_worked_example_answers_as_it_says() {
    let readme = testkit::readme::text();
    let schema = fenced_block(&readme, "**A worked example.**", "cedar");
    let policies = fenced_block(&readme, "With these policies:", "cedar");
    let mut function = start(&[
        ("CEDAR_POLICIES", &policies),
        ("CEDAR_SCHEMA", &schema),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ]);
    let mut post = |groups: &[&str], claims: Value| {
        let token = token("cus", groups, claims);
        outcome(&function.invoke(&call(&token, "POST", "orders")))
    };
    assert_eq!(
        post(&[], json!({"scope": "orders"})),
        "200 allows GET /orders, POST /orders"
    );
    assert_eq!(
        post(&[], json!({"scope": "orders", "suspended": true})),
        "403 allows GET /orders"
    );
    assert_eq!(
        post(&["support"], json!({"scope": "orders"})),
        "403 allows GET /orders"
    );
    assert_eq!(
        post(&[], json!({"scope": "orders", "tier": "premium"})),
        "200 allows GET /orders, GET /reports/*, POST /orders"
    );
    assert!(
        function
            .logs()
            .contains(r#""policies":"suspended-never-writes""#)
    );
}

#[test]
fn the_prefix_names_principals_and_groups_as_verified_permissions_does() {
    let policies = r#"
        permit(principal == Shop::User::"eu-west-1_Pool|bob", action == Shop::Action::"get /pets", resource);
        permit(principal in Shop::UserGroup::"eu-west-1_Pool|staff", action == Shop::Action::"post /pets", resource);
    "#;
    let mut function = start(&[
        ("CEDAR_POLICIES", policies),
        ("CEDAR_SCHEMA", SCHEMA),
        ("CEDAR_ENTITY_ID_PREFIX", "eu-west-1_Pool"),
    ]);
    let bob = token("bob", &["staff"], json!({}));
    assert_eq!(
        outcome(&function.invoke(&call(&bob, "POST", "pets"))),
        "200 allows GET /pets, POST /pets"
    );
    let mut unprefixed = start(&[("CEDAR_POLICIES", policies), ("CEDAR_SCHEMA", SCHEMA)]);
    assert_eq!(
        outcome(&unprefixed.invoke(&call(&bob, "POST", "pets"))),
        "403 allows nothing"
    );
}

/// [`SCHEMA`] in Cedar's JSON format, as Verified Permissions stores it.
fn json_schema() -> String {
    let route = json!({"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Application"],
        "context": {"type": "Record", "attributes": {"scopes": {"type": "Set", "element": {"type": "String"}}}}}});
    json!({"Shop": {
        "entityTypes": {
            "UserGroup": {},
            "User": {"memberOfTypes": ["UserGroup"], "shape": {"type": "Record", "attributes": {
                "tier": {"type": "String", "required": false}}}},
            "Application": {}
        },
        "actions": {"get /pets": route, "post /pets": route}
    }})
    .to_string()
}

#[test]
fn both_schema_formats_inline_or_in_files_and_rest_and_http_events() {
    let policies = r#"permit(principal, action == Shop::Action::"get /pets", resource)
        when { principal has tier && principal.tier == "premium" };"#;
    let dir = root().join("target/tmp/cedar-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let (policy_file, schema_file) = (dir.join("policies.cedar"), dir.join("schema.json"));
    std::fs::write(&policy_file, policies).unwrap();
    std::fs::write(&schema_file, json_schema()).unwrap();
    let policy_file = format!("file:{}", policy_file.display());
    let schema_file = format!("file:{}", schema_file.display());
    let premium = token("pat", &[], json!({"tier": "premium"}));
    let basic = token("bea", &[], json!({"tier": "basic"}));
    for (policies, schema) in [
        (policies, SCHEMA.to_owned()),
        (policies, json_schema()),
        (&policy_file, schema_file.clone()),
    ] {
        let mut function = start(&[("CEDAR_POLICIES", policies), ("CEDAR_SCHEMA", &schema)]);
        let v2 = |token: &str| {
            http_event(
                HTTP_API,
                "GET",
                json!({"authorization": format!("Bearer {token}")}),
            )
        };
        assert_eq!(
            outcome(&function.invoke(&token_event(API, "GET", &premium))),
            "200 allows GET /pets"
        );
        assert_eq!(
            outcome(&function.invoke(&token_event(API, "GET", &basic))),
            "403 allows nothing"
        );
        assert_eq!(outcome(&function.invoke(&v2(&premium))), "200 isAuthorized");
        assert_eq!(
            outcome(&function.invoke(&v2(&basic))),
            "403 not isAuthorized"
        );
    }
}

/// A function's settings beyond its secret.
type Settings<'a> = &'a [(&'a str, &'a str)];

#[test]
fn every_init_failure_names_its_variable() {
    let valid = r#"permit(principal, action == Shop::Action::"get /pets", resource);"#;
    let cases: [(Settings, &str, &str); 9] = [
        (
            &[
                ("CEDAR_POLICIES", "permit(principal, action resource);"),
                ("CEDAR_SCHEMA", SCHEMA),
            ],
            "CEDAR_POLICIES",
            "policy0",
        ),
        (
            &[
                (
                    "CEDAR_POLICIES",
                    "permit(principal, action, resource);\n@id(\"typo\")\npermit(principal, action == Shop::Action::\"get /pet\", resource);",
                ),
                ("CEDAR_SCHEMA", SCHEMA),
            ],
            "CEDAR_POLICIES",
            "typo",
        ),
        (
            &[
                (
                    "CEDAR_POLICIES",
                    r#"permit(principal, action, resource) when { principal.level > "3" };"#,
                ),
                ("CEDAR_SCHEMA", SCHEMA),
            ],
            "CEDAR_POLICIES",
            "policy0",
        ),
        (
            &[
                ("CEDAR_POLICIES", valid),
                ("CEDAR_SCHEMA", "namespace Shop {"),
            ],
            "CEDAR_SCHEMA",
            "not a Cedar schema",
        ),
        (
            &[("CEDAR_POLICIES", valid), ("CEDAR_SCHEMA", "{\"Shop\": 1}")],
            "CEDAR_SCHEMA",
            "JSON",
        ),
        (&[("CEDAR_POLICIES", valid)], "CEDAR_SCHEMA", "required"),
        (
            &[
                ("CEDAR_POLICIES", valid),
                ("CEDAR_SCHEMA", SCHEMA),
                ("ACCESS_RULES", r#"{"*": []}"#),
            ],
            "CEDAR_POLICIES",
            "ACCESS_RULES",
        ),
        (
            &[
                ("CEDAR_POLICIES", "file:/nonexistent/policies.cedar"),
                ("CEDAR_SCHEMA", SCHEMA),
            ],
            "CEDAR_POLICIES",
            "/nonexistent/policies.cedar",
        ),
        (
            &[("CEDAR_SCHEMA", SCHEMA)],
            "CEDAR_SCHEMA",
            "without CEDAR_POLICIES",
        ),
    ];
    let mut functions: Vec<_> = cases
        .iter()
        .map(|(env, var, hint)| (start(env), *var, *hint))
        .collect();
    for (function, var, hint) in &mut functions {
        let logs = function.assert_init_fails_naming(var, Duration::from_secs(5));
        assert!(logs.contains(*hint), "{var}: {hint} not in\n{logs}");
    }
}
