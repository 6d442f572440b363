//! What the endpoint-services handshake observes and the writes it plans.

use crate::decision::{Action, Effect, RequestState};
use crate::model::aws_enum;

aws_enum! {
    /// An endpoint service's state (`ServiceState`).
    ServiceState {
        Pending = "Pending",
        Available = "Available",
        Deleting = "Deleting",
        Deleted = "Deleted",
        Failed = "Failed",
    }
}

aws_enum! {
    /// An endpoint connection's state: the consumer's endpoint's (`State`, as
    /// `DescribeVpcEndpointConnections` gives it in `VpcEndpointState`).
    ConnectionState {
        PendingAcceptance = "pendingAcceptance",
        Pending = "pending",
        Available = "available",
        Deleting = "deleting",
        Deleted = "deleted",
        Rejected = "rejected",
        Failed = "failed",
        Expired = "expired",
        Partial = "partial",
    }
}

impl RequestState for ConnectionState {
    const WHAT: &'static str = "endpoint connection";
    const PENDING: Self = Self::PendingAcceptance;
}

/// An endpoint service as `DescribeVpcEndpointServiceConfigurations` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointService {
    pub id: String,
    pub name: String,
    pub state: ServiceState,
    /// Whether each connection waits for the owner to accept it.
    pub acceptance_required: bool,
}

/// An interface endpoint connected to one of the customer's endpoint services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub service_id: String,
    pub endpoint_id: String,
    /// The account that owns the endpoint: who asks to connect.
    pub owner: String,
    pub state: ConnectionState,
}

/// The resources this handshake reconciles: an endpoint service (`vpce-svc-..`, its allowed
/// principals) and a connection to one (`vpce-svc-../vpce-..`, a request to accept or refuse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Service(String),
    Connection {
        service_id: String,
        endpoint_id: String,
    },
}

impl Resource {
    /// The id the loop and the audit trail know the resource by.
    pub fn id(&self) -> String {
        match self {
            Self::Service(id) => id.clone(),
            Self::Connection {
                service_id,
                endpoint_id,
            } => format!("{service_id}/{endpoint_id}"),
        }
    }

    /// Parses [`Resource::id`]; `None` for anything else.
    pub fn parse(id: &str) -> Option<Self> {
        match id.split_once('/') {
            None if crate::ids::is_endpoint_service_id(id) => Some(Self::Service(id.to_string())),
            Some((service, endpoint))
                if crate::ids::is_endpoint_service_id(service)
                    && crate::ids::is_vpc_endpoint_id(endpoint) =>
            {
                Some(Self::Connection {
                    service_id: service.to_string(),
                    endpoint_id: endpoint.to_string(),
                })
            }
            _ => None,
        }
    }

    pub fn service_id(&self) -> &str {
        match self {
            Self::Service(id) => id,
            Self::Connection { service_id, .. } => service_id,
        }
    }
}

/// Everything one resource's decision needs.
#[derive(Debug, Clone)]
pub enum Observation {
    Service {
        id: String,
        /// Whether `EndpointServiceIds` lists it (a direct invoke may name any service).
        configured: bool,
        /// `None`: no such service in this account and Region.
        service: Option<EndpointService>,
        /// Its allowed principals, as `DescribeVpcEndpointServicePermissions` gives them.
        principals: Vec<String>,
    },
    Connection {
        service_id: String,
        endpoint_id: String,
        configured: bool,
        /// `None`: no such endpoint connected to the service (any more).
        connection: Option<Connection>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointServicesAction {
    /// `ModifyVpcEndpointServicePermissions` with `AddAllowedPrincipals`: Astro's principal.
    AllowPrincipal {
        service_id: String,
        principal: String,
    },
    /// `AcceptVpcEndpointConnections` for an endpoint of an Astro account.
    AcceptConnection {
        service_id: String,
        endpoint_id: String,
    },
    /// `RejectVpcEndpointConnections` for any other account's, with `UnknownRequests=reject`.
    RejectConnection {
        service_id: String,
        endpoint_id: String,
    },
}

impl Action for EndpointServicesAction {
    fn name(&self) -> &'static str {
        match self {
            Self::AllowPrincipal { .. } => "allow-endpoint-service-principal",
            Self::AcceptConnection { .. } => "accept-endpoint-connection",
            Self::RejectConnection { .. } => "reject-endpoint-connection",
        }
    }

    fn target(&self) -> String {
        match self {
            Self::AllowPrincipal {
                service_id,
                principal,
            } => format!("{service_id} {principal}"),
            Self::AcceptConnection {
                service_id,
                endpoint_id,
            }
            | Self::RejectConnection {
                service_id,
                endpoint_id,
            } => format!("{service_id}/{endpoint_id}"),
        }
    }

    fn effect(&self) -> Effect {
        match self {
            Self::AllowPrincipal { .. } => Effect::None,
            Self::AcceptConnection { .. } => Effect::Accepted,
            Self::RejectConnection { .. } => Effect::Rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_round_trip_and_refuse_anything_else() {
        let service = Resource::Service("vpce-svc-0123456789abcdef0".into());
        let connection = Resource::Connection {
            service_id: "vpce-svc-0123456789abcdef0".into(),
            endpoint_id: "vpce-0aaaaaaaaaaaaaaa1".into(),
        };
        for r in [&service, &connection] {
            assert_eq!(Resource::parse(&r.id()).as_ref(), Some(r));
            assert_eq!(r.service_id(), "vpce-svc-0123456789abcdef0");
        }
        assert_eq!(
            connection.id(),
            "vpce-svc-0123456789abcdef0/vpce-0aaaaaaaaaaaaaaa1"
        );
        for bad in [
            "vpce-0aaaaaaaaaaaaaaa1",
            "vpce-svc-0123456789abcdef0/",
            "vpce-svc-0123456789abcdef0/vpce-svc-0123456789abcdef0",
            "vpce-svc-0123456789abcdef0/vpce-0aaaaaaaaaaaaaaa1/x",
            "pcx-0123abcd",
        ] {
            assert_eq!(Resource::parse(bad), None, "{bad}");
        }
    }
}
