//! What the connectivity doctor reads about the target and the paths Astro's traffic takes.

use crate::model::RouteTable;

/// What to diagnose: an address or a network interface, on one TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Ip(std::net::Ipv4Addr),
    Interface(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Interface(id) => f.write_str(id),
        }
    }
}

/// The target's network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub private_ips: Vec<String>,
    pub security_group_ids: Vec<String>,
}

/// A network ACL with its entries (both directions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAcl {
    pub id: String,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` (all), `6` (TCP), `17` (UDP), ... as EC2 gives it.
    pub protocol: String,
    pub allow: bool,
    /// The IPv4 CIDR; `None` for an IPv6 entry.
    pub cidr: Option<String>,
    /// Inclusive; `None` means every port.
    pub ports: Option<(u16, u16)>,
}

/// A security group's inbound rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub ingress: Vec<SgRule>,
}

/// One inbound permission: a protocol and port range, from its sources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SgRule {
    /// `-1`, `tcp`, `udp`, `icmp`, or a protocol number.
    pub protocol: String,
    /// Inclusive; `None` means every port.
    pub ports: Option<(u16, u16)>,
    pub cidrs: Vec<String>,
    pub prefix_lists: Vec<String>,
    /// Security groups referenced as the source: (group id, owning account when given).
    pub groups: Vec<(String, Option<String>)>,
}

/// A managed prefix list's entries, as far as they could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixList {
    pub id: String,
    /// `None`: the entries could not be read (another account's list, say).
    pub cidrs: Option<Vec<String>>,
}

/// A private hosted zone of this account that holds a name, with the VPCs it answers in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateZone {
    pub id: String,
    /// The zone's domain, without the final dot.
    pub name: String,
    pub vpc_ids: Vec<String>,
    /// Whether a record answers for the name (exactly, or by a wildcard).
    pub has_record: bool,
}

/// How Astro's traffic reaches the target's VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// An active peering from an Astro VPC into it.
    Peering {
        id: String,
        astro_vpc_id: String,
        /// The Astro VPC's CIDRs (those inside AstroCidrs).
        astro_cidrs: Vec<String>,
        accepter_dns_resolution: bool,
    },
    /// An available attachment of the target's VPC to a Transit Gateway an Astro VPC is
    /// attached to as well.
    TransitGateway {
        tgw_id: String,
        /// The target VPC's attachment.
        attachment_id: String,
        /// Astro's attachments on that TGW.
        astro_attachment_ids: Vec<String>,
        astro_cidrs: Vec<String>,
    },
}

impl Path {
    pub fn handshake(&self) -> &'static str {
        match self {
            Self::Peering { .. } => "vpc-peering",
            Self::TransitGateway { .. } => "transit-gateway",
        }
    }

    /// The peering or the TGW attachment.
    pub fn id(&self) -> &str {
        match self {
            Self::Peering { id, .. } => id,
            Self::TransitGateway { attachment_id, .. } => attachment_id,
        }
    }

    /// What the return route must point at (`pcx-..`, `tgw-..`).
    pub fn route_target(&self) -> &str {
        match self {
            Self::Peering { id, .. } => id,
            Self::TransitGateway { tgw_id, .. } => tgw_id,
        }
    }

    pub fn astro_cidrs(&self) -> &[String] {
        match self {
            Self::Peering { astro_cidrs, .. } | Self::TransitGateway { astro_cidrs, .. } => {
                astro_cidrs
            }
        }
    }
}

/// Everything read about the target, for the hop checks.
#[derive(Debug, Clone)]
pub struct Facts {
    pub interface: Interface,
    /// The subnet's route table: its explicit association, else the VPC's main table.
    pub route_table: Option<RouteTable>,
    pub network_acl: Option<NetworkAcl>,
    pub security_groups: Vec<SecurityGroup>,
    pub prefix_lists: Vec<PrefixList>,
    /// The name asked about and this account's private zones holding it.
    pub name: Option<(String, Vec<PrivateZone>)>,
}
