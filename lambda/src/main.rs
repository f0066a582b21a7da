//! The `bootstrap` binary: reads configuration once, builds the DynamoDB client once, then
//! serves invocations through the Lambda Runtime API.

#![recursion_limit = "256"]

use asl_guard_lease::config::Config;
use asl_guard_lease::error::LeaseError;
use asl_guard_lease::handler::handle;
use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::Clock;
use asl_guard_lease::store::DynamoDb;
use asl_guard_lease::tokens::StepFunctions;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logs();
    match Config::from_env() {
        Ok(config) => serve(config).await,
        Err(e) => {
            tracing::error!(error_type = e.error_type(), error = %e, "invalid configuration");
            if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
                return Err(Box::new(e) as Error);
            }
            refuse(e).await
        }
    }
}

/// Serves lease requests.
async fn serve(config: Config) -> Result<(), Error> {
    let db = DynamoDb::from_env(config.table.clone()).await;
    let tokens = StepFunctions::from_env().await;
    let leases = Leases::new(db, config, Clock::default()).with_tokens(tokens);
    let leases = &leases;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let (payload, context) = event.into_parts();
        handle(leases, payload, &context.request_id, true).await
    }))
    .await
}

/// Inside Lambda, a bad configuration answers every invocation with `Lease.ConfigError`
/// (naming the variable) rather than crashing the init, so a Step Functions `Catch` on
/// `Lease.ConfigError` sees it; outside Lambda, `main` returns the error instead.
async fn refuse(error: LeaseError) -> Result<(), Error> {
    let error = &error;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        Err::<Value, LeaseError>(error.clone())
    }))
    .await
}

/// JSON logs on stdout; level from `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`, default info.
fn init_logs() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string())
        .to_lowercase();
    let filter = tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .init();
}
