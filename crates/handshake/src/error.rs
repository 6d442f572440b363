//! The library's one error type.

/// Everything that can go wrong while reconciling a handshake.
#[derive(Debug, Clone, thiserror::Error)]
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

/// What Lambda reports for a failed invocation: `errorType` is the AWS error code
/// (`RequestLimitExceeded`), or `Config` / `Event`, rather than a Rust type name.
impl From<Error> for lambda_runtime::Diagnostic {
    fn from(err: Error) -> Self {
        let error_type = match &err {
            Error::Aws { code, .. } => code.clone(),
            Error::Config(_) => "Config".into(),
            Error::Event(_) => "Event".into(),
        };
        Self {
            error_type,
            error_message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Diagnostic;

    #[test]
    fn lambda_sees_the_aws_code_or_the_kind_of_error() {
        let aws = Error::Aws {
            operation: "CreateRoute",
            code: "RequestLimitExceeded".into(),
            message: "Request limit exceeded.".into(),
            request_id: Some("req-1".into()),
            retryable: true,
        };
        let d = Diagnostic::from(aws);
        assert_eq!(d.error_type, "RequestLimitExceeded");
        assert_eq!(
            d.error_message,
            "CreateRoute failed: RequestLimitExceeded: Request limit exceeded."
        );
        assert_eq!(
            Diagnostic::from(Error::Config("x".into())).error_type,
            "Config"
        );
        assert_eq!(
            Diagnostic::from(Error::Event("y".into())).error_type,
            "Event"
        );
    }
}
