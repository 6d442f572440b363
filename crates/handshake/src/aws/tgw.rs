//! EC2 Transit Gateway and RAM behind [`TgwPort`] and [`AttachmentReads`]; VPC routes
//! through [`super::ec2::Ec2`].

use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue, Filter,
};
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType};

use super::ec2::Ec2;
use super::{classify, code_of, route_held_elsewhere, write_outcome};
use crate::decision::Written;
use crate::error::Result;
use crate::model::{RouteSpec, RouteState, RouteTable};
use crate::ports::{VpcReads, VpcRoutes};
use crate::tgw::{
    Association, AssociationState, Attachment, AttachmentReads, AttachmentState, ResourceShare,
    ShareAssociationStatus, ShareStatus, TgwPort, TgwRoute, TgwRouteSpec, TgwRouteTable,
    TgwRouteType, TransitGateway,
};

/// The customer account's EC2 (TGW and VPC routes) and RAM.
#[derive(Clone)]
pub struct TgwAws {
    ec2: aws_sdk_ec2::Client,
    ram: aws_sdk_ram::Client,
    routes: Ec2,
}

impl TgwAws {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self::from_clients(aws_sdk_ec2::Client::new(sdk), aws_sdk_ram::Client::new(sdk))
    }

    pub(crate) fn from_clients(ec2: aws_sdk_ec2::Client, ram: aws_sdk_ram::Client) -> Self {
        Self {
            routes: Ec2::from_client(ec2.clone()),
            ec2,
            ram,
        }
    }
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// Every VPC attachment matching `filters`, all pages.
pub(super) async fn vpc_attachments(
    ec2: &aws_sdk_ec2::Client,
    filters: Vec<Filter>,
) -> Result<Vec<Attachment>> {
    let found = ec2
        .describe_transit_gateway_attachments()
        .set_filters(Some(filters))
        .filters(filter("resource-type", &["vpc"]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("DescribeTransitGatewayAttachments", e))?;
    Ok(found.iter().map(attachment).collect())
}

fn attachment(a: &aws_sdk_ec2::types::TransitGatewayAttachment) -> Attachment {
    let association = a.association().and_then(|x| {
        let state = AssociationState::parse(x.state().map(|s| s.as_str()).unwrap_or_default());
        let id = x.transit_gateway_route_table_id()?.to_string();
        (state != AssociationState::Disassociated).then_some(Association {
            route_table_id: id,
            state,
        })
    });
    Attachment {
        id: a
            .transit_gateway_attachment_id()
            .unwrap_or_default()
            .to_string(),
        transit_gateway_id: a.transit_gateway_id().unwrap_or_default().to_string(),
        transit_gateway_owner_id: a.transit_gateway_owner_id().unwrap_or_default().to_string(),
        resource_type: a
            .resource_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: a.resource_id().unwrap_or_default().to_string(),
        vpc_owner_id: a.resource_owner_id().unwrap_or_default().to_string(),
        state: a
            .state()
            .map(|s| AttachmentState::parse(s.as_str()))
            .unwrap_or(AttachmentState::Other("unknown".into())),
        association,
    }
}

impl VpcReads for TgwAws {
    async fn vpc_cidrs(&self, vpc_id: &str) -> Result<Vec<String>> {
        self.routes.vpc_cidrs(vpc_id).await
    }

    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTable>> {
        self.routes.route_tables(vpc_id).await
    }
}

impl VpcRoutes for TgwAws {
    async fn create_route(&self, route: &RouteSpec) -> Result<Written> {
        self.routes.create_route(route).await
    }
}

impl AttachmentReads for TgwAws {
    async fn attachment(&self, id: &str) -> Result<Option<Attachment>> {
        let out = match self
            .ec2
            .describe_transit_gateway_attachments()
            .transit_gateway_attachment_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("InvalidTransitGatewayAttachmentID.NotFound") => {
                return Ok(None)
            }
            Err(e) => return Err(classify("DescribeTransitGatewayAttachments", e)),
        };
        Ok(out
            .transit_gateway_attachments()
            .iter()
            .find(|a| a.transit_gateway_attachment_id() == Some(id))
            .map(attachment))
    }

    async fn attachments(
        &self,
        tgw_id: &str,
        states: &[AttachmentState],
        vpc_ids: &[String],
    ) -> Result<Vec<Attachment>> {
        let states: Vec<&str> = states.iter().map(AttachmentState::as_str).collect();
        let mut filters = vec![
            filter("transit-gateway-id", &[tgw_id]),
            filter("state", &states),
        ];
        if !vpc_ids.is_empty() {
            let vpcs: Vec<&str> = vpc_ids.iter().map(String::as_str).collect();
            filters.push(filter("resource-id", &vpcs));
        }
        vpc_attachments(&self.ec2, filters).await
    }
}

