//! SDK adapters behind the ports, and what they share: loading the SDK configuration and
//! turning SDK errors into [`crate::Error`].
//!
//! The endpoint comes from the standard SDK settings (`AWS_ENDPOINT_URL` among them); the
//! product code does not know which endpoint it talks to.

pub mod cloudformation;
pub mod diagnose;
pub mod ec2;
pub mod endpoint_services;
pub mod pacing;
pub mod route53;
pub mod tgw;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types_request_id::RequestId;

use crate::decision::Written;
use crate::error::{Error, Result};

mod aws_types_request_id {
    pub use aws_sdk_ec2::operation::RequestId;
}

/// Loads the SDK configuration from the environment (credentials, Region, endpoint).
/// Standard retries with five attempts unless `AWS_MAX_ATTEMPTS` says otherwise. Every
/// adapter is built from it with `from_sdk`; a configuration without a Region is refused
/// here, once.
pub async fn load_config() -> Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(5));
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(Error::Config(
            "no AWS Region configured (AWS_REGION)".into(),
        ));
    }
    Ok(sdk)
}

/// Error codes after which a later retry of the invocation can succeed.
const RETRYABLE_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "SlowDown",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    // Route 53: another change to the zone is in progress.
    "ConcurrentModification",
];

pub fn is_retryable_code(code: &str) -> bool {
    RETRYABLE_CODES.contains(&code)
}

/// Keeps the AWS error code, message and request id, and says whether a retry can help.
pub fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            let code = e.code().unwrap_or("Unknown").to_string();
            Error::Aws {
                operation,
                retryable: status >= 500 || is_retryable_code(&code),
                code,
                message: e.message().unwrap_or_default().to_string(),
                request_id: e.request_id().map(String::from),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Error::Aws {
                operation,
                code: "NetworkError".into(),
                message: describe(&err),
                request_id: None,
                retryable: true,
            }
        }
        _ => Error::Aws {
            operation,
            code: "ClientError".into(),
            message: describe(&err),
            request_id: None,
            retryable: false,
        },
    }
}

/// The whole chain of an error, on one line.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The one way a write's result becomes a [`Written`]: AWS's request id on success;
/// `already_done` when AWS answers one of `done_codes` (the write was made before, by an
/// earlier run, a replay or a concurrent instance: `RouteAlreadyExists`); any other error
/// classified.
pub(crate) fn write_outcome<O, E>(
    operation: &'static str,
    result: std::result::Result<O, SdkError<E, HttpResponse>>,
    done_codes: &[&str],
) -> crate::error::Result<Written>
where
    O: RequestId,
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Written {
            request_id: output.request_id().map(String::from),
            already_done: false,
        }),
        Err(e) if code_of(&e).is_some_and(|code| done_codes.contains(&code)) => Ok(Written {
            request_id: None,
            already_done: true,
        }),
        Err(e) => Err(classify(operation, e)),
    }
}

/// A create answered `RouteAlreadyExists` for a destination that `table` routes to `holder`
/// (`None`: not found on a second look), not to what was asked: someone else's route, left as
/// it is. Not retryable: the next run's observation reports it as a conflict.
pub(crate) fn route_held_elsewhere(
    operation: &'static str,
    destination: &str,
    table: &str,
    holder: Option<String>,
) -> Error {
    Error::Aws {
        operation,
        code: "RouteAlreadyExists".into(),
        message: format!(
            "{destination} in {table} already routes to {}; left as it is",
            holder.as_deref().unwrap_or("something else")
        ),
        request_id: None,
        retryable: false,
    }
}

/// The error code of an SDK error, if AWS answered with one.
pub fn code_of<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}
