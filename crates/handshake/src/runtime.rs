//! What every function's `main` shares: logging set-up and the invocation entry point.

use serde_json::Value;

use crate::audit::StdoutSink;
use crate::engine::{self, Handshake, Settings};

/// What a handler returns to the Lambda runtime on failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
/// Fails only when a retry can help; Lambda and EventBridge then retry the event.
pub async fn invoke<H: Handshake>(
    handshake: &H,
    settings: &Settings,
    event: &Value,
    request_id: &str,
) -> Result<Value, BoxError> {
    let result = engine::handle(
        handshake,
        event,
        settings,
        &StdoutSink,
        Some(request_id.to_string()),
    )
    .await;
    result.map_err(|err| {
        tracing::warn!(error = %err, retryable = err.is_retryable(), "invocation failed; it will be retried");
        Box::new(err) as BoxError
    })
}
