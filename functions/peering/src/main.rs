//! The VPC peering Lambda: configuration and clients once, then one reconcile per event.
#![recursion_limit = "256"]

use handshake::config::ProcessEnv;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = PeeringConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await;
    let ec2 = handshake::aws::ec2::Ec2::new(aws_sdk_ec2::Client::new(&sdk));
    let handshake = PeeringHandshake { port: ec2, config };
    let (handshake, settings) = (&handshake, &settings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handshake::runtime::invoke(
            handshake,
            settings,
            &event.payload,
            &event.context.request_id,
        )
        .await
    }))
    .await
}
