//! The library's one error type.

/// Everything that can go wrong while reconciling a handshake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS call failed. `code` is the AWS error code (`ProvideErrorMetadata::code`).
    #[error("{operation} failed: {code}: {message}")]
    Aws {
        operation: &'static str,
        code: String,
        message: String,
        request_id: Option<String>,
        retryable: bool,
    },
    /// The function's configuration is unusable; fail fast at start-up.
    #[error("configuration error: {0}")]
    Config(String),
    /// The incoming event cannot be understood; nothing is changed.
    #[error("event error: {0}")]
    Event(String),
}

impl Error {
    /// Whether a retry of the whole invocation can help (throttling, 5xx, network).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Aws {
                retryable: true,
                ..
            }
        )
    }

    /// The AWS error code, when the error came from AWS.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The AWS request id, when AWS answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Aws { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
