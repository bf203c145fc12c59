//! Offline checks of `template.yaml`, the AWS SAM template that deploys the pet store.
//!
//! The linters (`sam validate --lint`, `cfn-lint`) see only part of what can go wrong in SAM
//! resources, so most checks run on the template as SAM's own transform expands it, for each
//! value of the `Authorizer` and `Architecture` parameters and a few others, with what SAM leaves
//! to CloudFormation resolved as CloudFormation would for that deployment
//! ([`testkit::template::Deployment`]). Last, `sam build` builds the three functions (slow:
//! release builds with LTO).

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::{Value, json};
use testkit::declared;
use testkit::paths::{demo_env, root, target_dir};
use testkit::template::{Deployment, as_list, references, run, text, tool};

const COGNITO: &str = "authorizer-cognito";
const HS256: &str = "authorizer-hs256";
const OIDC: &str = "authorizer-oidc";
const NOOP_CORS: &str = "noop-cors";
const BINARIES: [&str; 4] = [COGNITO, HS256, OIDC, NOOP_CORS];
/// What `OidcIssuers` is set to with `Authorizer=oidc`.
const ISSUERS: &str = r#"[{"issuer": "https://petstore.eu.auth0.com/", "audiences": ["https://petstore.example/api"]}]"#;
/// The logical id of the HTTP API's stand-in backend, an inline function.
const PETS_HTTP: &str = "PetsHttpFunction";

const EXISTING_SECRET: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:petstore/hs256-AbCdEf";

// ---------------------------------------------------------------------------------------------
// Linters

/// Every template of the repository: the pet store, the standalone authorizers, the examples.
fn templates() -> Vec<String> {
    let mut found = vec!["template.yaml".to_owned()];
    for dir in ["templates", "examples"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yaml"))
            .map(|name| format!("{dir}/{name}"))
            .collect();
        names.sort();
        found.extend(names);
    }
    found
}

#[test]
fn sam_validate_and_cfn_lint_accept_every_template() {
    let templates = templates();
    assert!(templates.len() >= 4, "{templates:?}");
    lint(&templates, &templates);
    for template in &templates {
        // Plain `sam validate` runs SAM's transform; with no managed policy to look up by name it
        // never calls AWS, and needs only a region.
        let mut validate = tool("sam");
        validate
            .args(["validate", "--template-file", template])
            .env("AWS_DEFAULT_REGION", "us-east-1");
        run(validate);
    }
}

/// Runs `cfn-lint` on every file of `linted` and `sam validate --lint` on each of `templates`
/// (SAM templates; `linted` may add expanded ones), failing on any finding.
fn lint(linted: &[impl AsRef<std::ffi::OsStr>], templates: &[impl AsRef<std::ffi::OsStr>]) {
    run({
        let mut cfn_lint = tool("cfn-lint");
        cfn_lint.args(linted);
        cfn_lint
    });
    for template in templates {
        let mut lint = tool("sam");
        lint.args(["validate", "--lint", "--template-file"])
            .arg(template)
            .env("AWS_DEFAULT_REGION", "us-east-1");
        run(lint);
    }
}

// ---------------------------------------------------------------------------------------------
// The expanded template

/// Each value of the `Authorizer` parameter, the function it names, and the parameters choosing
/// it takes (`Authorizer=oidc` requires `OidcIssuers`).
const AUTHORIZERS: [(&str, &str); 3] = [("cognito", COGNITO), ("hs256", HS256), ("oidc", OIDC)];

/// The parameters choosing `authorizer`, then `extra`.
fn choosing<'a>(authorizer: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![("Authorizer", authorizer)];
    if authorizer == "oidc" {
        params.push(("OidcIssuers", ISSUERS));
    }
    params.extend_from_slice(extra);
    params
}

#[test]
fn the_chosen_authorizer_guards_get_and_post_for_each_architecture() {
    for (authorizer, guard) in AUTHORIZERS {
        for arch in ["arm64", "x86_64"] {
            let d = Deployment::expand(&choosing(authorizer, &[("Architecture", arch)]));
            let case = format!("Authorizer={authorizer} Architecture={arch}");
            check_api(&d, guard, "300", &case);
            check_functions(&d, arch, &case);
        }
    }
    // The result TTL follows its parameter, for each value it may take.
    for (authorizer, guard) in AUTHORIZERS {
        for ttl in ["0", "60", "900", "3600"] {
            let d = Deployment::expand(&choosing(authorizer, &[("AuthorizerTtlSeconds", ttl)]));
            let case = format!("Authorizer={authorizer} AuthorizerTtlSeconds={ttl}");
            check_api(&d, guard, ttl, &case);
        }
    }
}

#[test]
fn switching_the_authorizer_redeploys_the_stage() {
    // CloudFormation creates a new API Gateway deployment only under a new logical id, which SAM
    // derives from the API definition: the definition must change with the parameter.
    let deployment_id = |authorizer| {
        let d = Deployment::expand(&choosing(authorizer, &[]));
        let deployments = d.of_type("AWS::ApiGateway::Deployment");
        assert_eq!(deployments.len(), 1);
        let stages = d.of_type("AWS::ApiGateway::Stage");
        assert_eq!(stages.len(), 1, "one stage (no extra \"Stage\" stage)");
        assert_eq!(stages[0].1["Properties"]["StageName"], "prod");
        assert_eq!(
            stages[0].1["Properties"]["DeploymentId"],
            json!({"Ref": deployments[0].0})
        );
        deployments[0].0.clone()
    };
    assert_ne!(deployment_id("cognito"), deployment_id("hs256"));
    assert_ne!(deployment_id("oidc"), deployment_id("cognito"));
    assert_ne!(deployment_id("oidc"), deployment_id("hs256"));
}

/// The REST API's routes (OpenAPI path, method) other than preflights, and the status of their mocks.
const ROUTES: [(&str, &str, &str); 5] = [
    ("/pets", "get", "200"),
    ("/pets", "post", "201"),
    ("/pets/{petId}", "get", "200"),
    ("/accounts/{accountId}", "get", "200"),
    ("/accounts/{accountId}", "put", "200"),
];

fn check_api(d: &Deployment, guard: &str, ttl: &str, case: &str) {
    let body = d.api_body();
    assert!(
        body.get("security").is_none(),
        "{case}: no API-wide security requirement"
    );
    let guard_fn = d.function(guard);

    for (path, method, status) in ROUTES {
        let op = &body["paths"][path][method];
        let route = format!("{case}: {method} {path}");
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{route} has no security requirement: {op}"));
        assert_eq!(security.len(), 1, "{route}: {security:?}");
        let names: Vec<&String> = security[0].as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 1, "{route}: {security:?}");
        let scheme = &body["securityDefinitions"][names[0]];
        let authorizer = &scheme["x-amazon-apigateway-authorizer"];
        assert_eq!(
            (&scheme["type"], &scheme["in"], &scheme["name"]),
            (&json!("apiKey"), &json!("header"), &json!("Authorization")),
            "{route}: identity source"
        );
        assert_eq!(scheme["x-amazon-apigateway-authtype"], "custom", "{case}");
        assert_eq!(authorizer["type"], "token", "{case}: a TOKEN authorizer");
        // A number, as API Gateway's import reads it: 0 really turns the cache off.
        assert_eq!(
            authorizer["authorizerResultTtlInSeconds"],
            json!(ttl.parse::<u64>().unwrap()),
            "{case}: the result TTL"
        );
        let called = called(d, &authorizer["authorizerUri"]);
        assert_eq!(called, [guard_fn], "{route} must be guarded by {guard}");

        // A mock answers, with the CORS header.
        let integration = &op["x-amazon-apigateway-integration"];
        assert_eq!(integration["type"], "mock", "{route}");
        assert!(
            integration["requestTemplates"]["application/json"]
                .as_str()
                .unwrap()
                .contains(status),
            "{route}: the mock's status"
        );
        let answer = &integration["responses"]["default"];
        assert_eq!(answer["statusCode"], status, "{route}");
        assert_eq!(
            answer["responseParameters"]["method.response.header.Access-Control-Allow-Origin"],
            "'*'",
            "{route}: Access-Control-Allow-Origin"
        );
        assert!(
            op["responses"][status]["headers"]
                .get("Access-Control-Allow-Origin")
                .is_some(),
            "{route}: the method response must declare the header"
        );
        // The sample, with API Gateway's template variables standing in for their values.
        let template = answer["responseTemplates"]["application/json"]
            .as_str()
            .unwrap();
        let sample = velocity_stand_ins(template);
        let sample: Value = serde_json::from_str(&sample)
            .unwrap_or_else(|e| panic!("{route}: the sample is not JSON: {e}: {sample}"));
        if (path, method) == ("/pets", "get") {
            assert!(
                sample.as_array().is_some_and(|pets| !pets.is_empty()),
                "{case}: a pet list"
            );
        } else {
            assert!(sample.is_object(), "{route}: {sample}");
        }
    }
    let paths = body["paths"].as_object().unwrap();
    assert_eq!(
        paths.keys().collect::<Vec<_>>(),
        ["/accounts/{accountId}", "/pets", "/pets/{petId}"],
        "{case}"
    );

    // API Gateway may invoke the guarding authorizer, as an authorizer of this API.
    let may_invoke = |function: &str, source: &str| may_invoke(d, function, d.api_id(), source);
    assert!(
        may_invoke(guard_fn, "/authorizers/*"),
        "{case}: no permission for API Gateway to invoke {guard}"
    );

    // Each path serves its routes and OPTIONS: no authorization, a Lambda proxy to noop-cors.
    let cors_fn = d.function(NOOP_CORS);
    for (path, methods) in paths {
        let mut expected: Vec<&str> = ROUTES
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, m, _)| *m)
            .chain(["options"])
            .collect();
        expected.sort();
        assert_eq!(
            methods.as_object().unwrap().keys().collect::<Vec<_>>(),
            expected,
            "{case}: {path}"
        );
        let options = &methods["options"];
        assert!(
            options
                .get("security")
                .is_none_or(|s| s.as_array().is_some_and(|s| s.is_empty())),
            "{case}: OPTIONS {path} must not require authorization: {options}"
        );
        let integration = &options["x-amazon-apigateway-integration"];
        assert_eq!(integration["type"], "aws_proxy", "{case}: OPTIONS {path}");
        assert_eq!(integration["httpMethod"], "POST", "{case}: OPTIONS {path}");
        let called = called(d, &integration["uri"]);
        assert_eq!(called, [cors_fn], "{case}: OPTIONS {path} calls noop-cors");
    }
    assert!(
        may_invoke(cors_fn, "/OPTIONS/*"),
        "{case}: no permission for API Gateway to invoke noop-cors for OPTIONS"
    );

    // Browsers see 401 and 403 (and 5xx) rather than a CORS error.
    for response in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let headers =
            &body["x-amazon-apigateway-gateway-responses"][response]["responseParameters"];
        let header = |name: &str| {
            headers[format!("gatewayresponse.header.{name}")]
                .as_str()
                .unwrap_or_else(|| panic!("{case}: {response} lacks {name}: {headers}"))
                .to_owned()
        };
        assert_eq!(header("Access-Control-Allow-Origin"), "'*'", "{case}");
        assert!(
            header("Access-Control-Allow-Headers").contains("Authorization"),
            "{case}"
        );
        assert!(
            header("Access-Control-Allow-Methods").contains("POST"),
            "{case}"
        );
    }

    let url = d.outputs["PetsUrl"].to_string();
    assert!(
        url.contains("https://${")
            && url.contains(".execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/pets"),
        "{case}: PetsUrl is {url}"
    );
}

