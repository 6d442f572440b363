//! `make demo`: the customer side of Astro's handshakes, played out against a local AWS
//! emulator (moto's server). Astro's account requests; the real Lambda binaries, run
//! through a Lambda Runtime API, finish what is allowed; the audit trail and the
//! resulting network are printed; everything is stopped at the end.

use aws_sdk_ec2::Client;
use integration::lambda::{binary, sample_event, LambdaHarness};
use std::time::Instant;

use integration::{records_of, roles, scenario, stack, Emulator, ASTRO, CUSTOMER, STRANGER};
use serde_json::Value;

fn heading(text: &str) {
    println!("\n== {text}");
}

fn show_audit(lines: &[Value]) {
    for r in lines.iter().filter(|l| l["audit"] == "astro-handshake") {
        let mut parts = vec![format!("[{}]", r["record"].as_str().unwrap_or("?"))];
        for key in [
            "resourceId",
            "verdict",
            "action",
            "target",
            "outcome",
            "requesterAccount",
        ] {
            if let Some(v) = r[key].as_str() {
                parts.push(format!("{key}={v}"));
            }
        }
        parts.push(format!("reason=\"{}\"", r["reason"].as_str().unwrap_or("")));
        println!("  {}", parts.join(" "));
    }
    for m in lines.iter().filter(|l| l.get("_aws").is_some()) {
        println!(
            "  [metrics] {}: Accepted={} Rejected={} Ignored={} Conflicts={} Failures={}",
            m["Handshake"].as_str().unwrap_or("?"),
            m["Accepted"],
            m["Rejected"],
            m["Ignored"],
            m["Conflicts"],
            m["Failures"]
        );
    }
}

/// What the peering demo leaves for the zones demo: the customer's VPC, Astro's, and the
/// active peering between them.
struct Peered {
    customer_vpc: String,
    astro_vpc: String,
    pcx: String,
}

async fn peering_demo(emulator: &Emulator) -> Peered {
    heading("VPC peering: the networks");
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let astro = Client::new(&emulator.account(ASTRO).await);
    let stranger = Client::new(&emulator.account(STRANGER).await);
    let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
    let main_rtb = scenario::main_route_table(&customer, &customer_vpc).await;
    let app_rtb = scenario::route_table(&customer, &customer_vpc, &[("astro", "yes")]).await;
    let astro_vpc = scenario::vpc(&astro, "10.100.0.0/16").await;
    let stranger_vpc = scenario::vpc(&stranger, "10.100.0.0/16").await;
    println!("  customer {CUSTOMER}: {customer_vpc} 10.0.0.0/16, route tables {main_rtb} (main), {app_rtb}");
    println!("  Astro    {ASTRO}: {astro_vpc} 10.100.0.0/16");
    println!("  stranger {STRANGER}: {stranger_vpc} 10.100.0.0/16 (not an Astro account)");

    heading("VPC peering: Astro and a stranger request peering");
    let requested = Instant::now();
    let pcx = scenario::request_peering(&astro, &astro_vpc, &customer_vpc, CUSTOMER).await;
    let foreign =
        scenario::request_peering(&stranger, &stranger_vpc, &customer_vpc, CUSTOMER).await;
    println!(
        "  {pcx} from Astro: {}",
        scenario::peering_status(&customer, &pcx).await
    );
    println!(
        "  {foreign} from the stranger: {}",
        scenario::peering_status(&customer, &foreign).await
    );

    heading("VPC peering: the peering function, invoked by the CloudTrail event, then the sweep");
    let env = emulator
        .function_env(
            roles::PEERING,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("ACCEPTER_VPC_IDS", &customer_vpc),
            ],
        )
        .await;
    let lambda = LambdaHarness::start(&binary("peering"), &env);
    let event = sample_event(
        "peering-create-cloudtrail.json",
        "pcx-0123456789abcdef0",
        &pcx,
    );
    lambda.invoke(&event).expect("peering function");
    let connected = requested.elapsed();
    lambda
        .invoke(&sample_event("sweep-scheduled.json", "", ""))
        .expect("sweep");
    show_audit(&lambda.stdout_json());

    heading("VPC peering: the result, read back from the API");
    let p = scenario::peering(&customer, &pcx).await;
    println!(
        "  {pcx}: {}",
        scenario::peering_status(&customer, &pcx).await
    );
    println!(
        "  {foreign}: {} (left untouched, alarmed)",
        scenario::peering_status(&customer, &foreign).await
    );
    let dns = p
        .accepter_vpc_info()
        .and_then(|i| i.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc());
    println!("  accepter DNS resolution (AllowDnsResolutionFromRemoteVpc): {dns:?}");
    let tags: Vec<String> = p
        .tags()
        .iter()
        .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    println!("  tags: {}", tags.join(", "));
    for rtb in [&main_rtb, &app_rtb] {
        let routes = scenario::routes(&customer, rtb).await;
        let text: Vec<String> = routes.iter().map(|(d, t)| format!("{d} -> {t}")).collect();
        println!("  {rtb}: {}", text.join(", "));
    }
    let writes_before = records_of(&lambda.stdout_json(), "action").len();
    lambda.invoke(&event).expect("replay");
    let writes_after = records_of(&lambda.stdout_json(), "action").len();
    println!(
        "  replaying the event: {} new writes",
        writes_after - writes_before
    );
    println!(
        "  from Astro's request to accepted, routed and DNS on: {} ms through the CloudTrail event \
         (the function starting here included); without the event, the sweep (rate(1 minute) by \
         default) finds it within a minute",
        connected.as_millis()
    );
    Peered {
        customer_vpc,
        astro_vpc,
        pcx,
    }
}

