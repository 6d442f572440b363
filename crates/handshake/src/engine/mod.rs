//! The reconcile loop every handshake shares: observe, decide, act, record.
//!
//! A handshake is converged like a controller converges a resource: any event, a replay or
//! the scheduled sweep leads to the same state, and a run over a finished handshake plans,
//! and therefore writes, nothing. The decision's types are in [`crate::decision`]; this module
//! runs them.

mod recorder;
mod report;

pub use recorder::{Recorder, Wrote};
pub use report::{ActionReport, InvocationReport, Report};

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::audit::{self, Counters, Outcome, Sink, Verdict};
use crate::decision::{Action, Check, Decision, Effect, Written};
use crate::error::{Error, Result};
use crate::trigger::{self, IdSpec, Target, Trigger};

/// One kind of handshake, seen through narrow ports.
pub trait Handshake: Sync {
    type Observation: Send;
    type Action: Action;

    /// The handshake's name in the audit trail and metrics (`vpc-peering`).
    const KIND: &'static str;
    /// How events name this handshake's resources.
    const IDS: IdSpec;

    /// Everything the decision needs, read from the API. `None`: no such resource. Reads
    /// only: what to make of what it read is `decide`'s.
    fn observe(&self, id: &str) -> impl Future<Output = Result<Option<Self::Observation>>> + Send;
    /// A pure function of configuration and observation.
    fn decide(&self, observation: &Self::Observation) -> Decision<Self::Action>;
    fn act(&self, action: &Self::Action) -> impl Future<Output = Result<Written>> + Send;
    /// Looks at a resource again after writing to it or while it settles, knowing what the
    /// last look saw: a handshake reads again only what its writes or the settling can have
    /// changed (the peering, not the VPC's route tables around it). Reads everything again
    /// by default.
    fn look_again(
        &self,
        id: &str,
        previous: Self::Observation,
    ) -> impl Future<Output = Result<Option<Self::Observation>>> + Send {
        drop(previous);
        self.observe(id)
    }
    /// The resources a sweep reconciles. A handshake whose listing already shows all the
    /// decision needs gives it as their first observation, so that nothing is read twice.
    fn sweep(&self) -> impl Future<Output = Result<Vec<Listed<Self::Observation>>>> + Send;
    /// The ids a trigger naming `id` reconciles: `id` itself by default; a handshake whose
    /// resource holds requests of its own (an endpoint service and its pending connections)
    /// adds them.
    fn resources(&self, id: &str) -> impl Future<Output = Result<Vec<String>>> + Send {
        let ids = vec![id.to_string()];
        async move { Ok(ids) }
    }
    /// Read-only checks made once per invocation, before any resource (a RAM share's
    /// associations, say): each is recorded as a `status` record and its findings counted
    /// as conflicts. None by default.
    fn checks(&self) -> impl Future<Output = Result<Vec<Check>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// A resource to reconcile, with what its listing already showed of it.
#[derive(Debug, Clone)]
pub struct Listed<O> {
    pub id: String,
    /// The first observation, when the listing made one; `None`: observe it.
    pub observed: Option<O>,
}

impl<O> Listed<O> {
    /// A resource known by its id only.
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            observed: None,
        }
    }

    /// A resource and its first observation.
    pub fn observed(id: impl Into<String>, observation: O) -> Self {
        Self {
            id: id.into(),
            observed: Some(observation),
        }
    }
}

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dry_run: bool,
    /// How long to wait for a resource to settle (e.g. become active) within one invocation.
    pub settle_timeout: Duration,
    /// How long to wait between two looks at a settling resource.
    pub poll_interval: Duration,
    /// Writes in flight at once within one plan.
    pub concurrency: usize,
    /// Resources reconciled at once. Their writes share the pacing of
    /// [`crate::aws::pacing`], so more in flight does not mean more throttling.
    pub resources_in_flight: usize,
    /// Plans executed per resource and invocation. Waiting for a resource to settle takes
    /// none of them: `settle_timeout` bounds it.
    pub max_rounds: usize,
    pub metrics_namespace: String,
    /// No write starts after this instant: Lambda's deadline for the invocation less a margin
    /// ([`crate::runtime::Invocation`]). Writes left then are left to the next run (the sweep
    /// comes every minute), with one `status` record saying how many; they are not failures.
    /// `None` outside Lambda.
    pub write_deadline: Option<Instant>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            settle_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            concurrency: 8,
            resources_in_flight: 8,
            max_rounds: 5,
            metrics_namespace: "AstroHandshake".into(),
            write_deadline: None,
        }
    }
}

