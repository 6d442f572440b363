//! The private hosted zone Lambda: configuration and clients once, then one reconcile (or one
//! verify) per event. With arguments it runs once from the command line instead (see
//! [`cli`]).
#![recursion_limit = "256"]

mod cli;

use handshake::audit::StdoutSink;
use handshake::aws::{ec2::Ec2, route53::Route53, tgw::TgwAws};
use handshake::config::ProcessEnv;
use handshake::runtime::Invocation;
use handshake::zones::{self, ZonesConfig, ZonesHandshake};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = ZonesConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let handshake = ZonesHandshake {
        port: Route53::from_sdk(&sdk),
        peerings: Ec2::from_sdk(&sdk),
        attachments: TgwAws::from_sdk(&sdk),
        config,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        std::process::exit(cli::run(&handshake, &settings, &args).await);
    }
    let (handshake, settings) = (&handshake, &settings);
    handshake::runtime::serve(|event, invocation: Invocation| async move {
        let settings = &invocation.settings(settings);
        let request_id = invocation.request_id;
        zones::handle(handshake, &event, settings, &StdoutSink, Some(request_id)).await
    })
    .await
}
