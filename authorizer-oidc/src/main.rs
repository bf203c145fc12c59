use authorizer_core::config::{Env, process_env};
use authorizer_core::logging;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Env::new(&process_env);
    logging::init(&env);
    let authorizer = authorizer_oidc::authorizer_from_env(&env)
        .await
        .inspect_err(|error| tracing::error!(%error, "init failed"))?;
    authorizer.run().await
}