/// What the loop does after a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Execute the plan, then look again.
    Act,
    /// Execute the plan, then stop: it ends this invocation's work on the resource.
    ActLast,
    /// Nothing to write while the resource moves between states: wait, then look again.
    Wait,
    /// This invocation is done with the resource.
    Stop(Stop),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Nothing (more) to write.
    Converged,
    /// A dry run: record the plan, write nothing.
    DryRun,
    /// Still moving when the settle time ran out: the next sweep goes on.
    StillSettling,
    /// Writes still planned after `max_rounds` plans: something keeps undoing them.
    GaveUp,
}

/// The loop's exit logic: a pure function of the decision and what is left of the budget.
/// A plan that completes the resource (`complete`) or ends this invocation's work on it
/// (`last_round`) is not followed by another look.
fn next_step<A>(decision: &Decision<A>, dry_run: bool, plans_left: usize, can_wait: bool) -> Step {
    match (decision.plan.is_empty(), decision.settling) {
        _ if dry_run => Step::Stop(Stop::DryRun),
        (false, _) if plans_left > 0 && (decision.last_round || decision.complete) => Step::ActLast,
        (false, _) if plans_left > 0 => Step::Act,
        (false, _) => Step::Stop(Stop::GaveUp),
        (true, true) if can_wait => Step::Wait,
        (true, true) => Step::Stop(Stop::StillSettling),
        (true, false) => Step::Stop(Stop::Converged),
    }
}

/// The first wait for a settling resource; each next one doubles, up to `poll_interval`.
const FIRST_WAIT: Duration = Duration::from_millis(250);

/// Converges one resource, starting from `first` when its listing already observed it.
pub async fn reconcile<H: Handshake>(
    h: &H,
    id: &str,
    first: Option<H::Observation>,
    settings: &Settings,
    rec: &Recorder<'_>,
) -> Report {
    let mut report = Report::new(id);
    let deadline = Instant::now() + settings.settle_timeout;
    let mut plans_left = settings.max_rounds;
    let mut in_hand = first;
    let mut last_seen: Option<H::Observation> = None;
    let mut wait = FIRST_WAIT.min(settings.poll_interval);
    loop {
        let looked = match (in_hand.take(), last_seen.take()) {
            (Some(observation), _) => Ok(Some(observation)),
            (None, Some(previous)) => h.look_again(id, previous).await,
            (None, None) => h.observe(id).await,
        };
        let observation = match looked {
            Ok(Some(o)) => o,
            Ok(None) => {
                let d: Decision<H::Action> = Decision::new(
                    Verdict::Skip,
                    format!("{id} does not exist or is not visible"),
                    None,
                );
                rec.decision(id, &d);
                report.reason = d.reason;
                return report;
            }
            Err(err) => {
                rec.error(id, &err);
                report.failed(&err);
                report.reason = err.to_string();
                return report;
            }
        };
        let decision = h.decide(&observation);
        rec.decision(id, &decision);
        // After a write, a resource that reached a final state (a rejected peering) keeps
        // the verdict of the decision that acted.
        if report.actions.is_empty() || decision.verdict != Verdict::Skip {
            report.verdict = decision.verdict;
        }
        report.reason = decision.reason.clone();

        let can_wait = Instant::now() + wait < deadline;
        match next_step(&decision, settings.dry_run, plans_left, can_wait) {
            step @ (Step::Act | Step::ActLast) => {
                plans_left -= 1;
                let written = execute(h, &decision, id, settings, rec, &mut report).await;
                if !written || step == Step::ActLast {
                    finish(&mut report, &decision, id, rec);
                    return report;
                }
                last_seen = Some(observation);
            }
            Step::Wait => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(settings.poll_interval);
                last_seen = Some(observation);
            }
            Step::Stop(stop) => {
                match stop {
                    Stop::Converged => {}
                    Stop::DryRun => record_planned(&decision, id, rec, &mut report),
                    Stop::StillSettling => {
                        report.reason = format!(
                            "{}; still settling, left to the next sweep",
                            decision.reason
                        );
                    }
                    Stop::GaveUp => {
                        report.reason = format!(
                            "{}; gave up after {} rounds",
                            decision.reason, settings.max_rounds
                        );
                        report.counters.failures += 1;
                    }
                }
                finish(&mut report, &decision, id, rec);
                return report;
            }
        }
    }
}

