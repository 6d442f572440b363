//! What the peering handshake observes and the writes it plans.

use std::collections::BTreeMap;

use crate::decision::{Action, Effect};
use crate::model::{RouteSpec, RouteTable};

/// `VpcPeeringConnectionStateReasonCode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    InitiatingRequest,
    PendingAcceptance,
    Provisioning,
    Active,
    Failed,
    Rejected,
    Expired,
    Deleting,
    Deleted,
    Other(String),
}

impl Status {
    pub fn parse(code: &str) -> Self {
        match code {
            "initiating-request" => Self::InitiatingRequest,
            "pending-acceptance" => Self::PendingAcceptance,
            "provisioning" => Self::Provisioning,
            "active" => Self::Active,
            "failed" => Self::Failed,
            "rejected" => Self::Rejected,
            "expired" => Self::Expired,
            "deleting" => Self::Deleting,
            "deleted" => Self::Deleted,
            other => Self::Other(other.to_string()),
        }
    }

    /// No write can ever apply again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Rejected | Self::Expired | Self::Deleting | Self::Deleted
        )
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::InitiatingRequest => "initiating-request",
            Self::PendingAcceptance => "pending-acceptance",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Deleting => "deleting",
            Self::Deleted => "deleted",
            Self::Other(s) => s,
        }
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
    pub status: Status,
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
