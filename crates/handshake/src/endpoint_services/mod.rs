//! Astro's "Custom VPC Endpoint" flow, the customer side: keep Astro's principal
//! (`arn:aws:iam::<Astro account>:role/astronomer-remote-management`) in the allowed principals
//! of the customer's endpoint services, and accept the interface endpoints Astro's accounts
//! connect with; refuse any other account's per `UnknownRequests`.
//!
//! Two kinds of resource: an endpoint service (`vpce-svc-..`: its principals), and a pending
//! connection to one (`vpce-svc-../vpce-..`: a request, accepted or refused like a peering).
//! A trigger naming a service reconciles the service and then its pending connections
//! ([`Handshake::resources`]). Principals are only ever added.

mod config;
mod decide;
mod model;

pub use config::{EndpointServicesConfig, ASTRO_PRINCIPAL_ROLE};
pub use decide::decide;
pub use model::{
    Connection, ConnectionState, EndpointService, EndpointServicesAction, Observation, Resource,
    ServiceState,
};

use std::future::Future;

use crate::decision::{Decision, Written};
use crate::engine::{Handshake, Listed};
use crate::error::{Error, Result};
use crate::ids;
use crate::trigger::IdSpec;

/// EC2's endpoint service calls, on the customer's own services.
pub trait EndpointServicesPort: Sync {
    /// `DescribeVpcEndpointServiceConfigurations`; `None` when there is no such service.
    fn service(&self, id: &str) -> impl Future<Output = Result<Option<EndpointService>>> + Send;
    /// `DescribeVpcEndpointServicePermissions`, every page: the allowed principals' ARNs.
    fn principals(&self, service_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// `DescribeVpcEndpointConnections` of the service in one of `states`, every page.
    fn connections(
        &self,
        service_id: &str,
        states: &[ConnectionState],
    ) -> impl Future<Output = Result<Vec<Connection>>> + Send;
    /// The connection of `endpoint_id` to the service, if there is one.
    fn connection(
        &self,
        service_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<Option<Connection>>> + Send;
    /// `ModifyVpcEndpointServicePermissions` with `AddAllowedPrincipals` only.
    fn allow_principal(
        &self,
        service_id: &str,
        principal: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `AcceptVpcEndpointConnections` of one endpoint; an endpoint found accepted afterwards
    /// (another run got there first) is `already_done`.
    fn accept_connection(
        &self,
        service_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `RejectVpcEndpointConnections` of one endpoint; one found rejected afterwards is
    /// `already_done`.
    fn reject_connection(
        &self,
        service_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
}

pub struct EndpointServicesHandshake<P> {
    pub port: P,
    pub config: EndpointServicesConfig,
}

impl<P> EndpointServicesHandshake<P> {
    pub fn new(port: P, config: EndpointServicesConfig) -> Self {
        Self { port, config }
    }
}

impl<P: EndpointServicesPort> Handshake for EndpointServicesHandshake<P> {
    type Observation = Observation;
    type Action = EndpointServicesAction;

    const KIND: &'static str = "endpoint-services";
    /// A direct invoke names a service. Astro's `CreateVpcEndpoint` is recorded in Astro's
    /// account; when this account's trail has one (its own endpoint, or AWS delivering it to
    /// the service owner), it only says "look now": the listed services are swept.
    const IDS: IdSpec = IdSpec {
        field: "serviceId",
        valid: ids::is_endpoint_service_id,
        events: &[],
        sweep_events: &["CreateVpcEndpoint"],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let resource = Resource::parse(id).ok_or_else(|| {
            Error::Event(format!("`{id}` is not an endpoint service or connection"))
        })?;
        let configured = self.config.service_ids.contains(resource.service_id());
        Ok(Some(match resource {
            Resource::Service(id) => {
                let service = match configured {
                    true => self.port.service(&id).await?,
                    false => None,
                };
                let principals = match &service {
                    Some(_) => self.port.principals(&id).await?,
                    None => vec![],
                };
                Observation::Service {
                    id,
                    configured,
                    service,
                    principals,
                }
            }
            Resource::Connection {
                service_id,
                endpoint_id,
            } => {
                let connection = match configured {
                    true => self.port.connection(&service_id, &endpoint_id).await?,
                    false => None,
                };
                Observation::Connection {
                    service_id,
                    endpoint_id,
                    configured,
                    connection,
                }
            }
        }))
    }

    fn decide(&self, observation: &Observation) -> Decision<EndpointServicesAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &EndpointServicesAction) -> Result<Written> {
        match action {
            EndpointServicesAction::AllowPrincipal {
                service_id,
                principal,
            } => self.port.allow_principal(service_id, principal).await,
            EndpointServicesAction::AcceptConnection {
                service_id,
                endpoint_id,
            } => self.port.accept_connection(service_id, endpoint_id).await,
            EndpointServicesAction::RejectConnection {
                service_id,
                endpoint_id,
            } => self.port.reject_connection(service_id, endpoint_id).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<Listed<Observation>>> {
        let mut ids = Vec::new();
        for service_id in &self.config.service_ids {
            ids.extend(self.resources(service_id).await?);
        }
        Ok(ids.into_iter().map(Listed::id).collect())
    }

    /// A listed service, then each connection to it waiting for acceptance. A service not
    /// listed is only looked at (and left untouched).
    async fn resources(&self, id: &str) -> Result<Vec<String>> {
        let mut ids = vec![id.to_string()];
        if self.config.service_ids.contains(id) {
            let pending = self
                .port
                .connections(id, &[ConnectionState::PendingAcceptance])
                .await?;
            ids.extend(
                pending
                    .into_iter()
                    .filter(|c| ids::is_vpc_endpoint_id(&c.endpoint_id))
                    .map(|c| {
                        Resource::Connection {
                            service_id: id.to_string(),
                            endpoint_id: c.endpoint_id,
                        }
                        .id()
                    }),
            );
        }
        Ok(ids)
    }
}
