//! The last step of a request: the answer API Gateway reads, in the shape the event calls for.
//!
//! For REST APIs the answer is an IAM policy ([`Answer::Policy`]). API Gateway caches it per token
//! (300 s by default) and reuses it for the caller's next requests, whatever method they call. The
//! policy therefore depends only on the principal: it allows every method the principal's grants
//! cover in the calling API, not just the method at hand — a policy for the one method would hand
//! the caller false 403s on the next. When the method at hand is not granted, an explicit Deny for
//! it makes API Gateway answer 403.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde::{Deserialize, Serialize};

use crate::arn::MethodArn;
use crate::event::EventShape;
use crate::principal::Principal;
use crate::rules::Grant;

/// What API Gateway gets back for a valid token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// An IAM policy with the caller's grants in this API and stage (REST APIs).
    Policy(PolicyResponse),
}

/// The IAM policy answer, with the [`Context`] for the integration.
pub type PolicyResponse = ApiGatewayCustomAuthorizerResponse<Context>;

/// The `context` handed to the integration (`$context.authorizer.<key>`). API Gateway accepts only
/// strings, numbers and booleans there, so lists are joined and absent values left out.
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
}

impl Context {
    fn of(principal: &Principal) -> Self {
        Context {
            sub: principal.sub.clone(),
            groups: joined(&principal.groups, ","),
            scope: joined(&principal.scopes, " "),
            username: principal.username.clone(),
            email: principal.email.clone(),
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
    pub fn of(grants: &[&Grant], arn: &MethodArn) -> Self {
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
    /// The answer for an event of `shape`, for a principal holding `grants`, calling `arn`.
    pub fn new(
        shape: EventShape,
        principal: &Principal,
        grants: &[&Grant],
        arn: &MethodArn,
        decision: Decision,
    ) -> Self {
        match shape {
            EventShape::RestToken | EventShape::RestRequest => {
                Answer::Policy(policy(principal, grants, arn, decision))
            }
        }
    }
}

/// Every grant as an Allow in the calling API and stage, and a Deny for the called method when
/// it is not granted.
fn policy(
    principal: &Principal,
    grants: &[&Grant],
    arn: &MethodArn,
    decision: Decision,
) -> PolicyResponse {
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

    let mut response = PolicyResponse::default();
    response.principal_id = Some(principal.sub.clone());
    response.policy_document = policy;
    response.context = Context::of(principal);
    response
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
        let decision = Decision::of(&grants, arn);
        let Answer::Policy(policy) =
            Answer::new(EventShape::RestToken, principal, &grants, arn, decision);
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
