//! What every function's `main` shares: logging set-up and serving Lambda invocations.

use std::future::Future;

use lambda_runtime::{service_fn, LambdaEvent};
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

/// Serves Lambda invocations with `answer(event, request id)` until the runtime stops. An
/// `Err` (only ever when a retry can help) fails the invocation, so Lambda and EventBridge
/// retry the event; Lambda's `errorType` is then the AWS error code (see
/// [`crate::Error`]'s `Diagnostic`).
pub async fn serve<F, Fut>(answer: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, String) -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let answering = answer(event.payload, event.context.request_id);
        async move {
            answering.await.inspect_err(|err| {
                tracing::warn!(error = %err, code = err.code(), retryable = err.is_retryable(), "invocation failed; it will be retried");
            })
        }
    }))
    .await
}

/// Serves a handshake: one reconcile per event, the audit trail on stdout, the report as the
/// response.
pub async fn serve_handshake<H: Handshake>(
    h: &H,
    settings: &Settings,
) -> Result<(), lambda_runtime::Error> {
    serve(|event, request_id| async move {
        engine::handle(h, &event, settings, &StdoutSink, Some(request_id)).await
    })
    .await
}
