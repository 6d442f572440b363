//! A sweep with nothing to do, counted at the emulator: with the sweep every minute, an idle
//! account must cost each function only a constant few reads per run, and no write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handshake::aws::{cloudformation::CloudFormation, ec2::Ec2, route53::Route53, tgw::TgwAws};
use handshake::peer_role::{PeerRoleConfig, PeerRoleHandshake};
use handshake::peering::{PeeringConfig, PeeringHandshake};
use handshake::tgw::{TgwConfig, TgwHandshake};
use handshake::zones::{ZonesConfig, ZonesHandshake};
use integration::{calls_of, config, invoke, roles, scenario, stack, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

/// A call log of its own for one test.
fn call_log(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "astro-handshake-calls-{name}-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// The calls `role` made, as a multiset.
fn counted(log: &Path, role: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in calls_of(log, role) {
        *counts.entry(call).or_insert(0) += 1;
    }
    counts
}

fn expected(calls: &[(&str, usize)]) -> BTreeMap<String, usize> {
    calls.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

/// Two sweeps over the same idle account: each makes exactly `per_sweep`, and writes nothing.
async fn assert_idle<H: handshake::engine::Handshake>(
    h: &H,
    settings: &handshake::engine::Settings,
    log: &Path,
    role: &str,
    per_sweep: &[(&str, usize)],
) {
    let before = counted(log, role);
    assert!(
        before.is_empty(),
        "{role} called before the sweep: {before:?}"
    );
    for round in 1..=2 {
        let (answer, sink) = invoke(h, settings, &json!({"sweep": true})).await;
        assert!(integration::actions(&sink).is_empty(), "{answer}");
        let per_round: BTreeMap<String, usize> = expected(per_sweep)
            .into_iter()
            .map(|(c, n)| (c, n * round))
            .collect();
        assert_eq!(
            counted(log, role),
            per_round,
            "after sweep {round}: {answer}"
        );
    }
}

#[tokio::test]
async fn an_idle_peering_sweep_lists_the_peerings_once() {
    let log = call_log("peering");
    let emulator = Emulator::start_recording(&log);
    let customer = aws_sdk_ec2::Client::new(&emulator.account(CUSTOMER).await);
    let (vpc, _) = scenario::accepter_vpc(&customer).await;
    let base = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("ACCEPTER_VPC_IDS", vpc.as_str()),
    ];
    let c = config(PeeringConfig::read, &base, &[]);
    let settings = c.settings();
    let h = PeeringHandshake {
        port: Ec2::from_sdk(&emulator.function(roles::PEERING).await),
        config: c,
    };
    assert_idle(
        &h,
        &settings,
        &log,
        roles::PEERING,
        &[("ec2:DescribeVpcPeeringConnections", 1)],
    )
    .await;
}

#[tokio::test]
async fn an_idle_transit_gateway_sweep_checks_the_tgw_and_share_and_lists_attachments() {
    let log = call_log("tgw");
    let emulator = Emulator::start_recording(&log);
    let sdk = emulator.account(CUSTOMER).await;
    let built = scenario::CustomerTgw::build(&sdk, false, "10.0.0.0/16", &[ASTRO]).await;
    let base = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("TRANSIT_GATEWAY_ID", built.tgw.as_str()),
        ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", built.route_table.as_str()),
        ("TGW_SPOKE_VPC_IDS", built.spoke_vpc.as_str()),
        ("RESOURCE_SHARE_ARN", built.share_arn.as_str()),
    ];
    let c = config(TgwConfig::read, &base, &[]);
    let settings = c.settings();
    let h = TgwHandshake {
        port: TgwAws::from_sdk(&emulator.function(roles::TRANSIT_GATEWAY).await),
        config: c,
    };
    assert_idle(
        &h,
        &settings,
        &log,
        roles::TRANSIT_GATEWAY,
        &[
            ("ec2:DescribeTransitGateways", 1),
            ("ec2:DescribeTransitGatewayAttachments", 1),
            ("ram:GetResourceShares", 1),
            ("ram:GetResourceShareAssociations", 2),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_idle_zones_sweep_reads_each_zone_and_the_astro_vpcs_once() {
    let log = call_log("zones");
    let emulator = Emulator::start_recording(&log);
    let sdk = emulator.account(CUSTOMER).await;
    let customer = aws_sdk_ec2::Client::new(&sdk);
    let (vpc, _) = scenario::accepter_vpc(&customer).await;
    let built = scenario::CustomerTgw::build(&sdk, false, "10.1.0.0/16", &[ASTRO]).await;
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let zones = [
        scenario::private_zone(&r53, "corp.example", &vpc).await,
        scenario::private_zone(&r53, "data.example", &vpc).await,
    ]
    .join(",");
    let base = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("ACCEPTER_VPC_IDS", vpc.as_str()),
        ("TRANSIT_GATEWAY_ID", built.tgw.as_str()),
        ("PRIVATE_HOSTED_ZONE_IDS", zones.as_str()),
    ];
    let c = config(ZonesConfig::read, &base, &[]);
    let settings = c.settings();
    let function = emulator.function(roles::ZONES).await;
    let h = ZonesHandshake {
        port: Route53::from_sdk(&function),
        peerings: Ec2::from_sdk(&function),
        attachments: TgwAws::from_sdk(&function),
        config: c,
    };
    assert_idle(
        &h,
        &settings,
        &log,
        roles::ZONES,
        // Each of the two zones; the Astro VPCs once for both.
        &[
            ("route53:GetHostedZone", 2),
            ("route53:ListVPCAssociationAuthorizations", 2),
            ("ec2:DescribeVpcPeeringConnections", 1),
            ("ec2:DescribeTransitGatewayAttachments", 1),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_idle_peer_role_sweep_reads_the_stack_and_the_role_once() {
    let log = call_log("peer-role");
    let emulator = Emulator::start_recording(&log);
    let deployed = stack::deploy(&emulator, &[("CreatePeerRole", "false")]);
    let vars = [
        ("STACK_NAME", deployed.name.as_str()),
        ("ACCEPTER_VPC_IDS", deployed.parameter("AccepterVpcIds")),
    ];
    let c = config(PeerRoleConfig::read, &vars, &[]);
    let settings = c.settings();
    let function = emulator.function(roles::PEER_ROLE).await;
    let h = PeerRoleHandshake::new(
        CloudFormation::from_sdk(&function),
        Ec2::from_sdk(&function),
        c,
    );
    assert_idle(
        &h,
        &settings,
        &log,
        roles::PEER_ROLE,
        &[("cloudformation:DescribeStacks", 1), ("iam:GetRole", 1)],
    )
    .await;
}

#[tokio::test]
async fn an_idle_endpoint_services_sweep_reads_each_service_three_times() {
    use handshake::endpoint_services::{EndpointServicesConfig, EndpointServicesHandshake};
    let log = call_log("endpoint-services");
    let emulator = Emulator::start_recording(&log);
    let customer = emulator.account(CUSTOMER).await;
    let astro_principal = scenario::astro_endpoint_role(ASTRO);
    let mut services = Vec::new();
    for _ in 0..2 {
        let (id, _) = scenario::endpoint_service(&customer, true, &[&astro_principal]).await;
        services.push(id);
    }
    let listed = services.join(",");
    let c = config(
        EndpointServicesConfig::read,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ENDPOINT_SERVICE_IDS", &listed),
        ],
        &[],
    );
    let settings = c.settings();
    let h = EndpointServicesHandshake::new(
        Ec2::from_sdk(&emulator.function(roles::ENDPOINT_SERVICES).await),
        c,
    );
    assert_idle(
        &h,
        &settings,
        &log,
        roles::ENDPOINT_SERVICES,
        &[
            ("ec2:DescribeVpcEndpointConnections", 2),
            ("ec2:DescribeVpcEndpointServiceConfigurations", 2),
            ("ec2:DescribeVpcEndpointServicePermissions", 2),
        ],
    )
    .await;
}
