//! EC2 behind [`VpcRoutes`], [`PeeringReads`], [`PeeringPort`] and [`EndpointReads`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_ec2::types::{Filter, PeeringConnectionOptionsRequest, Tag, VpcCidrBlockStateCode};
use aws_sdk_ec2::Client;

use super::pacing::ActionBuckets;
use super::{classify, code_of, route_held_elsewhere, write_outcome};
use crate::decision::Written;
use crate::error::{Error, Result};
use crate::model::{Route, RouteSpec, RouteState, RouteTable, RouteTarget};
use crate::peering::{Peering, PeeringPort, PeeringReads, PeeringState, VpcEnd};
use crate::ports::{VpcReads, VpcRoutes};
use crate::zones::verify::Endpoint;
use crate::zones::EndpointReads;

/// The customer account's EC2: VPCs, route tables, peerings. Every mutating call first waits
/// for a token of that action's bucket ([`ActionBuckets::ec2_writes`]), shared by the clones.
#[derive(Clone)]
pub struct Ec2 {
    pub(super) client: Client,
    pub(super) writes: Arc<ActionBuckets>,
}

impl Ec2 {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(sdk))
    }

    pub(crate) fn from_client(client: Client) -> Self {
        Self {
            client,
            writes: Arc::new(ActionBuckets::ec2_writes()),
        }
    }
}

pub(super) fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Whatever a route points at.
fn route_target(r: &aws_sdk_ec2::types::Route) -> RouteTarget {
    if let Some(id) = r.vpc_peering_connection_id() {
        return RouteTarget::Peering(id.to_string());
    }
    if let Some(id) = r.transit_gateway_id() {
        return RouteTarget::TransitGateway(id.to_string());
    }
    let other = [
        r.gateway_id(),
        r.nat_gateway_id(),
        r.network_interface_id(),
        r.instance_id(),
        r.local_gateway_id(),
        r.carrier_gateway_id(),
        r.egress_only_internet_gateway_id(),
        r.core_network_arn(),
    ]
    .into_iter()
    .flatten()
    .next()
    .unwrap_or("unknown");
    RouteTarget::Other(other.to_string())
}

/// A route table with its IPv4 routes.
pub(super) fn route_table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        id: t.route_table_id().unwrap_or_default().to_string(),
        main: t.associations().iter().any(|a| a.main() == Some(true)),
        tags: tags(t.tags()),
        routes: t
            .routes()
            .iter()
            .filter_map(|r| {
                Some(Route {
                    destination: r.destination_cidr_block()?.to_string(),
                    target: route_target(r),
                    state: RouteState::parse(r.state().map(|s| s.as_str()).unwrap_or_default()),
                })
            })
            .collect(),
    }
}

/// A peering as the decision sees it.
fn peering_of(p: &aws_sdk_ec2::types::VpcPeeringConnection) -> Option<Peering> {
    Some(Peering {
        id: p.vpc_peering_connection_id()?.to_string(),
        state: p
            .status()
            .and_then(|s| s.code())
            .map(|c| PeeringState::parse(c.as_str()))
            .unwrap_or(PeeringState::Other("unknown".into())),
        requester: vpc_end(p.requester_vpc_info()),
        accepter: vpc_end(p.accepter_vpc_info()),
        accepter_dns_resolution: p
            .accepter_vpc_info()
            .and_then(|i| i.peering_options())
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
            .unwrap_or(false),
        tags: tags(p.tags()),
    })
}

