//! Writes paced to EC2's rate limits: against an emulator that throttles EC2 as AWS documents
//! (a bucket per action; a mutating action's holds 50 tokens and refills at 5 a second), one
//! allowed peering into a VPC with 30 route tables and 3 requester CIDRs needs 90 routes, more
//! than one bucket. The function queues its writes to the refill instead of being throttled:
//! with one attempt per call (no SDK retry to hide a throttle), every write is done, none is
//! throttled, and `Failures` is 0.

use handshake::aws::ec2::Ec2;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use integration::{actions, config, invoke, metric, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

const TABLES: usize = 30;
const CIDRS: [&str; 3] = ["10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"];

#[tokio::test]
async fn ninety_routes_are_paced_to_the_bucket_and_none_is_throttled() {
    let log = std::env::temp_dir().join(format!(
        "astro-handshake-paced-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&log);
    let emulator = Emulator::start_throttling(&log);
    let customer = aws_sdk_ec2::Client::new(&emulator.account(CUSTOMER).await);
    let vendor = aws_sdk_ec2::Client::new(&emulator.account(ASTRO).await);
    let (vpc, first) = scenario::accepter_vpc(&customer).await;
    let mut tables = first.to_vec();
    while tables.len() < TABLES {
        tables.push(scenario::route_table(&customer, &vpc, &[]).await);
    }
    let astro_vpc = scenario::vpc(&vendor, CIDRS[0]).await;
    for cidr in &CIDRS[1..] {
        scenario::add_cidr(&vendor, &astro_vpc, cidr).await;
    }
    let pcx = scenario::request_peering(&vendor, &astro_vpc, &vpc, CUSTOMER).await;

    let c = config(
        PeeringConfig::read,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", &CIDRS.join(",")),
            ("ACCEPTER_VPC_IDS", &vpc),
        ],
        &[],
    );
    let settings = c.settings();
    let h = PeeringHandshake {
        port: Ec2::from_sdk(&emulator.function(roles::PEERING).await),
        config: c,
    };
    let (answer, sink) = invoke(&h, &settings, &json!({"vpcPeeringConnectionId": pcx})).await;

    let written = actions(&sink);
    let routes = written.iter().filter(|(a, _)| a == "create-route").count();
    assert_eq!(routes, TABLES * CIDRS.len(), "{answer}");
    assert!(
        written.iter().all(|(_, outcome)| outcome == "done"),
        "every write done: {written:?}"
    );
    assert_eq!(metric(&sink, "Failures"), 0, "{answer}");
    for table in &tables {
        for cidr in CIDRS {
            assert!(scenario::has_route(&customer, table, cidr, &pcx).await);
        }
    }
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let throttled = calls
        .lines()
        .filter(|l| l.contains(roles::PEERING) && l.contains("RequestLimitExceeded"))
        .count();
    assert_eq!(throttled, 0, "the function was throttled {throttled} times");
}
