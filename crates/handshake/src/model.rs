//! What the handshakes observe around them: route tables and their routes.

use std::collections::BTreeMap;

/// An AWS enumeration as the pure layer sees it: one variant per value, parsed once by the
/// adapters, and `Other` for a value this version does not know (kept as AWS spelt it).
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            Other(String),
        }

        impl $name {
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::model::AwsValue for $name {
            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }

        /// Test fixtures spell values as AWS does.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text)
            }
        }
    };
}
pub(crate) use aws_enum;

/// A value of an AWS enumeration ([`aws_enum!`]), as AWS spells it.
pub trait AwsValue {
    fn as_str(&self) -> &str;
}

aws_enum! {
    /// A VPC or Transit Gateway route's state.
    RouteState {
        Active = "active",
        Blackhole = "blackhole",
    }
}

/// A route table as observed from the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    /// The VPC's main route table.
    pub main: bool,
    pub tags: BTreeMap<String, String>,
    pub routes: Vec<Route>,
}

/// One IPv4 route: its destination and whatever it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub destination: String,
    pub target: RouteTarget,
    pub state: RouteState,
}

/// What a route sends traffic to. The project only ever creates routes to a peering or a
/// Transit Gateway; observed routes may point anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// A VPC peering connection (`pcx-`).
    Peering(String),
    /// A Transit Gateway (`tgw-`).
    TransitGateway(String),
    /// Anything else, by id (`local`, `igw-`, `nat-`, `eni-`, ...; `unknown` when none).
    Other(String),
}

impl RouteTarget {
    pub fn id(&self) -> &str {
        match self {
            Self::Peering(id) | Self::TransitGateway(id) | Self::Other(id) => id,
        }
    }
}

impl std::fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Test fixtures name targets by id alone.
#[cfg(test)]
impl From<&str> for RouteTarget {
    fn from(id: &str) -> Self {
        if id.starts_with("pcx-") {
            Self::Peering(id.to_string())
        } else if id.starts_with("tgw-") {
            Self::TransitGateway(id.to_string())
        } else {
            Self::Other(id.to_string())
        }
    }
}

impl serde::Serialize for RouteTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl RouteTable {
    /// The route whose destination is exactly `cidr`, if any.
    pub fn route_to(&self, cidr: &ipnet::Ipv4Net) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| crate::cidr::parse(&r.destination).ok().as_ref() == Some(cidr))
    }
}

/// What the plan needs for one route: where it goes and through what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    pub route_table_id: String,
    pub destination: String,
    pub target: RouteTarget,
}

/// Something found that needs a person: a route that points elsewhere, nothing selected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: FindingKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A route to the CIDR exists with another target: never replaced.
    RouteConflict,
    /// The selector picked no route table in a VPC.
    NoRouteTable,
    /// A configured resource does not exist or is not visible.
    Missing,
    /// A resource share is not (yet) associated.
    ShareNotAssociated,
    /// A CIDR that may not be routed (overlaps a local CIDR, already routed elsewhere).
    CidrRefused,
    /// An attachment is associated with another route table than the configured one.
    AssociatedElsewhere,
    /// The Transit Gateway accepts shared attachments by itself: any account it is shared
    /// with attaches without validation.
    AutoAcceptsAttachments,
    /// A change set to remove the PeerRole would change something else: not executed.
    UnexpectedChange,
    /// The stack runs with a CloudFormation service role: its update would act with that
    /// role's power, so the PeerRole is not removed by this project.
    StackServiceRole,
    /// The stack's last update rolled back.
    RolledBack,
    /// The stack has no PeerRole, yet IAM still has the role.
    RoleStillPresent,
    /// An endpoint service allows every principal (`*`) and accepts connections without
    /// review: anyone in AWS can connect to it.
    OpenEndpointService,
    /// An endpoint service allows Astro's role of an account that is not in
    /// `AstroAccountIds` (any more): this project never removes a principal.
    StalePrincipal,
}

/// Plans the routes still missing: for every selected table and every CIDR, a route to
/// `target`. A route already there with the same target is in place; one with another
/// target is a conflict, recorded and left alone.
pub fn plan_routes(
    tables: &[&RouteTable],
    cidrs: &[ipnet::Ipv4Net],
    target: &RouteTarget,
) -> (Vec<RouteSpec>, Vec<Finding>) {
    let mut missing = Vec::new();
    let mut conflicts = Vec::new();
    for table in tables {
        for cidr in cidrs {
            match table.route_to(cidr) {
                Some(route) if &route.target == target => {}
                Some(route) => conflicts.push(Finding {
                    kind: FindingKind::RouteConflict,
                    detail: format!(
                        "{}: route to {cidr} already points at {} ({}); not replaced",
                        table.id, route.target, route.state
                    ),
                }),
                None => missing.push(RouteSpec {
                    route_table_id: table.id.clone(),
                    destination: cidr.to_string(),
                    target: target.clone(),
                }),
            }
        }
    }
    (missing, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: &str, routes: &[(&str, &str)]) -> RouteTable {
        RouteTable {
            id: id.into(),
            main: false,
            tags: BTreeMap::new(),
            routes: routes
                .iter()
                .map(|(d, t)| Route {
                    destination: d.to_string(),
                    target: if t.starts_with("pcx-") {
                        RouteTarget::Peering(t.to_string())
                    } else {
                        RouteTarget::TransitGateway(t.to_string())
                    },
                    state: RouteState::Active,
                })
                .collect(),
        }
    }

    #[test]
    fn plans_only_what_is_missing_and_reports_conflicts() {
        let a = table(
            "rtb-0000000a",
            &[("10.0.0.0/16", "local"), ("10.100.0.0/16", "pcx-11111111")],
        );
        let b = table("rtb-0000000b", &[("10.100.0.0/16", "tgw-22222222")]);
        // The same id through another kind of target is another target.
        assert_ne!(
            RouteTarget::Peering("x".into()),
            RouteTarget::TransitGateway("x".into())
        );
        let c = table("rtb-0000000c", &[]);
        let cidrs = [crate::cidr::parse("10.100.0.0/16").unwrap()];
        let pcx = RouteTarget::Peering("pcx-11111111".into());
        let (missing, conflicts) = plan_routes(&[&a, &b, &c], &cidrs, &pcx);
        assert_eq!(
            missing,
            vec![RouteSpec {
                route_table_id: "rtb-0000000c".into(),
                destination: "10.100.0.0/16".into(),
                target: pcx.clone()
            }]
        );
        assert_eq!(conflicts.len(), 1);
        assert!(conflicts[0].detail.contains("rtb-0000000b"));
        assert!(conflicts[0].detail.contains("tgw-22222222"));
    }

    #[test]
    fn route_destination_match_is_by_network_not_text() {
        let a = table("rtb-0000000a", &[("10.100.0.0/16", "pcx-11111111")]);
        let cidrs = [crate::cidr::parse("10.100.7.7/16").unwrap()];
        let (missing, conflicts) =
            plan_routes(&[&a], &cidrs, &RouteTarget::Peering("pcx-11111111".into()));
        assert!(missing.is_empty() && conflicts.is_empty());
    }
}
