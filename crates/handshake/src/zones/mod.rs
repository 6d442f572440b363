//! The private hosted zone handshake: authorize Astro VPCs on the customer's zones and
//! delete each authorization once Astro has used it; associate extra customer VPCs (the
//! Remote Execution zone among them); and, on request, verify how a name resolves
//! ([`verify`], a read-only entry point of its own).
//!
//! The resource is a hosted zone. Observing it reads the zone's VPCs and authorizations
//! (Route 53, this handshake's own port) and the Astro VPCs: the peerings and the Transit
//! Gateway attachments, through the peering and TGW handshakes' read ports. Which of those
//! VPCs are Astro's is decided by the same rules those handshakes accept them by.

mod config;
mod decide;
mod model;
pub mod verify;

pub use config::ZonesConfig;
pub use decide::{astro_vpcs, decide};
pub use model::{AstroVpc, HostedZone, Observation, VpcRef, ZonesAction};

use std::collections::HashMap;
use std::future::Future;

use serde_json::Value;

use crate::audit::Sink;
use crate::decision::{Decision, Written};
use crate::engine::{self, Handshake, Listed, Settings};
use crate::error::Result;
use crate::ids;
use crate::peering::{self, PeeringReads, PeeringState};
use crate::ports::VpcReads;
use crate::tgw::{AttachmentReads, AttachmentState};
use crate::trigger::IdSpec;
use verify::{Endpoint, RecordSet, ZoneSummary};

