//! What every function's `main` shares: logging set-up and serving Lambda invocations.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Time kept back from Lambda's deadline: writes in flight finish, the records and the answer
/// go out, before Lambda stops the invocation.
pub const WRITE_MARGIN: Duration = Duration::from_secs(10);

/// What Lambda says about one invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    /// When the last write may start: Lambda's deadline less [`WRITE_MARGIN`].
    pub write_deadline: Option<Instant>,
}

impl Invocation {
    /// From Lambda's request id and deadline (milliseconds since the Unix epoch). A deadline
    /// already past when the event arrives is not one Lambda sends (a local Runtime API may
    /// send a duration instead): the invocation then has no write deadline.
    pub fn new(request_id: String, deadline_ms: u64) -> Self {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        let write_deadline = (deadline_ms > now_ms).then(|| {
            let left = Duration::from_millis(deadline_ms - now_ms);
            Instant::now() + left.saturating_sub(WRITE_MARGIN)
        });
        Self {
            request_id,
            write_deadline,
        }
    }

    /// The function's settings for this invocation: its write deadline.
    pub fn settings(&self, base: &Settings) -> Settings {
        Settings {
            write_deadline: self.write_deadline,
            ..base.clone()
        }
    }
}

/// Serves Lambda invocations with `answer(event, invocation)` until the runtime stops. An
/// `Err` (only ever when a retry can help) fails the invocation, so Lambda and EventBridge
/// retry the event; Lambda's `errorType` is then the AWS error code (see
/// [`crate::Error`]'s `Diagnostic`).
pub async fn serve<F, Fut>(answer: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, Invocation) -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let invocation = Invocation::new(event.context.request_id, event.context.deadline);
        let answering = answer(event.payload, invocation);
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
    serve(|event, invocation: Invocation| async move {
        let settings = invocation.settings(settings);
        engine::handle(
            h,
            &event,
            &settings,
            &StdoutSink,
            Some(invocation.request_id),
        )
        .await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_deadline_keeps_the_margin_before_lambdas() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let inv = Invocation::new("r".into(), now_ms + 120_000);
        let left = inv.write_deadline.unwrap() - Instant::now();
        assert!(
            left <= Duration::from_secs(110) && left > Duration::from_secs(108),
            "{left:?}"
        );
        // A deadline already closer than the margin: no write starts.
        let inv = Invocation::new("r".into(), now_ms + 5_000);
        assert!(inv.write_deadline.unwrap() <= Instant::now());
        let settings = inv.settings(&Settings::default());
        assert_eq!(settings.write_deadline, inv.write_deadline);
        assert_eq!(settings.concurrency, Settings::default().concurrency);
        // A deadline in the past (a duration, as some local Runtime APIs send) is no deadline.
        assert_eq!(Invocation::new("r".into(), 600_000).write_deadline, None);
        assert_eq!(Invocation::new("r".into(), now_ms - 1).write_deadline, None);
    }
}
