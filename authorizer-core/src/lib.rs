//! The authorization core shared by every authorizer of this kit.
//!
//! A request is one pipeline, and the modules follow it in reading order:
//! 1. [`event`] reads the token and the method ARN ([`arn`]) out of the event, and notes its
//!    [`event::EventShape`];
//! 2. [`jwt::Token`] reads the token's header and refuses what no verifier may process (`crit`);
//!    then an authorizer's [`Verifier`] checks the signature and its issuer's own claims (with the
//!    help of [`jwt`], whose public keys are parsed once and whose registered claims' checks,
//!    decided as `jsonwebtoken` decides them, are in `registered`) and returns the
//!    [`VerifiedClaims`] of [`claims`], which also holds the checks every issuer shares (`iat`,
//!    maximum age);
//! 3. [`binding`] holds a token bound to a client certificate to the request's certificate;
//! 4. [`principal`] reads who is calling from those claims;
//! 5. [`rules`] says what the principal may call: its grants, from access rules or from Cedar
//!    policies (`cedar`, with the feature of that name);
//! 6. [`answer`] turns the grants into what API Gateway reads, in the shape the event calls for,
//!    naming the caller's usage-plan key ([`api_keys`]) to REST APIs.
//!
//! [`authorizer`] strings these together, logs one line per request, counts its outcome in
//! [`metrics`] and runs under the Lambda runtime; [`error`] holds every reason a request is
//! refused (401), cannot be decided (500), or a function cannot start. Around the request path:
//! [`config`] declares and reads the settings at cold start (reading secrets from AWS Secrets
//! Manager through [`secrets`]), [`logging`] sets up logs that never carry a token, and
//! [`metrics`] writes CloudWatch's embedded metric format.

#![warn(missing_docs)]

pub mod answer;
pub mod api_keys;
pub mod arn;
pub mod authorizer;
pub mod binding;
#[cfg(feature = "cedar")]
pub mod cedar;
pub mod claims;
pub mod config;
pub mod error;
pub mod event;
pub mod jwt;
pub mod logging;
pub mod metrics;
pub mod principal;
mod registered;
pub mod rules;
pub mod secrets;

pub use answer::Answer;
pub use arn::{MethodArn, Partition};
pub use authorizer::{Authorizer, Verifier};
#[cfg(feature = "cedar")]
pub use cedar::CedarRules;
pub use claims::VerifiedClaims;
pub use config::{Env, Settings, Var};
pub use error::{AuthError, Fault, InitError, Rejection};
pub use event::MAX_TOKEN_BYTES;
pub use principal::{ClaimNames, ClaimPath, Principal};
pub use rules::{AccessRules, Rules};
