//! The loop's exit logic, and the loop itself over a scripted handshake: settling, giving up,
//! and how a retryable failure reaches Lambda.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::audit::MemorySink;
use crate::trigger::IdSpec;

fn decision(plan: &[&'static str], settling: bool) -> Decision<&'static str> {
    let mut d = Decision::new(Verdict::Accept, "scripted", None);
    d.plan = plan.to_vec();
    d.settling = settling;
    d
}

#[test]
fn exit_logic() {
    let cases = [
        // (plan, settling, dry run, plans left, can wait) -> step
        (&["w"][..], false, false, 1, true, Step::Act),
        (&["w"][..], false, false, 0, true, Step::Stop(Stop::GaveUp)),
        (&["w"][..], false, true, 5, true, Step::Stop(Stop::DryRun)),
        (&[][..], true, false, 5, true, Step::Wait),
        (&[][..], true, false, 0, true, Step::Wait),
        (
            &[][..],
            true,
            false,
            5,
            false,
            Step::Stop(Stop::StillSettling),
        ),
        (&[][..], true, true, 5, true, Step::Stop(Stop::DryRun)),
        (&[][..], false, false, 5, true, Step::Stop(Stop::Converged)),
        (&[][..], false, false, 0, false, Step::Stop(Stop::Converged)),
    ];
    for (plan, settling, dry_run, left, can_wait, step) in cases {
        let d = decision(plan, settling);
        assert_eq!(
            next_step(&d, dry_run, left, can_wait),
            step,
            "plan {plan:?}, settling {settling}, dry run {dry_run}, {left} left, can wait {can_wait}"
        );
    }
    // A last round: written, then done with the resource; a dry run still only plans it.
    let mut last = decision(&["w"], false);
    last.last_round = true;
    assert_eq!(next_step(&last, false, 1, true), Step::ActLast);
    assert_eq!(next_step(&last, false, 0, true), Step::Stop(Stop::GaveUp));
    assert_eq!(next_step(&last, true, 1, true), Step::Stop(Stop::DryRun));
}

impl Action for &'static str {
    fn name(&self) -> &'static str {
        "scripted-write"
    }
    fn target(&self) -> String {
        self.to_string()
    }
}

/// A handshake whose decisions follow a script, one per observation (the last repeats), and
/// whose writes answer `write`.
struct Scripted {
    script: Vec<Decision<&'static str>>,
    /// Looks of every kind: the index of the next scripted decision.
    looks: AtomicUsize,
    /// Of which `observe` (a look from nothing) and `look_again`.
    observes: AtomicUsize,
    again: AtomicUsize,
    writes: AtomicUsize,
    write: fn() -> Result<Written>,
    /// Resources a sweep lists, and whether the listing observes them.
    listed: usize,
    listing_observes: bool,
    /// How long an `observe` takes, and how many were in flight at most.
    delay: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Scripted {
    fn new(script: Vec<Decision<&'static str>>) -> Self {
        Self {
            script,
            looks: AtomicUsize::new(0),
            observes: AtomicUsize::new(0),
            again: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            write: || Ok(Written::default()),
            listed: 1,
            listing_observes: false,
            delay: Duration::ZERO,
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        }
    }
}

impl Handshake for Scripted {
    type Observation = usize;
    type Action = &'static str;
    const KIND: &'static str = "scripted";
    const IDS: IdSpec = IdSpec {
        field: "id",
        valid: |_| true,
        events: &[],
        sweep_events: &[],
    };

    async fn observe(&self, _id: &str) -> Result<Option<usize>> {
        self.observes.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(Some(self.looks.fetch_add(1, Ordering::SeqCst)))
    }

    async fn look_again(&self, _id: &str, _previous: usize) -> Result<Option<usize>> {
        self.again.fetch_add(1, Ordering::SeqCst);
        Ok(Some(self.looks.fetch_add(1, Ordering::SeqCst)))
    }

    fn decide(&self, look: &usize) -> Decision<&'static str> {
        self.script[(*look).min(self.script.len() - 1)].clone()
    }

