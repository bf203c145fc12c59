//! The README's AWS CDK snippet, as it stands, compiled with TypeScript and synthesized with
//! `aws-cdk-lib` (`testkit/cdk/`) in an environment-agnostic stack, as `cdk init` makes one: the
//! authorizers it creates, and API Gateway's permission to invoke the function for each of them,
//! which CDK leaves out without a word when it cannot tell that the function is in the stack's
//! account.

use serde_json::{Value, json};
use testkit::paths::root;
use testkit::readme::{self, fenced_block};
use testkit::template::{references, text};

/// The function's ARN, as a literal.
const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:my-authorizer";
/// The export that holds the function's ARN, for an imported (token) ARN.
const EXPORT: &str = "my-authorizer-FunctionArn";

/// The snippet's `import` statements, and the rest: the body of a stack's constructor.
fn split_imports(snippet: &str) -> (String, String) {
    let mut imports = String::new();
    let mut lines = snippet.lines().peekable();
    while let Some(line) = lines.peek() {
        if line.trim().is_empty() {
            lines.next();
        } else if line.starts_with("import ") {
            // An import statement ends with its line's `;`, on one line or several.
            for line in lines.by_ref() {
                imports.push_str(line);
                imports.push('\n');
                if line.trim_end().ends_with(';') {
                    break;
                }
            }
        } else {
            break;
        }
    }
    let body = lines.map(|line| format!("    {line}\n")).collect();
    (imports, body)
}

/// An app of two environment-agnostic stacks whose constructors declare what the README says
/// the snippet's stack has (`restApi` and `integration`, `httpApi` and `backend`, `functionArn`)
/// and then run the snippet: one with a literal function ARN, one with an imported one. The
/// app's own names are prefixed so as not to collide with the snippet's.
fn app(snippet: &str) -> String {
    let (imports, body) = split_imports(snippet);
    format!(
        r#"// Written by tests/cdk.rs: README.md's AWS CDK snippet in a stack's constructor.
{imports}
import {{ App as TestApp, Fn as TestFn, Stack as TestStack }} from 'aws-cdk-lib';
import {{ MockIntegration as TestMockIntegration, RestApi as TestRestApi }} from 'aws-cdk-lib/aws-apigateway';
import {{ HttpApi as TestHttpApi }} from 'aws-cdk-lib/aws-apigatewayv2';
import {{ HttpUrlIntegration as TestHttpUrlIntegration }} from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {{ Construct as TestConstruct }} from 'constructs';

class YourStack extends TestStack {{
  constructor(scope: TestConstruct, id: string, functionArn: string) {{
    super(scope, id); // no `env`: environment-agnostic
    const restApi = new TestRestApi(this, 'RestApi');
    const integration = new TestMockIntegration();
    const httpApi = new TestHttpApi(this, 'HttpApi');
    const backend = new TestHttpUrlIntegration('Backend', 'https://backend.example.com/pets');

    // README.md:
{body}  }}
}}

const app = new TestApp();
new YourStack(app, 'LiteralArn', {literal});
new YourStack(app, 'ImportedArn', TestFn.importValue({export}));
app.synth();
"#,
        literal = json!(FUNCTION_ARN),
        export = json!(EXPORT),
    )
}

/// The README's snippet: the first ```ts block after "**AWS CDK**".
fn snippet() -> String {
    fenced_block(&readme::text(), "**AWS CDK**", "ts")
}

/// The validation expression of `examples/existing-apis.yaml`'s TOKEN authorizer (a single-quoted
/// YAML string, whose backslashes are literal).
fn validation_expression() -> String {
    let example = std::fs::read_to_string(root().join("examples/existing-apis.yaml")).unwrap();
    let line = example
        .lines()
        .find_map(|line| line.trim().strip_prefix("IdentityValidationExpression: "))
        .expect("examples/existing-apis.yaml validates the token");
    line.strip_prefix('\'')
        .and_then(|l| l.strip_suffix('\''))
        .expect("a single-quoted expression")
        .to_owned()
}

/// A value with its `Fn::Join`s joined and each `Ref` written `${Id}`, for ARNs that CDK builds.
fn joined(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) if map.contains_key("Ref") => {
            format!("${{{}}}", map["Ref"].as_str().unwrap())
        }
        Value::Object(map) if map.contains_key("Fn::Join") => {
            let join = &map["Fn::Join"];
            let items: Vec<String> = join[1].as_array().unwrap().iter().map(joined).collect();
            items.join(join[0].as_str().unwrap())
        }
        other => other.to_string(),
    }
}

/// The resources of `kind` in `template`, by logical id.
fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("a template with resources")
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .collect()
}

/// The one resource of `kind`: its logical id and properties.
fn only<'a>(template: &'a Value, kind: &str) -> (&'a str, &'a Value) {
    let found = of_type(template, kind);
    assert_eq!(found.len(), 1, "one {kind}, not {found:#?}");
    (found[0].0, &found[0].1["Properties"])
}

