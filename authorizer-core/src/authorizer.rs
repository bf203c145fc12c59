//! The request path both authorizers share: event in, decision out, one log line.
//!
//! Each authorizer only brings a [`Verifier`] — how to tell a good token from a bad one and who it
//! names. Everything around it (reading the event, the access rules, the policy, what API Gateway
//! is told and what is logged) is here, once.

use std::future::Future;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use tracing::{error, info, warn};

use crate::event::AuthorizerRequest;
use crate::outcome::AuthError;
use crate::policy::{AuthorizerResponse, Decision, respond};
use crate::principal::Principal;
use crate::rules::AccessRules;

/// Checks a token and says who it names. Implementations must not log the token.
pub trait Verifier {
    /// Verifies `token` (already stripped of `Bearer`, at most [`crate::MAX_TOKEN_BYTES`]).
    fn verify(&self, token: &str) -> impl Future<Output = Result<Principal, AuthError>> + Send;
}

/// An authorizer: a verifier and the access rules, both built once at cold start.
#[derive(Debug)]
pub struct Authorizer<V> {
    pub verifier: V,
    pub rules: AccessRules,
}

impl<V: Verifier + Sync> Authorizer<V> {
    /// Answers one authorizer event, given as JSON text, and logs the outcome with its reason.
    /// Pure apart from the verifier and the log line, so tests and benchmarks call it directly.
    pub async fn authorize(&self, event: &str) -> Result<AuthorizerResponse, AuthError> {
        self.decide(event).await.inspect_err(|error| match error {
            AuthError::Rejected(rejection) => {
                warn!(reason = rejection.code(), detail = %rejection, "refused")
            }
            AuthError::Fault(fault) => {
                error!(reason = fault.code(), detail = %fault, "could not decide")
            }
        })
    }

    async fn decide(&self, event: &str) -> Result<AuthorizerResponse, AuthError> {
        let request = AuthorizerRequest::from_json(event)?;
        let principal = self.verifier.verify(&request.token).await?;
        let (decision, response) = respond(&principal, &request.method_arn, &self.rules);
        let decision = match decision {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        };
        info!(decision, principal = %principal.sub, method_arn = %request.method_arn, "authorized");
        Ok(response)
    }

    /// Serves authorizer events from the Lambda Runtime API until the process ends.
    ///
    /// The payload is taken as raw JSON and read by [`AuthorizerRequest`], so that an odd event is
    /// refused with `Unauthorized` like any other doubt, instead of failing inside the runtime.
    pub async fn run(self) -> Result<(), Error>
    where
        V: Send + 'static,
    {
        let authorizer = &self;
        lambda_runtime::run(service_fn(
            move |event: LambdaEvent<Box<RawValue>>| async move {
                authorizer.authorize(event.payload.get()).await
            },
        ))
        .await
    }
}
