//! The last step of a request: the answer API Gateway reads, in the shape the event calls for
//! ([`AnswerShape`]).
//!
//! For REST APIs, and for HTTP APIs unless they ask for simple responses, the answer is an IAM
//! policy. API Gateway caches it per token (REST: 300 s by default) and reuses it for the
//! caller's next requests, whatever method or route they call. The policy therefore depends only
//! on the principal: it allows every method the principal's grants cover in the calling API and
//! stage, not just the method at hand — a policy for the one method would hand the caller false
//! 403s on the next. When the method at hand is not granted, an explicit Deny for it makes API
//! Gateway answer 403.
//!
//! An HTTP API's simple response (`{"isAuthorized": …}`) is a decision about the one route
//! called: it is only safe to cache when the route is part of the cache key (the template puts
//! `$context.routeKey` among the identity sources).

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::arn::MethodArn;
use crate::event::EventShape;
use crate::principal::Principal;
use crate::rules::Grant;

/// What API Gateway gets back for a valid token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// An IAM policy with the caller's grants in this API and stage, for a REST API.
    Policy(PolicyResponse),
    /// The same policy for an HTTP API, whose answer has no `usageIdentifierKey`.
    HttpPolicy(HttpPolicyResponse),
    /// An HTTP API's simple response: whether the route called is granted.
    Simple(SimpleResponse),
}

/// The IAM policy answer of a REST API, with the [`Context`] for the integration.
pub type PolicyResponse = ApiGatewayCustomAuthorizerResponse<Context>;
/// The IAM policy answer of an HTTP API.
pub type HttpPolicyResponse = ApiGatewayV2CustomAuthorizerIamPolicyResponse<Context>;
/// The simple answer of an HTTP API (payload format 2.0 only).
pub type SimpleResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Context>;

/// The shapes of answer API Gateway reads from an authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    /// [`Answer::Policy`].
    RestPolicy,
    /// [`Answer::HttpPolicy`].
    HttpPolicy,
    /// [`Answer::Simple`].
    Simple,
}

/// How HTTP APIs are answered for payload format 2.0 (`HTTP_API_RESPONSE`); 1.0 always gets a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpApiResponse {
    /// `simple` (the default): `{"isAuthorized": …}`, for authorizers with simple responses enabled.
    Simple,
    /// `iam`: the same principal-only, cache-safe IAM policy as for REST.
    Iam,
}

impl EventShape {
    /// The answer an event of this shape calls for.
    pub fn answer_shape(self, http_api_response: HttpApiResponse) -> AnswerShape {
        match (self, http_api_response) {
            // A WebSocket API reads the REST answer, and takes no simple one.
            (EventShape::RestToken | EventShape::RestRequest | EventShape::WebSocket, _) => {
                AnswerShape::RestPolicy
            }
            (EventShape::HttpV1, _) | (EventShape::HttpV2, HttpApiResponse::Iam) => {
                AnswerShape::HttpPolicy
            }
            (EventShape::HttpV2, HttpApiResponse::Simple) => AnswerShape::Simple,
        }
    }
}

/// The `context` handed to the integration (`$context.authorizer.<key>`). API Gateway accepts only
/// strings, numbers and booleans there, so lists are joined and absent values left out; the
/// claims `CONTEXT_CLAIMS` names follow, each under its own name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The token's `sub`.
    pub sub: String,
    /// The caller's groups, comma-joined; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
    /// The caller's scopes, space-joined as in OAuth; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The username, when the token has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The e-mail address, when the token has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The claims `CONTEXT_CLAIMS` names that the token has: strings, numbers and booleans as they
    /// are, arrays and objects as their JSON text (`["a","b"]`), `null` left out.
    #[serde(flatten)]
    pub claims: BTreeMap<String, Value>,
}

/// The keys of the context that are not claims: `CONTEXT_CLAIMS` may not name them.
pub const CONTEXT_KEYS: [&str; 5] = ["sub", "groups", "scope", "username", "email"];

impl Context {
    fn of(principal: &Principal, context_claims: &[String]) -> Self {
        let claims = context_claims
            .iter()
            .filter_map(|name| {
                let value = match principal.claims.get(name)? {
                    Value::Null => return None,
                    scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
                        scalar.clone()
                    }
                    list_or_object => Value::String(list_or_object.to_string()),
                };
                Some((name.clone(), value))
            })
            .collect();
        Context {
            sub: principal.sub.clone(),
            groups: joined(&principal.groups, ","),
            scope: joined(&principal.scopes, " "),
            username: principal.username.clone(),
            email: principal.email.clone(),
            claims,
        }
    }
}