impl TgwPort for TgwAws {
    async fn transit_gateway(&self, id: &str) -> Result<Option<TransitGateway>> {
        let out = match self
            .ec2
            .describe_transit_gateways()
            .transit_gateway_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("InvalidTransitGatewayID.NotFound") => return Ok(None),
            Err(e) => return Err(classify("DescribeTransitGateways", e)),
        };
        Ok(out
            .transit_gateways()
            .iter()
            .find(|t| t.transit_gateway_id() == Some(id))
            .map(|t| {
                let options = t.options();
                TransitGateway {
                    id: id.to_string(),
                    // Only a table new attachments are really associated with counts as default.
                    default_association_route_table_id: options
                        .filter(|o| {
                            o.default_route_table_association()
                                == Some(&DefaultRouteTableAssociationValue::Enable)
                        })
                        .and_then(|o| o.association_default_route_table_id())
                        .map(String::from),
                    auto_accept_shared_attachments: options
                        .and_then(|o| o.auto_accept_shared_attachments())
                        == Some(&AutoAcceptSharedAttachmentsValue::Enable),
                }
            }))
    }

    async fn tgw_route_table(&self, id: &str) -> Result<Option<TgwRouteTable>> {
        let out = match self
            .ec2
            .describe_transit_gateway_route_tables()
            .transit_gateway_route_table_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("InvalidRouteTableID.NotFound") => return Ok(None),
            Err(e) => return Err(classify("DescribeTransitGatewayRouteTables", e)),
        };
        let Some(table) = out.transit_gateway_route_tables().iter().find(|t| {
            t.transit_gateway_route_table_id() == Some(id)
                && t.state().is_none_or(|s| s.as_str() != "deleted")
        }) else {
            return Ok(None);
        };
        // At most 1,000 routes per call and no pagination: enough for the TGW quota on
        // static routes per table's practical use; more is reported by AWS in
        // AdditionalRoutesAvailable and logged.
        let routes = self
            .ec2
            .search_transit_gateway_routes()
            .transit_gateway_route_table_id(id)
            .filters(filter("state", &["active", "blackhole"]))
            .max_results(1000)
            .send()
            .await
            .map_err(|e| classify("SearchTransitGatewayRoutes", e))?;
        if routes.additional_routes_available() == Some(true) {
            tracing::warn!(
                route_table = id,
                "more than 1000 routes; conflicts beyond them are not seen"
            );
        }
        Ok(Some(TgwRouteTable {
            id: id.to_string(),
            transit_gateway_id: table.transit_gateway_id().unwrap_or_default().to_string(),
            routes: routes
                .routes()
                .iter()
                .filter_map(|r| {
                    Some(TgwRoute {
                        destination: r.destination_cidr_block()?.to_string(),
                        attachment_ids: r
                            .transit_gateway_attachments()
                            .iter()
                            .filter_map(|a| a.transit_gateway_attachment_id().map(String::from))
                            .collect(),
                        kind: TgwRouteType::parse(
                            r.r#type().map(|t| t.as_str()).unwrap_or_default(),
                        ),
                        state: RouteState::parse(r.state().map(|s| s.as_str()).unwrap_or_default()),
                    })
                })
                .collect(),
        }))
    }

    async fn accept(&self, id: &str) -> Result<Written> {
        self.routes
            .writes
            .wait("AcceptTransitGatewayVpcAttachment")
            .await;
        write_outcome(
            "AcceptTransitGatewayVpcAttachment",
            self.ec2
                .accept_transit_gateway_vpc_attachment()
                .transit_gateway_attachment_id(id)
                .send()
                .await,
            &["IncorrectState"],
        )
    }

    async fn reject(&self, id: &str) -> Result<Written> {
        self.routes
            .writes
            .wait("RejectTransitGatewayVpcAttachment")
            .await;
        write_outcome(
            "RejectTransitGatewayVpcAttachment",
            self.ec2
                .reject_transit_gateway_vpc_attachment()
                .transit_gateway_attachment_id(id)
                .send()
                .await,
            &["IncorrectState"],
        )
    }

    async fn associate(&self, attachment_id: &str, route_table_id: &str) -> Result<Written> {
        self.routes
            .writes
            .wait("AssociateTransitGatewayRouteTable")
            .await;
        write_outcome(
            "AssociateTransitGatewayRouteTable",
            self.ec2
                .associate_transit_gateway_route_table()
                .transit_gateway_attachment_id(attachment_id)
                .transit_gateway_route_table_id(route_table_id)
                .send()
                .await,
            &["Resource.AlreadyAssociated"],
        )
    }

    async fn create_tgw_route(&self, route: &TgwRouteSpec) -> Result<Written> {
        self.routes.writes.wait("CreateTransitGatewayRoute").await;
        let result = self
            .ec2
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(&route.route_table_id)
            .destination_cidr_block(&route.destination)
            .transit_gateway_attachment_id(&route.attachment_id)
            .send()
            .await;
        if result.as_ref().err().and_then(|e| code_of(e)) != Some("RouteAlreadyExists") {
            return write_outcome("CreateTransitGatewayRoute", result, &[]);
        }
        // Made before, or another attachment's route to the same destination: only the table
        // can tell.
        let held = self
            .tgw_route_table(&route.route_table_id)
            .await?
            .and_then(|t| {
                t.routes
                    .into_iter()
                    .find(|r| r.destination == route.destination)
            });
        match held {
            Some(r) if r.only_to(&route.attachment_id) => {
                write_outcome("CreateTransitGatewayRoute", result, &["RouteAlreadyExists"])
            }
            held => Err(route_held_elsewhere(
                "CreateTransitGatewayRoute",
                &route.destination,
                &route.route_table_id,
                held.map(|r| match r.attachment_ids.is_empty() {
                    true => "a blackhole".to_string(),
                    false => r.attachment_ids.join(", "),
                }),
            )),
        }
    }

    async fn resource_share(&self, arn: &str) -> Result<Option<ResourceShare>> {
        let shares = match self
            .ram
            .get_resource_shares()
            .resource_owner(ResourceOwner::SelfValue)
            .resource_share_arns(arn)
            .into_paginator()
            .send()
            .try_collect()
            .await
        {
            Ok(pages) => pages
                .into_iter()
                .flat_map(|p| p.resource_shares.unwrap_or_default())
                .collect::<Vec<_>>(),
            Err(e)
                if matches!(
                    code_of(&e),
                    Some("UnknownResourceException" | "MalformedArnException")
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(classify("GetResourceShares", e)),
        };
        let Some(share) = shares.iter().find(|s| s.resource_share_arn() == Some(arn)) else {
            return Ok(None);
        };
        let associations = |kind: ResourceShareAssociationType| async move {
            let found = self
                .ram
                .get_resource_share_associations()
                .association_type(kind)
                .resource_share_arns(arn)
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| classify("GetResourceShareAssociations", e))?
                .into_iter()
                .flat_map(|p| p.resource_share_associations.unwrap_or_default())
                .collect::<Vec<_>>();
            Ok::<_, crate::Error>(
                found
                    .iter()
                    .filter(|a| a.resource_share_arn().is_none_or(|s| s == arn))
                    .filter_map(|a| {
                        let status = ShareAssociationStatus::parse(
                            a.status().map(|s| s.as_str()).unwrap_or_default(),
                        );
                        Some((a.associated_entity()?.to_string(), status))
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let (principals, resources) = futures::try_join!(
            associations(ResourceShareAssociationType::Principal),
            associations(ResourceShareAssociationType::Resource)
        )?;
        Ok(Some(ResourceShare {
            arn: arn.to_string(),
            name: share.name().unwrap_or_default().to_string(),
            status: ShareStatus::parse(share.status().map(|s| s.as_str()).unwrap_or_default()),
            principals,
            resources,
        }))
    }
}

/// How each AWS answer is mapped, pinned with SDK-level mocks: errors moto cannot produce
/// (throttling) and the "already so" codes.
#[cfg(test)]
mod tests {
    use aws_sdk_ec2::config::retry::RetryConfig;
    use aws_sdk_ec2::operation::accept_transit_gateway_vpc_attachment::AcceptTransitGatewayVpcAttachmentError;
    use aws_sdk_ec2::operation::associate_transit_gateway_route_table::AssociateTransitGatewayRouteTableError;
    use aws_sdk_ec2::operation::create_transit_gateway_route::CreateTransitGatewayRouteError;
    use aws_sdk_ec2::operation::describe_transit_gateway_attachments::DescribeTransitGatewayAttachmentsError;
    use aws_sdk_ec2::operation::describe_transit_gateway_route_tables::DescribeTransitGatewayRouteTablesOutput;
    use aws_sdk_ec2::operation::search_transit_gateway_routes::SearchTransitGatewayRoutesOutput;
    use aws_sdk_ec2::types::{
        TransitGatewayRoute, TransitGatewayRouteAttachment, TransitGatewayRouteTable,
    };
    use aws_sdk_ec2::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn adapter(rules: &[&Rule]) -> TgwAws {
        let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, rules, |c| c
            .retry_config(RetryConfig::disabled()));
        let ram = aws_sdk_ram::Client::from_conf(
            aws_sdk_ram::Config::builder()
                .behavior_version(aws_sdk_ram::config::BehaviorVersion::latest())
                .region(aws_sdk_ram::config::Region::new("us-east-1"))
                .build(),
        );
        TgwAws::from_clients(ec2, ram)
    }

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder()
            .code(code)
            .message("from the mock")
            .build()
    }

    fn route() -> TgwRouteSpec {
        TgwRouteSpec {
            route_table_id: "tgw-rtb-0000cccc".into(),
            destination: "10.100.0.0/16".into(),
            attachment_id: "tgw-attach-0000bbbb".into(),
        }
    }

    #[tokio::test]
    async fn already_so_answers_are_success() {
        let accept = mock!(Client::accept_transit_gateway_vpc_attachment)
            .then_error(|| AcceptTransitGatewayVpcAttachmentError::generic(meta("IncorrectState")));
        let route_exists = mock!(Client::create_transit_gateway_route)
            .then_error(|| CreateTransitGatewayRouteError::generic(meta("RouteAlreadyExists")));
        let associated = mock!(Client::associate_transit_gateway_route_table).then_error(|| {
            AssociateTransitGatewayRouteTableError::generic(meta("Resource.AlreadyAssociated"))
        });
        let not_found = mock!(Client::describe_transit_gateway_attachments).then_error(|| {
            DescribeTransitGatewayAttachmentsError::generic(meta(
                "InvalidTransitGatewayAttachmentID.NotFound",
            ))
        });
        let (table, routes) = table_holding("tgw-attach-0000bbbb");
        let a = adapter(&[
            &accept,
            &route_exists,
            &associated,
            &not_found,
            &table,
            &routes,
        ]);
        assert!(a.accept("tgw-attach-0000bbbb").await.unwrap().already_done);
        assert!(a.create_tgw_route(&route()).await.unwrap().already_done);
        assert!(
            a.associate("tgw-attach-0000bbbb", "tgw-rtb-0000cccc")
                .await
                .unwrap()
                .already_done
        );
        assert_eq!(a.attachment("tgw-attach-0000bbbb").await.unwrap(), None);
    }

    /// The TGW route table `tgw-rtb-0000cccc`, whose route to 10.100.0.0/16 goes to `holder`.
    fn table_holding(holder: &'static str) -> (Rule, Rule) {
        let table = mock!(Client::describe_transit_gateway_route_tables).then_output(|| {
            DescribeTransitGatewayRouteTablesOutput::builder()
                .transit_gateway_route_tables(
                    TransitGatewayRouteTable::builder()
                        .transit_gateway_route_table_id("tgw-rtb-0000cccc")
                        .transit_gateway_id("tgw-0000aaaa")
                        .build(),
                )
                .build()
        });
        let routes = mock!(Client::search_transit_gateway_routes).then_output(move || {
            SearchTransitGatewayRoutesOutput::builder()
                .routes(
                    TransitGatewayRoute::builder()
                        .destination_cidr_block("10.100.0.0/16")
                        .transit_gateway_attachments(
                            TransitGatewayRouteAttachment::builder()
                                .transit_gateway_attachment_id(holder)
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        (table, routes)
    }

    #[tokio::test]
    async fn a_tgw_route_another_attachment_holds_is_an_error_not_already_done() {
        let route_exists = mock!(Client::create_transit_gateway_route)
            .then_error(|| CreateTransitGatewayRouteError::generic(meta("RouteAlreadyExists")));
        let (table, routes) = table_holding("tgw-attach-0000dddd");
        let a = adapter(&[&route_exists, &table, &routes]);
        let err = a.create_tgw_route(&route()).await.unwrap_err();
        assert_eq!(err.code(), Some("RouteAlreadyExists"));
        assert!(!err.is_retryable());
        assert!(
            err.to_string()
                .contains("already routes to tgw-attach-0000dddd"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn throttling_is_retryable_and_other_codes_are_kept() {
        let throttled = mock!(Client::create_transit_gateway_route)
            .then_error(|| CreateTransitGatewayRouteError::generic(meta("RequestLimitExceeded")));
        let denied = mock!(Client::accept_transit_gateway_vpc_attachment).then_error(|| {
            AcceptTransitGatewayVpcAttachmentError::generic(meta("UnauthorizedOperation"))
        });
        let a = adapter(&[&throttled, &denied]);
        let err = a.create_tgw_route(&route()).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.code(), Some("RequestLimitExceeded"));
        let err = a.accept("tgw-attach-0000bbbb").await.unwrap_err();
        assert!(!err.is_retryable(), "{err}");
        assert_eq!(err.code(), Some("UnauthorizedOperation"));
    }
}
