//! What the zones handshake observes and the writes it plans.

use serde::Serialize;

use crate::decision::{Action, Effect};
use crate::{peering, tgw};

/// A VPC as Route 53 names it: id and Region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcRef {
    pub vpc_id: String,
    pub region: String,
}

impl VpcRef {
    pub fn new(vpc_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            vpc_id: vpc_id.into(),
            region: region.into(),
        }
    }
}

impl std::fmt::Display for VpcRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.vpc_id, self.region)
    }
}

/// A hosted zone as `GetHostedZone` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedZone {
    /// Bare id (`Z...`, without `/hostedzone/`).
    pub id: String,
    /// With the trailing dot, as Route 53 returns it.
    pub name: String,
    pub private: bool,
    /// The VPCs associated with the zone.
    pub vpcs: Vec<VpcRef>,
}

impl HostedZone {
    pub fn has_vpc(&self, vpc: &VpcRef) -> bool {
        self.vpcs.contains(vpc)
    }
}

/// Everything one zone's decision needs.
#[derive(Debug, Clone)]
pub struct Observation {
    pub zone_id: String,
    /// Whether the configuration lists the zone at all (a direct invoke may name any zone).
    pub configured: bool,
    /// `None`: the zone does not exist or is not visible to this account.
    pub zone: Option<HostedZone>,
    /// The zone's VPC association authorizations.
    pub authorizations: Vec<VpcRef>,
    /// Live peerings into the accepter VPCs, each with the accepter VPC's CIDRs (what the
    /// peering validation needs). Only read for zones listed in `PrivateHostedZoneIds`.
    pub peerings: Vec<peering::Observation>,
    /// VPC attachments on the configured Transit Gateway that are available.
    pub attachments: Vec<tgw::Attachment>,
    /// The Region of this account's VPCs (extra associations and TGW attachments).
    pub region: String,
}

/// A VPC the decision takes for Astro's, and what vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AstroVpc {
    pub vpc: VpcRef,
    pub account: String,
    /// The peering or attachment it comes through.
    pub via: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZonesAction {
    /// `CreateVPCAssociationAuthorization`: lets the Astro account associate its VPC.
    Authorize { zone_id: String, vpc: VpcRef },
    /// `DeleteVPCAssociationAuthorization`: the authorization has been used.
    Deauthorize { zone_id: String, vpc: VpcRef },
    /// `AssociateVPCWithHostedZone` for one of the customer's own VPCs.
    Associate { zone_id: String, vpc: VpcRef },
}

impl ZonesAction {
    pub fn zone_id(&self) -> &str {
        match self {
            Self::Authorize { zone_id, .. }
            | Self::Deauthorize { zone_id, .. }
            | Self::Associate { zone_id, .. } => zone_id,
        }
    }

    pub fn vpc(&self) -> &VpcRef {
        match self {
            Self::Authorize { vpc, .. }
            | Self::Deauthorize { vpc, .. }
            | Self::Associate { vpc, .. } => vpc,
        }
    }
}

impl Action for ZonesAction {
    fn name(&self) -> &'static str {
        match self {
            Self::Authorize { .. } => "create-vpc-association-authorization",
            Self::Deauthorize { .. } => "delete-vpc-association-authorization",
            Self::Associate { .. } => "associate-vpc-with-hosted-zone",
        }
    }

    fn target(&self) -> String {
        let vpc = self.vpc();
        format!("{}:{}:{}", self.zone_id(), vpc.vpc_id, vpc.region)
    }

    /// Authorizing an Astro VPC is this handshake's "accept".
    fn effect(&self) -> Effect {
        match self {
            Self::Authorize { .. } => Effect::Accepted,
            _ => Effect::None,
        }
    }
}
