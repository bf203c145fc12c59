use std::convert::Infallible;

use authorizer_core::config::process_env;
use authorizer_core::logging;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use noop_cors::CorsConfig;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = CorsConfig::from_env(&process_env)
        .inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
    let config = &config;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Infallible>(config.respond(&event.payload))
    }))
    .await
}