    async fn act(&self, _action: &&'static str) -> Result<Written> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        (self.write)()
    }

    async fn sweep(&self) -> Result<Vec<Listed<usize>>> {
        Ok((1..=self.listed)
            .map(|n| match self.listing_observes {
                true => {
                    Listed::observed(format!("r-{n}"), self.looks.fetch_add(1, Ordering::SeqCst))
                }
                false => Listed::id(format!("r-{n}")),
            })
            .collect())
    }
}

fn fast(max_rounds: usize, settle: Duration) -> Settings {
    Settings {
        settle_timeout: settle,
        poll_interval: Duration::from_millis(5),
        max_rounds,
        ..Settings::default()
    }
}

async fn reconcile_once(h: &Scripted, settings: &Settings) -> (Report, MemorySink) {
    let sink = MemorySink::default();
    let rec = Recorder {
        sink: &sink,
        kind: "scripted",
        trigger: "test".into(),
        invocation_id: "test".into(),
        dry_run: settings.dry_run,
    };
    let report = reconcile(h, "r-1", None, settings, &rec).await;
    (report, sink)
}

#[tokio::test]
async fn a_plan_that_never_takes_effect_gives_up_after_max_rounds() {
    let h = Scripted::new(vec![decision(&["w"], false)]);
    let (report, sink) = reconcile_once(&h, &fast(3, Duration::from_secs(5))).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 3, "one write per round");
    assert!(
        report.reason.ends_with("; gave up after 3 rounds"),
        "{}",
        report.reason
    );
    assert_eq!(report.counters.failures, 1);
    assert_eq!(report.actions.len(), 3);
    let decisions = sink
        .records()
        .iter()
        .filter(|r| r["record"] == "decision")
        .count();
    assert_eq!(decisions, 4, "three plans executed, a fourth still planned");
}

#[tokio::test]
async fn a_last_round_is_written_once_and_not_looked_at_again() {
    let mut last = decision(&["w"], false);
    last.last_round = true;
    last.verdict = Verdict::Ignore;
    last.findings.push(crate::model::Finding {
        kind: crate::model::FindingKind::UnexpectedChange,
        detail: "refused".into(),
    });
    let h = Scripted::new(vec![decision(&["w"], false), last]);
    let (report, sink) = reconcile_once(&h, &fast(5, Duration::from_secs(5))).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 2);
    assert_eq!(
        h.looks.load(Ordering::SeqCst),
        2,
        "no look after the last round"
    );
    assert_eq!(report.verdict, Verdict::Ignore);
    assert_eq!(report.counters.failures, 0);
    let findings = sink
        .records()
        .iter()
        .filter(|r| r["record"] == "finding")
        .count();
    assert_eq!(findings, 1, "the last decision's findings are recorded");
}