async fn transit_gateway_demo(emulator: &Emulator) {
    heading("Transit Gateway: the customer's TGW, shared with Astro through RAM");
    let sdk = emulator.account(CUSTOMER).await;
    let customer = Client::new(&sdk);
    let astro = Client::new(&emulator.account(ASTRO).await);
    let built = scenario::CustomerTgw::build(&sdk, false, "10.1.0.0/16", &[ASTRO]).await;
    let (tgw, tgw_rtb, spoke_vpc, spoke_rtb, share_arn) = (
        built.tgw,
        built.route_table,
        built.spoke_vpc,
        built.spoke_main_rtb,
        built.share_arn,
    );
    println!("  {tgw} with route table {tgw_rtb}; spoke {spoke_vpc} 10.1.0.0/16 (route table {spoke_rtb})");
    println!("  RAM share {share_arn} -> {ASTRO}");

    heading("Transit Gateway: Astro attaches its VPC (pending acceptance)");
    let (attachment, astro_vpc) = scenario::attach(&astro, &tgw, "10.100.0.0/16").await;
    println!("  {attachment} from {astro_vpc} 10.100.0.0/16");

    heading("Transit Gateway: the transit-gateway function, invoked by the CloudTrail event");
    let env = emulator
        .function_env(
            roles::TRANSIT_GATEWAY,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("TRANSIT_GATEWAY_ID", &tgw),
                ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &tgw_rtb),
                ("TGW_SPOKE_VPC_IDS", &spoke_vpc),
                ("RESOURCE_SHARE_ARN", &share_arn),
            ],
        )
        .await;
    let lambda = LambdaHarness::start(&binary("transit-gateway"), &env);
    let event = sample_event(
        "tgw-create-cloudtrail.json",
        "tgw-attach-0123456789abcdef0",
        &attachment,
    )
    .to_string()
    .replace("tgw-0123456789abcdef0", &tgw);
    let event: Value = serde_json::from_str(&event).expect("event");
    lambda.invoke(&event).expect("transit-gateway function");
    show_audit(&lambda.stdout_json());

    heading("Transit Gateway: the result, read back from the API");
    let state = customer
        .describe_transit_gateway_vpc_attachments()
        .transit_gateway_attachment_ids(&attachment)
        .send()
        .await
        .expect("describe attachment");
    let a = &state.transit_gateway_vpc_attachments()[0];
    println!(
        "  {attachment}: {}",
        a.state().map(|s| s.as_str()).unwrap_or("?")
    );
    let tgw_routes = customer
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(&tgw_rtb)
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("type")
                .values("static")
                .build(),
        )
        .send()
        .await
        .expect("search routes");
    for r in tgw_routes.routes() {
        let to: Vec<&str> = r
            .transit_gateway_attachments()
            .iter()
            .filter_map(|x| x.transit_gateway_attachment_id())
            .collect();
        println!(
            "  {tgw_rtb}: {} -> {}",
            r.destination_cidr_block().unwrap_or("?"),
            to.join(",")
        );
    }
    let routes = scenario::routes(&customer, &spoke_rtb).await;
    let text: Vec<String> = routes.iter().map(|(d, t)| format!("{d} -> {t}")).collect();
    println!("  {spoke_rtb}: {}", text.join(", "));
    let writes_before = records_of(&lambda.stdout_json(), "action").len();
    lambda.invoke(&event).expect("replay");
    println!(
        "  replaying the event: {} new writes",
        records_of(&lambda.stdout_json(), "action").len() - writes_before
    );
}

