//! What every function's `main` shares: logging set-up and the invocation entry point.

use serde_json::Value;

use crate::audit::StdoutSink;
use crate::engine::{self, Handshake, Settings};
use crate::error::Result;

/// Diagnostic logs as JSON on stderr (`RUST_LOG`, default `info`); the audit trail and
/// metrics go to stdout, one JSON document per line.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

/// One invocation: the audit trail to stdout, the report as the response.
/// Fails only when a retry can help; Lambda and EventBridge then retry the event, and
/// Lambda's `errorType` is the AWS error code (see [`crate::Error`]'s `Diagnostic`).
pub async fn invoke<H: Handshake>(
    handshake: &H,
    settings: &Settings,
    event: &Value,
    request_id: &str,
) -> Result<Value> {
    let result = engine::handle(
        handshake,
        event,
        settings,
        &StdoutSink,
        Some(request_id.to_string()),
    )
    .await;
    result.inspect_err(|err| {
        tracing::warn!(error = %err, code = err.code(), retryable = err.is_retryable(), "invocation failed; it will be retried");
    })
}