fn check_functions(d: &Deployment, arch: &str, case: &str) {
    let functions = d.of_type("AWS::Lambda::Function");
    let built: BTreeSet<_> = functions
        .iter()
        .filter_map(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"].as_str())
        .collect();
    assert_eq!(
        built,
        BTreeSet::from(BINARIES),
        "{case}: four Rust functions"
    );
    for (id, function) in functions {
        let p = &function["Properties"];
        if id == PETS_HTTP {
            // The HTTP API's stand-in backend: inline Python, nothing to build.
            assert!(
                p["Runtime"].as_str().unwrap().starts_with("python3."),
                "{case}"
            );
            assert!(
                p["Code"]["ZipFile"].as_str().is_some(),
                "{case}: inline code"
            );
        } else {
            assert_eq!(
                function["Metadata"]["BuildMethod"], "rust-cargolambda",
                "{id}"
            );
            assert_eq!(p["Runtime"], "provided.al2023", "{case}: {id}");
            assert_eq!(p["Handler"], "bootstrap", "{case}: {id}");
        }
        assert_eq!(p["Architectures"], json!([arch]), "{case}: {id}");
        assert_eq!(p["MemorySize"], 128, "{case}: {id}");
        assert!(
            p["Timeout"].as_u64().is_some_and(|t| t <= 10),
            "{case}: {id}: a short timeout"
        );
        assert_eq!(p["TracingConfig"]["Mode"], "Active", "{case}: {id}");
        assert_eq!(p["LoggingConfig"]["LogFormat"], "JSON", "{case}: {id}");
    }
}

/// The pet store's default rules tell its story: Bob may read and change his own account and no
/// one else's, Alice (an admin) may add pets and read any account, and a verified e-mail address
/// opens a pet's details.
#[test]
fn the_default_rules_give_each_caller_their_own_account() {
    use authorizer_core::arn::CONNECT_ROUTE;
    use authorizer_core::{AccessRules, Principal};
    let d = Deployment::expand(&[]);
    let rules = AccessRules::from_json(&d.params["AccessRules"]).expect("valid ACCESS_RULES");
    let caller = |sub: &str, groups: &[&str], claims: Value| Principal {
        sub: sub.to_owned(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        claims: claims.as_object().unwrap().clone(),
        ..Principal::default()
    };
    let may = |principal: &Principal, method: &str, path: &str| {
        rules
            .grants_for(principal)
            .iter()
            .any(|grant| grant.covers(method, path))
    };
    let bob = caller("bob", &[], json!({}));
    let alice = caller("alice", &["admin"], json!({}));
    let carol = caller("carol", &[], json!({"email_verified": true}));
    for (who, method, path, allowed) in [
        (&bob, "GET", "pets", true),
        (&bob, "POST", "pets", false),
        (&bob, "GET", "accounts/bob", true),
        (&bob, "PUT", "accounts/bob", true),
        (&bob, "PUT", "accounts/alice", false),
        (&bob, "GET", "accounts/alice", false),
        (&bob, "GET", "pets/1", false),
        (&alice, "POST", "pets", true),
        (&alice, "GET", "accounts/bob", true),
        (&alice, "PUT", "accounts/bob", false),
        (&alice, "PUT", "accounts/alice", true),
        (&carol, "GET", "pets/1", true),
        (&carol, "PUT", "accounts/bob", false),
        (&bob, CONNECT_ROUTE, "", true),
        (&alice, CONNECT_ROUTE, "", true),
        (&carol, CONNECT_ROUTE, "", true),
    ] {
        assert_eq!(
            may(who, method, path),
            allowed,
            "{} {method} /{path}",
            who.sub
        );
    }
}

#[test]
fn environments_hold_only_what_the_binaries_read() {
    let demo_secret = demo_env(HS256)
        .into_iter()
        .find(|(k, _)| k == "JWT_SECRET")
        .map(|(_, v)| v);
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    // No parameter carries a secret: the HS256 key is only ever named by its ARN.
    let d = Deployment::expand(&[]);
    for (name, value) in &d.params {
        let lower = name.to_lowercase();
        if lower.contains("secret") || lower.contains("password") || lower.contains("key") {
            assert_eq!(name, "JwtSecretArn", "a parameter holding a secret: {name}");
            assert_eq!(value, "", "JwtSecretArn defaults to a generated secret");
        }
    }
    for overrides in [
        vec![],
        vec![("Authorizer", "hs256")],
        choosing("oidc", &[]),
        vec![
            ("AccessRules", r#"{"*": ["GET /pets"]}"#),
            ("JwtIssuer", "https://issuer.example"),
            ("JwtAudience", "petstore,petstore-admin"),
            ("TokenUse", "id"),
            ("UsagePlans", "enabled"),
        ],
        vec![("Apis", "all")],
        vec![("Policies", "cedar")],
    ] {
        let d = Deployment::expand(&overrides);
        let case = format!("{overrides:?}");
        let cedar = overrides.contains(&("Policies", "cedar"));
        for binary in BINARIES {
            let env = d.environment(binary);
            let declared = declared::variables(binary);
            for name in env.keys() {
                assert!(
                    declared.contains(&name.as_str()),
                    "{case}: {binary} is given {name}, which it does not declare: {declared:?}"
                );
                assert_ne!(name, "JWT_SECRET", "{case}: never the secret itself");
            }
            let expanded = serde_json::to_string(&d.resources).unwrap();
            if let Some(secret) = &demo_secret {
                assert!(
                    !expanded.contains(secret.as_str()) && !template.contains(secret.as_str()),
                    "the demo secret must stay out of deployments"
                );
            }
        }

        let hs256 = d.environment(HS256);
        assert_eq!(hs256["JWT_SECRET_ARN"], d.secret_arn(), "{case}");
        let cognito = d.environment(COGNITO);
        assert_eq!(
            cognito["USER_POOL_ID"],
            json!({"Ref": "UserPool"}),
            "{case}"
        );
        assert_eq!(
            cognito["APP_CLIENT_IDS"],
            json!({"Ref": "UserPoolClient"}),
            "{case}"
        );
        assert_eq!(
            cognito["TOKEN_USE"],
            d.params["TokenUse"].as_str(),
            "{case}"
        );
        assert!(d.environment(NOOP_CORS).is_empty(), "{case}: noop-cors");
        // The query string is read only where the WebSocket API sends the token in it.
        let websocket = overrides.contains(&("Apis", "all"));
        for (_, binary) in AUTHORIZERS {
            assert_eq!(
                d.environment(binary).get("TOKEN_QUERY_PARAMETER"),
                websocket.then(|| json!("token")).as_ref(),
                "{case}: {binary}"
            );
        }

        // Optional settings are set only when given, to exactly what was given.
        // With Policies=cedar, Cedar policies take the place of the access rules.
        for (binary, var, param) in [
            (COGNITO, "ACCESS_RULES", "AccessRules"),
            (HS256, "ACCESS_RULES", "AccessRules"),
            (HS256, "JWT_ISSUER", "JwtIssuer"),
            (HS256, "JWT_AUDIENCE", "JwtAudience"),
            (OIDC, "ACCESS_RULES", "AccessRules"),
            (OIDC, "OIDC_ISSUERS", "OidcIssuers"),
        ] {
            let given = if cedar && var == "ACCESS_RULES" {
                ""
            } else {
                d.params[param].as_str()
            };
            let set = d.environment(binary).get(var).cloned();
            if given.is_empty() {
                assert_eq!(set, None, "{case}: {binary} {var}");
            } else {
                assert_eq!(set, Some(json!(given)), "{case}: {binary} {var}");
            }
        }
    }
}

#[test]
fn existing_user_pool_and_secret_are_used_as_given() {
    let d = Deployment::expand(&[
        ("UserPoolId", "eu-west-1_AbCdEf123"),
        ("AppClientIds", "1example23456789,2example23456789"),
        ("JwtSecretArn", EXISTING_SECRET),
    ]);
    for kind in [
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
        "AWS::SecretsManager::Secret",
    ] {
        assert!(d.of_type(kind).is_empty(), "no {kind} is created");
    }
    let cognito = d.environment(COGNITO);
    assert_eq!(cognito["USER_POOL_ID"], "eu-west-1_AbCdEf123");
    assert_eq!(
        cognito["APP_CLIENT_IDS"],
        "1example23456789,2example23456789"
    );
    assert_eq!(d.environment(HS256)["JWT_SECRET_ARN"], EXISTING_SECRET);
    assert_eq!(d.outputs["UserPoolId"], "eu-west-1_AbCdEf123");
    assert_eq!(d.outputs["JwtSecretArn"], EXISTING_SECRET);
    check_roles(&d);

    // Left empty, the template creates them.
    let d = Deployment::expand(&[]);
    let pool = d.of_type("AWS::Cognito::UserPool");
    assert_eq!(pool.len(), 1);
    let client = &d.of_type("AWS::Cognito::UserPoolClient")[0].1["Properties"];
    assert_eq!(client["GenerateSecret"], false);
    let flows: BTreeSet<_> = client["ExplicitAuthFlows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        flows,
        BTreeSet::from(["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );
    let group = &d.of_type("AWS::Cognito::UserPoolGroup")[0].1["Properties"];
    assert_eq!(group["GroupName"], "admin");
    let secrets = d.of_type("AWS::SecretsManager::Secret");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].0, "Hs256AuthorizerJwtSecret");
    let generate = &secrets[0].1["Properties"]["GenerateSecretString"];
    assert_eq!(generate["PasswordLength"], 64);
    assert_eq!(generate["ExcludePunctuation"], true);
    assert!(
        secrets[0].1["Properties"].get("SecretString").is_none(),
        "no secret in the template"
    );
    assert_eq!(d.outputs["UserPoolId"], json!({"Ref": "UserPool"}));
    assert_eq!(d.outputs["AppClientIds"], json!({"Ref": "UserPoolClient"}));
    assert_eq!(
        d.outputs["JwtSecretArn"],
        json!({"Ref": "Hs256AuthorizerJwtSecret"})
    );
    check_roles(&d);
}

/// The template's resources that `value` (an integration's or authorizer's URI) refers to.
fn called(d: &Deployment, value: &Value) -> Vec<String> {
    references(value)
        .into_iter()
        .filter(|id| d.resources.contains_key(id))
        .collect()
}

/// A mapping template with each `$util.escapeJavaScript(...)` (always quoted in ours) replaced by
/// a plain word, so that the sample it writes can be read as JSON.
fn velocity_stand_ins(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("$util.escapeJavaScript(") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let mut depth = 0;
        let end = after
            .char_indices()
            .find_map(|(i, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                (c == ')' && depth == 0).then_some(i + 1)
            })
            .expect("a closed call");
        out.push_str("value");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Whether API Gateway may invoke `function` for the API `api`, from a source ARN holding `source`.
fn may_invoke(d: &Deployment, function: &str, api: &str, source: &str) -> bool {
    d.of_type("AWS::Lambda::Permission").iter().any(|(_, p)| {
        let p = &p["Properties"];
        p["Action"] == "lambda:InvokeFunction"
            && p["Principal"] == "apigateway.amazonaws.com"
            && references(&p["FunctionName"]).contains(function)
            && references(&p["SourceArn"]).contains(api)
            && p["SourceArn"].to_string().contains(source)
    })
}

/// Whether the deployment has a function built from `binary`.
fn builds(d: &Deployment, binary: &str) -> bool {
    d.of_type("AWS::Lambda::Function")
        .iter()
        .any(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"] == binary)
}

/// Least privilege: every function may log and trace; hs256 may also read its one secret.
fn check_roles(d: &Deployment) {
    assert_eq!(
        d.of_type("AWS::IAM::Role").len(),
        d.of_type("AWS::Lambda::Function").len(),
        "one role per function"
    );
    for kind in [
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::User",
    ] {
        assert!(d.of_type(kind).is_empty(), "no {kind}");
    }
    for binary in BINARIES.into_iter().filter(|binary| builds(d, binary)) {
        let role = d.role_of(binary);
        let trust = &role["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(
            trust,
            &json!([{"Action": ["sts:AssumeRole"], "Effect": "Allow",
                     "Principal": {"Service": ["lambda.amazonaws.com"]}}]),
            "{binary}: only Lambda assumes the role"
        );
        let managed: BTreeSet<String> = role["ManagedPolicyArns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arn| {
                let arn = arn.as_str().expect("a plain policy ARN");
                arn.rsplit(":policy/").next().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            managed,
            BTreeSet::from([
                "service-role/AWSLambdaBasicExecutionRole".to_owned(),
                "AWSXrayWriteOnlyAccess".to_owned()
            ]),
            "{binary}: basic execution and X-Ray write only"
        );
        let inline = role.get("Policies").map(as_list).unwrap_or_default();
        if binary != HS256 {
            assert!(inline.is_empty(), "{binary} needs no other permission");
            continue;
        }
        assert_eq!(inline.len(), 1, "hs256: one inline policy");
        let statements = as_list(&inline[0]["PolicyDocument"]["Statement"]);
        assert_eq!(statements.len(), 1, "hs256: one statement: {statements:?}");
        let statement = &statements[0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            as_list(&statement["Action"]),
            [json!("secretsmanager:GetSecretValue")],
            "hs256: GetSecretValue only"
        );
        assert_eq!(
            as_list(&statement["Resource"]),
            [d.secret_arn()],
            "hs256: exactly the secret's ARN"
        );
        assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());
    }
}

#[test]
fn allowed_source_ips_add_a_resource_policy_to_the_rest_api() {
    let d = Deployment::expand(&[]);
    assert!(
        d.api_body().get("x-amazon-apigateway-policy").is_none(),
        "no resource policy by default"
    );
    let d = Deployment::expand(&[("AllowedSourceIps", "203.0.113.0/24, 2001:db8::/32")]);
    let policy = &d.api_body()["x-amazon-apigateway-policy"];
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{policy}");
    let (allow, deny) = (&statements[0], &statements[1]);
    for statement in [allow, deny] {
        assert_eq!(statement["Action"], "execute-api:Invoke");
        assert_eq!(statement["Resource"], "execute-api:/*");
        assert_eq!(statement["Principal"], "*");
    }
    assert_eq!(allow["Effect"], "Allow");
    assert!(allow.get("Condition").is_none());
    assert_eq!(deny["Effect"], "Deny");
    // The parameter without its spaces, split at its commas (left for CloudFormation to do).
    let ranges = &deny["Condition"]["NotIpAddress"]["aws:SourceIp"];
    assert_eq!(
        ranges,
        &json!({"Fn::Split": [",", {"Fn::Join": ["", {"Fn::Split": [" ", "203.0.113.0/24, 2001:db8::/32"]}]}]})
    );
}

/// Which of `texts` the regular expression `pattern` matches in full, as Python's `re` (whose
/// syntax agrees with Java's, API Gateway's and CloudFormation's, for these patterns) says.
fn full_matches(pattern: &str, texts: &[String]) -> Vec<bool> {
    let script = "import json, re, sys\n\
                  pattern, texts = json.load(sys.stdin)\n\
                  print(json.dumps([re.fullmatch(pattern, t) is not None for t in texts]))";
    let mut command = tool("python");
    command
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let input = json!([pattern, texts]).to_string();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    serde_json::from_slice(&output.stdout).expect("a list of booleans")
}

#[test]
fn the_token_validation_expression_lets_through_every_token_the_authorizers_accept() {
    let d = Deployment::expand(&[]);
    let schemes = d.api_body()["securityDefinitions"]
        .as_object()
        .unwrap()
        .clone();
    let mut accepted = Vec::new();
    for function in [HS256, COGNITO, OIDC] {
        for event in testkit::events::sample_events(function) {
            let event_json: Value = serde_json::from_str(&event.json).unwrap();
            if let Some(token) = event_json["authorizationToken"].as_str()
                && event.expected != "401"
            {
                accepted.push(token.to_owned());
            }
        }
    }
    accepted.extend(["bearer a.b.c", "BEARER  a.b.c", "a.b.", "x-_=.y.z"].map(String::from));
    let garbage: Vec<String> = [
        "",
        "Basic dXNlcjpwYXNz",
        "a.b",
        "%%%.&&&.***",
        "Bearer",
        "a.b.c.d",
    ]
    .map(String::from)
    .to_vec();
    // Every authorizer's scheme (the api_key scheme is API Gateway's own).
    for (name, scheme) in schemes.into_iter().filter(|(name, _)| name != "api_key") {
        let pattern = scheme["x-amazon-apigateway-authorizer"]["identityValidationExpression"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no validation expression"))
            .to_owned();
        let let_through = full_matches(&pattern, &accepted);
        for (token, through) in accepted.iter().zip(let_through) {
            assert!(through, "{name}: {pattern} stops {token:?}");
        }
        let stopped = full_matches(&pattern, &garbage);
        for (token, through) in garbage.iter().zip(stopped) {
            assert!(!through, "{name}: {pattern} lets {token:?} through");
        }
    }
}

#[test]
fn the_secret_arn_parameter_takes_complete_arns_only() {
    let d = Deployment::expand(&[]);
    let pattern = {
        let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
        let line = template
            .lines()
            .skip_while(|line| line.trim() != "JwtSecretArn:")
            .find(|line| line.trim_start().starts_with("AllowedPattern:"))
            .unwrap()
            .to_owned();
        line.split_once(": '")
            .unwrap()
            .1
            .trim_end_matches('\'')
            .to_owned()
    };
    assert_eq!(d.params["JwtSecretArn"], "");
    let arns = [
        "",
        EXISTING_SECRET,
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:petstore/hs256",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:petstore/hs256-AbC",
    ]
    .map(String::from);
    assert_eq!(full_matches(&pattern, &arns), [true, true, false, false]);
}

// ---------------------------------------------------------------------------------------------
// The HTTP API

#[test]
fn the_http_api_is_guarded_by_the_chosen_authorizer_and_caches_per_route() {
    for (authorizer, guard) in AUTHORIZERS {
        for response in ["simple", "iam"] {
            for ttl in ["0", "300"] {
                let d = Deployment::expand(&choosing(
                    authorizer,
                    &[("HttpApiResponse", response), ("AuthorizerTtlSeconds", ttl)],
                ));
                let case = format!("Authorizer={authorizer} HttpApiResponse={response} TTL={ttl}");
                check_http_api(&d, guard, response, ttl, &case);
                assert_eq!(unsafe_http_caches(&d), Vec::<String>::new(), "{case}");
            }
        }
    }
}

fn check_http_api(d: &Deployment, guard: &str, response: &str, ttl: &str, case: &str) {
    let (api_id, body) = d.http_api();
    let guard_fn = d.function(guard);
    let schemes = body["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes.len(), 1, "{case}: one authorizer: {schemes:?}");
    let (scheme, definition) = schemes.iter().next().unwrap();
    let authorizer = &definition["x-amazon-apigateway-authorizer"];
    assert_eq!(authorizer["type"], "request", "{case}");
    assert_eq!(
        authorizer["authorizerPayloadFormatVersion"], "2.0",
        "{case}"
    );
    assert_eq!(
        authorizer["enableSimpleResponses"],
        json!(response == "simple"),
        "{case}"
    );
    assert_eq!(
        authorizer["authorizerResultTtlInSeconds"],
        json!(ttl.parse::<u64>().unwrap()),
        "{case}: the TTL, as a number"
    );
    assert_eq!(
        authorizer["identitySource"],
        json!(["$request.header.Authorization", "$context.routeKey"]),
        "{case}"
    );
    let called = called(d, &authorizer["authorizerUri"]);
    assert_eq!(
        called,
        [guard_fn],
        "{case}: the HTTP API is guarded by {guard}"
    );
    assert_eq!(
        d.environment(guard)["HTTP_API_RESPONSE"],
        json!(response),
        "{case}: the authorizer answers as the API expects"
    );
    assert!(
        may_invoke(d, guard_fn, api_id, "/authorizers/"),
        "{case}: API Gateway may invoke {guard} as the HTTP API's authorizer"
    );

    let pets = body["paths"]["/pets"].as_object().unwrap();
    assert_eq!(
        pets.keys().collect::<Vec<_>>(),
        ["get", "post"],
        "{case}: API Gateway answers OPTIONS itself"
    );
    for (method, operation) in pets {
        assert_eq!(
            operation["security"],
            json!([{scheme.as_str(): []}]),
            "{case}: {method} /pets"
        );
        let integration = &operation["x-amazon-apigateway-integration"];
        assert_eq!(integration["type"], "aws_proxy", "{case}: {method}");
        assert_eq!(
            integration["payloadFormatVersion"], "2.0",
            "{case}: {method}"
        );
        assert!(
            references(&integration["uri"]).contains(PETS_HTTP),
            "{case}: {method} /pets calls the demo backend"
        );
    }
    let role = &d.resources[d.properties(PETS_HTTP)["Role"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap()]["Properties"];
    assert!(
        role.get("Policies").is_none(),
        "{case}: the backend needs no permission"
    );

    // CORS: API Gateway answers preflights and adds the headers, to 401 and 403 as well.
    let cors = &body["x-amazon-apigateway-cors"];
    assert_eq!(cors["allowOrigins"], json!(["*"]), "{case}");
    for (list, item) in [
        ("allowHeaders", "Authorization"),
        ("allowMethods", "GET"),
        ("allowMethods", "POST"),
    ] {
        assert!(
            cors[list].as_array().unwrap().contains(&json!(item)),
            "{case}: {list} lacks {item}"
        );
    }
    let url = d.outputs["PetsHttpUrl"].to_string();
    assert!(
        url.contains("https://${")
            && url.contains(".execute-api.${AWS::Region}.${AWS::URLSuffix}/pets"),
        "{case}: PetsHttpUrl is {url}"
    );
}

/// The HTTP API authorizers whose cached answers would leak across routes: simple responses
/// (a decision about one route) cached without the route among the identity sources. HTTP APIs
/// reuse a cached answer for every route the authorizer guards.
fn unsafe_http_caches(d: &Deployment) -> Vec<String> {
    let mut unsafe_ = Vec::new();
    for (api, definition) in d.of_type("AWS::ApiGatewayV2::Api") {
        let schemes = definition["Properties"]["Body"]["components"]["securitySchemes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, scheme) in schemes {
            let authorizer = &scheme["x-amazon-apigateway-authorizer"];
            let simple = authorizer["enableSimpleResponses"] == json!(true);
            let caches = text(&authorizer["authorizerResultTtlInSeconds"]) != "0";
            let per_route =
                as_list(&authorizer["identitySource"]).contains(&json!("$context.routeKey"));
            if simple && caches && !per_route {
                unsafe_.push(format!("{api}: {name}"));
            }
        }
    }
    for (id, authorizer) in d.of_type("AWS::ApiGatewayV2::Authorizer") {
        let p = &authorizer["Properties"];
        let simple = p["EnableSimpleResponses"] == json!(true);
        let caches = text(&p["AuthorizerResultTtlInSeconds"]) != "0";
        let per_route = as_list(&p["IdentitySource"]).contains(&json!("$context.routeKey"));
        if simple && caches && !per_route {
            unsafe_.push(id.clone());
        }
    }
    unsafe_
}

#[test]
fn a_simple_answer_cached_without_the_route_is_caught() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let unsafe_template = template.replace("              Context: [routeKey]\n", "");
    assert_ne!(
        unsafe_template, template,
        "the template names the route key"
    );
    // Written elsewhere, so the applications it nests are named by their full paths.
    let templates = root().join("templates");
    let unsafe_template = unsafe_template.replace(
        "Location: templates/",
        &format!("Location: {}/", templates.display()),
    );
    let path = target_dir().join("template-without-route-key.yaml");
    std::fs::write(&path, unsafe_template).unwrap();
    let d = Deployment::expand_template(&path, &[]);
    assert_eq!(
        unsafe_http_caches(&d),
        ["PetStoreHttpApi: PetStoreAuthorizer"]
    );
    // With caching off, or with policies, the same identity sources are safe.
    let off = Deployment::expand_template(&path, &[("AuthorizerTtlSeconds", "0")]);
    assert!(unsafe_http_caches(&off).is_empty());
    let iam = Deployment::expand_template(&path, &[("HttpApiResponse", "iam")]);
    assert!(unsafe_http_caches(&iam).is_empty());
}

/// `Apis` picks the pet-store APIs: `both` (the default) is still the REST and HTTP APIs, as
/// before the WebSocket API; `websocket` and `all` add it, and only they.
#[test]
fn the_apis_parameter_deploys_the_chosen_apis() {
    assert_eq!(Deployment::expand(&[]).params["Apis"], "both");
    for (apis, rest, http, websocket) in [
        ("rest", true, false, false),
        ("http", false, true, false),
        ("both", true, true, false),
        ("websocket", false, false, true),
        ("all", true, true, true),
    ] {
        let d = Deployment::expand(&[("Apis", apis)]);
        assert_eq!(
            !d.of_type("AWS::ApiGateway::RestApi").is_empty(),
            rest,
            "{apis}"
        );
        assert_eq!(d.v2_apis("HTTP").len(), usize::from(http), "{apis}");
        assert_eq!(
            d.v2_apis("WEBSOCKET").len(),
            usize::from(websocket),
            "{apis}"
        );
        assert_eq!(d.outputs.contains_key("PetsUrl"), rest, "{apis}");
        assert_eq!(d.outputs.contains_key("PetsHttpUrl"), http, "{apis}");
        assert_eq!(
            d.outputs.contains_key("PetsWebSocketUrl"),
            websocket,
            "{apis}"
        );
        assert_eq!(
            d.resources.contains_key(PETS_HTTP),
            http,
            "{apis}: the HTTP backend"
        );
        let noop_cors = d
            .of_type("AWS::Lambda::Function")
            .iter()
            .any(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"] == NOOP_CORS);
        assert_eq!(
            noop_cors, rest,
            "{apis}: noop-cors serves the REST API only"
        );
        // Nothing of the WebSocket API's is left behind without it.
        let of_websocket: Vec<&String> = d
            .resources
            .iter()
            .filter(|(_, r)| references(r).contains(WEBSOCKET_API))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            of_websocket.is_empty(),
            !websocket,
            "{apis}: {of_websocket:?}"
        );
        // The authorizers read the token from the query string only for the WebSocket API.
        for (_, binary) in AUTHORIZERS {
            assert_eq!(
                d.environment(binary).get("TOKEN_QUERY_PARAMETER"),
                websocket.then(|| json!("token")).as_ref(),
                "{apis}: {binary}"
            );
        }
        check_roles(&d);
    }
}

// ---------------------------------------------------------------------------------------------
// The WebSocket API

/// The WebSocket API's logical id.
const WEBSOCKET_API: &str = "PetStoreWebSocketApi";

#[test]
fn the_websocket_api_connects_through_the_chosen_authorizer() {
    for (authorizer, guard) in AUTHORIZERS {
        let d = Deployment::expand(&choosing(authorizer, &[("Apis", "websocket")]));
        check_websocket_api(&d, guard, &format!("Authorizer={authorizer}"));
    }
}

fn check_websocket_api(d: &Deployment, guard: &str, case: &str) {
    let api = d.websocket_api();
    assert_eq!(api, WEBSOCKET_API, "{case}");
    let p = d.properties(api);
    assert_eq!(p["ProtocolType"], "WEBSOCKET", "{case}");
    assert_eq!(
        p["RouteSelectionExpression"], "$request.body.action",
        "{case}"
    );
    let guard_fn = d.function(guard);

    // One REQUEST authorizer, the chosen function, the token in the query string.
    let authorizers = d.of_api("AWS::ApiGatewayV2::Authorizer", api);
    assert_eq!(authorizers.len(), 1, "{case}: one authorizer");
    let (authorizer_id, authorizer) = authorizers[0];
    let a = &authorizer["Properties"];
    assert_eq!(a["AuthorizerType"], "REQUEST", "{case}");
    assert_eq!(
        a["IdentitySource"],
        json!(["route.request.querystring.token"]),
        "{case}"
    );
    assert_eq!(
        called(d, &a["AuthorizerUri"]),
        [guard_fn],
        "{case}: the WebSocket API is guarded by {guard}"
    );
    let uri = a["AuthorizerUri"]["Fn::Sub"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        uri.starts_with(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        ) && uri.ends_with("/invocations"),
        "{case}: a Lambda invocation URI: {uri}"
    );
    // WebSocket APIs cache no authorizer answer; these are HTTP API settings.
    for http_only in [
        "AuthorizerResultTtlInSeconds",
        "EnableSimpleResponses",
        "AuthorizerPayloadFormatVersion",
    ] {
        assert!(a.get(http_only).is_none(), "{case}: {http_only}");
    }
    // The function reads the token where the identity source says it is.
    let parameter = a["IdentitySource"][0]
        .as_str()
        .unwrap()
        .strip_prefix("route.request.querystring.")
        .unwrap();
    for (_, binary) in AUTHORIZERS {
        assert_eq!(
            d.environment(binary)["TOKEN_QUERY_PARAMETER"],
            parameter,
            "{case}: {binary}"
        );
    }

    // API Gateway may invoke the chosen function as this API's authorizer, and no other function.
    assert!(
        may_invoke(d, guard_fn, api, "/authorizers/"),
        "{case}: API Gateway may invoke {guard} as the WebSocket API's authorizer"
    );
    let permissions: Vec<&Value> = d
        .of_type("AWS::Lambda::Permission")
        .into_iter()
        .map(|(_, p)| &p["Properties"])
        .filter(|p| references(&p["SourceArn"]).contains(api))
        .collect();
    assert_eq!(permissions.len(), 1, "{case}: {permissions:?}");
    assert!(
        references(&permissions[0]["SourceArn"]).contains(authorizer_id.as_str()),
        "{case}: for the authorizer only: {}",
        permissions[0]["SourceArn"]
    );
    for (_, other) in AUTHORIZERS.into_iter().filter(|(_, b)| *b != guard) {
        assert!(
            !may_invoke(d, d.function(other), api, ""),
            "{case}: the WebSocket API may invoke {other}"
        );
    }

    // Two routes: $connect behind the authorizer, $default answering with its integration's answer.
    let routes: Vec<(&String, &Value)> = d.of_api("AWS::ApiGatewayV2::Route", api);
    let route = |key: &str| {
        let found: Vec<_> = routes
            .iter()
            .filter(|(_, r)| r["Properties"]["RouteKey"] == key)
            .collect();
        assert_eq!(found.len(), 1, "{case}: one {key} route");
        (found[0].0.as_str(), &found[0].1["Properties"])
    };
    assert_eq!(routes.len(), 2, "{case}: $connect and $default");
    let (_, connect) = route("$connect");
    assert_eq!(connect["AuthorizationType"], "CUSTOM", "{case}");
    assert_eq!(
        connect["AuthorizerId"],
        json!({"Ref": authorizer_id}),
        "{case}"
    );
    let (default_id, default) = route("$default");
    assert!(
        default.get("AuthorizationType").is_none_or(|t| t == "NONE"),
        "{case}: only $connect takes an authorizer"
    );
    assert_eq!(
        default["RouteResponseSelectionExpression"], "$default",
        "{case}"
    );
    let route_responses = d.of_api("AWS::ApiGatewayV2::RouteResponse", api);
    assert_eq!(route_responses.len(), 1, "{case}");
    let rr = &route_responses[0].1["Properties"];
    assert_eq!(rr["RouteId"], json!({"Ref": default_id}), "{case}");
    assert_eq!(rr["RouteResponseKey"], "$default", "{case}");

    // Each route's target is a mock of this API: 200 (the connection accepted), and for $default
    // an integration response that writes the pet list.
    for route_props in [connect, default] {
        let target = route_props["Target"]["Fn::Sub"]
            .as_str()
            .unwrap_or_default();
        let integration_id = target
            .strip_prefix("integrations/${")
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{case}: a target of this stack: {target}"));
        let integration = d.properties(integration_id);
        assert_eq!(integration["ApiId"], json!({"Ref": api}), "{case}");
        assert_eq!(integration["IntegrationType"], "MOCK", "{case}");
        let request = selected(integration, "RequestTemplates");
        let request: Value = serde_json::from_str(&request).unwrap();
        assert_eq!(request, json!({"statusCode": 200}), "{case}");
    }
    let target = default["Target"]["Fn::Sub"].as_str().unwrap();
    let integration_id = &target["integrations/${".len()..target.len() - 1];
    let responses: Vec<&Value> = d
        .of_api("AWS::ApiGatewayV2::IntegrationResponse", api)
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|r| r["IntegrationId"] == json!({"Ref": integration_id}))
        .collect();
    assert_eq!(responses.len(), 1, "{case}: one integration response");
    assert_eq!(responses[0]["IntegrationResponseKey"], "$default", "{case}");
    let answer = selected(responses[0], "ResponseTemplates");
    let pets: Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("{case}: the answer is not JSON: {e}: {answer}"));
    assert!(
        pets.as_array()
            .is_some_and(|pets| pets.len() == 3 && pets.iter().all(|pet| pet["type"].is_string())),
        "{case}: the pet list: {pets}"
    );

    // The prod stage deploys itself on every change, after the routes exist.
    let stages = d.of_api("AWS::ApiGatewayV2::Stage", api);
    assert_eq!(stages.len(), 1, "{case}: one stage");
    let stage = stages[0].1;
    assert_eq!(stage["Properties"]["StageName"], "prod", "{case}");
    assert_eq!(stage["Properties"]["AutoDeploy"], true, "{case}");
    let after = as_list(&stage["DependsOn"]);
    for (id, _) in &routes {
        assert!(
            after.contains(&json!(id)),
            "{case}: the stage waits for {id}"
        );
    }

    let url = d.outputs["PetsWebSocketUrl"]["Fn::Sub"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        url,
        format!("wss://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/prod"),
        "{case}: PetsWebSocketUrl"
    );
}

/// The template a WebSocket integration (or integration response) picks: the one its
/// `TemplateSelectionExpression` names, a static key written with a leading `\`.
fn selected(properties: &Value, templates: &str) -> String {
    let expression = properties["TemplateSelectionExpression"]
        .as_str()
        .expect("a template selection expression");
    let key = expression
        .strip_prefix('\\')
        .unwrap_or_else(|| panic!("a static key: {expression}"));
    properties[templates][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {templates} under {key}: {properties}"))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// sam build

/// `sam build` runs `cargo lambda build --release` for each function and copies the binary to
/// `<build dir>/<Function>/bootstrap`. It builds for the host's architecture, which needs no
/// extra Rust target (arm64 from x86_64 needs `aarch64-unknown-linux-gnu`). Slow the first time.
#[test]
fn sam_build_leaves_a_bootstrap_per_function() {
    let (arch, elf_machine) = if std::env::consts::ARCH == "aarch64" {
        ("arm64", 0xB7)
    } else {
        ("x86_64", 0x3E)
    };
    let target_dir = target_dir();
    // Not target/sam-build: SAM writes build.toml beside the build directory.
    let build_dir = target_dir.join("sam/build");
    let mut build = tool("sam");
    build
        .args(["build", "--template-file", "template.yaml", "--build-dir"])
        .arg(&build_dir)
        .args(["--cache-dir"])
        .arg(target_dir.join("sam/cache"))
        .args(["--parameter-overrides", &format!("Architecture={arch}")]);
    let started = Instant::now();
    run(build);
    eprintln!(
        "sam build (Architecture={arch}) took {:.0?}",
        started.elapsed()
    );

    let d = Deployment::expand(&[("Architecture", arch)]);
    for binary in BINARIES {
        let (stack_dir, function) = d.build_path(d.function(binary));
        let bootstrap = build_dir.join(&stack_dir).join(function).join("bootstrap");
        let bytes =
            std::fs::read(&bootstrap).unwrap_or_else(|e| panic!("{}: {e}", bootstrap.display()));
        assert_eq!(&bytes[..4], b"\x7fELF", "{}", bootstrap.display());
        let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
        assert_eq!(
            machine,
            elf_machine,
            "{}: built for {arch}",
            bootstrap.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&bootstrap).unwrap().permissions().mode();
            assert!(mode & 0o111 != 0, "{} is executable", bootstrap.display());
        }
        // Built without Cedar (no CARGO_LAMBDA_CONTEXT): the authorizers carry the message that
        // stops init when CEDAR_POLICIES is set, which only such a build has. (Were testkit's
        // `cedar` feature unified into this build, Cedar would add 1.6 MiB to each.)
        if binary != NOOP_CORS {
            let no_cedar = b"this build has no Cedar";
            assert!(
                bytes.windows(no_cedar.len()).any(|w| w == no_cedar),
                "{}: built with Cedar",
                bootstrap.display()
            );
        }
    }
    // The built templates point each function at its directory, for `sam deploy` to upload.
    for binary in BINARIES {
        let (stack_dir, function) = d.build_path(d.function(binary));
        let built_template =
            std::fs::read_to_string(build_dir.join(stack_dir).join("template.yaml")).unwrap();
        assert!(
            built_template.contains(&format!("CodeUri: {function}\n")),
            "{function}'s CodeUri in the built template"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cedar policies

/// Where Lambda unpacks a function's layers.
const LAYERS_ROOT: &str = "/opt/";

/// `Policies=cedar`: one layer holds `policies/petstore/`, and every authorizer, whichever guards
/// the APIs, runs with it, reads the policies and the schema from it, and is given no
/// access rules, whatever `AccessRules` says. By default, none of it.
#[test]
fn policies_cedar_gives_every_authorizer_the_pet_store_s_policies_in_a_layer() {
    let raw = raw_template(&root().join("template.yaml"));
    let layers: Vec<(&String, &Value)> = raw["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::LayerVersion")
        .collect();
    assert_eq!(layers.len(), 1, "one layer: {layers:?}");
    let (layer_name, layer) = layers[0];
    let content = layer["Properties"]["ContentUri"].as_str().unwrap();
    let content = root().join(content);
    for file in ["policies.cedar", "schema.cedarschema"] {
        assert!(
            content.join(file).is_file(),
            "{}: {file}",
            content.display()
        );
    }

    let rules = r#"{"*": ["GET /pets"]}"#;
    for (authorizer, _) in AUTHORIZERS {
        for extra in [vec![], vec![("AccessRules", rules)]] {
            let default = Deployment::expand(&choosing(authorizer, &extra));
            let params = [&[("Policies", "cedar")][..], &extra[..]].concat();
            let cedar = Deployment::expand(&choosing(authorizer, &params));
            let case = format!("Authorizer={authorizer} {params:?}");
            assert!(
                default.of_type("AWS::Lambda::LayerVersion").is_empty(),
                "{case}: a layer by default"
            );
            let layers = cedar.of_type("AWS::Lambda::LayerVersion");
            assert_eq!(layers.len(), 1, "{case}");
            // SAM names a layer version after its content (the logical id, then a hash).
            let layer_id = layers[0].0;
            assert!(
                layer_id.starts_with(layer_name.as_str()),
                "{case}: {layer_id}"
            );

            for (_, binary) in AUTHORIZERS {
                let case = format!("{case}: {binary}");
                let env = default.environment(binary);
                assert_eq!(
                    env.get("ACCESS_RULES"),
                    Some(&json!(default.params["AccessRules"])),
                    "{case}"
                );
                for var in ["CEDAR_POLICIES", "CEDAR_SCHEMA", "CEDAR_ENTITY_ID_PREFIX"] {
                    assert!(!env.contains_key(var), "{case}: {var} by default");
                }
                let function = default.properties(default.function(binary));
                assert!(function.get("Layers").is_none(), "{case}: {function}");

                let env = cedar.environment(binary);
                assert!(!env.contains_key("ACCESS_RULES"), "{case}: {env:?}");
                assert!(!env.contains_key("CEDAR_ENTITY_ID_PREFIX"), "{case}");
                let function = cedar.properties(cedar.function(binary));
                assert_eq!(
                    function["Layers"],
                    json!([{"Ref": layer_id}]),
                    "{case}: the layer"
                );
                // Each file named is one of the layer's, where Lambda puts it.
                let mut files = Vec::new();
                for var in ["CEDAR_POLICIES", "CEDAR_SCHEMA"] {
                    let value = text(&env[var]);
                    let in_layer = value
                        .strip_prefix("file:")
                        .and_then(|path| path.strip_prefix(LAYERS_ROOT))
                        .unwrap_or_else(|| panic!("{case}: {var}={value}, not in the layer"));
                    let file = content.join(in_layer);
                    assert!(
                        file.is_file(),
                        "{case}: {var}={value}: no {}",
                        file.display()
                    );
                    files.push((var, format!("file:{}", file.display())));
                }
                // And the function starts with them (built with Cedar, as the README says).
                if let Err(error) = starts_with(binary, &files) {
                    panic!("{case}: the function refuses the layer's policies: {error}");
                }
            }
        }
    }
}

/// Whether the authorizer `binary` starts with `settings` beside the least else it needs.
fn starts_with(binary: &str, settings: &[(&str, String)]) -> Result<(), String> {
    use authorizer_core::config::Env;
    let least: &[(&str, &str)] = match binary {
        HS256 => &[("JWT_SECRET", "a-secret-of-at-least-32-bytes-for-the-test")],
        COGNITO => &[
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("APP_CLIENT_IDS", "c"),
        ],
        _ => &[("OIDC_ISSUERS", ISSUERS)],
    };
    let lookup = |name: &str| {
        let given = settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone());
        given.or_else(|| {
            let least = least.iter().find(|(k, _)| *k == name);
            least.map(|(_, v)| v.to_string())
        })
    };
    let env = Env::new(&lookup);
    let read = match binary {
        HS256 => authorizer_hs256::Config::from_env(&env).map(drop),
        COGNITO => authorizer_cognito::Config::from_env(&env).map(drop),
        _ => authorizer_oidc::Config::from_env(&env).map(drop),
    };
    read.map_err(|error| error.to_string())
}

/// Each standalone template sets the Cedar variables and the function's layers when given, and
/// only then.
#[test]
fn each_standalone_template_takes_cedar_policies_and_layers() {
    let cognito = [
        ("UserPoolId", "eu-west-1_AbCdEf123"),
        ("AppClientIds", "client1,client2"),
    ];
    let oidc = [("OidcIssuers", ISSUERS)];
    let layers = [
        "arn:aws:lambda:eu-west-1:123456789012:layer:petstore-policies:3",
        "arn:aws:lambda:eu-west-1:123456789012:layer:jwks:1",
    ];
    let joined = layers.join(",");
    let cedar = [
        ("CedarPolicies", "file:/opt/policies.cedar"),
        ("CedarSchema", "file:/opt/schema.cedarschema"),
        ("CedarEntityIdPrefix", "eu-west-1_AbCdEf123"),
        ("Layers", joined.as_str()),
    ];
    for (binary, required) in [(HS256, &[][..]), (COGNITO, &cognito[..]), (OIDC, &oidc[..])] {
        let path = root().join(format!("templates/{binary}.yaml"));
        let d = Deployment::expand_template(&path, required);
        let env = d.environment(binary);
        for var in ["CEDAR_POLICIES", "CEDAR_SCHEMA", "CEDAR_ENTITY_ID_PREFIX"] {
            assert!(!env.contains_key(var), "{binary}: {var} by default");
        }
        let function = d.properties(d.function(binary));
        assert!(function.get("Layers").is_none(), "{binary}: {function}");

        let d = Deployment::expand_template(&path, &[required, &cedar[..]].concat());
        let env = d.environment(binary);
        for (var, param) in [
            ("CEDAR_POLICIES", "CedarPolicies"),
            ("CEDAR_SCHEMA", "CedarSchema"),
            ("CEDAR_ENTITY_ID_PREFIX", "CedarEntityIdPrefix"),
        ] {
            assert_eq!(
                env.get(var),
                Some(&json!(d.params[param])),
                "{binary}: {var}"
            );
        }
        assert!(!env.contains_key("ACCESS_RULES"), "{binary}");
        assert_eq!(
            d.properties(d.function(binary))["Layers"],
            json!(layers),
            "{binary}"
        );
    }
}

/// The build that `Policies=cedar` needs: `CARGO_LAMBDA_CONTEXT=cedar` makes `cargo lambda build`
/// (as `sam build` runs it) build each function with the `cedar` feature, through the context
/// of CargoLambda.toml; without it, no feature.
#[test]
fn the_cedar_build_context_builds_with_the_cedar_feature() {
    for binary in BINARIES {
        assert_eq!(cargo_lambda_features(binary, None), "[]", "{binary}");
        assert_eq!(
            cargo_lambda_features(binary, Some("cedar")),
            r#"["cedar"]"#,
            "{binary}"
        );
    }
    // Each authorizer has the feature.
    for (_, binary) in AUTHORIZERS {
        let manifest = std::fs::read_to_string(root().join(binary).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("\ncedar = [\"authorizer-core/cedar\"]"),
            "{binary}"
        );
    }
}

/// The features `cargo lambda build --release --bin <binary>` would build with, in `context`:
/// what it logs of the options it resolved (its configuration files and `CARGO_LAMBDA_`
/// variables included), read without compiling anything: given both `--arm64` and a `--target`,
/// it logs them, then stops on the conflict.
fn cargo_lambda_features(binary: &str, context: Option<&str>) -> String {
    let mut build = tool("cargo-lambda");
    build
        .args(["lambda", "build", "--release", "--bin", binary])
        .args(["--arm64", "--target", "x86_64-unknown-linux-gnu"])
        .env("RUST_LOG", "cargo_lambda_build=trace");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_LAMBDA_") {
            build.env_remove(name);
        }
    }
    if let Some(context) = context {
        build.env("CARGO_LAMBDA_CONTEXT", context);
    }
    let output = build.output().expect("cargo-lambda runs");
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{binary}: it built? {log}");
    let options = log
        .lines()
        .find(|line| line.contains("building project"))
        .unwrap_or_else(|| panic!("{binary}: no options logged: {log}"));
    let features = &options[options
        .find(", features: [")
        .unwrap_or_else(|| panic!("{binary}: no features in {options}"))
        + ", features: ".len()..];
    features[..=features.find(']').unwrap()].to_owned()
}

// ---------------------------------------------------------------------------------------------
// Usage plans

/// The parameter on: two usage plans whose keys the authorizer names, from generated values that
/// only the authorizers may read.
#[test]
fn usage_plans_take_their_keys_from_the_authorizer() {
    let off = Deployment::expand(&[]);
    for kind in [
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlanKey",
    ] {
        assert!(off.of_type(kind).is_empty(), "no {kind} by default");
    }
    assert!(
        off.api_body()
            .get("x-amazon-apigateway-api-key-source")
            .is_none()
    );
    for (_, binary) in AUTHORIZERS {
        assert!(
            !off.environment(binary)
                .contains_key("USAGE_PLAN_KEYS_SECRET_ARN")
        );
    }

    let d = Deployment::expand(&[("UsagePlans", "enabled")]);
    let body = d.api_body();
    assert_eq!(body["x-amazon-apigateway-api-key-source"], "AUTHORIZER");
    assert_eq!(
        body["securityDefinitions"]["api_key"],
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
    );
    for (path, method, _) in ROUTES {
        let security = as_list(&body["paths"][path][method]["security"]);
        assert_eq!(
            security,
            [json!({"api_key": []}), json!({"cognito": []})],
            "{method} {path} requires a key and the authorizer"
        );
        assert!(
            body["paths"][path]["options"].get("security").is_none(),
            "preflights need neither"
        );
    }

    // Two plans on the API's stage, each with its throttle and quota and one key of its own.
    let plans = d.of_type("AWS::ApiGateway::UsagePlan");
    assert_eq!(plans.len(), 2);
    let mut limits = Vec::new();
    for (id, plan) in &plans {
        let p = &plan["Properties"];
        assert_eq!(
            p["ApiStages"],
            json!([{"ApiId": {"Ref": d.api_id()}, "Stage": {"Ref": format!("{}prodStage", d.api_id())}}]),
            "{id}"
        );
        let rate = p["Throttle"]["RateLimit"].as_f64().unwrap();
        let quota = p["Quota"]["Limit"].as_u64().unwrap();
        assert!(
            p["Throttle"]["BurstLimit"].as_u64().unwrap() as f64 >= rate,
            "{id}"
        );
        assert_eq!(p["Quota"]["Period"], "DAY", "{id}");
        limits.push((rate, quota));
        let links: Vec<_> = d
            .of_type("AWS::ApiGateway::UsagePlanKey")
            .into_iter()
            .filter(|(_, link)| link["Properties"]["UsagePlanId"] == json!({"Ref": id}))
            .map(|(_, link)| link["Properties"].clone())
            .collect();
        assert_eq!(links.len(), 1, "{id}: one key");
        assert_eq!(links[0]["KeyType"], "API_KEY");
    }
    limits.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert!(
        limits[0].0 < limits[1].0 && limits[0].1 < limits[1].1,
        "a standard and a premium plan: {limits:?}"
    );

    // Each key's value is resolved by CloudFormation from a secret that Secrets Manager generates:
    // no value is written in the template.
    let keys = d.of_type("AWS::ApiGateway::ApiKey");
    assert_eq!(keys.len(), 2);
    let mut value_secrets = BTreeSet::new();
    for (id, key) in &keys {
        let p = &key["Properties"];
        assert_eq!(p["Enabled"], true, "{id}");
        let value = p["Value"]["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: {p}"));
        let secret = value
            .strip_prefix("{{resolve:secretsmanager:${")
            .and_then(|rest| rest.strip_suffix("}}}"))
            .unwrap_or_else(|| panic!("{id}: not a whole-secret dynamic reference: {value}"));
        let generated = &d.properties(secret)["GenerateSecretString"];
        assert!(d.properties(secret).get("SecretString").is_none(), "{id}");
        // API Gateway takes 20 to 128 letters and digits.
        assert_eq!(generated["ExcludePunctuation"], true, "{id}");
        assert!((20..=128).contains(&generated["PasswordLength"].as_u64().unwrap()));
        value_secrets.insert(secret.to_owned());
    }
    assert_eq!(value_secrets.len(), 2, "a value per key");

    // The mapping the authorizers read: rule keys to the same two values.
    let mapping = d.properties("UsagePlanKeys")["SecretString"]["Fn::Sub"]
        .as_str()
        .unwrap();
    let mut placeholders = mapping.to_owned();
    for (n, secret) in value_secrets.iter().enumerate() {
        let reference = format!("{{{{resolve:secretsmanager:${{{secret}}}}}}}");
        assert!(mapping.contains(&reference), "{mapping} names {secret}");
        placeholders = placeholders.replace(&reference, &format!("key{n}").repeat(8));
    }
    let parsed: Value = serde_json::from_str(&placeholders).unwrap();
    assert_eq!(
        parsed.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["*", "group:admin"]
    );
    authorizer_core::api_keys::ApiKeys::from_json(&placeholders)
        .expect("the authorizers accept the mapping");

    // Both authorizers read it; only their roles may, by IAM and by the secret's own policy.
    let mut role_arns = Vec::new();
    for (_, binary) in AUTHORIZERS {
        assert_eq!(
            d.environment(binary)["USAGE_PLAN_KEYS_SECRET_ARN"],
            json!({"Ref": "UsagePlanKeys"}),
            "{binary}"
        );
        let statements: Vec<Value> = as_list(&d.role_of(binary)["Policies"])
            .iter()
            .flat_map(|policy| as_list(&policy["PolicyDocument"]["Statement"]))
            .filter(|s| as_list(&s["Resource"]).contains(&json!({"Ref": "UsagePlanKeys"})))
            .collect();
        assert_eq!(statements.len(), 1, "{binary}: {statements:?}");
        assert_eq!(statements[0]["Action"], "secretsmanager:GetSecretValue");
        let role_id = d.properties(d.function(binary))["Role"]["Fn::GetAtt"][0].clone();
        role_arns.push(json!({"Fn::GetAtt": [role_id, "Arn"]}));
    }
    let policies = d.of_type("AWS::SecretsManager::ResourcePolicy");
    assert_eq!(policies.len(), 1);
    let p = &policies[0].1["Properties"];
    assert_eq!(p["SecretId"], json!({"Ref": "UsagePlanKeys"}));
    let statements = as_list(&p["ResourcePolicy"]["Statement"]);
    assert_eq!(statements.len(), 1);
    let deny = &statements[0];
    assert_eq!(
        (&deny["Effect"], &deny["Principal"], &deny["Action"]),
        (
            &json!("Deny"),
            &json!("*"),
            &json!("secretsmanager:GetSecretValue")
        )
    );
    assert_eq!(
        deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"],
        json!(role_arns),
        "everyone but the authorizers' roles is denied"
    );
    let readers: Vec<&String> = d
        .of_type("AWS::IAM::Role")
        .into_iter()
        .filter(|(_, role)| role.to_string().contains("\"UsagePlanKeys\""))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        readers.len(),
        AUTHORIZERS.len(),
        "no other role reads the mapping: {readers:?}"
    );

    // HTTP APIs have no usage plans: with the REST API left out there is nothing to create.
    let http = Deployment::expand(&[("UsagePlans", "enabled"), ("Apis", "http")]);
    assert!(http.of_type("AWS::ApiGateway::UsagePlan").is_empty());
    assert!(
        http.of_type("AWS::SecretsManager::Secret")
            .iter()
            .all(|(id, _)| *id == "Hs256AuthorizerJwtSecret")
    );
    for (_, binary) in AUTHORIZERS {
        assert!(
            !http
                .environment(binary)
                .contains_key("USAGE_PLAN_KEYS_SECRET_ARN")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Operations

/// Each function logs to a log group of the stack's, kept `LogRetentionDays`; the authorizers'
/// faults and the Cognito key-set fetch failures raise alarms on the metrics the functions emit,
/// told by e-mail when `AlarmEmail` is set.
#[test]
fn each_function_has_its_log_group_and_the_authorizers_their_alarms() {
    for (overrides, retention) in [(vec![], "30"), (vec![("LogRetentionDays", "7")], "7")] {
        let d = Deployment::expand(&overrides);
        let functions = d.of_type("AWS::Lambda::Function");
        let groups = d.of_type("AWS::Logs::LogGroup");
        assert_eq!(groups.len(), functions.len(), "a log group per function");
        for (id, function) in functions {
            let logging = &function["Properties"]["LoggingConfig"];
            assert_eq!(logging["LogFormat"], "JSON", "{id}");
            let group = logging["LogGroup"]["Ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{id} logs to a group of the stack's: {logging}"));
            let group = d.properties(group);
            assert_eq!(text(&group["RetentionInDays"]), retention, "{id}");
            assert!(
                group["LogGroupName"]
                    .to_string()
                    .contains("${AWS::StackName}"),
                "{id}"
            );
        }
    }

    // The alarms watch the metrics the functions emit: their namespace, names and service.
    let alarm_on = |d: &Deployment, metric: &str, binary: &str| {
        let env = d.environment(binary);
        let service = &env["POWERTOOLS_SERVICE_NAME"];
        let namespace = env
            .get("POWERTOOLS_METRICS_NAMESPACE")
            .cloned()
            .unwrap_or_else(|| json!("LambdaAuthorizers"));
        let found: Vec<Value> = d
            .of_type("AWS::CloudWatch::Alarm")
            .into_iter()
            .map(|(_, alarm)| alarm["Properties"].clone())
            .filter(|p| {
                p["MetricName"] == metric
                    && p["Namespace"] == namespace
                    && p["Dimensions"] == json!([{"Name": "service", "Value": service}])
            })
            .collect();
        assert_eq!(found.len(), 1, "{binary}: one alarm on {metric}");
        let alarm = found[0].clone();
        assert_eq!(alarm["Statistic"], "Sum");
        assert_eq!(
            alarm["Threshold"], 1,
            "{binary}: a single {metric} is enough"
        );
        assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
        assert_eq!(alarm["TreatMissingData"], "notBreaching");
        alarm
    };
    let quiet = Deployment::expand(&[]);
    let told = Deployment::expand(&[("AlarmEmail", "ops@example.com")]);
    assert!(
        quiet.of_type("AWS::SNS::Topic").is_empty(),
        "no topic without an address"
    );
    let topics = told.of_type("AWS::SNS::Topic");
    assert_eq!(topics.len(), 1);
    assert_eq!(
        topics[0].1["Properties"]["Subscription"],
        json!([{"Protocol": "email", "Endpoint": "ops@example.com"}])
    );
    for (metric, binary) in [
        ("Fault", COGNITO),
        ("Fault", HS256),
        ("KeySetFetchFailures", COGNITO),
    ] {
        assert!(
            alarm_on(&quiet, metric, binary)
                .get("AlarmActions")
                .is_none()
        );
        assert_eq!(
            alarm_on(&told, metric, binary)["AlarmActions"],
            json!([{"Ref": topics[0].0}])
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The standalone authorizers, and the pet store that nests them

/// Each standalone template deploys its one authorizer with its role, log group and alarms, takes
/// the function's settings as parameters, outputs what attaching it takes and its log group's
/// name (for `aws logs tail`), and carries what the Serverless Application Repository needs to
/// publish it.
#[test]
fn each_standalone_template_deploys_one_authorizer() {
    let version = std::fs::read_to_string(root().join("authorizer-hs256/Cargo.toml"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap();
    let cognito = [
        ("UserPoolId", "eu-west-1_AbCdEf123"),
        ("AppClientIds", "client1,client2"),
    ];
    let oidc = [(
        "OidcIssuers",
        r#"[{"issuer": "https://tenant.example.com/", "audiences": ["api"]}]"#,
    )];
    let fetches = &["Fault", "KeySetFetchFailures"][..];
    for (binary, required, alarms) in [
        (HS256, &[][..], &["Fault"][..]),
        (COGNITO, &cognito[..], fetches),
        (OIDC, &oidc[..], fetches),
    ] {
        let path = root().join(format!("templates/{binary}.yaml"));
        let raw = raw_template(&path);
        let sar = &raw["Metadata"]["AWS::ServerlessRepo::Application"];
        for field in ["Name", "Description", "Author", "SpdxLicenseId", "Labels"] {
            assert!(sar.get(field).is_some(), "{binary}: {field}");
        }
        assert_eq!(
            sar["SemanticVersion"],
            version.as_str(),
            "{binary}: the crate's version"
        );
        for file in ["LicenseUrl", "ReadmeUrl"] {
            let local = path.parent().unwrap().join(sar[file].as_str().unwrap());
            assert!(local.is_file(), "{binary}: {file} {}", local.display());
        }

        let topic = "arn:aws:sns:eu-west-1:123456789012:alarms";
        let keys = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf";
        for (extra, service) in [
            (vec![], json!({"Ref": "AWS::StackName"})),
            (
                vec![
                    ("AlarmTopicArn", topic),
                    ("ServiceName", "petstore-auth"),
                    ("UsagePlanKeysSecretArn", keys),
                    ("TokenQueryParameter", "access_token"),
                ],
                json!("petstore-auth"),
            ),
        ] {
            let overrides = [required, &extra[..]].concat();
            let d = Deployment::expand_template(&path, &overrides);
            let case = format!("{binary} {overrides:?}");
            let functions = d.of_type("AWS::Lambda::Function");
            assert_eq!(functions.len(), 1, "{case}: one function");
            let function = d.function(binary);
            assert_eq!(
                d.resources[function]["Metadata"]["BuildMethod"],
                "rust-cargolambda"
            );
            let env = d.environment(binary);
            let declared = declared::variables(binary);
            for name in env.keys() {
                assert!(
                    declared.contains(&name.as_str()),
                    "{case}: {name} is not declared"
                );
            }
            assert_eq!(env["POWERTOOLS_SERVICE_NAME"], service, "{case}");
            assert_eq!(
                env.contains_key("USAGE_PLAN_KEYS_SECRET_ARN"),
                !extra.is_empty(),
                "{case}"
            );
            // Empty (the default): the query string is never read.
            assert_eq!(
                env.get("TOKEN_QUERY_PARAMETER"),
                (!extra.is_empty()).then(|| json!("access_token")).as_ref(),
                "{case}"
            );
            let readers: Vec<Value> = as_list(&d.role_of(binary)["Policies"])
                .iter()
                .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
                .filter(|s| as_list(&s["Resource"]).contains(&json!(keys)))
                .collect();
            assert_eq!(
                readers.len(),
                usize::from(!extra.is_empty()),
                "{case}: {readers:?}"
            );

            let group = d.properties(function)["LoggingConfig"]["LogGroup"]["Ref"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(
                text(&d.properties(&group)["RetentionInDays"]),
                "30",
                "{case}"
            );
            let watched: Vec<String> = d
                .of_type("AWS::CloudWatch::Alarm")
                .into_iter()
                .map(|(_, alarm)| {
                    let p = &alarm["Properties"];
                    assert_eq!(p["Namespace"], "LambdaAuthorizers", "{case}");
                    assert_eq!(
                        p["Dimensions"],
                        json!([{"Name": "service", "Value": service}])
                    );
                    let actions = p.get("AlarmActions").cloned().unwrap_or(json!([]));
                    let expected = if extra.is_empty() {
                        json!([])
                    } else {
                        json!([topic])
                    };
                    assert_eq!(actions, expected, "{case}");
                    text(&p["MetricName"])
                })
                .collect();
            assert_eq!(watched, alarms, "{case}");

            assert_eq!(
                d.outputs["FunctionArn"],
                json!({"Fn::GetAtt": [function, "Arn"]}),
                "{case}"
            );
            let role = d.properties(function)["Role"]["Fn::GetAtt"][0].clone();
            assert_eq!(d.outputs["RoleArn"], json!({"Fn::GetAtt": [role, "Arn"]}));
            assert_eq!(
                d.outputs.get("LogGroupName"),
                Some(&json!({"Ref": group})),
                "{case}: the LogGroupName output names the function's log group"
            );
        }
    }
}

/// The template at `path` as written, before SAM's transform (read with SAM CLI's YAML loader).
fn raw_template(path: &std::path::Path) -> Value {
    serde_json::from_slice(
        &run({
            let mut yaml = tool("python");
            yaml.args([
                "-c",
                "import json, sys; from samcli.yamlhelper import yaml_parse; \
                 print(json.dumps(yaml_parse(open(sys.argv[1]).read())))",
            ])
            .arg(path);
            yaml
        })
        .stdout,
    )
    .unwrap()
}

/// The README's YAML block that puts a standalone authorizer on a Lambda Managed Instances
/// capacity provider: properties of the function, in place of its `MemorySize: 128`.
fn managed_instances_snippet() -> String {
    let readme = testkit::readme::text();
    let blocks: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .filter(|block| block.contains("CapacityProviderConfig:"))
        .collect();
    assert_eq!(
        blocks.len(),
        1,
        "one README block sets CapacityProviderConfig"
    );
    blocks[0].to_owned()
}

/// Lambda Managed Instances: the standalone templates run on ordinary Lambda, and the README's
/// manual step (SAM's transform cannot make `CapacityProviderConfig` optional) puts each one on a
/// capacity provider, as a function that API Gateway still invokes by its `FunctionArn`.
#[test]
fn the_readme_puts_each_standalone_authorizer_on_a_capacity_provider() {
    let snippet = managed_instances_snippet();
    let arn = snippet
        .split_whitespace()
        .find(|word| word.contains(":capacity-provider:"))
        .expect("the block names a capacity provider's ARN");
    let required: [&[(&str, &str)]; 3] = [
        &[],
        &[
            ("UserPoolId", "eu-west-1_AbCdEf123"),
            ("AppClientIds", "client1"),
        ],
        &[("OidcIssuers", ISSUERS)],
    ];
    let (mut copies, mut linted) = (vec![], vec![]);
    for (binary, required) in [HS256, COGNITO, OIDC].into_iter().zip(required) {
        let path = root().join(format!("templates/{binary}.yaml"));
        let ordinary = Deployment::expand_template(&path, required);
        let function = ordinary.properties(ordinary.function(binary));
        assert!(function.get("CapacityProviderConfig").is_none(), "{binary}");
        assert_eq!(text(&function["MemorySize"]), "128", "{binary}");

        let template = std::fs::read_to_string(&path).unwrap();
        let managed = template.replacen("      MemorySize: 128\n", &snippet, 1);
        assert_ne!(managed, template, "{binary}: MemorySize: 128");
        let copy = target_dir().join(format!("{binary}-on-managed-instances.yaml"));
        std::fs::write(&copy, &managed).unwrap();
        let d = Deployment::expand_template(&copy, required);
        let id = d.function(binary);
        let function = d.properties(id);
        assert_eq!(
            function["CapacityProviderConfig"],
            json!({"LambdaManagedInstancesCapacityProviderConfig": {
                "CapacityProviderArn": arn,
                "PerExecutionEnvironmentMaxConcurrency": 16,
            }}),
            "{binary}"
        );
        assert_eq!(function["MemorySize"], 2048, "{binary}");
        assert_eq!(function["PublishToLatestPublished"], true, "{binary}");
        // The unqualified ARN, which invokes $LATEST.PUBLISHED on a capacity provider.
        assert_eq!(
            d.outputs["FunctionArn"],
            json!({"Fn::GetAtt": [id, "Arn"]}),
            "{binary}"
        );
        // cfn-lint checks a SAM function's capacity provider (the ARN's pattern, the concurrency's
        // range) only once SAM's transform has expanded it.
        let mut expand = tool("python");
        expand
            .arg("xtask/expand-template.py")
            .arg("--template")
            .arg(&copy)
            .args(required.iter().map(|(k, v)| format!("{k}={v}")));
        let expanded = target_dir().join(format!("{binary}-on-managed-instances.json"));
        std::fs::write(&expanded, run(expand).stdout).unwrap();
        linted.push(expanded);
        linted.push(copy.clone());
        copies.push(copy);

        // What the README says the pinned transform cannot do: make the property optional.
        let conditional = template.replacen(
            "      MemorySize: 128\n",
            "      MemorySize: 128\n      CapacityProviderConfig: !If [HasServiceName, \
             {Arn: !Ref ServiceName}, !Ref AWS::NoValue]\n",
            1,
        );
        let copy = target_dir().join(format!("{binary}-on-a-conditional-capacity-provider.yaml"));
        std::fs::write(&copy, conditional).unwrap();
        let mut expand = tool("python");
        expand
            .arg("xtask/expand-template.py")
            .arg("--template")
            .arg(&copy);
        let output = expand.output().unwrap();
        assert!(
            !output.status.success()
                && String::from_utf8_lossy(&output.stderr)
                    .contains("Invalid CapacityProviderConfig"),
            "{binary}: SAM's transform now takes a conditional CapacityProviderConfig: give the \
             standalone templates an optional capacity provider parameter instead of the README's \
             manual step"
        );
    }
    lint(&linted, &copies);
}

/// No function is defined twice: the pet store takes both authorizers from templates/.
#[test]
fn the_pet_store_nests_the_standalone_authorizers() {
    let raw = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    for (_, binary) in AUTHORIZERS {
        assert!(
            !raw.contains(&format!("Binary: {binary}")),
            "the pet store defines {binary} itself"
        );
        assert!(raw.contains(&format!("Location: templates/{binary}.yaml")));
    }
    let d = Deployment::expand(&[]);
    let stacks: BTreeSet<String> = d
        .of_type("AWS::CloudFormation::Stack")
        .into_iter()
        .map(|(_, stack)| text(&stack["Properties"]["TemplateURL"]))
        .collect();
    assert_eq!(
        stacks,
        AUTHORIZERS
            .map(|(_, binary)| format!("templates/{binary}.yaml"))
            .into()
    );
}

/// Each function's log group is an output of the pet store, the authorizers' through their nested
/// stacks' `LogGroupName`: what the README's `aws logs tail` commands read.
#[test]
fn the_pet_store_outputs_each_function_s_log_group() {
    let d = Deployment::expand(&[]);
    let functions = d.of_type("AWS::Lambda::Function");
    let outputs: Vec<&String> = d
        .outputs
        .keys()
        .filter(|name| name.ends_with("LogGroupName"))
        .collect();
    assert_eq!(outputs.len(), functions.len(), "{outputs:?}");
    for (output, function) in [
        ("CognitoLogGroupName", d.function(COGNITO)),
        ("Hs256LogGroupName", d.function(HS256)),
        ("OidcLogGroupName", d.function(OIDC)),
        ("NoopCorsLogGroupName", d.function(NOOP_CORS)),
        ("PetsHttpLogGroupName", PETS_HTTP),
    ] {
        let group = &d.properties(function)["LoggingConfig"]["LogGroup"];
        assert!(group["Ref"].is_string(), "{function}: {group}");
        assert_eq!(d.outputs.get(output), Some(group), "{output}");
    }
    for (apis, kept, dropped) in [
        ("rest", "NoopCorsLogGroupName", "PetsHttpLogGroupName"),
        ("http", "PetsHttpLogGroupName", "NoopCorsLogGroupName"),
    ] {
        let d = Deployment::expand(&[("Apis", apis)]);
        assert!(d.outputs.contains_key(kept), "{apis}: {kept}");
        assert!(!d.outputs.contains_key(dropped), "{apis}: {dropped}");
    }
}

/// One setting drives `sam build` and `sam deploy`: samconfig.toml's global parameters, which
/// the README's Deploy section never overrides on a command line.
#[test]
fn build_and_deploy_read_the_same_parameters() {
    let config: Value = serde_json::from_slice(
        &run({
            let mut toml = tool("python");
            toml.args([
                "-c",
                "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
            ])
            .arg(root().join("samconfig.toml"));
            toml
        })
        .stdout,
    )
    .unwrap();
    let global = &config["default"]["global"]["parameters"]["parameter_overrides"];
    assert!(global.get("Architecture").is_some(), "{global}");
    for command in ["build", "deploy"] {
        assert!(
            config["default"][command]["parameters"]
                .get("parameter_overrides")
                .is_none(),
            "{command} has parameters of its own, which would replace the global ones"
        );
    }
    let capabilities = config["default"]["deploy"]["parameters"]["capabilities"]
        .as_str()
        .unwrap();
    for needed in ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"] {
        assert!(capabilities.contains(needed), "{capabilities}");
    }
    let readme = testkit::readme::text();
    let deploy = &readme[readme.find("## Deploy").unwrap()..];
    let deploy = &deploy[..deploy[3..].find("\n## ").unwrap()];
    for line in deploy.lines().filter(|l| l.starts_with("sam ")) {
        assert!(
            !line.contains("--parameter-overrides") && !line.contains("--guided"),
            "{line}"
        );
    }
}

/// The example that attaches a deployed authorizer to an existing REST API and HTTP API.
#[test]
fn the_example_attaches_an_authorizer_to_existing_apis() {
    let path = root().join("examples/existing-apis.yaml");
    let function = "arn:aws:lambda:eu-west-1:123456789012:function:petstore-authorizer";
    let none = Deployment::expand_template(&path, &[("AuthorizerFunctionArn", function)]);
    // Nothing to attach to (which the template's AtLeastOneApi rule refuses to deploy).
    assert!(none.resources.is_empty());
    let d = Deployment::expand_template(
        &path,
        &[
            ("AuthorizerFunctionArn", function),
            ("RestApiId", "abc123"),
            ("HttpApiId", "def456"),
        ],
    );
    let uri_names_the_function = |uri: &Value| {
        uri["Fn::Sub"]
            .as_str()
            .unwrap()
            .contains("${AuthorizerFunctionArn}")
    };
    let rest = &d.of_type("AWS::ApiGateway::Authorizer")[0];
    let p = &rest.1["Properties"];
    assert_eq!(p["Type"], "TOKEN");
    assert_eq!(p["IdentitySource"], "method.request.header.Authorization");
    assert_eq!(p["AuthorizerResultTtlInSeconds"], 300);
    assert!(uri_names_the_function(&p["AuthorizerUri"]));
    let http = &d.of_type("AWS::ApiGatewayV2::Authorizer")[0];
    let p = &http.1["Properties"];
    assert_eq!(p["AuthorizerType"], "REQUEST");
    assert_eq!(p["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(p["EnableSimpleResponses"], true);
    assert_eq!(
        p["IdentitySource"],
        json!(["$request.header.Authorization", "$context.routeKey"]),
        "simple answers are cached per route"
    );
    assert!(uri_names_the_function(&p["AuthorizerUri"]));
    for (authorizer, api) in [(rest.0, "abc123"), (http.0, "def456")] {
        assert!(
            d.of_type("AWS::Lambda::Permission")
                .iter()
                .any(|(_, permission)| {
                    let p = &permission["Properties"];
                    p["FunctionName"] == function
                        && p["Principal"] == "apigateway.amazonaws.com"
                        && references(&p["SourceArn"]).contains(authorizer.as_str())
                        && p["SourceArn"].to_string().contains("/authorizers/")
                }),
            "API Gateway may invoke the function as {authorizer} of {api}"
        );
    }
}
