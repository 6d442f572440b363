//! The VPC peering handshake: accept allowed Astro requests, route back, enable DNS.

mod config;
mod decide;
mod model;

pub use config::PeeringConfig;
pub use decide::{decide, requester_refusals};
pub use model::{Observation, Peering, PeeringAction, PeeringState, VpcEnd};

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::decision::{Decision, Written};
use crate::engine::{Handshake, Listed};
use crate::error::Result;
use crate::ids;
use crate::model::RouteTable;
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

/// An accepter VPC's CIDRs and route tables.
type Surroundings = (Vec<String>, Vec<RouteTable>);

/// The observation of `peering`, with its accepter VPC's surroundings when they were read.
fn observation(peering: Peering, around: Option<Surroundings>) -> Observation {
    let surroundings_read = around.is_some();
    let (accepter_vpc_cidrs, route_tables) = around.unwrap_or_default();
    Observation {
        peering,
        accepter_vpc_cidrs,
        route_tables,
        surroundings_read,
    }
}

impl<P: PeeringPort> PeeringHandshake<P> {
    /// Whether a decision on `peering` needs its accepter VPC: it is one this stack manages
    /// and a write can still apply.
    fn needs_surroundings(&self, peering: &Peering) -> bool {
        !peering.state.is_final()
            && self
                .config
                .accepter_vpc_ids
                .contains(&peering.accepter.vpc_id)
    }

    async fn surroundings(&self, vpc: &str) -> Result<Surroundings> {
        futures::try_join!(self.port.vpc_cidrs(vpc), self.port.route_tables(vpc))
    }
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

    /// The peering, and around it the accepter VPC's CIDRs and route tables when it is one
    /// this stack manages and a write can still apply. With one accepter VPC, all three are
    /// read at once.
    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let only = match self.config.accepter_vpc_ids.len() {
            1 => self.config.accepter_vpc_ids.first(),
            _ => None,
        };
        let Some(vpc) = only else {
            let Some(peering) = self.port.peering(id).await? else {
                return Ok(None);
            };
            let around = match self.needs_surroundings(&peering) {
                true => Some(self.surroundings(&peering.accepter.vpc_id).await?),
                false => None,
            };
            return Ok(Some(observation(peering, around)));
        };
        // What was read of the VPC (or why it could not be) matters only to a peering into it.
        let (peering, around) = futures::join!(self.port.peering(id), self.surroundings(vpc));
        let Some(peering) = peering? else {
            return Ok(None);
        };
        let around = match self.needs_surroundings(&peering) {
            true => Some(around?),
            false => None,
        };
        Ok(Some(observation(peering, around)))
    }

    /// After an acceptance or while it settles, only the peering can have changed: its VPC
    /// and route tables are kept from the last look.
    async fn look_again(&self, id: &str, previous: Observation) -> Result<Option<Observation>> {
        let Some(peering) = self.port.peering(id).await? else {
            return Ok(None);
        };
        let same_vpc = peering.accepter.vpc_id == previous.peering.accepter.vpc_id;
        let around = match self.needs_surroundings(&peering) {
            false => None,
            true if same_vpc && previous.surroundings_read => {
                Some((previous.accepter_vpc_cidrs, previous.route_tables))
            }
            true => Some(self.surroundings(&peering.accepter.vpc_id).await?),
        };
        Ok(Some(observation(peering, around)))
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

    /// One listing of the live peerings into the accepter VPCs, and one read of each such
    /// VPC's CIDRs and route tables (all VPCs at once): the first observation of every
    /// peering, whatever their number.
    async fn sweep(&self) -> Result<Vec<Listed<Observation>>> {
        let vpcs: Vec<String> = self.config.accepter_vpc_ids.iter().cloned().collect();
        let mut peerings = self.port.peerings_into(&vpcs, &LIVE).await?;
        peerings.sort_by(|a, b| a.id.cmp(&b.id));
        peerings.dedup_by(|a, b| a.id == b.id);
        let wanted: BTreeSet<&str> = peerings
            .iter()
            .filter(|p| self.needs_surroundings(p))
            .map(|p| p.accepter.vpc_id.as_str())
            .collect();
        let read = futures::future::try_join_all(wanted.into_iter().map(|vpc| async move {
            Ok::<_, crate::Error>((vpc.to_string(), self.surroundings(vpc).await?))
        }))
        .await?;
        let around: BTreeMap<String, Surroundings> = read.into_iter().collect();
        Ok(peerings
            .into_iter()
            .map(|p| {
                let vpc = self
                    .needs_surroundings(&p)
                    .then(|| around.get(&p.accepter.vpc_id).cloned())
                    .flatten();
                Listed::observed(p.id.clone(), observation(p, vpc))
            })
            .collect())
    }
}
