use authorizer_core::config::process_env;
use authorizer_core::logging;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let authorizer = authorizer_cognito::authorizer_from_env(&process_env)
        .await
        .inspect_err(|error| tracing::error!(%error, "init failed"))?;
    authorizer.run().await
}
