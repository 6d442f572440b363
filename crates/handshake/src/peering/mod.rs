//! The VPC peering handshake: accept allowed Astro requests, route back, enable DNS.

mod decide;
mod model;

pub use decide::{decide, requester_refusals};
pub use model::{Observation, Peering, PeeringAction, Status, VpcEnd};

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use crate::config::{Common, Reader, Source};
use crate::decision::{Decision, Written};
use crate::engine::{Handshake, Settings};
use crate::error::Result;
use crate::ids;
use crate::ports::{VpcRoutes, MANAGED_TAG_KEY, MANAGED_TAG_VALUE};
use crate::selector::RouteTableSelector;
use crate::trigger::IdSpec;

/// The peering function's configuration.
#[derive(Debug, Clone)]
pub struct PeeringConfig {
    pub common: Common,
    pub accepter_vpc_ids: BTreeSet<String>,
    pub route_tables: RouteTableSelector,
    pub enable_accepter_dns: bool,
    /// How long one invocation waits for an accepted peering to become active.
    pub accept_wait: Duration,
}

impl PeeringConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let common = Common::read(&r)?;
        let accepter_vpc_ids = r.checked_list("ACCEPTER_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        if accepter_vpc_ids.is_empty() {
            return Err(crate::Error::Config(
                "ACCEPTER_VPC_IDS is required and is empty or unset".into(),
            ));
        }
        let route_tables =
            RouteTableSelector::parse(&r.optional("ROUTE_TABLE_SELECTOR").unwrap_or_default())
                .map_err(|e| crate::Error::Config(format!("ROUTE_TABLE_SELECTOR: {e}")))?;
        Ok(Self {
            common,
            accepter_vpc_ids,
            route_tables,
            enable_accepter_dns: r.flag("ENABLE_ACCEPTER_DNS_RESOLUTION", true)?,
            accept_wait: r.seconds("ACCEPT_WAIT_SECONDS", 30, 600)?,
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.common.dry_run,
            settle_timeout: self.accept_wait,
            metrics_namespace: self.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }
}

/// EC2 peering calls.
pub trait PeeringPort: VpcRoutes {
    fn peering(&self, id: &str) -> impl Future<Output = Result<Option<Peering>>> + Send;
    /// Ids of peerings into these VPCs that are pending, provisioning or active.
    fn live_peerings_into(
        &self,
        vpc_ids: &[String],
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
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
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let Some(peering) = self.port.peering(id).await? else {
            return Ok(None);
        };
        let ours = self
            .config
            .accepter_vpc_ids
            .contains(&peering.accepter.vpc_id);
        if peering.status.is_final() || !ours {
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
        self.port.live_peerings_into(&vpcs).await
    }
}
