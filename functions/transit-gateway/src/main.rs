//! The Transit Gateway Lambda: configuration and clients once, then one reconcile per event.
#![recursion_limit = "256"]

use handshake::aws::tgw::TgwAws;
use handshake::config::ProcessEnv;
use handshake::tgw::{TgwConfig, TgwHandshake};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = TgwConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await?;
    let handshake = TgwHandshake {
        port: TgwAws::from_sdk(&sdk),
        config,
    };
    handshake::runtime::serve_handshake(&handshake, &settings).await
}
