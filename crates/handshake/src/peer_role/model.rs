//! What the peer-role handshake observes and the write it plans.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use crate::decision::Action;
use crate::model::aws_enum;
use crate::peering::Peering;

/// The template parameter behind the PeerRole's condition.
pub const CREATE_PEER_ROLE: &str = "CreatePeerRole";
/// The template parameter holding the time box (also in the role's trust policy).
pub const EXPIRES_PARAMETER: &str = "PeerRoleExpiresAt";
/// What UpdateStack must acknowledge for this template (IAM resources, named roles, the SAM
/// transform).
pub const CAPABILITIES: [&str; 3] = [
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
];

aws_enum! {
    /// A stack's status (`StackStatus`).
    StackStatus {
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateFailed = "CREATE_FAILED",
        CreateComplete = "CREATE_COMPLETE",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackFailed = "ROLLBACK_FAILED",
        RollbackComplete = "ROLLBACK_COMPLETE",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteFailed = "DELETE_FAILED",
        DeleteComplete = "DELETE_COMPLETE",
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateComplete = "UPDATE_COMPLETE",
        UpdateFailed = "UPDATE_FAILED",
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        ReviewInProgress = "REVIEW_IN_PROGRESS",
        ImportInProgress = "IMPORT_IN_PROGRESS",
        ImportComplete = "IMPORT_COMPLETE",
        ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
        ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
        ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
    }
}

/// What a stack's status allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatusClass {
    /// Stable and updatable.
    Updatable,
    /// An operation is running; look again on the next sweep.
    InProgress,
    /// Failed, rolled back at creation, or deleted: UpdateStack cannot run, a person must look.
    Stuck,
}

impl StackStatus {
    pub fn class(&self) -> StackStatusClass {
        match self {
            Self::CreateComplete
            | Self::UpdateComplete
            | Self::UpdateRollbackComplete
            | Self::ImportComplete
            | Self::ImportRollbackComplete => StackStatusClass::Updatable,
            s if s.as_str().ends_with("_IN_PROGRESS") => StackStatusClass::InProgress,
            // ROLLBACK_COMPLETE (creation failed) ends in _COMPLETE but cannot be updated.
            _ => StackStatusClass::Stuck,
        }
    }
}

/// The stack as DescribeStacks shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The stack's ARN.
    pub id: String,
    pub name: String,
    pub status: StackStatus,
    /// Every parameter's current value (NoEcho ones show as `****`).
    pub parameters: BTreeMap<String, String>,
    /// Last update, or creation when never updated.
    pub changed_at: Option<DateTime>,
    /// The stack's service role, if someone deployed it with one.
    pub role_arn: Option<String>,
}

/// Everything the decision needs.
#[derive(Debug, Clone)]
pub struct Observation {
    pub stack_name: String,
    /// `None`: no such stack (or not visible).
    pub stack: Option<Stack>,
    /// Peerings into the accepter VPCs that are pending, provisioning or active (only read
    /// when the role exists). The decision itself checks owner, VPC and status.
    pub peerings: Vec<Peering>,
    pub now: DateTime,
}

/// One UpdateStack call: the previous template, `set` parameters given new values, `keep`
/// parameters at their previous values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackUpdate {
    /// The stack's ARN (so a stack re-created under the same name is never touched).
    pub stack: String,
    pub set: Vec<(String, String)>,
    pub keep: Vec<String>,
    pub capabilities: Vec<String>,
    /// Makes a resent request for the same attempt idempotent.
    pub client_request_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerRoleAction {
    /// UpdateStack with `CreatePeerRole=false`: CloudFormation deletes the PeerRole.
    RemovePeerRole(StackUpdate),
}

impl Action for PeerRoleAction {
    fn name(&self) -> &'static str {
        match self {
            Self::RemovePeerRole(_) => "remove-peer-role",
        }
    }

    fn target(&self) -> String {
        match self {
            Self::RemovePeerRole(u) => format!("{} ({CREATE_PEER_ROLE}=false)", u.stack),
        }
    }
}

/// Parses an ISO 8601 / RFC 3339 UTC time such as `2026-12-01T00:00:00Z` (a `Z` suffix,
/// no offset: the form `PeerRoleExpiresAt`'s pattern allows).
pub fn parse_time(text: &str) -> std::result::Result<DateTime, String> {
    DateTime::from_str(text.trim(), Format::DateTime)
        .map_err(|e| format!("`{text}` is not an ISO 8601 time ({e})"))
}

/// A time as `2026-12-01T00:00:00Z`.
pub fn format_time(at: &DateTime) -> String {
    at.fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("{}s after the epoch", at.secs()))
}

pub fn system_now() -> DateTime {
    DateTime::from(SystemTime::now())
}
