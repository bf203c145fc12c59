//! What the end-to-end tests, the benchmarks, the developer tools and the fuzz targets share, each
//! piece written once. A dev-only crate: nothing here ships in a function.
//!
//! In reading order, from the ground up:
//! - [`paths`]: where the repository, its release binaries, its Python tools and the packages'
//!   demo settings are;
//! - [`env`](mod@env): environment maps, as the functions and their `Config::from_env` read them;
//! - [`declared`]: the variables each function declares it reads;
//! - [`keys`]: the test keys and client certificates (`testkit/keys/`), and key sets made of them;
//! - [`tokens`]: signed tokens, claim patches and one-character mutations;
//! - [`events`]: the events API Gateway sends, and the sample events of `events/`;
//! - [`reply`]: what a function posts back, and [`reply::outcome`], what API Gateway makes of it
//!   (the words of the `.expected` files);
//! - [`http`]: just enough HTTP/1.1 for the loopback servers below;
//! - [`runtime_api`]: a loopback Lambda Runtime API that stamps when events go out and replies
//!   come back;
//! - [`function`]: a release binary run the way Lambda runs it, behind that Runtime API;
//! - [`keyserver`]: a key-set (JWKS) endpoint whose faults the test chooses;
//! - [`moto`]: moto's server, a local Secrets Manager and Cognito;
//! - [`oidc_provider`]: OpenID Providers (oidc-provider, on Node.js) with their real tokens;
//! - [`entra`]: Entra ID's tenant ids, and a loopback stand-in for a multi-tenant application's
//!   discovery document and key set;
//! - [`logs`]: what a function's logs must never hold;
//! - [`emf`]: what CloudWatch's embedded metric format asks of a metric line, and what it extracts;
//! - [`template`]: `template.yaml` as SAM expands it and CloudFormation would resolve it;
//! - [`readme`]: README.md's code blocks, for the tests that compile or check them;
//! - [`examples`]: the configuration examples of README.md, each value it shows for a setting;
//! - [`cdk`]: AWS CDK apps (TypeScript) compiled and synthesized with `testkit/cdk/`'s packages;
//! - [`authorizers`]: the authorizers built in-process, for benchmarks and fuzz targets;
//! - [`bench`]: the requests the benchmarks time, and the signature checks they compare them with.
#![warn(missing_docs)]

pub mod authorizers;
pub mod bench;
pub mod cdk;
pub mod declared;
pub mod emf;
pub mod entra;
pub mod env;
pub mod events;
pub mod examples;
pub mod function;
pub mod http;
pub mod keys;
pub mod keyserver;
pub mod logs;
pub mod moto;
pub mod oidc_provider;
pub mod paths;
pub mod readme;
pub mod reply;
pub mod runtime_api;
pub mod template;
pub mod tokens;
