//! The PeerRole Lambda: configuration and clients once, then one reconcile of the stack per
//! event (a schedule, an `AcceptVpcPeeringConnection` CloudTrail event, or a direct invoke).
#![recursion_limit = "256"]

use handshake::aws::cloudformation::CloudFormation;
use handshake::aws::ec2::Ec2;
use handshake::config::ProcessEnv;
use handshake::peer_role::{PeerRoleConfig, PeerRoleHandshake};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = PeerRoleConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let handshake =
        PeerRoleHandshake::new(CloudFormation::from_sdk(&sdk), Ec2::from_sdk(&sdk), config);
    handshake::runtime::serve_handshake(&handshake, &settings).await
}
