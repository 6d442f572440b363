//! The temporary PeerRole (Astro Hybrid): once the Astro peering is active, or the role's
//! time box has passed, remove the role by updating this project's own stack with
//! `CreatePeerRole=false`, the previous template and every other parameter's previous value.
//!
//! The resource reconciled is the stack (`STACK_NAME`); a CloudTrail
//! `AcceptVpcPeeringConnection` event only says "look now". No RoleARN is passed to
//! UpdateStack: CloudFormation would keep such a role as the stack's service role for every
//! later operation, and the customer's next `sam deploy` would run under it. The update runs
//! with the function's own credentials, which may delete that one role and nothing else.

mod config;
mod decide;
mod model;

pub use config::PeerRoleConfig;
pub use decide::{decide, effective_expiry};
pub use model::{
    format_time, parse_time, system_now, Observation, PeerRoleAction, Stack, StackStatus,
    StackStatusClass, StackUpdate, CAPABILITIES, CREATE_PEER_ROLE, EXPIRES_PARAMETER,
};

use std::future::Future;

use aws_smithy_types::DateTime;

use crate::decision::{Decision, Written};
use crate::engine::Handshake;
use crate::error::Result;
use crate::ids;
use crate::peering::{Peering, PeeringReads, LIVE};
use crate::trigger::IdSpec;

/// CloudFormation calls on the project's own stack.
pub trait PeerRolePort: Sync {
    /// The stack, or `None` when it does not exist.
    fn stack(&self, name: &str) -> impl Future<Output = Result<Option<Stack>>> + Send;
    /// UpdateStack; "No updates are to be performed" is `already_done`.
    fn update(&self, update: &StackUpdate) -> impl Future<Output = Result<Written>> + Send;
}

/// The peer-role handshake: its own CloudFormation port, and the peering read port it learns
/// the Astro peerings from.
pub struct PeerRoleHandshake<S, P> {
    pub port: S,
    /// EC2 peering reads.
    pub peerings: P,
    pub config: PeerRoleConfig,
    /// The current time (tests pass a fixed one).
    pub clock: fn() -> DateTime,
}

impl<S, P> PeerRoleHandshake<S, P> {
    pub fn new(port: S, peerings: P, config: PeerRoleConfig) -> Self {
        Self {
            port,
            peerings,
            config,
            clock: system_now,
        }
    }
}

impl<S: PeerRolePort, P: PeeringReads> PeerRoleHandshake<S, P> {
    /// The live peerings into the accepter VPCs, plus `hint` (the event's peering) in case
    /// the listing does not show it yet.
    async fn peerings(&self, hint: Option<&str>) -> Result<Vec<Peering>> {
        let vpcs: Vec<String> = self.config.accepter_vpc_ids.iter().cloned().collect();
        let mut found = self.peerings.peerings_into(&vpcs, &LIVE).await?;
        if let Some(id) = hint.filter(|id| !found.iter().any(|p| p.id == *id)) {
            found.extend(self.peerings.peering(id).await?);
        }
        Ok(found)
    }
}

impl<S: PeerRolePort, P: PeeringReads> Handshake for PeerRoleHandshake<S, P> {
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
        let stack = self.port.stack(name).await?;
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
            PeerRoleAction::RemovePeerRole(update) => self.port.update(update).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<String>> {
        Ok(vec![self.config.stack_name.clone()])
    }
}
