//! EC2's endpoint service calls behind [`EndpointServicesPort`], on the same [`Ec2`] client.

use aws_sdk_ec2::types::UnsuccessfulItem;

use super::ec2::{filter, Ec2};
use super::{classify, code_of, is_retryable_code, write_outcome};
use crate::decision::Written;
use crate::endpoint_services::{
    Connection, ConnectionState, EndpointService, EndpointServicesPort, ServiceState,
};
use crate::error::{Error, Result};

/// The text with its first letter in the case `upper` says.
fn first_letter(text: &str, upper: bool) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if upper => c.to_uppercase().chain(chars).collect(),
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An endpoint's state as EC2 sends it, `pendingAcceptance` (the API reference's examples and
/// the `vpc-endpoint-state` filter's values), or as the SDK's model spells it,
/// `PendingAcceptance`: the same state either way.
fn connection_state(raw: &str) -> ConnectionState {
    ConnectionState::parse(&first_letter(raw, false))
}

/// A service's state, `Available` (as EC2 sends it), whatever the case of its first letter.
fn service_state(raw: &str) -> ServiceState {
    ServiceState::parse(&first_letter(raw, true))
}

fn connection_of(c: &aws_sdk_ec2::types::VpcEndpointConnection) -> Option<Connection> {
    Some(Connection {
        service_id: c.service_id()?.to_string(),
        endpoint_id: c.vpc_endpoint_id()?.to_string(),
        owner: c.vpc_endpoint_owner().unwrap_or_default().to_string(),
        state: connection_state(
            c.vpc_endpoint_state()
                .map(|s| s.as_str())
                .unwrap_or("unknown"),
        ),
    })
}

impl Ec2 {
    /// Accept or reject one endpoint: the per-endpoint `Unsuccessful` item is the outcome.
    /// One that failed while the endpoint is already where the write would put it (another
    /// run got there first) is `already_done`; any other failure keeps AWS's error code.
    async fn decide_connection(
        &self,
        operation: &'static str,
        unsuccessful: Vec<UnsuccessfulItem>,
        request_id: Option<String>,
        service_id: &str,
        endpoint_id: &str,
        done: &[ConnectionState],
    ) -> Result<Written> {
        let Some(item) = unsuccessful.into_iter().next() else {
            return Ok(Written {
                request_id,
                already_done: false,
            });
        };
        let now = self.connection(service_id, endpoint_id).await?;
        if now.is_some_and(|c| done.contains(&c.state)) {
            return Ok(Written {
                request_id,
                already_done: true,
            });
        }
        let error = item.error();
        let code = error
            .and_then(|e| e.code())
            .unwrap_or("Unknown")
            .to_string();
        Err(Error::Aws {
            operation,
            retryable: is_retryable_code(&code),
            message: error
                .and_then(|e| e.message())
                .unwrap_or_default()
                .to_string(),
            code,
            request_id,
        })
    }
}

impl EndpointServicesPort for Ec2 {
    async fn service(&self, id: &str) -> Result<Option<EndpointService>> {
        let out = match self
            .client
            .describe_vpc_endpoint_service_configurations()
            .service_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("InvalidVpcEndpointServiceId.NotFound") => {
                return Ok(None)
            }
            Err(e) => return Err(classify("DescribeVpcEndpointServiceConfigurations", e)),
        };
        Ok(out
            .service_configurations()
            .iter()
            .find(|s| s.service_id() == Some(id))
            .map(|s| EndpointService {
                id: id.to_string(),
                name: s.service_name().unwrap_or_default().to_string(),
                state: service_state(s.service_state().map(|st| st.as_str()).unwrap_or("unknown")),
                acceptance_required: s.acceptance_required().unwrap_or(true),
            }))
    }

    async fn principals(&self, service_id: &str) -> Result<Vec<String>> {
        let allowed = self
            .client
            .describe_vpc_endpoint_service_permissions()
            .service_id(service_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcEndpointServicePermissions", e))?;
        Ok(allowed
            .iter()
            .filter_map(|p| p.principal().map(String::from))
            .collect())
    }

    async fn connections(
        &self,
        service_id: &str,
        states: &[ConnectionState],
    ) -> Result<Vec<Connection>> {
        let codes: Vec<&str> = states.iter().map(ConnectionState::as_str).collect();
        let found = self
            .client
            .describe_vpc_endpoint_connections()
            .filters(filter("service-id", &[service_id]))
            .filters(filter("vpc-endpoint-state", &codes))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcEndpointConnections", e))?;
        Ok(found
            .iter()
            .filter_map(connection_of)
            .filter(|c| c.service_id == service_id && states.contains(&c.state))
            .collect())
    }

    async fn connection(&self, service_id: &str, endpoint_id: &str) -> Result<Option<Connection>> {
        let found = self
            .client
            .describe_vpc_endpoint_connections()
            .filters(filter("service-id", &[service_id]))
            .filters(filter("vpc-endpoint-id", &[endpoint_id]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcEndpointConnections", e))?;
        Ok(found
            .iter()
            .filter_map(connection_of)
            .find(|c| c.service_id == service_id && c.endpoint_id == endpoint_id))
    }

    async fn allow_principal(&self, service_id: &str, principal: &str) -> Result<Written> {
        self.writes
            .wait("ModifyVpcEndpointServicePermissions")
            .await;
        write_outcome(
            "ModifyVpcEndpointServicePermissions",
            self.client
                .modify_vpc_endpoint_service_permissions()
                .service_id(service_id)
                .add_allowed_principals(principal)
                .send()
                .await,
            &[],
        )
    }

    async fn accept_connection(&self, service_id: &str, endpoint_id: &str) -> Result<Written> {
        const OPERATION: &str = "AcceptVpcEndpointConnections";
        self.writes.wait(OPERATION).await;
        let out = self
            .client
            .accept_vpc_endpoint_connections()
            .service_id(service_id)
            .vpc_endpoint_ids(endpoint_id)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let request_id = aws_sdk_ec2::operation::RequestId::request_id(&out).map(String::from);
        let done = [ConnectionState::Pending, ConnectionState::Available];
        self.decide_connection(
            OPERATION,
            out.unsuccessful().to_vec(),
            request_id,
            service_id,
            endpoint_id,
            &done,
        )
        .await
    }

    async fn reject_connection(&self, service_id: &str, endpoint_id: &str) -> Result<Written> {
        const OPERATION: &str = "RejectVpcEndpointConnections";
        self.writes.wait(OPERATION).await;
        let out = self
            .client
            .reject_vpc_endpoint_connections()
            .service_id(service_id)
            .vpc_endpoint_ids(endpoint_id)
            .send()
            .await
            .map_err(|e| classify(OPERATION, e))?;
        let request_id = aws_sdk_ec2::operation::RequestId::request_id(&out).map(String::from);
        self.decide_connection(
            OPERATION,
            out.unsuccessful().to_vec(),
            request_id,
            service_id,
            endpoint_id,
            &[ConnectionState::Rejected],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_the_same_in_either_case() {
        for raw in ["pendingAcceptance", "PendingAcceptance"] {
            assert_eq!(connection_state(raw), ConnectionState::PendingAcceptance);
        }
        assert_eq!(connection_state("Available"), ConnectionState::Available);
        assert_eq!(
            connection_state("somethingNew"),
            ConnectionState::Other("somethingNew".into())
        );
        for raw in ["Available", "available"] {
            assert_eq!(service_state(raw), ServiceState::Available);
        }
        assert_eq!(service_state(""), ServiceState::Other(String::new()));
    }
}
