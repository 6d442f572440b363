//! Scale under EC2's real limits: against the throttling emulator (a bucket per action, 50
//! writes refilled at 5 a second), 1,000 routes for one peering and for one TGW attachment's
//! spoke fan-out, invoked as Lambda would (the template's 120 s timeout, one invocation after
//! the other until everything is routed).

use std::time::{Duration, Instant};

use aws_sdk_ec2::Client;
use integration::{roles, scenario, ASTRO};
use serde_json::{json, Value};

use crate::lab::Lab;
use crate::process::{Function, Program};
use crate::stats::Runs;

/// Route tables and Astro CIDRs: 200 x 5 = 1,000 routes.
pub const TABLES: usize = 200;
pub const CIDRS: [&str; 5] = [
    "10.100.0.0/16",
    "10.101.0.0/16",
    "10.102.0.0/16",
    "10.103.0.0/16",
    "10.104.0.0/16",
];
pub const ROUTES: usize = TABLES * CIDRS.len();
/// TGW fan-out: spoke VPCs, each with TABLES / SPOKES route tables.
const SPOKES: usize = 4;
/// Invocations after which a run gives up.
const MAX_INVOCATIONS: usize = 6;

/// The physical floor for `writes` writes of one action: EC2's bucket holds 50, then 5 a second.
pub fn floor(writes: usize) -> Duration {
    Duration::from_secs_f64(writes.saturating_sub(50) as f64 / 5.0)
}

#[derive(Default)]
pub struct Scale {
    pub wall_s: Runs,
    pub invocations: Runs,
    pub attempted: Runs,
    pub effective: Runs,
    pub throttles: Runs,
    pub failed_records: Runs,
    pub failures: Runs,
}

impl Scale {
    /// What one run left: the calls `role` made, and the function's records.
    fn add(&mut self, lab: &Lab, role: &str, f: &Function, wall: Duration, invocations: usize) {
        let calls = lab.log.of(role);
        let writes: Vec<&Value> = calls
            .iter()
            .filter(|c| {
                matches!(
                    c["operation"].as_str(),
                    Some("CreateRoute" | "CreateTransitGatewayRoute")
                )
            })
            .collect();
        let ok = |c: &Value| c["status"].as_u64().is_some_and(|s| s < 300);
        let lines = f.stdout_json();
        self.wall_s.push(wall.as_secs_f64());
        self.invocations.push(invocations as f64);
        self.attempted.push(writes.len() as f64);
        self.effective
            .push(writes.iter().filter(|c| ok(c)).count() as f64);
        self.throttles.push(
            calls
                .iter()
                .filter(|c| c["error"] == "RequestLimitExceeded")
                .count() as f64,
        );
        self.failed_records.push(
            lines
                .iter()
                .filter(|l| l["record"] == "action" && l["outcome"] == "failed")
                .count() as f64,
        );
        self.failures.push(
            lines
                .iter()
                .filter_map(|l| l.get("_aws").and(l["Failures"].as_u64()))
                .sum::<u64>() as f64,
        );
    }
}

/// Routes to `target` in `tables`.
async fn routed(ec2: &Client, vpcs: &[String], target: &str) -> usize {
    let mut n = 0;
    for vpc in vpcs {
        let tables = ec2
            .describe_route_tables()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(vpc)
                    .build(),
            )
            .send()
            .await
            .expect("DescribeRouteTables");
        n += tables
            .route_tables()
            .iter()
            .flat_map(|t| t.routes())
            .filter(|r| {
                r.vpc_peering_connection_id() == Some(target)
                    || r.transit_gateway_id() == Some(target)
            })
            .count();
    }
    n
}

/// Invokes `f` with `event` until `ROUTES` routes to `target` exist in `vpcs`: the wall time
/// from the first event and the invocations it took.
async fn until_routed(
    lab: &Lab,
    f: &Function,
    event: &Value,
    vpcs: &[String],
    target: &str,
) -> (Duration, usize) {
    let start = Instant::now();
    let mut invocations = 0;
    while invocations < MAX_INVOCATIONS {
        invocations += 1;
        let run = tokio::task::block_in_place(|| f.invoke(event));
        if let Err(e) = &run.response {
            eprintln!("invocation {invocations} answered with an error: {e}");
        }
        if routed(&lab.customer, vpcs, target).await >= ROUTES {
            break;
        }
    }
    (start.elapsed(), invocations)
}

/// One allowed peering into a VPC with 200 route tables from an Astro VPC with 5 CIDRs.
pub async fn peering_run(program: &Program, s: &mut Scale) {
    let lab = Lab::start("scale-peering", true).await;
    let (vpc, _) = lab.accepter_vpc(TABLES).await;
    let pcx = lab.request(&vpc, CIDRS[0], &CIDRS[1..]).await;
    let f = Function::start(
        program,
        &lab.peering_env(&vpc, "10.96.0.0/11").await,
        "peering",
    );
    let event = json!({ "vpcPeeringConnectionId": pcx });
    let (wall, invocations) = until_routed(&lab, &f, &event, &[vpc], &pcx).await;
    s.add(&lab, roles::PEERING, &f, wall, invocations);
}

/// One allowed TGW attachment routed into 4 spoke VPCs of 50 route tables each.
pub async fn tgw_run(program: &Program, s: &mut Scale) {
    let lab = Lab::start("scale-tgw", true).await;
    let sdk = lab.emulator.account(integration::CUSTOMER).await;
    let tgw = scenario::CustomerTgw::build(&sdk, false, "10.0.0.0/16", &[ASTRO]).await;
    let mut spokes = vec![tgw.spoke_vpc.clone()];
    for k in 1..SPOKES {
        let (_, vpc) = scenario::attach(&lab.customer, &tgw.tgw, &format!("10.{k}.0.0/16")).await;
        spokes.push(vpc);
    }
    for (k, vpc) in spokes.iter().enumerate() {
        // The first spoke already has its main and a tagged table; the others their main.
        let mut have = if k == 0 { 2 } else { 1 };
        while have < TABLES / SPOKES {
            scenario::route_table(&lab.customer, vpc, &[]).await;
            have += 1;
        }
    }
    let (attachment, _) = scenario::attach(&lab.vendor, &tgw.tgw, CIDRS[0]).await;
    let env = lab
        .emulator
        .function_env(
            roles::TRANSIT_GATEWAY,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", &CIDRS.join(",")),
                ("TRANSIT_GATEWAY_ID", &tgw.tgw),
                ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &tgw.route_table),
                ("TGW_SPOKE_VPC_IDS", &spokes.join(",")),
                ("RESOURCE_SHARE_ARN", &tgw.share_arn),
            ],
        )
        .await;
    let f = Function::start(program, &env, "transit-gateway");
    let event = json!({ "transitGatewayAttachmentId": attachment });
    let (wall, invocations) = until_routed(&lab, &f, &event, &spokes, &tgw.tgw).await;
    s.add(&lab, roles::TRANSIT_GATEWAY, &f, wall, invocations);
}
