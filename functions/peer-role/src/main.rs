//! The PeerRole Lambda: configuration and clients once, then one reconcile of the stack per
//! event (a schedule, an `AcceptVpcPeeringConnection` CloudTrail event, or a direct invoke).
#![recursion_limit = "256"]

use handshake::aws::cloudformation::CloudFormation;
use handshake::aws::ec2::Ec2;
use handshake::config::ProcessEnv;
use handshake::peer_role::{PeerRoleConfig, PeerRoleHandshake};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = PeerRoleConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await;
    let stacks = CloudFormation::new(aws_sdk_cloudformation::Client::new(&sdk));
    let peerings = Ec2::new(aws_sdk_ec2::Client::new(&sdk));
    let handshake = PeerRoleHandshake::new(stacks, peerings, config);
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
