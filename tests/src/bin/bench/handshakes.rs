//! The handshake side by side: cold start, warm invocation and API calls of the project's
//! peering function and of the Python reference, then the sweeps.

use integration::roles;
use serde_json::{json, Value};

use crate::lab::Lab;
use crate::process::{Function, Program};
use crate::stats::Runs;

/// The first handshake's network: 3 route tables, one Astro CIDR a peering.
const TABLES: usize = 3;
const FIRST: &str = "10.100.0.0/16";
const SECOND: &str = "10.101.0.0/16";
const ASTRO_CIDRS: &str = "10.100.0.0/15";

/// One implementation's figures over the runs.
#[derive(Default)]
pub struct Side {
    /// Process start to the first `GET invocation/next`, ms.
    pub init: Runs,
    /// Process start to the first handshake answered, ms.
    pub first: Runs,
    /// A second handshake in the same process, event handed over to answer, ms.
    pub warm: Runs,
    pub rss: Runs,
    pub calls_first: Runs,
    pub calls_replay: Runs,
}

fn event(pcx: &str) -> Value {
    json!({ "vpcPeeringConnectionId": pcx })
}

fn sweep_event() -> Value {
    let text = std::fs::read_to_string(integration::root().join("events/sweep-scheduled.json"))
        .expect("events/sweep-scheduled.json");
    serde_json::from_str(&text).expect("sweep event is JSON")
}

fn answered(what: &str, response: &Result<Value, String>) {
    if let Err(e) = response {
        panic!("{what} answered with an error: {e}");
    }
}

/// One cold start of `program`: a pending peering handled from process start, then a second
/// one warm, then a replay of the first.
pub async fn cold_run(lab: &Lab, program: &Program, side: &mut Side) {
    let (vpc, tables) = lab.accepter_vpc(TABLES).await;
    let first = lab.request(&vpc, FIRST, &[]).await;
    let second = lab.request(&vpc, SECOND, &[]).await;
    let env = lab.peering_env(&vpc, ASTRO_CIDRS).await;
    let calls = || lab.log.count(roles::PEERING);

    let before = calls();
    let f = Function::start(program, &env, "peering");
    let one = tokio::task::block_in_place(|| f.invoke(&event(&first)));
    answered("the first handshake", &one.response);
    let polled = f.api.first_poll().expect("the function asked for work");
    side.init.push_ms(polled - f.started);
    side.first.push_ms(one.answered - f.started);
    side.calls_first.push((calls() - before) as f64);
    assert!(
        lab.connected(&first, &tables, &[FIRST]).await,
        "the first handshake left {first} unfinished: {:?}",
        one.response
    );

    let two = tokio::task::block_in_place(|| f.invoke(&event(&second)));
    answered("the warm handshake", &two.response);
    side.warm.push_ms(two.duration());
    assert!(lab.connected(&second, &tables, &[SECOND]).await);

    let before = calls();
    let again = tokio::task::block_in_place(|| f.invoke(&event(&first)));
    answered("the replay", &again.response);
    side.calls_replay.push((calls() - before) as f64);
    side.rss.push(f.peak_rss() as f64 / 1_000_000.0);
}

/// The project's sweeps, counted and timed.
#[derive(Default)]
pub struct Sweeps {
    /// The first sweep over 10 pending peerings: ms, calls, writes.
    pub pending_ms: Runs,
    pub pending_calls: Runs,
    pub pending_writes: Runs,
    /// The next sweep over the same 10, finished.
    pub ten_finished_calls: Runs,
    /// A sweep over 50 finished peerings into one VPC.
    pub fifty_calls: Runs,
    pub fifty_ms: Runs,
}

pub const PENDING: usize = 10;
pub const FIFTY: usize = 50;

/// Astro VPC `n`'s CIDR, inside ASTRO_CIDRS.
fn astro_cidr(n: usize) -> String {
    format!("10.100.{n}.0/24")
}

/// One run of the sweeps with a fresh function: 10 pending peerings (3 route tables), then 50
/// finished ones (the main route table).
pub async fn sweep_run(lab: &Lab, program: &Program, s: &mut Sweeps) {
    let writes_of = |log: &[Value]| {
        log.iter()
            .filter(|c| {
                let op = c["operation"].as_str().unwrap_or_default();
                !op.starts_with("Describe") && !op.starts_with("Get") && !op.starts_with("List")
            })
            .count()
    };
    let calls = || lab.log.of(roles::PEERING);

    let (vpc, tables) = lab.accepter_vpc(TABLES).await;
    let f = Function::start(
        program,
        &lab.peering_env(&vpc, "10.100.0.0/16").await,
        "peering",
    );
    // Warm: the first sweep finds nothing.
    answered(
        "an empty sweep",
        &tokio::task::block_in_place(|| f.invoke(&sweep_event())).response,
    );
    let mut pcxs = Vec::new();
    for n in 0..PENDING {
        pcxs.push(lab.request(&vpc, &astro_cidr(n), &[]).await);
    }
    let before = calls().len();
    let run = tokio::task::block_in_place(|| f.invoke(&sweep_event()));
    answered("the sweep over pending peerings", &run.response);
    let made = calls()[before..].to_vec();
    s.pending_ms.push_ms(run.duration());
    s.pending_calls.push(made.len() as f64);
    s.pending_writes.push(writes_of(&made) as f64);
    for (n, pcx) in pcxs.iter().enumerate() {
        assert!(
            lab.connected(pcx, &tables, &[&astro_cidr(n)]).await,
            "{pcx} left unfinished by one sweep: {:?}",
            run.response
        );
    }
    let before = calls().len();
    answered(
        "the sweep over finished peerings",
        &tokio::task::block_in_place(|| f.invoke(&sweep_event())).response,
    );
    s.ten_finished_calls.push((calls().len() - before) as f64);
    drop(f);

    let (vpc, _) = lab.accepter_vpc(1).await;
    for n in 0..FIFTY {
        lab.request(&vpc, &astro_cidr(n), &[]).await;
    }
    let f = Function::start(
        program,
        &lab.peering_env(&vpc, "10.100.0.0/16").await,
        "peering",
    );
    for _ in 0..3 {
        answered(
            "a sweep over 50 peerings",
            &tokio::task::block_in_place(|| f.invoke(&sweep_event())).response,
        );
    }
    let before = calls().len();
    let run = tokio::task::block_in_place(|| f.invoke(&sweep_event()));
    answered("the sweep over 50 finished peerings", &run.response);
    s.fifty_ms.push_ms(run.duration());
    let made = calls()[before..].to_vec();
    assert_eq!(writes_of(&made), 0, "a sweep over finished peerings wrote");
    s.fifty_calls.push(made.len() as f64);
}
