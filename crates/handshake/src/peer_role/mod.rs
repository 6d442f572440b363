//! The temporary PeerRole (Astro Hybrid): once the Astro peering is active, or the role's
//! time box has passed, remove the role by updating this project's own stack with
//! `CreatePeerRole=false`, the previous template and every other parameter's previous value.
//!
//! The resource reconciled is the stack (`STACK_NAME`); a CloudTrail
//! `AcceptVpcPeeringConnection` event only says "look now". No RoleARN is passed to
//! UpdateStack: CloudFormation would keep such a role as the stack's service role for every
//! later operation, and the customer's next `sam deploy` would run under it. The update runs
//! with the function's own credentials, which may delete that one role and nothing else.

mod decide;

pub use decide::{decide, effective_expiry, StackStatusClass};

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use crate::config::{Reader, Source};
use crate::decision::{Action, Decision, Written};
use crate::engine::{Handshake, Settings};
use crate::error::{Error, Result};
use crate::ids;
use crate::peering::{Peering, PeeringPort};
use crate::trigger::IdSpec;

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

/// The peer-role function's configuration.
#[derive(Debug, Clone)]
pub struct PeerRoleConfig {
    /// The stack holding the PeerRole: this project's own stack.
    pub stack_name: String,
    /// End of the time box (`PEER_ROLE_EXPIRES_AT`); none when empty.
    pub expires_at: Option<DateTime>,
    /// Astro Hybrid cluster accounts allowed to assume the role (`PEER_OWNER_IDS`).
    pub peer_owner_ids: BTreeSet<String>,
    pub accepter_vpc_ids: BTreeSet<String>,
    pub dry_run: bool,
    pub metrics_namespace: String,
    /// How long one invocation waits for a provisioning Astro peering to become active.
    pub settle_wait: Duration,
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

fn is_stack_name(value: &str) -> bool {
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok && value.len() <= 128 && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl PeerRoleConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let stack_name = r.required("STACK_NAME")?;
        if !is_stack_name(&stack_name) {
            return Err(Error::Config(format!(
                "STACK_NAME: `{stack_name}` is not a CloudFormation stack name"
            )));
        }
        let expires_at = r
            .optional("PEER_ROLE_EXPIRES_AT")
            .map(|t| {
                parse_time(&t).map_err(|e| Error::Config(format!("PEER_ROLE_EXPIRES_AT: {e}")))
            })
            .transpose()?;
        let peer_owner_ids = r.checked_list(
            "PEER_OWNER_IDS",
            "a 12-digit account id",
            ids::is_account_id,
        )?;
        let accepter_vpc_ids = r.checked_list("ACCEPTER_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        if accepter_vpc_ids.is_empty() {
            return Err(Error::Config(
                "ACCEPTER_VPC_IDS is required and is empty or unset".into(),
            ));
        }
        Ok(Self {
            stack_name,
            expires_at,
            peer_owner_ids,
            accepter_vpc_ids,
            dry_run: r.flag("DRY_RUN", false)?,
            metrics_namespace: r
                .optional("METRICS_NAMESPACE")
                .unwrap_or_else(|| "AstroHandshake".into()),
            settle_wait: Duration::from_secs(20),
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.dry_run,
            settle_timeout: self.settle_wait,
            metrics_namespace: self.metrics_namespace.clone(),
            concurrency: 1,
            ..Settings::default()
        }
    }
}

/// The stack as DescribeStacks shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The stack's ARN.
    pub id: String,
    pub name: String,
    /// `CREATE_COMPLETE`, `UPDATE_IN_PROGRESS`, ...
    pub status: String,
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

/// CloudFormation calls on the project's own stack.
pub trait StackPort: Sync {
    /// The stack, or `None` when it does not exist.
    fn stack(&self, name: &str) -> impl Future<Output = Result<Option<Stack>>> + Send;
    /// UpdateStack; "No updates are to be performed" is `already_done`.
    fn update(&self, update: &StackUpdate) -> impl Future<Output = Result<Written>> + Send;
}

pub fn system_now() -> DateTime {
    DateTime::from(SystemTime::now())
}

pub struct PeerRoleHandshake<S, P> {
    pub stacks: S,
    /// EC2 peering reads (the peering function's adapter; only its reads are used).
    pub peerings: P,
    pub config: PeerRoleConfig,
    /// The current time (tests pass a fixed one).
    pub clock: fn() -> DateTime,
}

impl<S, P> PeerRoleHandshake<S, P> {
    pub fn new(stacks: S, peerings: P, config: PeerRoleConfig) -> Self {
        Self {
            stacks,
            peerings,
            config,
            clock: system_now,
        }
    }
}

impl<S: StackPort, P: PeeringPort> PeerRoleHandshake<S, P> {
    /// The live peerings into the accepter VPCs, plus `hint` (the event's peering) in case
    /// the listing does not show it yet.
    async fn peerings(&self, hint: Option<&str>) -> Result<Vec<Peering>> {
        let vpcs: Vec<String> = self.config.accepter_vpc_ids.iter().cloned().collect();
        let mut ids = self.peerings.live_peerings_into(&vpcs).await?;
        if let Some(id) = hint.filter(|id| !ids.iter().any(|i| i == id)) {
            ids.push(id.to_string());
        }
        let found =
            futures::future::try_join_all(ids.iter().map(|id| self.peerings.peering(id))).await?;
        Ok(found.into_iter().flatten().collect())
    }
}

impl<S: StackPort, P: PeeringPort> Handshake for PeerRoleHandshake<S, P> {
    type Observation = Observation;
    type Action = PeerRoleAction;

