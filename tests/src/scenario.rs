//! Builders for the networks both sides start from, through the real SDK.

use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue,
    DefaultRouteTablePropagationValue, Filter, ResourceType, Tag, TagSpecification,
    TransitGatewayRequestOptions,
};
use aws_sdk_ec2::Client;

pub async fn vpc(ec2: &Client, cidr: &str) -> String {
    let out = ec2
        .create_vpc()
        .cidr_block(cidr)
        .send()
        .await
        .expect("CreateVpc");
    out.vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string()
}

pub async fn add_cidr(ec2: &Client, vpc_id: &str, cidr: &str) {
    ec2.associate_vpc_cidr_block()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .send()
        .await
        .expect("AssociateVpcCidrBlock");
}

pub async fn subnet(ec2: &Client, vpc_id: &str, cidr: &str) -> String {
    let out = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .send()
        .await
        .expect("CreateSubnet");
    out.subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string()
}

/// A route table in the VPC, with tags.
pub async fn route_table(ec2: &Client, vpc_id: &str, tags: &[(&str, &str)]) -> String {
    let mut call = ec2.create_route_table().vpc_id(vpc_id);
    if !tags.is_empty() {
        let mut spec = TagSpecification::builder().resource_type(ResourceType::RouteTable);
        for (k, v) in tags {
            spec = spec.tags(Tag::builder().key(*k).value(*v).build());
        }
        call = call.tag_specifications(spec.build());
    }
    let out = call.send().await.expect("CreateRouteTable");
    out.route_table()
        .and_then(|t| t.route_table_id())
        .expect("rtb id")
        .to_string()
}

pub async fn main_route_table(ec2: &Client, vpc_id: &str) -> String {
    let out = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .expect("DescribeRouteTables");
    out.route_tables()[0]
        .route_table_id()
        .expect("main rtb")
        .to_string()
}

pub async fn internet_gateway(ec2: &Client, vpc_id: &str) -> String {
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("CreateInternetGateway");
    let id = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("igw")
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&id)
        .vpc_id(vpc_id)
        .send()
        .await
        .expect("AttachInternetGateway");
    id
}

/// The customer's accepter VPC 10.0.0.0/16 and its three route tables: the main one, one
/// tagged `astro=yes` and one plain.
pub async fn accepter_vpc(ec2: &Client) -> (String, [String; 3]) {
    let vpc = vpc(ec2, "10.0.0.0/16").await;
    let tables = [
        main_route_table(ec2, &vpc).await,
        route_table(ec2, &vpc, &[("astro", "yes")]).await,
        route_table(ec2, &vpc, &[]).await,
    ];
    (vpc, tables)
}

/// Whether the accepter side of the peering allows DNS resolution from the remote VPC.
pub fn accepter_dns(peering: &aws_sdk_ec2::types::VpcPeeringConnection) -> Option<bool> {
    peering
        .accepter_vpc_info()
        .and_then(|v| v.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
}

/// The vendor's side of the handshake: a peering request from its VPC to the customer's.
pub async fn request_peering(
    vendor: &Client,
    vendor_vpc: &str,
    customer_vpc: &str,
    customer: &str,
) -> String {
    let out = vendor
        .create_vpc_peering_connection()
        .vpc_id(vendor_vpc)
        .peer_vpc_id(customer_vpc)
        .peer_owner_id(customer)
        .peer_region(crate::REGION)
        .send()
        .await
        .expect("CreateVpcPeeringConnection");
    out.vpc_peering_connection()
        .and_then(|p| p.vpc_peering_connection_id())
        .expect("pcx id")
        .to_string()
}

/// A peering from the vendor's VPC into the customer's, accepted directly by the customer
/// (set-up for handshakes that start from an active peering): `active`.
pub async fn active_peering(
    vendor: &Client,
    vendor_vpc: &str,
    customer: &Client,
    customer_vpc: &str,
) -> String {
    let pcx = request_peering(vendor, vendor_vpc, customer_vpc, crate::CUSTOMER).await;
    customer
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&pcx)
        .send()
        .await
        .expect("AcceptVpcPeeringConnection");
    assert_eq!(peering_status(customer, &pcx).await, "active");
    pcx
}

/// The peering as the customer sees it.
pub async fn peering(ec2: &Client, id: &str) -> aws_sdk_ec2::types::VpcPeeringConnection {
    let out = ec2
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(id)
        .send()
        .await
        .expect("describe");
    out.vpc_peering_connections()[0].clone()
}

pub async fn peering_status(ec2: &Client, id: &str) -> String {
    peering(ec2, id)
        .await
        .status()
        .and_then(|s| s.code())
        .map(|c| c.as_str().to_string())
        .unwrap_or_default()
}