/// A dry run's plan: what would be written now, and what would follow.
fn record_planned<A: Action>(
    decision: &Decision<A>,
    id: &str,
    rec: &Recorder<'_>,
    report: &mut Report,
) {
    let now = decision
        .plan
        .iter()
        .map(|a| (a, "dry run: would be done now"));
    let later = decision
        .deferred
        .iter()
        .map(|a| (a, "dry run: would follow once the plan above takes effect"));
    for (action, why) in now.chain(later) {
        rec.action(
            id,
            Wrote {
                verdict: decision.verdict,
                requester: &decision.requester_account,
                action,
                outcome: Outcome::Planned,
                reason: why.into(),
                request_id: None,
                error_code: None,
            },
        );
        report.actions.push(ActionReport {
            action: action.name(),
            target: action.target(),
            outcome: Outcome::Planned,
            error: None,
        });
    }
}

/// Records findings and counts the verdict once, at the end of the resource's rounds.
fn finish<A>(report: &mut Report, decision: &Decision<A>, id: &str, rec: &Recorder<'_>) {
    for f in &decision.findings {
        rec.finding(id, &decision.requester_account, f);
    }
    report.counters.conflicts += decision.findings.len() as u64;
    report.findings = decision.findings.clone();
    if decision.verdict == Verdict::Ignore {
        report.counters.ignored += 1;
    }
}

/// Runs one plan with bounded concurrency; returns whether every write succeeded.
async fn execute<H: Handshake>(
    h: &H,
    decision: &Decision<H::Action>,
    id: &str,
    settings: &Settings,
    rec: &Recorder<'_>,
    report: &mut Report,
) -> bool {
    let deadline = settings.write_deadline;
    let mut results: Vec<(usize, Option<Result<Written>>)> =
        stream::iter(decision.plan.iter().enumerate())
            .map(|(i, action)| async move {
                if out_of_time(deadline) {
                    return (i, None);
                }
                (i, Some(h.act(action).await))
            })
            .buffer_unordered(settings.concurrency.max(1))
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    let mut all_written = true;
    let mut left = 0;
    for (i, result) in results {
        let Some(result) = result else {
            left += 1;
            continue;
        };
        let action = &decision.plan[i];
        let wrote = |outcome, reason, request_id, error_code| Wrote {
            verdict: decision.verdict,
            requester: &decision.requester_account,
            action,
            outcome,
            reason,
            request_id,
            error_code,
        };
        let (wrote, error) = match result {
            Ok(w) if w.already_done => (
                wrote(
                    Outcome::AlreadyDone,
                    "AWS reports it already so".into(),
                    w.request_id,
                    None,
                ),
                None,
            ),
            Ok(w) => (
                wrote(Outcome::Done, decision.reason.clone(), w.request_id, None),
                None,
            ),
            Err(err) => {
                all_written = false;
                report.failed(&err);
                (
                    wrote(
                        Outcome::Failed,
                        err.to_string(),
                        err.request_id().map(String::from),
                        err.code().map(String::from),
                    ),
                    Some(err.to_string()),
                )
            }
        };
        if wrote.outcome == Outcome::Done {
            match action.effect() {
                Effect::Accepted => report.counters.accepted += 1,
                Effect::Rejected => report.counters.rejected += 1,
                Effect::None => {}
            }
        }
        report.actions.push(ActionReport {
            action: action.name(),
            target: action.target(),
            outcome: wrote.outcome,
            error,
        });
        rec.action(id, wrote);
    }
    if left > 0 {
        all_written = false;
        report.reason = format!(
            "{}; out of time: {left} write(s) left for the next run",
            decision.reason
        );
        rec.status(&Check {
            subject: id.to_string(),
            reason: format!(
                "out of time: {left} of {} write(s) not started before the invocation's deadline; the next run goes on",
                decision.plan.len()
            ),
            findings: Vec::new(),
        });
    }
    all_written
}

