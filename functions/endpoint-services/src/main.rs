//! The endpoint-services Lambda: configuration and client once, then one reconcile per event
//! (a schedule, a `CreateVpcEndpoint` CloudTrail event, or a direct invoke naming a service).
#![recursion_limit = "256"]

use handshake::aws::ec2::Ec2;
use handshake::config::ProcessEnv;
use handshake::endpoint_services::{EndpointServicesConfig, EndpointServicesHandshake};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = EndpointServicesConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let handshake = EndpointServicesHandshake::new(Ec2::from_sdk(&sdk), config);
    handshake::runtime::serve_handshake(&handshake, &settings).await
}
