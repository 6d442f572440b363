//! The peering handshake's calls, counted at the emulator against the minimum each case needs:
//! a first handshake makes 10 (the peering, the accepter VPC and its route tables read at once;
//! the acceptance; one look to see it active; the tag, one route per table, DNS); a replay
//! reads 3; a sweep reads the accepter VPC once however many peerings go into it, and does not
//! describe a listed peering again. The Transit Gateway sweep likewise reads what surrounds its
//! attachments once for all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handshake::aws::ec2::Ec2;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use integration::{actions, calls_of, config, invoke, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

fn call_log(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "astro-handshake-budget-{name}-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// The calls the peering function made since `from`, as a multiset.
fn since(log: &Path, from: usize) -> BTreeMap<String, usize> {
    since_of(log, roles::PEERING, from)
}

fn made(log: &Path) -> usize {
    calls_of(log, roles::PEERING).len()
}

/// A replay, or a sweep over finished peerings into one accepter VPC: the peerings, the VPC
/// and its route tables, once each (1 + 2 x 1 VPC).
const ONE_VPC_LOOK: [(&str, usize); 3] = [
    ("ec2:DescribeVpcPeeringConnections", 1),
    ("ec2:DescribeVpcs", 1),
    ("ec2:DescribeRouteTables", 1),
];

fn expected(calls: &[(&str, usize)]) -> BTreeMap<String, usize> {
    calls.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

struct World {
    _emulator: Emulator,
    log: PathBuf,
    vendor: aws_sdk_ec2::Client,
    customer: aws_sdk_ec2::Client,
    vpc: String,
    tables: [String; 3],
    h: PeeringHandshake<Ec2>,
}

async fn world(name: &str) -> World {
    let log = call_log(name);
    let emulator = Emulator::start_recording(&log);
    let customer = aws_sdk_ec2::Client::new(&emulator.account(CUSTOMER).await);
    let vendor = aws_sdk_ec2::Client::new(&emulator.account(ASTRO).await);
    let (vpc, tables) = scenario::accepter_vpc(&customer).await;
    let c = config(
        PeeringConfig::read,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", &vpc),
        ],
        &[],
    );
    let h = PeeringHandshake {
        port: Ec2::from_sdk(&emulator.function(roles::PEERING).await),
        config: c,
    };
    World {
        _emulator: emulator,
        log,
        vendor,
        customer,
        vpc,
        tables,
        h,
    }
}

impl World {
    async fn request(&self, cidr: &str) -> String {
        let astro = scenario::vpc(&self.vendor, cidr).await;
        scenario::request_peering(&self.vendor, &astro, &self.vpc, CUSTOMER).await
    }

    async fn connected(&self, pcx: &str, cidr: &str) -> bool {
        let p = scenario::peering(&self.customer, pcx).await;
        let mut ok = p.status().and_then(|s| s.code()).map(|c| c.as_str()) == Some("active")
            && scenario::accepter_dns(&p) == Some(true);
        for table in &self.tables {
            ok &= scenario::has_route(&self.customer, table, cidr, pcx).await;
        }
        ok
    }
}

#[tokio::test]
async fn a_first_handshake_makes_ten_calls_and_a_replay_three() {
    let w = world("first").await;
    let pcx = w.request("10.100.0.0/16").await;
    let event = json!({ "vpcPeeringConnectionId": pcx });
    let settings = w.h.config.settings();

    let (answer, _) = invoke(&w.h, &settings, &event).await;
    assert!(w.connected(&pcx, "10.100.0.0/16").await, "{answer}");
    assert_eq!(
        since(&w.log, 0),
        expected(&[
            ("ec2:DescribeVpcPeeringConnections", 2),
            ("ec2:DescribeVpcs", 1),
            ("ec2:DescribeRouteTables", 1),
            ("ec2:AcceptVpcPeeringConnection", 1),
            ("ec2:CreateTags", 1),
            ("ec2:CreateRoute", 3),
            ("ec2:ModifyVpcPeeringConnectionOptions", 1),
        ]),
        "{answer}"
    );

    let before = made(&w.log);
    let (answer, sink) = invoke(&w.h, &settings, &event).await;
    assert!(actions(&sink).is_empty(), "{answer}");
    assert_eq!(since(&w.log, before), expected(&ONE_VPC_LOOK));
}

#[tokio::test]
async fn one_sweep_finishes_ten_pending_peerings_and_the_next_reads_three_times() {
    const PENDING: usize = 10;
    let w = world("sweep").await;
    let cidr = |n: usize| format!("10.100.{n}.0/24");
    let mut pcxs = Vec::new();
    for n in 0..PENDING {
        pcxs.push(w.request(&cidr(n)).await);
    }
    let settings = w.h.config.settings();
    let (answer, sink) = invoke(&w.h, &settings, &json!({"sweep": true})).await;
    for (n, pcx) in pcxs.iter().enumerate() {
        assert!(w.connected(pcx, &cidr(n)).await, "{pcx}: {answer}");
    }
    assert!(
        actions(&sink).iter().all(|(_, outcome)| outcome == "done"),
        "{answer}"
    );
    // One listing and one read of the VPC; per peering its acceptance, one look to see it
    // active, and its writes.
    assert_eq!(
        since(&w.log, 0),
        expected(&[
            ("ec2:DescribeVpcPeeringConnections", 1 + PENDING),
            ("ec2:DescribeVpcs", 1),
            ("ec2:DescribeRouteTables", 1),
            ("ec2:AcceptVpcPeeringConnection", PENDING),
            ("ec2:CreateTags", PENDING),
            ("ec2:CreateRoute", 3 * PENDING),
            ("ec2:ModifyVpcPeeringConnectionOptions", PENDING),
        ]),
        "{answer}"
    );

    for _ in 0..2 {
        let before = made(&w.log);
        let (answer, sink) = invoke(&w.h, &settings, &json!({"sweep": true})).await;
        assert!(actions(&sink).is_empty(), "{answer}");
        assert_eq!(
            since(&w.log, before),
            expected(&ONE_VPC_LOOK),
            "1 + 2 x 1 accepter VPC, whatever the number of peerings"
        );
    }
}

#[tokio::test]
async fn a_destination_another_peering_took_first_is_a_failure_not_already_done() {
    // Two pending peerings from Astro VPCs with the same CIDR, swept at once from the same
    // reading of the route tables: in each table one peering's route is created first, and
    // EC2 answers the other `RouteAlreadyExists`. That route is not the other peering's, so
    // its write is recorded failed with where the route points, never "already so".
    let w = world("clash").await;
    let pcxs = [
        w.request("10.100.0.0/16").await,
        w.request("10.100.0.0/16").await,
    ];
    let settings = w.h.config.settings();
    let (answer, sink) = invoke(&w.h, &settings, &json!({"sweep": true})).await;
    let records = sink.records();
    let routes: Vec<_> = integration::records_of(&records, "action")
        .into_iter()
        .filter(|r| r["action"] == "create-route")
        .collect();
    assert_eq!(routes.len(), 6, "{answer}");
    for table in &w.tables {
        let of_table: Vec<_> = routes
            .iter()
            .filter(|r| r["target"].as_str().unwrap().starts_with(table.as_str()))
            .collect();
        let done: Vec<_> = of_table.iter().filter(|r| r["outcome"] == "done").collect();
        let failed: Vec<_> = of_table
            .iter()
            .filter(|r| r["outcome"] == "failed")
            .collect();
        assert_eq!((done.len(), failed.len()), (1, 1), "{table}: {of_table:?}");
        let winner = done[0]["resourceId"].as_str().unwrap();
        assert!(pcxs.iter().any(|p| p == winner));
        assert!(
            failed[0]["reason"]
                .as_str()
                .unwrap()
                .contains(&format!("already routes to {winner}")),
            "{failed:?}"
        );
        assert!(scenario::has_route(&w.customer, table, "10.100.0.0/16", winner).await);
    }
    assert_eq!(integration::metric(&sink, "Failures"), 3);
}

/// The calls `role` made since `from`, as a multiset.
fn since_of(log: &Path, role: &str, from: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in calls_of(log, role).into_iter().skip(from) {
        *counts.entry(call).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn a_transit_gateway_sweep_reads_what_surrounds_its_attachments_once() {
    use handshake::aws::tgw::TgwAws;
    use handshake::tgw::{TgwConfig, TgwHandshake};

    let log = call_log("tgw");
    let emulator = Emulator::start_recording(&log);
    let sdk = emulator.account(CUSTOMER).await;
    let built = scenario::CustomerTgw::build(&sdk, false, "10.0.0.0/16", &[ASTRO]).await;
    let vendor = aws_sdk_ec2::Client::new(&emulator.account(ASTRO).await);
    let mut map = Vec::new();
    for cidr in ["10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"] {
        let (_, vpc) = scenario::attach(&vendor, &built.tgw, cidr).await;
        map.push(format!("{vpc}:{cidr}"));
    }
    let map = map.join(",");
    let c = config(
        TgwConfig::read,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/14"),
            ("ASTRO_VPC_CIDRS", &map),
            ("TRANSIT_GATEWAY_ID", &built.tgw),
            ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &built.route_table),
            ("TGW_SPOKE_VPC_IDS", &built.spoke_vpc),
            ("RESOURCE_SHARE_ARN", &built.share_arn),
            ("ACCEPT_WAIT_SECONDS", "5"),
        ],
        &[],
    );
    let settings = c.settings();
    let h = TgwHandshake {
        port: TgwAws::from_sdk(&emulator.function(roles::TRANSIT_GATEWAY).await),
        config: c,
    };
    let (answer, sink) = invoke(&h, &settings, &json!({"sweep": true})).await;
    assert_eq!(
        actions(&sink)
            .iter()
            .filter(|(a, o)| a == "accept-attachment" && o == "done")
            .count(),
        3,
        "{answer}"
    );
    // Until the three are accepted and routed.
    for _ in 0..3 {
        invoke(&h, &settings, &json!({"sweep": true})).await;
    }
    let before = calls_of(&log, roles::TRANSIT_GATEWAY).len();
    let (answer, sink) = invoke(&h, &settings, &json!({"sweep": true})).await;
    assert!(actions(&sink).is_empty(), "{answer}");
    assert_eq!(
        answer["reports"].as_array().map(Vec::len),
        Some(3),
        "{answer}"
    );
    // The checks (TGW, share), the listing, and once for all three: the TGW, the spoke's
    // attachment, the TGW route table and its routes, the spoke VPC and its route tables.
    assert_eq!(
        since_of(&log, roles::TRANSIT_GATEWAY, before),
        expected(&[
            ("ec2:DescribeTransitGateways", 2),
            ("ec2:DescribeTransitGatewayAttachments", 2),
            ("ram:GetResourceShares", 1),
            ("ram:GetResourceShareAssociations", 2),
            ("ec2:DescribeTransitGatewayRouteTables", 1),
            ("ec2:SearchTransitGatewayRoutes", 1),
            ("ec2:DescribeVpcs", 1),
            ("ec2:DescribeRouteTables", 1),
        ]),
        "{answer}"
    );
}
