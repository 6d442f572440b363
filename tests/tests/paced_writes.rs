//! Writes paced to EC2's rate limits: against an emulator that throttles EC2 as AWS documents
//! (a bucket per action; a mutating action's holds 50 tokens and refills at 5 a second), one
//! allowed peering into a VPC with 30 route tables and 3 requester CIDRs needs 90 routes, more
//! than one bucket. The function queues its writes to the refill instead of being throttled:
//! with one attempt per call (no SDK retry to hide a throttle), every write is done, none is
//! throttled, and `Failures` is 0. With a write deadline too close for all of them, the writes
//! left are one `status` record and no failure, and the next run finishes them.

use handshake::aws::ec2::Ec2;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use integration::{actions, config, invoke, metric, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

const TABLES: usize = 30;
const CIDRS: [&str; 3] = ["10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"];

/// The customer's accepter VPC with `TABLES` route tables, and a pending peering from an Astro
/// VPC with `CIDRS`; the handshake as the peering function has it.
struct World {
    emulator: Emulator,
    log: std::path::PathBuf,
    customer: aws_sdk_ec2::Client,
    tables: Vec<String>,
    pcx: String,
    h: PeeringHandshake<Ec2>,
}

async fn world(name: &str) -> World {
    let log = std::env::temp_dir().join(format!(
        "astro-handshake-paced-{name}-{}.jsonl",
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
    let h = PeeringHandshake {
        port: Ec2::from_sdk(&emulator.function(roles::PEERING).await),
        config: c,
    };
    World {
        emulator,
        log,
        customer,
        tables,
        pcx,
        h,
    }
}

impl World {
    async fn all_routed(&self) -> bool {
        for table in &self.tables {
            for cidr in CIDRS {
                if !scenario::has_route(&self.customer, table, cidr, &self.pcx).await {
                    return false;
                }
            }
        }
        true
    }

    fn throttled(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(roles::PEERING) && l.contains("RequestLimitExceeded"))
            .count()
    }
}

#[tokio::test]
async fn ninety_routes_are_paced_to_the_bucket_and_none_is_throttled() {
    let w = world("all").await;
    let (h, pcx) = (&w.h, &w.pcx);
    let settings = h.config.settings();
    let (answer, sink) = invoke(h, &settings, &json!({"vpcPeeringConnectionId": pcx})).await;

    let written = actions(&sink);
    let routes = written.iter().filter(|(a, _)| a == "create-route").count();
    assert_eq!(routes, TABLES * CIDRS.len(), "{answer}");
    assert!(
        written.iter().all(|(_, outcome)| outcome == "done"),
        "every write done: {written:?}"
    );
    assert_eq!(metric(&sink, "Failures"), 0, "{answer}");
    assert!(w.all_routed().await);
    assert_eq!(w.throttled(), 0, "the function was throttled");
    let _ = &w.emulator;
}

#[tokio::test]
async fn writes_left_at_the_deadline_are_finished_by_the_next_run() {
    let w = world("deadline").await;
    let event = json!({"vpcPeeringConnectionId": w.pcx});
    // Time for the accept, the burst and a few more: not for 90 routes at 5 a second.
    let first = handshake::engine::Settings {
        write_deadline: Some(std::time::Instant::now() + std::time::Duration::from_secs(3)),
        ..w.h.config.settings()
    };
    let (answer, sink) = invoke(&w.h, &first, &event).await;
    let done = actions(&sink)
        .iter()
        .filter(|(a, o)| a == "create-route" && o == "done")
        .count();
    assert!(
        done > 0 && done < TABLES * CIDRS.len(),
        "{done} routes: {answer}"
    );
    assert_eq!(
        metric(&sink, "Failures"),
        0,
        "running out of time is no failure"
    );
    let records = sink.records();
    let left: Vec<_> = integration::records_of(&records, "status");
    assert_eq!(left.len(), 1, "{records:?}");
    assert!(left[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("out of time: "));
    assert!(integration::records_of(&records, "error").is_empty());
    assert!(!w.all_routed().await);

    let (answer, sink) = invoke(&w.h, &w.h.config.settings(), &event).await;
    let rest = actions(&sink)
        .iter()
        .filter(|(a, o)| a == "create-route" && o == "done")
        .count();
    assert_eq!(done + rest, TABLES * CIDRS.len(), "{answer}");
    assert!(w.all_routed().await);
    assert_eq!(w.throttled(), 0);
}
