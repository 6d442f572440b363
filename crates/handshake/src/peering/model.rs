//! What the peering handshake observes and the writes it plans.

use std::collections::BTreeMap;

use crate::decision::{Action, Effect, RequestState};
use crate::model::{aws_enum, RouteSpec, RouteTable};

aws_enum! {
    /// A peering's state (`VpcPeeringConnectionStateReasonCode`).
    PeeringState {
        InitiatingRequest = "initiating-request",
        PendingAcceptance = "pending-acceptance",
        Provisioning = "provisioning",
        Active = "active",
        Failed = "failed",
        Rejected = "rejected",
        Expired = "expired",
        Deleting = "deleting",
        Deleted = "deleted",
    }
}

impl RequestState for PeeringState {
    const WHAT: &'static str = "peering";
    const PENDING: Self = Self::PendingAcceptance;
}

impl PeeringState {
    /// No write can ever apply again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Rejected | Self::Expired | Self::Deleting | Self::Deleted
        )
    }
}

/// One side of a peering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VpcEnd {
    pub owner_id: String,
    pub vpc_id: String,
    pub region: String,
    /// Every IPv4 CIDR of the VPC: the primary block and the whole CIDR block set.
    pub cidrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peering {
    pub id: String,
    pub state: PeeringState,
    pub requester: VpcEnd,
    pub accepter: VpcEnd,
    /// The accepter's `AllowDnsResolutionFromRemoteVpc` option.
    pub accepter_dns_resolution: bool,
    pub tags: BTreeMap<String, String>,
}

/// The peering and, when it is one of ours to converge, the accepter VPC around it.
#[derive(Debug, Clone)]
pub struct Observation {
    pub peering: Peering,
    pub accepter_vpc_cidrs: Vec<String>,
    pub route_tables: Vec<RouteTable>,
    /// Whether the accepter VPC was read (the two fields above); not when the peering is
    /// not one to converge.
    pub surroundings_read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeeringAction {
    Accept { id: String },
    Reject { id: String },
    Tag { id: String },
    CreateRoute(RouteSpec),
    EnableAccepterDns { id: String },
}

impl Action for PeeringAction {
    fn name(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept-peering",
            Self::Reject { .. } => "reject-peering",
            Self::Tag { .. } => "tag-peering",
            Self::CreateRoute(_) => "create-route",
            Self::EnableAccepterDns { .. } => "enable-accepter-dns-resolution",
        }
    }

    fn target(&self) -> String {
        match self {
            Self::Accept { id }
            | Self::Reject { id }
            | Self::Tag { id }
            | Self::EnableAccepterDns { id } => id.clone(),
            Self::CreateRoute(r) => format!("{}:{}->{}", r.route_table_id, r.destination, r.target),
        }
    }

    fn effect(&self) -> Effect {
        match self {
            Self::Accept { .. } => Effect::Accepted,
            Self::Reject { .. } => Effect::Rejected,
            _ => Effect::None,
        }
    }
}
