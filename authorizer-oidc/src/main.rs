use authorizer_core::config::{Env, process_env};
use authorizer_core::{logging, metrics};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Env::new(&process_env);
    logging::init(&env);
    let authorizer = async {
        metrics::init(&env, env!("CARGO_PKG_NAME"))?;
        authorizer_oidc::authorizer_from_env(&env).await
    }
    .await
    .inspect_err(|error| tracing::error!(%error, "init failed"))?;
    authorizer.run().await
}
