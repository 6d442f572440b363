//! The VPC peering Lambda: configuration and clients once, then one reconcile (or one
//! diagnosis) per event. With arguments it runs once from the command line instead (see
//! [`cli`]).
#![recursion_limit = "256"]

mod cli;

use handshake::audit::StdoutSink;
use handshake::aws::{ec2::Ec2, route53::Route53};
use handshake::config::ProcessEnv;
use handshake::diagnose::{self, Doctor};
use handshake::engine;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use handshake::runtime::Invocation;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = PeeringConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let doctor = Doctor {
        network: Ec2::from_sdk(&sdk),
        names: Route53::from_sdk(&sdk),
        common: config.common.clone(),
    };
    let handshake = PeeringHandshake {
        port: Ec2::from_sdk(&sdk),
        config,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        std::process::exit(cli::run(&handshake, &doctor, &settings, &args).await);
    }
    let (handshake, doctor, settings) = (&handshake, &doctor, &settings);
    handshake::runtime::serve(|event, invocation: Invocation| async move {
        let settings = &invocation.settings(settings);
        let request_id = invocation.request_id;
        if diagnose::asks(&event) {
            diagnose::handle(doctor, &event, settings, &StdoutSink, Some(request_id)).await
        } else {
            engine::handle(handshake, &event, settings, &StdoutSink, Some(request_id)).await
        }
    })
    .await
}
