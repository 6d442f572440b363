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
/// What the change set must acknowledge for this template (IAM resources, named roles, the SAM
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
    /// Failed, rolled back at creation, or deleted: no change set can run, a person must look.
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

/// The PeerRole's logical id in template.yaml.
pub const PEER_ROLE_LOGICAL_ID: &str = "PeerRole";
/// What every change set this project makes is named after (and what its IAM policy allows).
pub const CHANGE_SET_PREFIX: &str = "astro-handshake-remove-peer-role-";

/// The PeerRole's name: template.yaml names it `<stack name>-astro-peer-role`.
pub fn peer_role_name(stack_name: &str) -> String {
    format!("{stack_name}-astro-peer-role")
}

aws_enum! {
    /// A change set's status (`ChangeSetStatus`).
    ChangeSetStatus {
        CreatePending = "CREATE_PENDING",
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateComplete = "CREATE_COMPLETE",
        DeletePending = "DELETE_PENDING",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteComplete = "DELETE_COMPLETE",
        DeleteFailed = "DELETE_FAILED",
        Failed = "FAILED",
    }
}

aws_enum! {
    /// Whether a change set can be executed (`ExecutionStatus`).
    ExecutionStatus {
        Unavailable = "UNAVAILABLE",
        Available = "AVAILABLE",
        ExecuteInProgress = "EXECUTE_IN_PROGRESS",
        ExecuteComplete = "EXECUTE_COMPLETE",
        ExecuteFailed = "EXECUTE_FAILED",
        Obsolete = "OBSOLETE",
    }
}

aws_enum! {
    /// What a change set does to a resource (`ChangeAction`).
    ChangeAction {
        Add = "Add",
        Modify = "Modify",
        Remove = "Remove",
        Import = "Import",
        Dynamic = "Dynamic",
    }
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub action: ChangeAction,
    pub logical_id: String,
    pub resource_type: String,
}

impl std::fmt::Display for ResourceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.action, self.logical_id, self.resource_type
        )
    }
}

/// This project's change set on the stack, as DescribeChangeSet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub name: String,
    pub status: ChangeSetStatus,
    pub execution: ExecutionStatus,
    pub status_reason: String,
    pub changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// Whether its one and only change removes the PeerRole.
    pub fn only_removes_the_peer_role(&self) -> bool {
        matches!(self.changes.as_slice(), [c] if c.action == ChangeAction::Remove
            && c.logical_id == PEER_ROLE_LOGICAL_ID
            && c.resource_type == "AWS::IAM::Role")
    }
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
    /// This project's change set on the stack (only read while the role exists).
    pub change_set: Option<ChangeSet>,
    /// Whether IAM still has the PeerRole (only read once the stack says it has none).
    pub role_exists: Option<bool>,
    pub now: DateTime,
}

/// A change set that removes the PeerRole: the previous template, `set` parameters given new
/// values, `keep` parameters at their previous values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackUpdate {
    /// The stack's ARN (so a stack re-created under the same name is never touched).
    pub stack: String,
    /// The change set's name (`CHANGE_SET_PREFIX` and the stack's last change).
    pub change_set: String,
    pub set: Vec<(String, String)>,
    pub keep: Vec<String>,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerRoleAction {
    /// CreateChangeSet: what removing the PeerRole would change, to look at before doing it.
    PrepareRemoval(StackUpdate),
    /// ExecuteChangeSet of a change set whose only change removes the PeerRole:
    /// CloudFormation deletes the role.
    RemovePeerRole { stack: String, change_set: String },
    /// DeleteChangeSet of a change set that would change more than the PeerRole, or failed.
    DiscardChangeSet { stack: String, change_set: String },
}

impl Action for PeerRoleAction {
    fn name(&self) -> &'static str {
        match self {
            Self::PrepareRemoval(_) => "prepare-peer-role-removal",
            Self::RemovePeerRole { .. } => "remove-peer-role",
            Self::DiscardChangeSet { .. } => "discard-change-set",
        }
    }

    fn target(&self) -> String {
        match self {
            Self::PrepareRemoval(u) => {
                format!("{} {} ({CREATE_PEER_ROLE}=false)", u.stack, u.change_set)
            }
            Self::RemovePeerRole { stack, change_set }
            | Self::DiscardChangeSet { stack, change_set } => format!("{stack} {change_set}"),
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