    const KIND: &'static str = "peer-role";
    /// Events name a peering (the trigger); the sweep names the stack. Either way the stack
    /// is what gets reconciled.
    const IDS: IdSpec = IdSpec {
        field: "vpcPeeringConnectionId",
        valid: ids::is_peering_id,
        events: &["AcceptVpcPeeringConnection"],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let name = &self.config.stack_name;
        let stack = self.stacks.stack(name).await?;
        let role_exists = stack
            .as_ref()
            .and_then(|s| s.parameters.get(CREATE_PEER_ROLE))
            .is_some_and(|v| v == "true");
        // Most sweeps find no role: one DescribeStacks and nothing else.
        let peerings = if role_exists {
            self.peerings(Some(id).filter(|id| ids::is_peering_id(id)))
                .await?
        } else {
            Vec::new()
        };
        Ok(Some(Observation {
            stack_name: name.clone(),
            stack,
            peerings,
            now: (self.clock)(),
        }))
    }

    fn decide(&self, observation: &Observation) -> Decision<PeerRoleAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &PeerRoleAction) -> Result<Written> {
        match action {
            PeerRoleAction::RemovePeerRole(update) => self.stacks.update(update).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<String>> {
        Ok(vec![self.config.stack_name.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<PeerRoleConfig> {
        PeerRoleConfig::read(&vars)
    }

    #[test]
    fn reads_the_configuration() {
        let c = read(&[
            ("STACK_NAME", "astro-handshake"),
            ("PEER_ROLE_EXPIRES_AT", "2026-12-01T00:00:00Z"),
            ("PEER_OWNER_IDS", "111111111111,333333333333"),
            ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0"),
            ("DRY_RUN", "true"),
        ])
        .unwrap();
        assert_eq!(c.stack_name, "astro-handshake");
        assert_eq!(c.expires_at, Some(DateTime::from_secs(1_796_083_200)));
        assert_eq!(c.peer_owner_ids.len(), 2);
        assert!(c.dry_run);
        assert_eq!(c.metrics_namespace, "AstroHandshake");
        assert_eq!(format_time(&c.expires_at.unwrap()), "2026-12-01T00:00:00Z");
    }

    #[test]
    fn empty_time_box_and_owners_are_allowed() {
        // The template passes "" when CreatePeerRole=false; the function still runs its sweep.
        let c = read(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", ""),
            ("PEER_OWNER_IDS", ""),
            ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0"),
        ])
        .unwrap();
        assert_eq!(c.expires_at, None);
        assert!(c.peer_owner_ids.is_empty());
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let vpc = ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0");
        let err = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(err(&[vpc]).contains("STACK_NAME"));
        assert!(err(&[("STACK_NAME", "1bad"), vpc]).contains("STACK_NAME"));
        assert!(err(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", "next tuesday"),
            vpc
        ])
        .contains("PEER_ROLE_EXPIRES_AT"));
        assert!(err(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", "2026-12-01"),
            vpc
        ])
        .contains("PEER_ROLE_EXPIRES_AT"));
        assert!(
            err(&[("STACK_NAME", "s"), ("PEER_OWNER_IDS", "1234"), vpc]).contains("PEER_OWNER_IDS")
        );
        assert!(err(&[("STACK_NAME", "s")]).contains("ACCEPTER_VPC_IDS"));
        assert!(err(&[("STACK_NAME", "s"), ("DRY_RUN", "yes"), vpc]).contains("DRY_RUN"));
    }

    #[test]
    fn times_are_utc_as_the_template_pattern_requires() {
        assert_eq!(
            parse_time(" 2026-12-01T00:00:00Z ").unwrap(),
            DateTime::from_secs(1_796_083_200)
        );
        assert_eq!(
            parse_time("2026-12-01T00:00:00.5Z").unwrap().secs(),
            1_796_083_200
        );
        assert!(parse_time("2026-12-01T01:00:00+01:00").is_err());
    }
}
