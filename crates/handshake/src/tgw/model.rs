//! What the Transit Gateway handshake observes and the writes it plans.

use crate::decision::{Action, Effect, RequestState};
use crate::model::{aws_enum, RouteSpec, RouteState, RouteTable};

aws_enum! {
    /// An attachment's state (`TransitGatewayAttachmentState`).
    AttachmentState {
        Initiating = "initiating",
        InitiatingRequest = "initiatingRequest",
        PendingAcceptance = "pendingAcceptance",
        RollingBack = "rollingBack",
        Pending = "pending",
        Available = "available",
        Modifying = "modifying",
        Deleting = "deleting",
        Deleted = "deleted",
        Failed = "failed",
        Failing = "failing",
        Rejected = "rejected",
        Rejecting = "rejecting",
    }
}

impl RequestState for AttachmentState {
    const WHAT: &'static str = "attachment";
    const PENDING: Self = Self::PendingAcceptance;
}

impl AttachmentState {
    /// No write can ever apply again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::RollingBack
                | Self::Deleting
                | Self::Deleted
                | Self::Failed
                | Self::Failing
                | Self::Rejected
                | Self::Rejecting
        )
    }

    /// Waiting for the TGW owner, settling after acceptance, or working: a write may apply.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Self::PendingAcceptance | Self::Pending | Self::Available
        )
    }
}

aws_enum! {
    /// A route table association's state (`TransitGatewayAssociationState`).
    AssociationState {
        Associating = "associating",
        Associated = "associated",
        Disassociating = "disassociating",
        Disassociated = "disassociated",
    }
}

aws_enum! {
    /// How a TGW route got there (`TransitGatewayRouteType`).
    TgwRouteType {
        Static = "static",
        Propagated = "propagated",
    }
}

aws_enum! {
    /// A RAM resource share's status (`ResourceShareStatus`).
    ShareStatus {
        Pending = "PENDING",
        Active = "ACTIVE",
        Failed = "FAILED",
        Deleting = "DELETING",
        Deleted = "DELETED",
    }
}

aws_enum! {
    /// A principal's or resource's association with a share (`ResourceShareAssociationStatus`).
    ShareAssociationStatus {
        Associating = "ASSOCIATING",
        Associated = "ASSOCIATED",
        Failed = "FAILED",
        Disassociating = "DISASSOCIATING",
        Disassociated = "DISASSOCIATED",
    }
}

/// The route table an attachment is associated with, and the association's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    pub route_table_id: String,
    pub state: AssociationState,
}

/// A Transit Gateway attachment as the TGW owner sees it (`DescribeTransitGatewayAttachments`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub transit_gateway_id: String,
    pub transit_gateway_owner_id: String,
    /// `vpc`, `vpn`, `peering`, ...
    pub resource_type: String,
    /// The attached VPC.
    pub vpc_id: String,
    /// The account that owns the attached VPC (the requester).
    pub vpc_owner_id: String,
    pub state: AttachmentState,
    /// `None` when associated with no route table (or the association is gone).
    pub association: Option<Association>,
}

/// The configured Transit Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitGateway {
    pub id: String,
    /// `AssociationDefaultRouteTableId`, when `DefaultRouteTableAssociation` is enabled.
    pub default_association_route_table_id: Option<String>,
    /// `AutoAcceptSharedAttachments` is enabled.
    pub auto_accept_shared_attachments: bool,
}

/// One route of a TGW route table (`SearchTransitGatewayRoutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgwRoute {
    pub destination: String,
    /// The attachments it points at; empty for a blackhole.
    pub attachment_ids: Vec<String>,
    pub kind: TgwRouteType,
    pub state: RouteState,
}

impl TgwRoute {
    /// Whether the route points at `attachment_id` and nothing else.
    pub fn only_to(&self, attachment_id: &str) -> bool {
        !self.attachment_ids.is_empty() && self.attachment_ids.iter().all(|a| a == attachment_id)
    }

    pub fn target(&self) -> String {
        if self.attachment_ids.is_empty() {
            "blackhole".into()
        } else {
            self.attachment_ids.join("+")
        }
    }
}

/// A TGW route table and its routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgwRouteTable {
    pub id: String,
    pub transit_gateway_id: String,
    pub routes: Vec<TgwRoute>,
}

/// A customer VPC that routes to Astro through the TGW.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoke {
    pub vpc_id: String,
    /// `false`: the VPC does not exist or is not visible.
    pub found: bool,
    pub cidrs: Vec<String>,
    pub route_tables: Vec<RouteTable>,
    /// The VPC has an `available` attachment to the configured TGW (needed for routes to it).
    pub attached: bool,
}

/// Everything around an attachment the decision needs once the attachment itself passed
/// validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surroundings {
    /// The configured TGW; `None`: not found.
    pub transit_gateway: Option<TransitGateway>,
    /// The TGW route table the back routes go to (see [`super::decide::back_route_table`]);
    /// `None`: there is none, or it does not exist.
    pub route_table: Option<TgwRouteTable>,
    pub spokes: Vec<Spoke>,
}

/// The attachment and, when it is one of ours to converge, what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub attachment: Attachment,
    pub surroundings: Option<Surroundings>,
}

/// A static route in a TGW route table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwRouteSpec {
    pub route_table_id: String,
    pub destination: String,
    pub attachment_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TgwAction {
    Accept {
        id: String,
    },
    Reject {
        id: String,
    },
    Associate {
        attachment_id: String,
        route_table_id: String,
    },
    CreateTgwRoute(TgwRouteSpec),
    /// A route in a spoke VPC's route table to the TGW.
    CreateRoute(RouteSpec),
}

impl Action for TgwAction {
    fn name(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept-attachment",
            Self::Reject { .. } => "reject-attachment",
            Self::Associate { .. } => "associate-route-table",
            Self::CreateTgwRoute(_) => "create-tgw-route",
            Self::CreateRoute(_) => "create-route",
        }
    }

    fn target(&self) -> String {
        match self {
            Self::Accept { id } | Self::Reject { id } => id.clone(),
            Self::Associate {
                attachment_id,
                route_table_id,
            } => format!("{route_table_id}<-{attachment_id}"),
            Self::CreateTgwRoute(r) => format!(
                "{}:{}->{}",
                r.route_table_id, r.destination, r.attachment_id
            ),
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

/// A RAM resource share and its associations (`GetResourceShares`,
/// `GetResourceShareAssociations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceShare {
    pub arn: String,
    pub name: String,
    pub status: ShareStatus,
    /// (account or principal, association status).
    pub principals: Vec<(String, ShareAssociationStatus)>,
    /// (resource ARN, association status).
    pub resources: Vec<(String, ShareAssociationStatus)>,
}

/// What one share must show: the Astro accounts as principals and, for the TGW share, the TGW.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareExpectation {
    pub arn: String,
    /// A resource id the share must hold (the TGW id for `RESOURCE_SHARE_ARN`).
    pub must_hold: Option<String>,
}

/// The TGW route table that holds the back routes: `TransitGatewayRouteTableId` when
/// configured, else the TGW's default association route table, else the one the attachment
/// is associated with.
pub fn back_route_table(
    configured: Option<&str>,
    tgw: Option<&TransitGateway>,
    a: &Attachment,
) -> Option<String> {
    configured
        .map(String::from)
        .or_else(|| tgw.and_then(|t| t.default_association_route_table_id.clone()))
        .or_else(|| a.association.as_ref().map(|x| x.route_table_id.clone()))
}