/// Route 53, paced to its per-account rate.
pub trait ZonesPort: Sync {
    /// The Region of this account's VPCs.
    fn region(&self) -> &str;
    /// `GetHostedZone`; `None` when there is no such zone.
    fn hosted_zone(&self, zone_id: &str)
        -> impl Future<Output = Result<Option<HostedZone>>> + Send;
    /// `ListVPCAssociationAuthorizations`, every page.
    fn authorizations(&self, zone_id: &str) -> impl Future<Output = Result<Vec<VpcRef>>> + Send;
    /// `CreateVPCAssociationAuthorization` (repeating it is harmless).
    fn create_authorization(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `DeleteVPCAssociationAuthorization`; `VPCAssociationAuthorizationNotFound` is `already_done`.
    fn delete_authorization(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `AssociateVPCWithHostedZone`; the VPC found associated afterwards is `already_done`.
    fn associate(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `ListHostedZonesByVPC`: the private zones the VPC is associated with, whoever owns them.
    fn zones_of_vpc(&self, vpc: &VpcRef) -> impl Future<Output = Result<Vec<ZoneSummary>>> + Send;
    /// `ListResourceRecordSets`, every page.
    fn record_sets(&self, zone_id: &str) -> impl Future<Output = Result<Vec<RecordSet>>> + Send;
}

/// EC2 reads of interface endpoints (the verify entry point's last hop).
pub trait EndpointReads: Sync {
    /// The interface endpoint (in this account) one of whose DNS names is `dns_name`.
    fn endpoint_by_dns_name(
        &self,
        dns_name: &str,
    ) -> impl Future<Output = Result<Option<Endpoint>>> + Send;
}

/// The EC2 reads the zones handshake makes: peerings and their accepter VPCs' CIDRs (the Astro
/// VPCs), interface endpoints (verify).
pub trait ZonesReads: PeeringReads + VpcReads + EndpointReads {}

impl<T: PeeringReads + VpcReads + EndpointReads> ZonesReads for T {}

/// The Astro VPCs a private zone's authorizations are decided against: the active peerings
/// into the accepter VPCs (each with the accepter VPC's CIDRs) and the TGW's attachments.
type AstroVpcs = (Vec<peering::Observation>, Vec<crate::tgw::Attachment>);

/// The zones handshake: its own Route 53 port, and the peering and TGW read ports it learns
/// the Astro VPCs from.
pub struct ZonesHandshake<Z, E, T> {
    pub port: Z,
    /// EC2: the peerings into the accepter VPCs, their CIDRs, interface endpoints.
    pub peerings: E,
    /// The attachments on the Transit Gateway.
    pub attachments: T,
    pub config: ZonesConfig,
}

impl<Z, E, T> ZonesHandshake<Z, E, T>
where
    Z: ZonesPort,
    E: ZonesReads,
    T: AttachmentReads,
{
    /// Active peerings into the accepter VPCs, each with its accepter VPC's CIDRs.
    async fn peerings(&self) -> Result<Vec<peering::Observation>> {
        let accepters: Vec<String> = self
            .config
            .peering
            .accepter_vpc_ids
            .iter()
            .cloned()
            .collect();
        let peerings = self
            .peerings
            .peerings_into(&accepters, &[PeeringState::Active])
            .await?;
        let mut cidrs: HashMap<String, Vec<String>> = HashMap::new();
        let mut out = Vec::new();
        for peering in peerings {
            let vpc = peering.accepter.vpc_id.clone();
            if !cidrs.contains_key(&vpc) {
                cidrs.insert(vpc.clone(), self.peerings.vpc_cidrs(&vpc).await?);
            }
            out.push(peering::Observation {
                accepter_vpc_cidrs: cidrs[&vpc].clone(),
                peering,
                route_tables: vec![],
                surroundings_read: true,
            });
        }
        Ok(out)
    }

    /// The zone, and on a private zone to authorize Astro VPCs on, its authorizations and the
    /// Astro VPCs: `astro` when the caller read them already (a sweep, once for all zones).
    async fn look(&self, id: &str, astro: Option<&AstroVpcs>) -> Result<Option<Observation>> {
        let mut observation = Observation {
            zone_id: id.to_string(),
            configured: self.config.is_configured(id),
            zone: None,
            authorizations: vec![],
            peerings: vec![],
            attachments: vec![],
            region: self.port.region().to_string(),
        };
        if !observation.configured {
            return Ok(Some(observation));
        }
        observation.zone = self.port.hosted_zone(id).await?;
        // Astro VPCs matter only on a private zone they are to be authorized on.
        let private = observation.zone.as_ref().is_some_and(|z| z.private);
        if private && self.config.private_hosted_zone_ids.contains(id) {
            let astro_vpcs = async {
                match astro {
                    Some((peerings, attachments)) => Ok((peerings.clone(), attachments.clone())),
                    None => futures::try_join!(self.peerings(), self.tgw_attachments()),
                }
            };
            let (authorizations, (peerings, attachments)) =
                futures::try_join!(self.port.authorizations(id), astro_vpcs)?;
            observation.authorizations = authorizations;
            observation.peerings = peerings;
            observation.attachments = attachments;
        }
        Ok(Some(observation))
    }

    /// The available VPC attachments on the Transit Gateway.
    async fn tgw_attachments(&self) -> Result<Vec<crate::tgw::Attachment>> {
        match &self.config.transit_gateway_id {
            Some(tgw) => {
                self.attachments
                    .attachments(tgw, &[AttachmentState::Available], &[])
                    .await
            }
            None => Ok(vec![]),
        }
    }
}

impl<Z, E, T> Handshake for ZonesHandshake<Z, E, T>
where
    Z: ZonesPort,
    E: ZonesReads,
    T: AttachmentReads,
{
    type Observation = Observation;
    type Action = ZonesAction;

    const KIND: &'static str = "zones";
    const IDS: IdSpec = IdSpec {
        field: "hostedZoneId",
        valid: ids::is_zone_id,
        events: &[],
        sweep_events: &[],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        self.look(id, None).await
    }

    fn decide(&self, observation: &Observation) -> Decision<ZonesAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &ZonesAction) -> Result<Written> {
        match action {
            ZonesAction::Authorize { zone_id, vpc } => {
                self.port.create_authorization(zone_id, vpc).await
            }
            ZonesAction::Deauthorize { zone_id, vpc } => {
                self.port.delete_authorization(zone_id, vpc).await
            }
            ZonesAction::Associate { zone_id, vpc } => self.port.associate(zone_id, vpc).await,
        }
    }

    /// The Astro VPCs (peerings and attachments) read once for every zone, and each zone
    /// read at once: their first observations. A zone that could not be read is listed by id
    /// only, so that its own look records why.
    async fn sweep(&self) -> Result<Vec<Listed<Observation>>> {
        let zones = self.config.zones();
        let any_private = zones
            .iter()
            .any(|z| self.config.private_hosted_zone_ids.contains(z));
        let astro = match any_private {
            true => Some(futures::try_join!(self.peerings(), self.tgw_attachments())?),
            false => None,
        };
        let looks =
            futures::future::join_all(zones.iter().map(|z| self.look(z, astro.as_ref()))).await;
        Ok(zones
            .into_iter()
            .zip(looks)
            .map(|(zone, look)| match look {
                Ok(Some(observation)) => Listed::observed(zone, observation),
                _ => Listed::id(zone),
            })
            .collect())
    }
}

/// One invocation from a raw event: `{"verifyName": ..}` is the verify entry point
/// ([`verify`], answered through [`engine::query`]); anything else (schedule,
/// `{"hostedZoneId": ..}`, `{"sweep": true}`) reconciles zones through [`engine::handle`].
pub async fn handle<Z, E, T>(
    h: &ZonesHandshake<Z, E, T>,
    event: &Value,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<Value>
where
    Z: ZonesPort,
    E: ZonesReads,
    T: AttachmentReads,
{
    if verify::asks(event) {
        return engine::query(h, event, settings, sink, invocation_id).await;
    }
    engine::handle(h, event, settings, sink, invocation_id).await
}