/// Asserts that API Gateway may invoke `function` (as the template names it) through the
/// authorizer `authorizer` of the API `api`: the permission CDK adds, or every request is a 500.
fn assert_invoke_permission(template: &Value, function: &Value, api: &str, authorizer: &str) {
    let permissions = of_type(template, "AWS::Lambda::Permission");
    let source = format!(":${{{api}}}/authorizers/${{{authorizer}}}");
    let found = permissions.iter().find(|(_, p)| {
        let arn = &p["Properties"]["SourceArn"];
        references(arn).contains(authorizer) && joined(arn).ends_with(&source)
    });
    let Some((id, permission)) = found else {
        panic!(
            "no AWS::Lambda::Permission lets API Gateway invoke the function through the authorizer \
             {authorizer} of {api} (every request would be a 500); the permissions: {permissions:#?}"
        )
    };
    let p = &permission["Properties"];
    assert_eq!(p["Action"], "lambda:InvokeFunction", "{id}");
    assert_eq!(p["Principal"], "apigateway.amazonaws.com", "{id}");
    assert_eq!(&p["FunctionName"], function, "{id}");
    assert!(
        joined(&p["SourceArn"]).contains(":execute-api:"),
        "{id}: {p}"
    );
}

/// Asserts what one stack holds: both authorizers, each invoking `function`, each with its
/// permission, each attached to the snippet's method or route.
fn assert_stack(stack: &str, template: &Value, function: &Value) {
    // The function as it appears in a URI's JSON: a literal ARN inside a string, an import whole.
    let in_uri = |uri: &Value| uri.to_string().contains(&text(function));

    // REST: a TOKEN authorizer on the Authorization header, cached 5 minutes.
    let (rest_api, _) = only(template, "AWS::ApiGateway::RestApi");
    let (rest, p) = only(template, "AWS::ApiGateway::Authorizer");
    assert_eq!(p["Type"], "TOKEN", "{stack}");
    assert_eq!(
        p["IdentitySource"], "method.request.header.Authorization",
        "{stack}"
    );
    assert_eq!(
        p["IdentityValidationExpression"],
        validation_expression().as_str(),
        "{stack}"
    );
    assert_eq!(p["AuthorizerResultTtlInSeconds"], 300, "{stack}");
    assert_eq!(p["RestApiId"], json!({"Ref": rest_api}), "{stack}");
    assert!(in_uri(&p["AuthorizerUri"]), "{stack}: {p}");
    let (_, method) = only(template, "AWS::ApiGateway::Method");
    assert_eq!(method["HttpMethod"], "GET", "{stack}");
    assert_eq!(method["AuthorizationType"], "CUSTOM", "{stack}");
    assert_eq!(method["AuthorizerId"], json!({"Ref": rest}), "{stack}");
    assert_invoke_permission(template, function, rest_api, rest);

    // HTTP API: a payload-2.0 REQUEST authorizer with simple answers, cached per token and route.
    let (http_api, _) = only(template, "AWS::ApiGatewayV2::Api");
    let (http, p) = only(template, "AWS::ApiGatewayV2::Authorizer");
    assert_eq!(p["AuthorizerType"], "REQUEST", "{stack}");
    assert_eq!(p["AuthorizerPayloadFormatVersion"], "2.0", "{stack}");
    assert_eq!(p["EnableSimpleResponses"], true, "{stack}");
    assert_eq!(
        p["IdentitySource"],
        json!(["$request.header.Authorization", "$context.routeKey"]),
        "{stack}"
    );
    assert_eq!(p["AuthorizerResultTtlInSeconds"], 300, "{stack}");
    assert_eq!(p["ApiId"], json!({"Ref": http_api}), "{stack}");
    assert!(in_uri(&p["AuthorizerUri"]), "{stack}: {p}");
    let (_, route) = only(template, "AWS::ApiGatewayV2::Route");
    assert_eq!(route["RouteKey"], "GET /pets", "{stack}");
    assert_eq!(route["AuthorizationType"], "CUSTOM", "{stack}");
    assert_eq!(route["AuthorizerId"], json!({"Ref": http}), "{stack}");
    assert_invoke_permission(template, function, http_api, http);

    // Nothing else is granted to anyone on the function.
    assert_eq!(
        of_type(template, "AWS::Lambda::Permission").len(),
        2,
        "{stack}"
    );
}

#[test]
fn the_readme_cdk_snippet_synthesizes_both_authorizers_with_their_permissions() {
    let templates = testkit::cdk::synth("readme", &app(&snippet()));
    let stacks: Vec<&String> = templates.keys().collect();
    assert_eq!(stacks, ["ImportedArn", "LiteralArn"]);
    assert_stack("LiteralArn", &templates["LiteralArn"], &json!(FUNCTION_ARN));
    assert_stack(
        "ImportedArn",
        &templates["ImportedArn"],
        &json!({"Fn::ImportValue": EXPORT}),
    );
}

#[test]
fn the_snippet_is_split_into_imports_and_a_body() {
    let (imports, body) = split_imports(
        "import { A } from 'a';\nimport {\n  B,\n} from 'b';\n\nconst x = 1;\n// done\n",
    );
    assert_eq!(
        imports,
        "import { A } from 'a';\nimport {\n  B,\n} from 'b';\n"
    );
    assert_eq!(body, "    const x = 1;\n    // done\n");
}