impl VpcReads for Ec2 {
    async fn vpc_cidrs(&self, vpc_id: &str) -> Result<Vec<String>> {
        let out = self
            .client
            .describe_vpcs()
            .vpc_ids(vpc_id)
            .send()
            .await
            .map_err(|e| classify("DescribeVpcs", e))?;
        let mut cidrs = Vec::new();
        for vpc in out.vpcs() {
            cidrs.extend(vpc.cidr_block().map(String::from));
            for assoc in vpc.cidr_block_association_set() {
                let associated = assoc
                    .cidr_block_state()
                    .and_then(|s| s.state())
                    .is_none_or(|s| *s == VpcCidrBlockStateCode::Associated);
                if let (true, Some(block)) = (associated, assoc.cidr_block()) {
                    if !cidrs.iter().any(|c| c == block) {
                        cidrs.push(block.to_string());
                    }
                }
            }
        }
        Ok(cidrs)
    }

    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTable>> {
        let tables = self
            .client
            .describe_route_tables()
            .filters(filter("vpc-id", &[vpc_id]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeRouteTables", e))?;
        Ok(tables.iter().map(route_table).collect())
    }
}

impl VpcRoutes for Ec2 {
    async fn create_route(&self, route: &RouteSpec) -> Result<Written> {
        let call = self
            .client
            .create_route()
            .route_table_id(&route.route_table_id)
            .destination_cidr_block(&route.destination);
        let call = match &route.target {
            RouteTarget::Peering(id) => call.vpc_peering_connection_id(id),
            RouteTarget::TransitGateway(id) => call.transit_gateway_id(id),
            RouteTarget::Other(id) => {
                return Err(Error::Config(format!(
                    "a route to {id} is not one this project creates"
                )))
            }
        };
        self.writes.wait("CreateRoute").await;
        let result = call.send().await;
        if code_of_result(&result) != Some("RouteAlreadyExists") {
            return write_outcome("CreateRoute", result, &[]);
        }
        // Made before (a replay, a concurrent run), or someone else's route to the same
        // destination: only the table can tell.
        match self
            .route_target(&route.route_table_id, &route.destination)
            .await?
        {
            Some(target) if target == route.target => {
                write_outcome("CreateRoute", result, &["RouteAlreadyExists"])
            }
            found => Err(route_held_elsewhere(
                "CreateRoute",
                &route.destination,
                &route.route_table_id,
                found.map(|t| t.to_string()),
            )),
        }
    }
}

fn code_of_result<O, E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    result: &std::result::Result<
        O,
        aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    >,
) -> Option<&str> {
    result.as_ref().err().and_then(|e| code_of(e))
}

impl Ec2 {
    /// Where the route to `destination` in `table` points, if there is one.
    async fn route_target(&self, table: &str, destination: &str) -> Result<Option<RouteTarget>> {
        let out = self
            .client
            .describe_route_tables()
            .route_table_ids(table)
            .send()
            .await
            .map_err(|e| classify("DescribeRouteTables", e))?;
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.routes())
            .find(|r| r.destination_cidr_block() == Some(destination))
            .map(route_target))
    }
}

fn vpc_end(info: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>) -> VpcEnd {
    let Some(info) = info else {
        return VpcEnd::default();
    };
    let mut cidrs: Vec<String> = info.cidr_block().map(String::from).into_iter().collect();
    for block in info.cidr_block_set().iter().filter_map(|b| b.cidr_block()) {
        if !cidrs.iter().any(|c| c == block) {
            cidrs.push(block.to_string());
        }
    }
    VpcEnd {
        owner_id: info.owner_id().unwrap_or_default().to_string(),
        vpc_id: info.vpc_id().unwrap_or_default().to_string(),
        region: info.region().unwrap_or_default().to_string(),
        cidrs,
    }
}

impl PeeringReads for Ec2 {
    async fn peering(&self, id: &str) -> Result<Option<Peering>> {
        let out = match self
            .client
            .describe_vpc_peering_connections()
            .vpc_peering_connection_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("InvalidVpcPeeringConnectionID.NotFound") => {
                return Ok(None)
            }
            Err(e) => return Err(classify("DescribeVpcPeeringConnections", e)),
        };
        Ok(out
            .vpc_peering_connections()
            .iter()
            .filter(|p| p.vpc_peering_connection_id() == Some(id))
            .find_map(peering_of))
    }

    async fn peerings_into(
        &self,
        vpc_ids: &[String],
        states: &[PeeringState],
    ) -> Result<Vec<Peering>> {
        if vpc_ids.is_empty() || states.is_empty() {
            return Ok(vec![]);
        }
        let vpcs: Vec<&str> = vpc_ids.iter().map(String::as_str).collect();
        let codes: Vec<&str> = states.iter().map(PeeringState::as_str).collect();
        let found = self
            .client
            .describe_vpc_peering_connections()
            .filters(filter("accepter-vpc-info.vpc-id", &vpcs))
            .filters(filter("status-code", &codes))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcPeeringConnections", e))?;
        Ok(found.iter().filter_map(peering_of).collect())
    }
}

impl PeeringPort for Ec2 {
    async fn accept(&self, id: &str) -> Result<Written> {
        self.writes.wait("AcceptVpcPeeringConnection").await;
        write_outcome(
            "AcceptVpcPeeringConnection",
            self.client
                .accept_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
                .await,
            &["InvalidStateTransition"],
        )
    }