/// Whether the method being called is granted: what the log line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Granted: API Gateway lets the request through (200 from the backend).
    Allow,
    /// Not granted: API Gateway answers 403.
    Deny,
}

impl Decision {
    /// Whether `grants` cover the method `arn` calls.
    pub fn of(grants: &[Cow<'_, Grant>], arn: &MethodArn) -> Self {
        let called_path = arn.path().trim_start_matches('/');
        if grants.iter().any(|g| g.covers(arn.method(), called_path)) {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }

    /// `allow` or `deny`, for the log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// The policy statement's IAM action: calling an API Gateway method.
const INVOKE: &str = "execute-api:Invoke";

impl Answer {
    /// This answer naming `key` as the caller's usage-plan key: REST policies only, since HTTP
    /// APIs have no usage plans.
    pub fn with_usage_identifier_key(mut self, key: Option<&str>) -> Self {
        if let Answer::Policy(policy) = &mut self {
            policy.usage_identifier_key = key.map(str::to_owned);
        }
        self
    }

    /// Whether `grants` cover the method `arn` calls, and the answer of `shape` saying so to a
    /// principal holding them; its context holds the claims `context_claims` names
    /// (`CONTEXT_CLAIMS`).
    pub fn new(
        shape: AnswerShape,
        principal: &Principal,
        context_claims: &[String],
        grants: &[Cow<'_, Grant>],
        arn: &MethodArn,
    ) -> (Decision, Self) {
        let decision = Decision::of(grants, arn);
        let context = Context::of(principal, context_claims);
        match shape {
            AnswerShape::RestPolicy => {
                let mut response = PolicyResponse::default();
                response.principal_id = Some(principal.sub.clone());
                response.policy_document = policy(grants, arn, decision);
                response.context = context;
                (decision, Answer::Policy(response))
            }
            AnswerShape::HttpPolicy => {
                let mut response = HttpPolicyResponse::default();
                response.principal_id = Some(principal.sub.clone());
                response.policy_document = policy(grants, arn, decision);
                response.context = context;
                (decision, Answer::HttpPolicy(response))
            }
            AnswerShape::Simple => {
                let mut response = SimpleResponse::default();
                response.is_authorized = decision == Decision::Allow;
                response.context = context;
                (decision, Answer::Simple(response))
            }
        }
    }
}

/// Every grant as an Allow in the calling API and stage, and a Deny for the called method when
/// it is not granted.
fn policy(
    grants: &[Cow<'_, Grant>],
    arn: &MethodArn,
    decision: Decision,
) -> ApiGatewayCustomAuthorizerPolicy {
    let mut statements = Vec::with_capacity(2);
    if !grants.is_empty() {
        let resources = grants
            .iter()
            .map(|grant| arn.sibling(grant.method(), grant.path()))
            .collect();
        statements.push(statement(IamPolicyEffect::Allow, resources));
    }
    if decision == Decision::Deny {
        statements.push(statement(IamPolicyEffect::Deny, vec![arn.to_string()]));
    }
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = statements;
    policy
}

fn statement(effect: IamPolicyEffect, resource: Vec<String>) -> IamPolicyStatement {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec![INVOKE.to_owned()];
    statement.effect = effect;
    statement.resource = resource;
    statement
}

fn joined(items: &[String], separator: &str) -> Option<String> {
    (!items.is_empty()).then(|| items.join(separator))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::AccessRules;
    use serde_json::json;

    /// The answer to a REST TOKEN event, as the authorizer builds it.
    fn respond(
        principal: &Principal,
        arn: &MethodArn,
        rules: &AccessRules,
    ) -> (Decision, PolicyResponse) {
        let grants = rules.grants_for(principal);
        let (decision, Answer::Policy(policy)) =
            Answer::new(AnswerShape::RestPolicy, principal, &[], &grants, arn)
        else {
            unreachable!("a REST answer is a policy")
        };
        (decision, policy)
    }

    const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod";

    fn call(method_and_path: &str, groups: &[&str]) -> (Decision, serde_json::Value) {
        let arn = MethodArn::parse(&format!("{API}/{method_and_path}")).unwrap();
        let principal = Principal {
            sub: "bob".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            scopes: vec!["pets/read".into(), "openid".into()],
            ..Principal::default()
        };
        let (decision, response) = respond(&principal, &arn, &AccessRules::default());
        (decision, serde_json::to_value(response).unwrap())
    }

    #[test]
    fn a_granted_method_gets_every_grant_and_no_deny() {
        let (decision, response) = call("GET/pets", &["admin"]);
        assert_eq!(decision, Decision::Allow);
        assert_eq!(
            response,
            json!({
                "principalId": "bob",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Action": ["execute-api:Invoke"], "Effect": "Allow",
                    "Resource": [format!("{API}/GET/pets"), format!("{API}/POST/pets")]
                }]},
                "context": {"sub": "bob", "groups": "admin", "scope": "pets/read openid"},
                "usageIdentifierKey": null
            })
        );
    }

    #[test]
    fn an_ungranted_method_is_denied_explicitly_and_the_grants_stay() {
        let (decision, response) = call("POST/pets", &[]);
        assert_eq!(decision, Decision::Deny);
        assert_eq!(
            response["policyDocument"]["Statement"],
            json!([
                {"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [format!("{API}/GET/pets")]},
                {"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [format!("{API}/POST/pets")]}
            ])
        );
    }

    #[test]
    fn the_grants_do_not_depend_on_the_method_called() {
        let allow_of = |method_and_path| {
            call(method_and_path, &["admin"]).1["policyDocument"]["Statement"][0].clone()
        };
        assert_eq!(allow_of("GET/pets"), allow_of("POST/pets"));
        assert_eq!(allow_of("GET/pets"), allow_of("DELETE/pets/1"));
    }

    proptest::proptest! {
        /// Whatever the rules, groups and called method: every allowed resource is in the calling
        /// API and stage, and is one of the principal's own grants.
        #[test]
        fn a_policy_never_grants_outside_the_rules_or_the_api(
            rules in proptest::collection::btree_map(
                "(\\*|group:(admin|staff|vets))",
                proptest::collection::vec("(GET|POST|\\*) /(pets|toys|\\*)(/\\*)?", 0..4),
                0..4,
            ),
            groups in proptest::collection::vec("(admin|staff|vets|other)", 0..3),
            api in "[a-z0-9]{10}",
            stage in "(prod|dev)",
            called in "(GET|POST|DELETE)/(pets|toys)(/[0-9])?",
        ) {
            let rules = AccessRules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap();
            let principal = Principal { sub: "p".into(), groups, ..Principal::default() };
            let prefix = format!("arn:aws:execute-api:us-east-1:123456789012:{api}/{stage}/");
            let arn = MethodArn::parse(&format!("{prefix}{called}")).unwrap();
            let granted: Vec<String> = rules
                .grants_for(&principal)
                .into_iter()
                .map(|g| arn.sibling(g.method(), g.path()))
                .collect();
            let (_, response) = respond(&principal, &arn, &rules);
            for statement in &response.policy_document.statement {
                for resource in &statement.resource {
                    proptest::prop_assert!(resource.starts_with(&prefix), "{resource}");
                    if statement.effect == IamPolicyEffect::Allow {
                        proptest::prop_assert!(granted.contains(resource), "{resource} not granted");
                    }
                }
            }
        }
    }

    /// What IAM decides for `arn` under `policy`: an explicit Deny wins, then any Allow.
    fn iam_allows(policy: &ApiGatewayCustomAuthorizerPolicy, arn: &str) -> bool {
        let matches = |effect: IamPolicyEffect| {
            policy.statement.iter().any(|statement| {
                statement.effect == effect
                    && statement.resource.iter().any(|resource| {
                        crate::rules::reference_match(resource.as_bytes(), arn.as_bytes())
                    })
            })
        };
        !matches(IamPolicyEffect::Deny) && matches(IamPolicyEffect::Allow)
    }

    #[test]
    fn an_http_api_gets_a_simple_answer_or_a_policy_without_usage_key() {
        let arn = MethodArn::parse(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/POST/pets",
        )
        .unwrap();
        let principal = Principal {
            sub: "bob".into(),
            groups: vec!["customer".into()],
            ..Principal::default()
        };
        let rules = AccessRules::default();
        let grants = rules.grants_for(&principal);
        let (_, simple) = Answer::new(AnswerShape::Simple, &principal, &[], &grants, &arn);
        assert_eq!(
            serde_json::to_value(simple).unwrap(),
            json!({"isAuthorized": false, "context": {"sub": "bob", "groups": "customer"}})
        );
        let (_, policy) = Answer::new(AnswerShape::HttpPolicy, &principal, &[], &grants, &arn);
        let policy = serde_json::to_value(policy).unwrap();
        assert_eq!(policy["principalId"], "bob");
        assert!(policy.get("usageIdentifierKey").is_none(), "{policy}");
        assert_eq!(
            policy["policyDocument"]["Statement"][1]["Resource"],
            json!([arn.to_string()])
        );
        assert_eq!(
            EventShape::HttpV2.answer_shape(HttpApiResponse::Simple),
            AnswerShape::Simple
        );
        assert_eq!(
            EventShape::HttpV2.answer_shape(HttpApiResponse::Iam),
            AnswerShape::HttpPolicy
        );
        for shape in [EventShape::HttpV1, EventShape::RestRequest] {
            assert_ne!(
                shape.answer_shape(HttpApiResponse::Simple),
                AnswerShape::Simple
            );
        }
    }

    proptest::proptest! {
        /// For any rules, groups and route: the simple answer says yes exactly when IAM, given
        /// the policy answer, would let the route's ARN through.
        #[test]
        fn the_simple_answer_agrees_with_the_policy(
            rules in proptest::collection::btree_map(
                "(\\*|group:(admin|staff))",
                proptest::collection::vec("(GET|POST|\\*) /(pets|toys|\\*)(/\\*)?", 0..4),
                0..3,
            ),
            groups in proptest::collection::vec("(admin|staff|other)", 0..3),
            stage in "(\\$default|prod)",
            called in "(GET|POST|DELETE|ANY)/(pets|toys)?(/[0-9])?",
        ) {
            let rules = AccessRules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap();
            let principal = Principal { sub: "p".into(), groups, ..Principal::default() };
            let route = format!("arn:aws:execute-api:us-east-1:123456789012:abc123/{stage}/{called}");
            let arn = MethodArn::parse(&route).unwrap();
            let grants = rules.grants_for(&principal);
            let (_, Answer::Simple(simple)) =
                Answer::new(AnswerShape::Simple, &principal, &[], &grants, &arn)
            else {
                unreachable!()
            };
            let (_, Answer::HttpPolicy(policy)) =
                Answer::new(AnswerShape::HttpPolicy, &principal, &[], &grants, &arn)
            else {
                unreachable!()
            };
            proptest::prop_assert_eq!(simple.is_authorized, iam_allows(&policy.policy_document, &route));
        }
    }

    #[test]
    fn the_context_carries_the_claims_named_flattened() {
        let claims = json!({
            "sub": "alice", "custom:tier": "premium", "email_verified": true, "level": 3,
            "roles": ["admin", "vet"], "address": {"city": "Lyon"}, "nothing": null
        });
        let principal = Principal {
            sub: "alice".into(),
            claims: claims.as_object().unwrap().clone(),
            ..Principal::default()
        };
        let names: Vec<String> = [
            "custom:tier",
            "email_verified",
            "level",
            "roles",
            "address",
            "nothing",
            "absent",
        ]
        .map(String::from)
        .to_vec();
        let context = Context::of(&principal, &names);
        assert_eq!(
            serde_json::to_value(context).unwrap(),
            json!({"sub": "alice", "custom:tier": "premium", "email_verified": true, "level": 3,
                   "roles": "[\"admin\",\"vet\"]", "address": "{\"city\":\"Lyon\"}"})
        );
    }

    #[test]
    fn no_grant_means_a_lone_deny() {
        let arn = MethodArn::parse(&format!("{API}/GET/pets")).unwrap();
        let rules = AccessRules::from_json("{}").unwrap();
        let (decision, response) = respond(
            &Principal {
                sub: "m".into(),
                ..Principal::default()
            },
            &arn,
            &rules,
        );
        assert_eq!(decision, Decision::Deny);
        assert_eq!(response.policy_document.statement.len(), 1);
        assert_eq!(
            response.policy_document.statement[0].effect,
            IamPolicyEffect::Deny
        );
    }
}
