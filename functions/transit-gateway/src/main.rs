//! The Transit Gateway Lambda: configuration and clients once, then one reconcile per event.
#![recursion_limit = "256"]

use handshake::aws::tgw::TgwAws;
use handshake::config::ProcessEnv;
use handshake::tgw::{TgwConfig, TgwHandshake};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    handshake::runtime::init_logging();
    let config = TgwConfig::read(&ProcessEnv)?;
    let settings = config.settings();
    let sdk = handshake::aws::load_config().await;
    let handshake = TgwHandshake {
        port: TgwAws::from_conf(&sdk),
        config,
    };
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