/// The routes of a table as (destination, target) pairs.
pub async fn routes(ec2: &Client, rtb: &str) -> Vec<(String, String)> {
    let out = ec2
        .describe_route_tables()
        .route_table_ids(rtb)
        .send()
        .await
        .expect("DescribeRouteTables");
    out.route_tables()[0]
        .routes()
        .iter()
        .filter_map(|r| {
            let dest = r.destination_cidr_block()?.to_string();
            let target = r
                .vpc_peering_connection_id()
                .or(r.transit_gateway_id())
                .or(r.gateway_id())
                .unwrap_or("other")
                .to_string();
            Some((dest, target))
        })
        .collect()
}

/// Whether the table routes `cidr` to `target`.
pub async fn has_route(ec2: &Client, rtb: &str, cidr: &str, target: &str) -> bool {
    routes(ec2, rtb)
        .await
        .iter()
        .any(|(d, t)| d == cidr && t == target)
}

// Transit Gateway: the customer's TGW shared through RAM, the vendor's attachment.

pub async fn create_tgw(ec2: &Client, auto_accept: bool) -> String {
    let accept = if auto_accept {
        AutoAcceptSharedAttachmentsValue::Enable
    } else {
        AutoAcceptSharedAttachmentsValue::Disable
    };
    let options = TransitGatewayRequestOptions::builder()
        .auto_accept_shared_attachments(accept)
        .default_route_table_association(DefaultRouteTableAssociationValue::Disable)
        .default_route_table_propagation(DefaultRouteTablePropagationValue::Disable)
        .build();
    let out = ec2
        .create_transit_gateway()
        .description("customer tgw")
        .options(options)
        .send()
        .await
        .expect("CreateTransitGateway");
    out.transit_gateway()
        .and_then(|t| t.transit_gateway_id())
        .expect("tgw id")
        .to_string()
}

/// A route table on the TGW.
pub async fn tgw_route_table(ec2: &Client, tgw: &str) -> String {
    ec2.create_transit_gateway_route_table()
        .transit_gateway_id(tgw)
        .send()
        .await
        .expect("CreateTransitGatewayRouteTable")
        .transit_gateway_route_table()
        .and_then(|t| t.transit_gateway_route_table_id())
        .expect("tgw-rtb id")
        .to_string()
}

pub fn tgw_arn(tgw: &str) -> String {
    format!(
        "arn:aws:ec2:{}:{}:transit-gateway/{tgw}",
        crate::REGION,
        crate::CUSTOMER
    )
}

pub async fn share(
    ram: &aws_sdk_ram::Client,
    name: &str,
    tgw: &str,
    principals: &[&str],
) -> String {
    let mut call = ram
        .create_resource_share()
        .name(name)
        .resource_arns(tgw_arn(tgw))
        .allow_external_principals(true);
    for p in principals {
        call = call.principals(*p);
    }
    let out = call.send().await.expect("CreateResourceShare");
    out.resource_share()
        .and_then(|s| s.resource_share_arn())
        .expect("share arn")
        .to_string()
}

/// The vendor's side: its VPC and subnet, attached to the shared TGW.
pub async fn attach(vendor: &Client, tgw: &str, cidr: &str) -> (String, String) {
    let vpc = vpc(vendor, cidr).await;
    let subnet = subnet(vendor, &vpc, &cidr.replace(".0.0/16", ".1.0/24")).await;
    let out = vendor
        .create_transit_gateway_vpc_attachment()
        .transit_gateway_id(tgw)
        .vpc_id(&vpc)
        .subnet_ids(subnet)
        .send()
        .await
        .expect("CreateTransitGatewayVpcAttachment");
    let id = out
        .transit_gateway_vpc_attachment()
        .and_then(|a| a.transit_gateway_attachment_id())
        .expect("attachment id");
    (id.to_string(), vpc)
}

/// A Route 53 VPC reference in this test Region.
pub fn r53_vpc(vpc_id: &str) -> aws_sdk_route53::types::Vpc {
    aws_sdk_route53::types::Vpc::builder()
        .vpc_id(vpc_id)
        .vpc_region(aws_sdk_route53::types::VpcRegion::from(crate::REGION))
        .build()
}

/// A private hosted zone owned by the client's account, associated with `vpc_id`; its bare id.
pub async fn private_zone(r53: &aws_sdk_route53::Client, name: &str, vpc_id: &str) -> String {
    let out = r53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("{name}-{vpc_id}"))
        .hosted_zone_config(
            aws_sdk_route53::types::HostedZoneConfig::builder()
                .private_zone(true)
                .build(),
        )
        .vpc(r53_vpc(vpc_id))
        .send()
        .await
        .expect("CreateHostedZone");
    out.hosted_zone()
        .expect("zone")
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string()
}

/// The customer's side of a Transit Gateway handshake: the TGW (no default association or
/// propagation), its Astro route table, a spoke VPC attached to it with its main route table
/// and one tagged `astro=yes`, and a RAM share of the TGW.
pub struct CustomerTgw {
    pub tgw: String,
    pub route_table: String,
    pub spoke_vpc: String,
    pub spoke_attachment: String,
    pub spoke_main_rtb: String,
    pub spoke_tagged_rtb: String,
    pub share_arn: String,
}

