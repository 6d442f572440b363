//! The VPC peering handshake: accept allowed Astro requests, route back, enable DNS.

mod config;
mod decide;
mod model;

pub use config::PeeringConfig;
pub use decide::{decide, requester_refusals};
pub use model::{Observation, Peering, PeeringAction, PeeringState, VpcEnd};

use std::future::Future;

use crate::decision::{Decision, Written};
use crate::engine::Handshake;
use crate::error::Result;
use crate::ids;
use crate::ports::{VpcRoutes, MANAGED_TAG_KEY, MANAGED_TAG_VALUE};
use crate::trigger::IdSpec;

/// The peering states a sweep reconciles: waiting for acceptance, settling, working.
pub const LIVE: [PeeringState; 3] = [
    PeeringState::PendingAcceptance,
    PeeringState::Provisioning,
    PeeringState::Active,
];

/// EC2 peering reads: what the zones and peer-role handshakes need of peerings too.
pub trait PeeringReads: Sync {
    fn peering(&self, id: &str) -> impl Future<Output = Result<Option<Peering>>> + Send;
    /// The peerings into these VPCs in one of `states`.
    fn peerings_into(
        &self,
        vpc_ids: &[String],
        states: &[PeeringState],
    ) -> impl Future<Output = Result<Vec<Peering>>> + Send;
}

/// EC2 peering calls: the reads, the accepter VPC's routes, and the peering's own writes.
pub trait PeeringPort: PeeringReads + VpcRoutes {
    /// `InvalidStateTransition` (already accepted) is `already_done`.
    fn accept(&self, id: &str) -> impl Future<Output = Result<Written>> + Send;
    fn reject(&self, id: &str) -> impl Future<Output = Result<Written>> + Send;
    fn enable_accepter_dns(&self, id: &str) -> impl Future<Output = Result<Written>> + Send;
    fn tag(&self, id: &str, key: &str, value: &str)
        -> impl Future<Output = Result<Written>> + Send;
}

pub struct PeeringHandshake<P> {
    pub port: P,
    pub config: PeeringConfig,
}

impl<P: PeeringPort> Handshake for PeeringHandshake<P> {
    type Observation = Observation;
    type Action = PeeringAction;

    const KIND: &'static str = "vpc-peering";
    const IDS: IdSpec = IdSpec {
        field: "vpcPeeringConnectionId",
        valid: ids::is_peering_id,
        events: &["CreateVpcPeeringConnection", "AcceptVpcPeeringConnection"],
        sweep_events: &[],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let Some(peering) = self.port.peering(id).await? else {
            return Ok(None);
        };
        // The accepter VPC is read only when it is one this stack manages and a write can
        // still apply to the peering.
        let ours = self
            .config
            .accepter_vpc_ids
            .contains(&peering.accepter.vpc_id);
        if peering.state.is_final() || !ours {
            return Ok(Some(Observation {
                peering,
                accepter_vpc_cidrs: vec![],
                route_tables: vec![],
            }));
        }
        let vpc = peering.accepter.vpc_id.clone();
        let (accepter_vpc_cidrs, route_tables) =
            futures::try_join!(self.port.vpc_cidrs(&vpc), self.port.route_tables(&vpc))?;
        Ok(Some(Observation {
            peering,
            accepter_vpc_cidrs,
            route_tables,
        }))
    }

    fn decide(&self, observation: &Observation) -> Decision<PeeringAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &PeeringAction) -> Result<Written> {
        match action {
            PeeringAction::Accept { id } => self.port.accept(id).await,
            PeeringAction::Reject { id } => self.port.reject(id).await,
            PeeringAction::Tag { id } => {
                self.port.tag(id, MANAGED_TAG_KEY, MANAGED_TAG_VALUE).await
            }
            PeeringAction::CreateRoute(route) => self.port.create_route(route).await,
            PeeringAction::EnableAccepterDns { id } => self.port.enable_accepter_dns(id).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<String>> {
        let vpcs: Vec<String> = self.config.accepter_vpc_ids.iter().cloned().collect();
        let mut ids: Vec<String> = self
            .port
            .peerings_into(&vpcs, &LIVE)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}
