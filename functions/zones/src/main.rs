//! The private hosted zone Lambda: configuration and clients once, then one reconcile (or one
//! verify) per event. With arguments it runs once from the command line instead
//! (`zones verify NAME [VPC_ID ...]`, `zones invoke 'EVENT_JSON'`).
#![recursion_limit = "256"]

use handshake::config::ProcessEnv;
use handshake::zones::{ZonesConfig, ZonesHandshake};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = ZonesConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await;
    let route53 = handshake::aws::route53::Route53::from_sdk(&sdk)?;
    let handshake = ZonesHandshake {
        port: route53,
        config,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        std::process::exit(handshake::zones::cli(&handshake, &settings, &args).await);
    }
    let (handshake, settings) = (&handshake, &settings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handshake::zones::invoke(
            handshake,
            settings,
            &event.payload,
            &event.context.request_id,
        )
        .await
    }))
    .await
}