/// Zones: the customer's private zone, the Astro VPC of the active peering authorized on it,
/// Astro associating its VPC, and the used authorization cleaned up.
async fn zones_demo(emulator: &Emulator, peered: &Peered) {
    heading("Private hosted zones: the customer's zone");
    let customer = aws_sdk_route53::Client::new(&emulator.account(CUSTOMER).await);
    let astro = aws_sdk_route53::Client::new(&emulator.account(ASTRO).await);
    let zone = scenario::private_zone(&customer, "corp.example", &peered.customer_vpc).await;
    println!(
        "  {zone} corp.example, associated with {}; Astro's VPC {} reaches it through {}",
        peered.customer_vpc, peered.astro_vpc, peered.pcx
    );

    heading("Private hosted zones: the zones function's sweep authorizes the Astro VPC");
    let env = emulator
        .function_env(
            roles::ZONES,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("ACCEPTER_VPC_IDS", &peered.customer_vpc),
                ("PRIVATE_HOSTED_ZONE_IDS", &zone),
            ],
        )
        .await;
    let lambda = LambdaHarness::start(&binary("zones"), &env);
    let sweep = sample_event("sweep-scheduled.json", "", "");
    lambda.invoke(&sweep).expect("zones function");
    show_audit(&lambda.stdout_json());
    let authorized = authorizations(&customer, &zone).await;
    println!("  authorizations on {zone}: {}", authorized.join(", "));

    heading("Private hosted zones: Astro associates its VPC; the next sweep cleans up");
    astro
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone)
        .vpc(scenario::r53_vpc(&peered.astro_vpc))
        .send()
        .await
        .expect("Astro's AssociateVPCWithHostedZone");
    let before = lambda.stdout_json().len();
    lambda.invoke(&sweep).expect("zones function");
    show_audit(&lambda.stdout_json()[before..]);
    let vpcs: Vec<String> = customer
        .get_hosted_zone()
        .id(&zone)
        .send()
        .await
        .expect("GetHostedZone")
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(String::from))
        .collect();
    println!("  {zone} VPCs: {}", vpcs.join(", "));
    let left = authorizations(&customer, &zone).await;
    println!(
        "  authorizations on {zone}: {}",
        if left.is_empty() {
            "none".to_string()
        } else {
            left.join(", ")
        }
    );
}

async fn authorizations(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<String> {
    r53.list_vpc_association_authorizations()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("ListVPCAssociationAuthorizations")
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(String::from))
        .collect()
}

/// Custom VPC Endpoint: the customer's endpoint service, Astro's principal allowed by the
/// endpoint-services function, Astro's endpoint accepted and a stranger's left pending.
async fn endpoint_services_demo(emulator: &Emulator) {
    heading(
        "Endpoint services: the customer's endpoint service, open to a stranger's account only",
    );
    let customer_sdk = emulator.account(CUSTOMER).await;
    let customer = Client::new(&customer_sdk);
    let stranger_root = format!("arn:aws:iam::{STRANGER}:root");
    let (service_id, service_name) =
        scenario::endpoint_service(&customer_sdk, true, &[&stranger_root]).await;
    println!("  {service_id} ({service_name}), acceptance required");
    println!(
        "  allowed principals: {}",
        scenario::allowed_principals(&customer, &service_id)
            .await
            .join(", ")
    );
    let astro = Client::new(&emulator.assume(&scenario::astro_endpoint_role(ASTRO)).await);
    let refused = scenario::connect_endpoint(&astro, &service_name, "10.100.0.0/16").await;
    println!(
        "  Astro connecting as astronomer-remote-management: {}",
        refused.err().unwrap_or_else(|| "connected".into())
    );

    heading("Endpoint services: the endpoint-services function's sweep allows Astro's principal");
    let env = emulator
        .function_env(
            roles::ENDPOINT_SERVICES,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("ENDPOINT_SERVICE_IDS", &service_id),
            ],
        )
        .await;
    let lambda = LambdaHarness::start(&binary("endpoint-services"), &env);
    let sweep = sample_event("sweep-scheduled.json", "", "");
    lambda.invoke(&sweep).expect("endpoint-services function");
    show_audit(&lambda.stdout_json());

    heading("Endpoint services: Astro and the stranger connect; the next sweep decides");
    let ours = scenario::connect_endpoint(&astro, &service_name, "10.100.0.0/16")
        .await
        .expect("Astro connects once allowed");
    let stranger = Client::new(&emulator.account(STRANGER).await);
    let theirs = scenario::connect_endpoint(&stranger, &service_name, "172.16.0.0/16")
        .await
        .expect("the stranger may ask");
    let before = lambda.stdout_json().len();
    lambda.invoke(&sweep).expect("endpoint-services function");
    show_audit(&lambda.stdout_json()[before..]);

    heading("Endpoint services: the result, read back from the API");
    println!(
        "  allowed principals: {}",
        scenario::allowed_principals(&customer, &service_id)
            .await
            .join(", ")
    );
    println!(
        "  Astro's endpoint {ours}: {}",
        scenario::endpoint_state(&astro, &ours).await
    );
    println!(
        "  the stranger's endpoint {theirs}: {} (UnknownRequests=ignore)",
        scenario::endpoint_state(&stranger, &theirs).await
    );
}

