//! The temporary PeerRole (Astro Hybrid): once the Astro peering is active, or the role's
//! time box has passed, remove the role through a change set of this project's own stack with
//! `CreatePeerRole=false`, the previous template and every other parameter's previous value,
//! executed only when its one change is the role's removal.
//!
//! The resource reconciled is the stack (`STACK_NAME`); a CloudTrail
//! `AcceptVpcPeeringConnection` event only says "look now". No RoleARN is passed to
//! CreateChangeSet: CloudFormation would keep such a role as the stack's service role for every
//! later operation, and the customer's next `sam deploy` would run under it; a stack that
//! already has one is refused. The change set runs with the function's own credentials, which
//! may delete that one role and nothing else. Once the stack has no PeerRole, IAM is asked
//! whether a role of its name is still there.

mod config;
mod decide;
mod model;

pub use config::PeerRoleConfig;
pub use decide::{decide, effective_expiry, ROLLBACK_BACKOFF_SECS};
pub use model::{
    format_time, parse_time, peer_role_name, system_now, ChangeAction, ChangeSet, ChangeSetStatus,
    ExecutionStatus, Observation, PeerRoleAction, ResourceChange, Stack, StackStatus,
    StackStatusClass, StackUpdate, CAPABILITIES, CHANGE_SET_PREFIX, CREATE_PEER_ROLE,
    EXPIRES_PARAMETER, PEER_ROLE_LOGICAL_ID,
};

use std::future::Future;

use aws_smithy_types::DateTime;

use crate::decision::{Decision, Written};
use crate::engine::{Handshake, Listed};
use crate::error::Result;
use crate::ids;
use crate::peering::{Peering, PeeringReads, LIVE};
use crate::trigger::IdSpec;

/// CloudFormation calls on the project's own stack, and IAM's word on the PeerRole.
pub trait PeerRolePort: Sync {
    /// The stack, or `None` when it does not exist.
    fn stack(&self, name: &str) -> impl Future<Output = Result<Option<Stack>>> + Send;
    /// The newest change set on `stack` whose name starts with [`CHANGE_SET_PREFIX`].
    fn change_set(&self, stack: &str) -> impl Future<Output = Result<Option<ChangeSet>>> + Send;
    /// CreateChangeSet (UPDATE, the previous template); an existing one of that name is
    /// `already_done`.
    fn create_change_set(
        &self,
        update: &StackUpdate,
    ) -> impl Future<Output = Result<Written>> + Send;
    fn execute_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// DeleteChangeSet; one already gone is `already_done`.
    fn delete_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// IAM GetRole: whether the role exists (`NoSuchEntity`: it does not).
    fn role_exists(&self, name: &str) -> impl Future<Output = Result<bool>> + Send;
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
        sweep_events: &[],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let name = &self.config.stack_name;
        let stack = self.port.stack(name).await?;
        let flag = stack
            .as_ref()
            .and_then(|s| s.parameters.get(CREATE_PEER_ROLE).cloned());
        let mut observation = Observation {
            stack_name: name.clone(),
            stack,
            peerings: Vec::new(),
            change_set: None,
            role_exists: None,
            now: (self.clock)(),
        };
        match flag.as_deref() {
            // The stack has the role: what may remove it, and a removal under way.
            Some("true") => {
                let hint = Some(id).filter(|id| ids::is_peering_id(id));
                let (peerings, change_set) =
                    futures::try_join!(self.peerings(hint), self.port.change_set(name))?;
                observation.peerings = peerings;
                observation.change_set = change_set;
            }
            // The stack has none: IAM must agree (most sweeps: these two reads only).
            Some(_) => {
                observation.role_exists = Some(self.port.role_exists(&peer_role_name(name)).await?);
            }
            None => {}
        }
        Ok(Some(observation))
    }

    fn decide(&self, observation: &Observation) -> Decision<PeerRoleAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &PeerRoleAction) -> Result<Written> {
        match action {
            PeerRoleAction::PrepareRemoval(update) => self.port.create_change_set(update).await,
            PeerRoleAction::RemovePeerRole { stack, change_set } => {
                self.port.execute_change_set(stack, change_set).await
            }
            PeerRoleAction::DiscardChangeSet { stack, change_set } => {
                self.port.delete_change_set(stack, change_set).await
            }
        }
    }

    async fn sweep(&self) -> Result<Vec<Listed<Observation>>> {
        Ok(vec![Listed::id(self.config.stack_name.clone())])
    }
}
