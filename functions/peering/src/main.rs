//! The VPC peering Lambda: configuration and clients once, then one reconcile per event.
#![recursion_limit = "256"]

use handshake::aws::ec2::Ec2;
use handshake::config::ProcessEnv;
use handshake::peering::{PeeringConfig, PeeringHandshake};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = PeeringConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let handshake = PeeringHandshake {
        port: Ec2::from_sdk(&sdk),
        config,
    };
    handshake::runtime::serve_handshake(&handshake, &settings).await
}