/// PeerRole: this project's stack with the temporary role, Astro's peering accepted, and the
/// peer-role function removing the role through CloudFormation.
async fn peer_role_demo(emulator: &Emulator) {
    heading("PeerRole (Astro Hybrid): this project's stack, deployed with CreatePeerRole=true");
    let deployed = stack::deploy(
        emulator,
        &[
            ("CreatePeerRole", "true"),
            ("PeerOwnerIds", ASTRO),
            ("PeerRoleExternalId", ""),
            ("PeerRoleExpiresAt", "2099-01-01T00:00:00Z"),
        ],
    );
    let sdk = emulator.account(CUSTOMER).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let resources = |cfn: aws_sdk_cloudformation::Client| async move {
        cfn.list_stack_resources()
            .stack_name("astro-handshake")
            .send()
            .await
            .expect("ListStackResources")
            .stack_resource_summaries()
            .iter()
            .filter(|r| r.logical_resource_id() == Some("PeerRole"))
            .filter_map(|r| r.physical_resource_id().map(String::from))
            .collect::<Vec<_>>()
    };
    println!(
        "  stack {}: PeerRole {:?}",
        deployed.name,
        resources(cfn.clone()).await
    );

    heading("PeerRole: Astro's peering into the accepter VPC becomes active");
    let accepter = deployed
        .parameter("AccepterVpcIds")
        .split(',')
        .next()
        .expect("an accepter VPC")
        .to_string();
    let astro = Client::new(&emulator.account(ASTRO).await);
    let astro_vpc = scenario::vpc(&astro, "10.100.0.0/16").await;
    let pcx = scenario::active_peering(&astro, &astro_vpc, &Client::new(&sdk), &accepter).await;
    println!("  {pcx}: active");

    heading("PeerRole: the peer-role function's sweep removes the role");
    let env = emulator
        .function_env(
            roles::PEER_ROLE,
            &[
                ("STACK_NAME", &deployed.name),
                ("PEER_OWNER_IDS", ASTRO),
                ("PEER_ROLE_EXPIRES_AT", "2099-01-01T00:00:00Z"),
                ("ACCEPTER_VPC_IDS", deployed.parameter("AccepterVpcIds")),
            ],
        )
        .await;
    let lambda = LambdaHarness::start(&binary("peer-role"), &env);
    lambda
        .invoke(&sample_event("sweep-scheduled.json", "", ""))
        .expect("peer-role function");
    show_audit(&lambda.stdout_json());
    let status = cfn
        .describe_stacks()
        .stack_name(&deployed.name)
        .send()
        .await
        .expect("DescribeStacks");
    let s = &status.stacks()[0];
    let flag = s
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("CreatePeerRole"))
        .and_then(|p| p.parameter_value())
        .unwrap_or("?");
    println!(
        "  stack {}: {}, CreatePeerRole={flag}, PeerRole {:?}",
        deployed.name,
        s.stack_status().map(|x| x.as_str()).unwrap_or("?"),
        resources(cfn.clone()).await
    );
}

#[tokio::main]
async fn main() {
    println!("astro-handshake demo: a local AWS emulator, Astro's account {ASTRO}, the customer's {CUSTOMER}");
    let emulator = Emulator::start();
    println!(
        "  emulator (moto server with the project's extensions) at {}",
        emulator.endpoint
    );
    let peered = peering_demo(&emulator).await;
    transit_gateway_demo(&emulator).await;
    zones_demo(&emulator, &peered).await;
    endpoint_services_demo(&emulator).await;
    peer_role_demo(&emulator).await;
    heading("done: the emulator and the functions are stopped");
}
