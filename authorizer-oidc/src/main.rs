use authorizer_core::config::{Env, process_env};
use authorizer_core::{Authorizer, logging};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Env::new(&process_env);
    logging::init(&env);
    let cold_start = authorizer_oidc::authorizer_from_env(&env);
    Authorizer::start(env!("CARGO_PKG_NAME"), &env, cold_start).await
}