    async fn reject(&self, id: &str) -> Result<Written> {
        self.writes.wait("RejectVpcPeeringConnection").await;
        write_outcome(
            "RejectVpcPeeringConnection",
            self.client
                .reject_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
                .await,
            &["InvalidStateTransition"],
        )
    }

    async fn enable_accepter_dns(&self, id: &str) -> Result<Written> {
        self.writes.wait("ModifyVpcPeeringConnectionOptions").await;
        let options = PeeringConnectionOptionsRequest::builder()
            .allow_dns_resolution_from_remote_vpc(true)
            .build();
        write_outcome(
            "ModifyVpcPeeringConnectionOptions",
            self.client
                .modify_vpc_peering_connection_options()
                .vpc_peering_connection_id(id)
                .accepter_peering_connection_options(options)
                .send()
                .await,
            &[],
        )
    }

    async fn tag(&self, id: &str, key: &str, value: &str) -> Result<Written> {
        self.writes.wait("CreateTags").await;
        write_outcome(
            "CreateTags",
            self.client
                .create_tags()
                .resources(id)
                .tags(Tag::builder().key(key).value(value).build())
                .send()
                .await,
            &[],
        )
    }
}

impl EndpointReads for Ec2 {
    async fn endpoint_by_dns_name(&self, dns_name: &str) -> Result<Option<Endpoint>> {
        let wanted = dns_name.trim_end_matches('.').to_ascii_lowercase();
        let wanted = wanted
            .strip_prefix("dualstack.")
            .unwrap_or(&wanted)
            .to_string();
        let endpoints = self
            .client
            .describe_vpc_endpoints()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcEndpoints", e))?;
        let mut by_name: HashMap<String, Endpoint> = HashMap::new();
        for e in &endpoints {
            let endpoint = Endpoint {
                id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
                vpc_id: e.vpc_id().unwrap_or_default().to_string(),
                service_name: e.service_name().unwrap_or_default().to_string(),
                state: e
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            };
            for entry in e.dns_entries() {
                if let Some(name) = entry.dns_name() {
                    by_name.insert(
                        name.trim_end_matches('.').to_ascii_lowercase(),
                        endpoint.clone(),
                    );
                }
            }
        }
        Ok(by_name.remove(&wanted))
    }
}

/// `RouteAlreadyExists` is "already so" only when the route is the one asked for, pinned with
/// SDK-level mocks: EC2 answers the same code when someone else's route holds the destination.
#[cfg(test)]
mod tests {
    use aws_sdk_ec2::config::retry::RetryConfig;
    use aws_sdk_ec2::operation::create_route::CreateRouteError;
    use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
    use aws_sdk_ec2::types::{Route as SdkRoute, RouteTable as SdkRouteTable};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn holding(target: &'static str) -> Ec2 {
        let exists = mock!(Client::create_route).then_error(|| {
            CreateRouteError::generic(
                ErrorMetadata::builder()
                    .code("RouteAlreadyExists")
                    .message("from the mock")
                    .build(),
            )
        });
        let table = mock!(Client::describe_route_tables)
            .match_requests(|r| r.route_table_ids() == ["rtb-0000000a"])
            .then_output(move || {
                DescribeRouteTablesOutput::builder()
                    .route_tables(
                        SdkRouteTable::builder()
                            .route_table_id("rtb-0000000a")
                            .routes(
                                SdkRoute::builder()
                                    .destination_cidr_block("10.100.0.0/16")
                                    .vpc_peering_connection_id(target)
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&exists, &table], |c| c
            .retry_config(RetryConfig::disabled()));
        Ec2::from_client(client)
    }

    fn route() -> RouteSpec {
        RouteSpec {
            route_table_id: "rtb-0000000a".into(),
            destination: "10.100.0.0/16".into(),
            target: RouteTarget::Peering("pcx-0000aaaa".into()),
        }
    }

    #[tokio::test]
    async fn the_same_route_made_before_is_already_done() {
        let written = holding("pcx-0000aaaa")
            .create_route(&route())
            .await
            .unwrap();
        assert!(written.already_done);
    }

    #[tokio::test]
    async fn another_target_on_the_destination_is_an_error_and_left_alone() {
        let err = holding("pcx-0000bbbb")
            .create_route(&route())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("RouteAlreadyExists"));
        assert!(!err.is_retryable());
        assert!(
            err.to_string().contains("already routes to pcx-0000bbbb"),
            "{err}"
        );
    }
}