impl CustomerTgw {
    /// Builds it in the customer's account (`sdk`), the spoke VPC in `spoke_cidr`, the TGW
    /// shared with `principals`.
    pub async fn build(
        sdk: &aws_config::SdkConfig,
        auto_accept: bool,
        spoke_cidr: &str,
        principals: &[&str],
    ) -> Self {
        let ec2 = Client::new(sdk);
        let tgw = create_tgw(&ec2, auto_accept).await;
        let astro_table = tgw_route_table(&ec2, &tgw).await;
        let spoke_vpc = vpc(&ec2, spoke_cidr).await;
        let spoke_subnet =
            subnet(&ec2, &spoke_vpc, &spoke_cidr.replace(".0.0/16", ".1.0/24")).await;
        let spoke_main_rtb = main_route_table(&ec2, &spoke_vpc).await;
        let spoke_tagged_rtb = route_table(&ec2, &spoke_vpc, &[("astro", "yes")]).await;
        let spoke_attachment = ec2
            .create_transit_gateway_vpc_attachment()
            .transit_gateway_id(&tgw)
            .vpc_id(&spoke_vpc)
            .subnet_ids(spoke_subnet)
            .send()
            .await
            .expect("spoke attachment")
            .transit_gateway_vpc_attachment()
            .and_then(|a| a.transit_gateway_attachment_id())
            .expect("spoke attachment id")
            .to_string();
        let ram = aws_sdk_ram::Client::new(sdk);
        let share_arn = share(&ram, "astro-transit-gateway", &tgw, principals).await;
        Self {
            tgw,
            route_table: astro_table,
            spoke_vpc,
            spoke_attachment,
            spoke_main_rtb,
            spoke_tagged_rtb,
            share_arn,
        }
    }
}

/// The role Astro connects to customer endpoint services with.
pub fn astro_endpoint_role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/astronomer-remote-management")
}

/// The customer's endpoint service: a VPC, a subnet and an internal Network Load Balancer in
/// front (what CreateVpcEndpointServiceConfiguration requires), allowing `principals`.
/// Returns the service id and name.
pub async fn endpoint_service(
    customer: &aws_config::SdkConfig,
    acceptance_required: bool,
    principals: &[&str],
) -> (String, String) {
    let ec2 = Client::new(customer);
    let vpc = vpc(&ec2, "10.20.0.0/16").await;
    let subnet = subnet(&ec2, &vpc, "10.20.1.0/24").await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(customer);
    let name = format!("service-nlb-{}", &vpc[4..12]);
    let nlb = elb
        .create_load_balancer()
        .name(name)
        .subnets(subnet)
        .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .send()
        .await
        .expect("CreateLoadBalancer");
    let nlb_arn = nlb.load_balancers()[0]
        .load_balancer_arn()
        .expect("load balancer ARN")
        .to_string();
    let out = ec2
        .create_vpc_endpoint_service_configuration()
        .network_load_balancer_arns(nlb_arn)
        .acceptance_required(acceptance_required)
        .send()
        .await
        .expect("CreateVpcEndpointServiceConfiguration");
    let service = out.service_configuration().expect("service configuration");
    let id = service.service_id().expect("service id").to_string();
    let name = service.service_name().expect("service name").to_string();
    if !principals.is_empty() {
        ec2.modify_vpc_endpoint_service_permissions()
            .service_id(&id)
            .set_add_allowed_principals(Some(principals.iter().map(|p| p.to_string()).collect()))
            .send()
            .await
            .expect("ModifyVpcEndpointServicePermissions");
    }
    (id, name)
}

/// An interface endpoint from a new VPC of the caller's to the endpoint service `name`.
pub async fn connect_endpoint(
    consumer: &Client,
    service_name: &str,
    cidr: &str,
) -> Result<String, String> {
    let vpc = vpc(consumer, cidr).await;
    let subnet = subnet(consumer, &vpc, &cidr.replace(".0.0/16", ".1.0/24")).await;
    let out = consumer
        .create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name(service_name)
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
        .subnet_ids(subnet)
        .send()
        .await
        .map_err(|e| {
            aws_sdk_ec2::error::ProvideErrorMetadata::code(&e)
                .unwrap_or("unknown")
                .to_string()
        })?;
    Ok(out
        .vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .expect("endpoint id")
        .to_string())
}

/// The endpoint's state as its owner sees it.
pub async fn endpoint_state(consumer: &Client, endpoint_id: &str) -> String {
    consumer
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint_id)
        .send()
        .await
        .expect("DescribeVpcEndpoints")
        .vpc_endpoints()[0]
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

/// The endpoint service's allowed principals, as its owner sees them.
pub async fn allowed_principals(owner: &Client, service_id: &str) -> Vec<String> {
    owner
        .describe_vpc_endpoint_service_permissions()
        .service_id(service_id)
        .send()
        .await
        .expect("DescribeVpcEndpointServicePermissions")
        .allowed_principals()
        .iter()
        .filter_map(|p| p.principal().map(String::from))
        .collect()
}
