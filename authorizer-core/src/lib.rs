//! The authorization core shared by every authorizer of this kit.
//!
//! A request goes through these modules in order:
//! - [`event`] reads the token and the method ARN from a TOKEN or REQUEST event;
//! - an authorizer's [`Verifier`] checks the token (with the help of [`jwt`]) and returns the
//!   [`Principal`] it names;
//! - [`rules`] says what the principal may call, and [`policy`] turns that into the IAM policy
//!   API Gateway evaluates, scoped to the calling API by the parsed [`MethodArn`] of [`arn`];
//! - [`outcome`] maps every refusal or fault to what API Gateway must read (401 or 500).
//!
//! [`authorizer`] strings these together and runs them under the Lambda runtime; [`config`] reads
//! the shared settings at cold start and [`logging`] sets up logs that never carry a token.

pub mod arn;
pub mod authorizer;
pub mod config;
pub mod event;
pub mod jwt;
pub mod logging;
pub mod outcome;
pub mod policy;
pub mod principal;
pub mod rules;

pub use arn::MethodArn;
pub use authorizer::{Authorizer, Verifier};
pub use config::{CommonConfig, ConfigError};
pub use event::MAX_TOKEN_BYTES;
pub use outcome::{AuthError, Fault, Rejection};
pub use policy::AuthorizerResponse;
pub use principal::{ClaimNames, Principal};
pub use rules::AccessRules;
