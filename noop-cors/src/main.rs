use std::convert::Infallible;

use authorizer_core::config::{Env, process_env};
use authorizer_core::logging;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use noop_cors::CorsConfig;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = Env::new(&process_env);
    logging::init(&env);
    let config = CorsConfig::from_env(&env)
        .inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
    // Lives as long as the process; shared by every worker on Lambda Managed Instances.
    let config: &'static CorsConfig = Box::leak(Box::new(config));
    lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Infallible>(config.respond(&event.payload))
    }))
    .await
}