/// Whether the write deadline has passed.
fn out_of_time(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Runs one trigger: a sweep or one resource. Emits one EMF document. Fails (so Lambda
/// and EventBridge retry) only when a retry can help, with the first such error as AWS gave
/// it.
pub async fn run<H: Handshake>(
    h: &H,
    trigger: &Trigger,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<InvocationReport> {
    let mut settings = settings.clone();
    settings.dry_run |= trigger.dry_run;
    let rec = Recorder {
        sink,
        kind: H::KIND,
        trigger: trigger.source.clone(),
        invocation_id: invocation_id.unwrap_or_else(audit::local_invocation_id),
        dry_run: settings.dry_run,
    };
    let mut invocation = InvocationReport {
        handshake: H::KIND,
        trigger: trigger.source.clone(),
        dry_run: settings.dry_run,
        checks: Vec::new(),
        reports: Vec::new(),
        counters: Counters::default(),
        error: None,
    };
    let mut retry: Option<Error> = None;
    let mut failed = |what: &str, err: Error, invocation: &mut InvocationReport| {
        rec.error(what, &err);
        invocation.counters.failures += 1;
        invocation.error = Some(err.to_string());
        if err.is_retryable() && retry.is_none() {
            retry = Some(err);
        }
    };
    // A failed check does not stop the resources: it is recorded, counted, and fails the
    // invocation (after the resources) only when a retry can help.
    match h.checks().await {
        Ok(checks) => {
            for check in checks {
                rec.status(&check);
                invocation.counters.conflicts += check.findings.len() as u64;
                invocation.checks.push(check);
            }
        }
        Err(err) => failed("checks", err, &mut invocation),
    }
    let listed = match &trigger.target {
        Target::One(id) => h
            .resources(id)
            .await
            .map(|ids| ids.into_iter().map(Listed::id).collect())
            .map_err(|e| (id.as_str(), e)),
        Target::Sweep => h.sweep().await.map_err(|e| ("sweep", e)),
    };
    let listed: Vec<Listed<H::Observation>> = match listed {
        Ok(listed) => listed,
        Err((what, err)) => {
            failed(what, err, &mut invocation);
            Vec::new()
        }
    };
    let total = listed.len();
    let (settings, rec) = (&settings, &rec);
    let mut reports: Vec<(usize, Option<Report>)> = stream::iter(listed.into_iter().enumerate())
        .map(|(i, resource)| async move {
            if out_of_time(settings.write_deadline) {
                return (i, None);
            }
            let report = reconcile(h, &resource.id, resource.observed, settings, rec).await;
            (i, Some(report))
        })
        .buffer_unordered(settings.resources_in_flight.max(1))
        .collect()
        .await;
    reports.sort_by_key(|(i, _)| *i);
    let mut left = 0;
    for (_, report) in reports {
        let Some(mut report) = report else {
            left += 1;
            continue;
        };
        invocation.counters.add(&report.counters);
        if retry.is_none() {
            retry = report.retry.take();
        }
        invocation.reports.push(report);
    }
    if left > 0 {
        rec.status(&Check {
            subject: "invocation".into(),
            reason: format!(
                "out of time: {left} of {total} resource(s) not looked at before the invocation's deadline; the next run goes on"
            ),
            findings: Vec::new(),
        });
    }
    sink.metrics(
        &invocation
            .counters
            .to_emf(&settings.metrics_namespace, H::KIND),
    );
    match retry {
        Some(err) => Err(err),
        None => Ok(invocation),
    }
}

/// The whole invocation from a raw event: parse it, run it, answer. A malformed event is
/// recorded and answered with an error, and changes nothing.
pub async fn handle<H: Handshake>(
    h: &H,
    event: &Value,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<Value> {
    let trigger = match trigger::parse(&H::IDS, event) {
        Ok(t) => t,
        Err(err) => return Ok(refuse_event(H::KIND, &err, settings, sink, invocation_id)),
    };
    let report = run(h, &trigger, settings, sink, invocation_id).await?;
    Ok(serde_json::to_value(report).unwrap_or(Value::Null))
}

/// A read-only request a function answers besides reconciling (the zones function's verify):
/// parsed, answered and recorded through the same recorder as the loop, with the loop's rules
/// for a malformed event and for failures, and one EMF document.
pub trait Query: Sync {
    type Request: Send + Sync;
    /// The handshake it belongs to, in the audit trail and metrics.
    const KIND: &'static str;
    /// What the records give as its trigger (`invoke:verify`).
    const TRIGGER: &'static str;

    fn parse_request(&self, event: &Value) -> Result<Self::Request>;
    /// What the request is about, for the records (a DNS name, say).
    fn subject(request: &Self::Request) -> String;
    /// The answer, each conclusion recorded through `rec`. Reads only.
    fn answer(
        &self,
        request: &Self::Request,
        rec: &Recorder<'_>,
    ) -> impl Future<Output = Result<Value>> + Send;
}

/// Answers one [`Query`] from a raw event. Fails only when a retry can help; a permanent
/// failure is recorded and answered as an error.
pub async fn query<Q: Query>(
    q: &Q,
    event: &Value,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<Value> {
    let request = match q.parse_request(event) {
        Ok(r) => r,
        Err(err) => return Ok(refuse_event(Q::KIND, &err, settings, sink, invocation_id)),
    };
    let rec = Recorder {
        sink,
        kind: Q::KIND,
        trigger: Q::TRIGGER.into(),
        invocation_id: invocation_id.unwrap_or_else(audit::local_invocation_id),
        dry_run: settings.dry_run,
    };
    let mut counters = Counters::default();
    let answer = match q.answer(&request, &rec).await {
        Ok(answer) => Ok(answer),
        Err(err) => {
            let subject = Q::subject(&request);
            rec.error(&subject, &err);
            counters.failures += 1;
            if err.is_retryable() {
                Err(err)
            } else {
                Ok(serde_json::json!({
                    "handshake": Q::KIND,
                    "subject": subject,
                    "error": err.to_string(),
                }))
            }
        }
    };
    sink.metrics(&counters.to_emf(&settings.metrics_namespace, Q::KIND));
    answer
}

/// A malformed event: one `error` record, `Failures` = 1, no writes, and the error as the
/// answer.
fn refuse_event(
    kind: &'static str,
    err: &Error,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Value {
    let rec = Recorder {
        sink,
        kind,
        trigger: "unrecognised".into(),
        invocation_id: invocation_id.unwrap_or_else(audit::local_invocation_id),
        dry_run: settings.dry_run,
    };
    rec.error("-", err);
    let counters = Counters {
        failures: 1,
        ..Counters::default()
    };
    sink.metrics(&counters.to_emf(&settings.metrics_namespace, kind));
    serde_json::json!({"handshake": kind, "error": err.to_string()})
}

#[cfg(test)]
mod tests;