#[tokio::test]
async fn a_resource_still_settling_at_the_deadline_is_left_to_the_next_sweep() {
    let h = Scripted::new(vec![decision(&[], true)]);
    let (report, _) = reconcile_once(&h, &fast(1, Duration::from_millis(40))).await;
    assert!(
        report
            .reason
            .ends_with("; still settling, left to the next sweep"),
        "{}",
        report.reason
    );
    assert_eq!(report.counters.failures, 0);
    assert!(
        h.looks.load(Ordering::SeqCst) > 2,
        "waiting takes no write rounds: it looks again until the deadline"
    );
    assert_eq!(h.writes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn waiting_then_converging_uses_the_rounds_for_writes_only() {
    // accept; settle twice; write the rest; in sync.
    let h = Scripted::new(vec![
        decision(&["accept"], false),
        decision(&[], true),
        decision(&[], true),
        decision(&["route", "dns"], false),
        decision(&[], false),
    ]);
    let (report, _) = reconcile_once(&h, &fast(2, Duration::from_secs(5))).await;
    assert_eq!(report.reason, "scripted");
    assert_eq!(report.counters.failures, 0);
    assert_eq!(h.writes.load(Ordering::SeqCst), 3);
    assert_eq!(h.looks.load(Ordering::SeqCst), 5);
    assert_eq!(
        h.observes.load(Ordering::SeqCst),
        1,
        "after the first look, each is a look again"
    );
    assert_eq!(h.again.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_complete_plan_is_written_and_not_looked_at_again() {
    let mut d = decision(&["route", "dns"], false);
    d.complete = true;
    let h = Scripted::new(vec![d]);
    let (report, _) = reconcile_once(&h, &fast(5, Duration::from_secs(5))).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 2);
    assert_eq!(
        h.looks.load(Ordering::SeqCst),
        1,
        "no look after the writes"
    );
    assert_eq!(report.counters.failures, 0);
    assert_eq!(report.actions.len(), 2);
    // A dry run still only plans it.
    let settings = Settings {
        dry_run: true,
        ..fast(5, Duration::from_secs(5))
    };
    let (report, _) = reconcile_once(&h, &settings).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 2);
    assert!(report.actions.iter().all(|a| a.outcome == Outcome::Planned));
}

fn sweep() -> Trigger {
    Trigger {
        target: Target::Sweep,
        source: "schedule".into(),
        dry_run: false,
    }
}

#[tokio::test]
async fn what_the_sweep_listing_observed_is_not_read_again() {
    let mut h = Scripted::new(vec![decision(&[], false)]);
    h.listed = 3;
    h.listing_observes = true;
    let sink = MemorySink::default();
    let report = run(&h, &sweep(), &fast(5, Duration::from_secs(5)), &sink, None)
        .await
        .expect("sweep");
    assert_eq!(report.reports.len(), 3);
    assert_eq!(h.observes.load(Ordering::SeqCst), 0);
    assert_eq!(h.again.load(Ordering::SeqCst), 0);
    assert!(report.reports.iter().all(|r| r.reason == "scripted"));
}

#[tokio::test]
async fn resources_are_reconciled_at_once_up_to_the_setting_and_reported_in_order() {
    let mut h = Scripted::new(vec![decision(&[], false)]);
    h.listed = 7;
    h.delay = Duration::from_millis(30);
    let settings = Settings {
        resources_in_flight: 3,
        ..fast(5, Duration::from_secs(5))
    };
    let sink = MemorySink::default();
    let report = run(&h, &sweep(), &settings, &sink, None)
        .await
        .expect("sweep");
    assert_eq!(h.most_in_flight.load(Ordering::SeqCst), 3);
    let ids: Vec<&str> = report
        .reports
        .iter()
        .map(|r| r.resource_id.as_str())
        .collect();
    assert_eq!(ids, ["r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-7"]);
    let one_at_a_time = Settings {
        resources_in_flight: 1,
        ..settings
    };
    h.most_in_flight.store(0, Ordering::SeqCst);
    run(&h, &sweep(), &one_at_a_time, &sink, None)
        .await
        .expect("sweep");
    assert_eq!(h.most_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_retryable_failure_fails_the_invocation_with_the_aws_error_itself() {
    let mut h = Scripted::new(vec![decision(&["w"], false)]);
    h.write = || {
        Err(Error::Aws {
            operation: "CreateRoute",
            code: "RequestLimitExceeded".into(),
            message: "Request limit exceeded.".into(),
            request_id: Some("req-0001".into()),
            retryable: true,
        })
    };
    let sink = MemorySink::default();
    let err = handle(
        &h,
        &json!({"sweep": true}),
        &fast(3, Duration::ZERO),
        &sink,
        None,
    )
    .await
    .expect_err("retryable");
    assert_eq!(err.code(), Some("RequestLimitExceeded"));
    assert_eq!(err.request_id(), Some("req-0001"));
    assert!(err.is_retryable());
    let failed: Vec<_> = sink
        .records()
        .into_iter()
        .filter(|r| r["outcome"] == "failed")
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "the write is not repeated within the round"
    );
    assert_eq!(failed[0]["errorCode"], "RequestLimitExceeded");
    assert_eq!(sink.metric_documents()[0]["Failures"], 1);
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_and_the_invocation_answers() {
    let mut h = Scripted::new(vec![decision(&["w"], false)]);
    h.write = || {
        Err(Error::Aws {
            operation: "CreateRoute",
            code: "UnauthorizedOperation".into(),
            message: "not allowed".into(),
            request_id: Some("req-0002".into()),
            retryable: false,
        })
    };
    let sink = MemorySink::default();
    let answer = handle(
        &h,
        &json!({"sweep": true}),
        &fast(3, Duration::ZERO),
        &sink,
        None,
    )
    .await
    .expect("answered");
    assert_eq!(answer["counters"]["Failures"], 1);
    assert_eq!(answer["reports"][0]["actions"][0]["outcome"], "failed");
    assert_eq!(h.writes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_dry_run_records_the_plan_and_what_would_follow() {
    let mut d = decision(&["accept"], false);
    d.deferred = vec!["route"];
    let h = Scripted::new(vec![d]);
    let settings = Settings {
        dry_run: true,
        ..fast(3, Duration::ZERO)
    };
    let (report, sink) = reconcile_once(&h, &settings).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 0);
    let planned: Vec<_> = report.actions.iter().map(|a| a.target.clone()).collect();
    assert_eq!(planned, ["accept", "route"]);
    assert!(sink
        .records()
        .iter()
        .filter(|r| r["record"] == "action")
        .all(|r| r["outcome"] == "planned"));
}

#[tokio::test]
async fn writes_not_started_by_the_write_deadline_are_one_status_record_not_failures() {
    let plan: Vec<&'static str> = vec!["w"; 30];
    let h = Scripted::new(vec![decision(&plan, false), decision(&[], false)]);
    let settings = Settings {
        write_deadline: Some(Instant::now()),
        ..fast(5, Duration::from_secs(5))
    };
    let (report, sink) = reconcile_once(&h, &settings).await;
    assert_eq!(
        h.writes.load(Ordering::SeqCst),
        0,
        "no write starts after it"
    );
    assert_eq!(report.counters.failures, 0);
    assert!(
        report
            .reason
            .ends_with("; out of time: 30 write(s) left for the next run"),
        "{}",
        report.reason
    );
    let records = sink.records();
    let status: Vec<_> = records.iter().filter(|r| r["record"] == "status").collect();
    assert_eq!(status.len(), 1, "{records:?}");
    assert!(status[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("out of time: 30 of 30 write(s)"));
    assert!(records
        .iter()
        .all(|r| r["record"] != "action" && r["record"] != "error"));

    // With time left, the same plan is written.
    let h = Scripted::new(vec![decision(&plan, false), decision(&[], false)]);
    let settings = Settings {
        write_deadline: Some(Instant::now() + Duration::from_secs(60)),
        ..fast(5, Duration::from_secs(5))
    };
    let (report, _) = reconcile_once(&h, &settings).await;
    assert_eq!(h.writes.load(Ordering::SeqCst), 30);
    assert_eq!(report.counters.failures, 0);
}

#[tokio::test]
async fn a_sweep_past_the_write_deadline_looks_at_no_more_resources_and_succeeds() {
    let h = Scripted::new(vec![decision(&["w"], false), decision(&[], false)]);
    let settings = Settings {
        write_deadline: Some(Instant::now()),
        ..fast(5, Duration::from_secs(5))
    };
    let sink = MemorySink::default();
    let report = run(&h, &sweep(), &settings, &sink, None)
        .await
        .expect("running out of time is not a failure");
    assert_eq!(h.looks.load(Ordering::SeqCst), 0);
    assert_eq!(report.counters.failures, 0);
    let status: Vec<_> = sink
        .records()
        .into_iter()
        .filter(|r| r["record"] == "status")
        .collect();
    assert_eq!(status.len(), 1);
    assert!(status[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("out of time: 1 of 1 resource(s)"));
}
