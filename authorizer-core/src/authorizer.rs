//! The request path every authorizer shares, as one pipeline:
//! event shape → header → verify → certificate binding → principal → grants → answer shape → one
//! log line and one metric line.
//!
//! Each authorizer only brings a [`Verifier`]: how to tell a good token from a bad one, against
//! its own keys and its issuer's own claims. Everything after it — the checks every issuer shares,
//! the principal, the access rules, the answer, what API Gateway is told and what is logged — is
//! here, once, driven by the shared [`Settings`].

use std::future::Future;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;
use tracing::{error, info, warn};

use crate::answer::{Answer, Decision};
use crate::api_keys::ApiKeys;
use crate::claims::VerifiedClaims;
use crate::config::{Env, Settings};
use crate::config::{USAGE_PLAN_KEYS_SECRET_ARN, invalid};
use crate::error::AuthError;
use crate::error::InitError;
use crate::event::AuthorizerRequest;
use crate::jwt::Token;
use crate::metrics::{self, Outcome};
use crate::principal::{ClaimNames, Principal};

/// Checks a token's signature and its issuer's own claims. Implementations must not log the token.
pub trait Verifier {
    /// Verifies `token` (already stripped of `Bearer`, at most [`crate::MAX_TOKEN_BYTES`], its
    /// header read and checked by [`Token::parse`]) and returns its claims, or why it is refused
    /// (or why it cannot be decided).
    fn verify(
        &self,
        token: &Token<'_>,
    ) -> impl Future<Output = Result<VerifiedClaims, AuthError>> + Send;

    /// Where the principal is read from in `claims`, which [`Verifier::verify`] returned: the
    /// shared settings' `names` (the default), unless the verifier knows better — an authorizer
    /// trusting several issuers reads each one's groups and scopes where that issuer puts them.
    fn claim_names<'a>(&'a self, claims: &VerifiedClaims, names: &'a ClaimNames) -> &'a ClaimNames {
        let _ = claims;
        names
    }
}

/// An authorizer: a verifier and the shared settings, both built once at cold start.
#[derive(Debug)]
pub struct Authorizer<V> {
    /// The issuer-specific part.
    pub verifier: V,
    /// What happens after the signature checks out.
    pub settings: Settings,
    /// The usage-plan keys, read at cold start from `USAGE_PLAN_KEYS_SECRET_ARN` (none when unset).
    api_keys: ApiKeys,
}

impl<V> Authorizer<V> {
    /// The authorizer of `verifier` with `settings`, reading the usage-plan keys they name: the
    /// last step of every function's cold start.
    pub async fn new(verifier: V, settings: Settings) -> Result<Self, InitError> {
        let api_keys = match &settings.usage_plan_keys {
            None => ApiKeys::default(),
            Some(secret) => ApiKeys::from_json(&secret.fetch().await?)
                .map_err(|reason| invalid(&USAGE_PLAN_KEYS_SECRET_ARN, reason))?,
        };
        Ok(Authorizer {
            verifier,
            settings,
            api_keys,
        })
    }
}

impl<V: Verifier + Sync> Authorizer<V> {
    /// Answers one authorizer event, given as JSON text, and logs the outcome with its reason.
    /// Pure apart from the verifier and the log line, so tests and benchmarks call it directly.
    /// Each answer also counts once in the [`metrics`] of its outcome.
    pub async fn authorize(&self, event: &str) -> Result<Answer, AuthError> {
        let decided = self.decide(event).await;
        let outcome = match &decided {
            Ok((Decision::Allow, _)) => Outcome::Allowed,
            Ok((Decision::Deny, _)) => Outcome::Denied,
            Err(AuthError::Rejected(rejection)) => {
                warn!(reason = rejection.code(), detail = %rejection, "refused");
                Outcome::Unauthorized(rejection)
            }
            Err(AuthError::Fault(fault)) => {
                error!(reason = fault.code(), detail = %fault, "could not decide");
                Outcome::Fault(fault)
            }
        };
        metrics::answered(outcome);
        decided.map(|(_, answer)| answer)
    }

    async fn decide(&self, event: &str) -> Result<(Decision, Answer), AuthError> {
        let settings = &self.settings;
        let request =
            AuthorizerRequest::from_json(event, settings.token_query_parameter.as_deref())?;
        let token = Token::parse(&request.token)?;
        let claims = self.verifier.verify(&token).await?;
        claims.check_issued_at(
            jsonwebtoken::get_current_timestamp(),
            settings.leeway_seconds,
            settings.max_age_seconds,
        )?;
        settings
            .certificate_binding
            .check(&claims, request.client_certificate.as_deref())?;
        let names = self.verifier.claim_names(&claims, &settings.claim_names);
        let principal = Principal::from_claims(claims, names)?;
        let granted = settings.rules.grants_for(&principal, &request.method_arn);
        let (decision, answer) = Answer::new(
            request.shape.answer_shape(settings.http_api_response),
            &principal,
            &settings.context_claims,
            &granted.grants,
            &request.method_arn,
        );
        let answer = answer.with_usage_identifier_key(self.api_keys.for_principal(&principal));
        info!(
            decision = decision.as_str(),
            principal = %principal.sub,
            method_arn = %request.method_arn,
            policies = granted.policies.as_deref(),
            "authorized"
        );
        Ok((decision, answer))
    }

    /// The cold start and the life of every authorizer function: installs the metrics of
    /// `function` (its package name), awaits `cold_start` (its `authorizer_from_env`), then serves
    /// until the process ends. A failed cold start is logged with its reason and counted as a
    /// `Fault` (reason `init_…`, so that the fault alarm sees a function that cannot start), and
    /// stops the function: Lambda reports it, and API Gateway answers 500.
    pub async fn start(
        function: &'static str,
        env: &Env<'_>,
        cold_start: impl Future<Output = Result<Self, InitError>>,
    ) -> Result<(), Error>
    where
        V: Send + 'static,
    {
        let started = async {
            metrics::init(env, function)?;
            cold_start.await
        };
        match started.await {
            Ok(authorizer) => authorizer.run().await,
            Err(failure) => {
                error!(reason = failure.code(), error = %failure, "init failed");
                metrics::answered(Outcome::InitFailed(&failure));
                Err(failure.into())
            }
        }
    }

    /// Serves authorizer events from the Lambda Runtime API until the process ends: one at a time
    /// on ordinary Lambda, and as many at once as `AWS_LAMBDA_MAX_CONCURRENCY` says on Lambda
    /// Managed Instances, every invocation sharing this authorizer and its key caches.
    ///
    /// The payload is taken as raw JSON and read by [`AuthorizerRequest`], so that an odd event is
    /// refused with `Unauthorized` like any other doubt, instead of failing inside the runtime.
    pub async fn run(self) -> Result<(), Error>
    where
        V: Send + 'static,
    {
        // The authorizer lives as long as the process: leaking it gives every concurrent worker
        // a shared reference without counting them.
        let authorizer: &'static Self = Box::leak(Box::new(self));
        lambda_runtime::run_concurrent(service_fn(
            move |event: LambdaEvent<Box<RawValue>>| async move {
                authorizer.authorize(event.payload.get()).await
            },
        ))
        .await
    }
}
