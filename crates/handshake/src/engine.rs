//! The reconcile loop every handshake shares: observe, decide, act, record.
//!
//! A handshake is converged like a controller converges a resource: any event, a replay or
//! the scheduled sweep leads to the same state, and a run over a finished handshake plans,
//! and therefore writes, nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, AuditRecord, Counters, Outcome, RecordType, Sink, Verdict};
use crate::config::UnknownRequests;
use crate::error::{Error, Result};
use crate::model::Finding;
use crate::trigger::{self, IdSpec, Target, Trigger};

/// One write a plan asks for.
pub trait Action: Send + Sync {
    /// Kebab-case name for the audit trail (`accept-peering`, `create-route`).
    fn name(&self) -> &'static str;
    /// What it writes to (`pcx-..`, `rtb-..:10.0.0.0/16`).
    fn target(&self) -> String;
    /// Which counter a successful write moves.
    fn effect(&self) -> Effect {
        Effect::None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    Accepted,
    Rejected,
}

/// A verdict and the writes still missing. What is already in place is not in the plan.
#[derive(Debug, Clone)]
pub struct Decision<A> {
    pub verdict: Verdict,
    pub reason: String,
    pub requester_account: Option<String>,
    /// Writes to make now.
    pub plan: Vec<A>,
    /// Writes that can only follow once `plan` has taken effect (routes after acceptance);
    /// shown in a dry run, planned again for real on the next round.
    pub deferred: Vec<A>,
    pub findings: Vec<Finding>,
    /// The resource is moving between states: observe again shortly.
    pub settling: bool,
}

impl<A> Decision<A> {
    pub fn new(
        verdict: Verdict,
        reason: impl Into<String>,
        requester_account: Option<String>,
    ) -> Self {
        Self {
            verdict,
            reason: reason.into(),
            requester_account,
            plan: Vec::new(),
            deferred: Vec::new(),
            findings: Vec::new(),
            settling: false,
        }
    }
}

impl<A> Decision<A> {
    /// An allowed resource in its working state (`state`: "active", "available"): accepted,
    /// with the writes still missing; "in sync" when there are none.
    pub fn converging(
        state: &str,
        requester_account: Option<String>,
        plan: Vec<A>,
        findings: Vec<Finding>,
    ) -> Self {
        let reason = if plan.is_empty() {
            format!("allowed and {state}; in sync")
        } else {
            format!("allowed and {state}; {} write(s) to converge", plan.len())
        };
        let mut d = Self::new(Verdict::Accept, reason, requester_account);
        d.plan = plan;
        d.findings = findings;
        d
    }

    /// The one rule for a request that failed validation (`why`): rejected only while it is
    /// `pending` and the customer chose `UnknownRequests=reject`; otherwise left untouched.
    /// `what` and `state` name it in the reason ("peering", "active").
    pub fn refused(
        why: &str,
        requester_account: Option<String>,
        pending: bool,
        what: &str,
        state: &str,
        unknown_requests: UnknownRequests,
        reject: impl FnOnce() -> A,
    ) -> Self {
        match (pending, unknown_requests) {
            (true, UnknownRequests::Reject) => {
                let reason = format!("{why}; rejecting as UnknownRequests=reject");
                let mut d = Self::new(Verdict::Reject, reason, requester_account);
                d.plan.push(reject());
                d
            }
            (true, UnknownRequests::Ignore) => Self::new(
                Verdict::Ignore,
                format!("{why}; left pending as UnknownRequests=ignore"),
                requester_account,
            ),
            (false, _) => Self::new(
                Verdict::Ignore,
                format!("{why}; {what} is {state}, left untouched"),
                requester_account,
            ),
        }
    }
}

/// What a write returned: AWS's request id, and whether AWS said it was already so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub request_id: Option<String>,
    pub already_done: bool,
}

/// One kind of handshake, seen through narrow ports.
pub trait Handshake: Sync {
    type Observation: Send;
    type Action: Action;

    /// The handshake's name in the audit trail and metrics (`vpc-peering`).
    const KIND: &'static str;
    /// How events name this handshake's resources.
    const IDS: IdSpec;

    /// Everything the decision needs, read from the API. `None`: no such resource.
    fn observe(&self, id: &str) -> impl Future<Output = Result<Option<Self::Observation>>> + Send;
    /// A pure function of configuration and observation.
    fn decide(&self, observation: &Self::Observation) -> Decision<Self::Action>;
    fn act(&self, action: &Self::Action) -> impl Future<Output = Result<Written>> + Send;
    /// The ids a sweep reconciles.
    fn sweep(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Read-only checks made once per invocation, before any resource (a RAM share's
    /// associations, say): each is recorded as a `status` record and its findings counted
    /// as conflicts. None by default.
    fn checks(&self) -> impl Future<Output = Result<Vec<Check>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// The outcome of one once-per-invocation check: what was looked at, what it showed, and
/// what needs a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked (`arn:aws:ram:..:resource-share/..`).
    pub subject: String,
    pub reason: String,
    pub findings: Vec<Finding>,
}

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dry_run: bool,
    /// How long to wait for a resource to settle (e.g. become active) within one invocation.
    pub settle_timeout: Duration,
    pub poll_interval: Duration,
    /// Writes in flight at once within one plan.
    pub concurrency: usize,
    /// Observe/decide/act rounds per resource and invocation.
    pub max_rounds: usize,
    pub metrics_namespace: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            settle_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            concurrency: 4,
            max_rounds: 5,
            metrics_namespace: "AstroHandshake".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionReport {
    pub action: &'static str,
    pub target: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What happened to one resource in one invocation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub resource_id: String,
    pub verdict: Verdict,
    pub reason: String,
    pub actions: Vec<ActionReport>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub retryable: bool,
    #[serde(skip)]
    pub counters: Counters,
}

/// What one invocation did; also the function's response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationReport {
    pub handshake: &'static str,
    pub trigger: String,
    pub dry_run: bool,
    /// The once-per-invocation checks ([`Handshake::checks`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    pub reports: Vec<Report>,
    pub counters: Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where records go and what they carry besides the decision itself.
pub struct Recorder<'a> {
    pub sink: &'a dyn Sink,
    pub kind: &'static str,
    pub trigger: String,
    pub invocation_id: Option<String>,
    pub dry_run: bool,
}

impl Recorder<'_> {
    fn base(&self, record: RecordType, resource_id: &str, reason: String) -> AuditRecord {
        AuditRecord {
            audit: audit::AUDIT_MARK,
            record,
            handshake: self.kind,
            resource_id: resource_id.to_string(),
            requester_account: None,
            verdict: None,
            reason,
            action: None,
            target: None,
            outcome: None,
            aws_request_id: None,
            error_code: None,
            dry_run: self.dry_run,
            trigger: self.trigger.clone(),
            invocation_id: self.invocation_id.clone(),
            timestamp_ms: audit::now_ms(),
        }
    }

    pub fn decision<A>(&self, resource_id: &str, d: &Decision<A>) {
        let mut r = self.base(RecordType::Decision, resource_id, d.reason.clone());
        r.verdict = Some(d.verdict);
        r.requester_account = d.requester_account.clone();
        self.sink.record(&r);
    }

    pub fn finding(&self, resource_id: &str, requester: &Option<String>, f: &Finding) {
        let mut r = self.base(RecordType::Finding, resource_id, f.detail.clone());
        r.action = Some(
            serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
        );
        r.requester_account = requester.clone();
        self.sink.record(&r);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn action(
        &self,
        resource_id: &str,
        d_verdict: Verdict,
        requester: &Option<String>,
        action: &dyn Action,
        outcome: Outcome,
        reason: String,
        request_id: Option<String>,
        error_code: Option<String>,
    ) {
        let mut r = self.base(RecordType::Action, resource_id, reason);
        r.verdict = Some(d_verdict);
        r.requester_account = requester.clone();
        r.action = Some(action.name().to_string());
        r.target = Some(action.target());
        r.outcome = Some(outcome);
        r.aws_request_id = request_id;
        r.error_code = error_code;
        self.sink.record(&r);
    }

    /// A once-per-invocation check: one `status` record, then its findings.
    pub fn status(&self, check: &Check) {
        self.sink
            .record(&self.base(RecordType::Status, &check.subject, check.reason.clone()));
        for f in &check.findings {
            self.finding(&check.subject, &None, f);
        }
    }

    pub fn error(&self, resource_id: &str, err: &Error) {
        let mut r = self.base(RecordType::Error, resource_id, err.to_string());
        r.error_code = err.code().map(String::from);
        r.aws_request_id = err.request_id().map(String::from);
        self.sink.record(&r);
    }
}

/// Converges one resource.
pub async fn reconcile<H: Handshake>(
    h: &H,
    id: &str,
    settings: &Settings,
    rec: &Recorder<'_>,
) -> Report {
    let mut report = Report {
        resource_id: id.to_string(),
        verdict: Verdict::Skip,
        reason: String::new(),
        actions: Vec::new(),
        findings: Vec::new(),
        error: None,
        retryable: false,
        counters: Counters::default(),
    };
    let deadline = Instant::now() + settings.settle_timeout;
    for round in 0..settings.max_rounds {
        let observation = match h.observe(id).await {
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
                report.fail(err);
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

        let last_round = round + 1 == settings.max_rounds;
        if decision.plan.is_empty() || settings.dry_run || last_round {
            if decision.plan.is_empty() && decision.settling && !settings.dry_run && !last_round {
                if Instant::now() + settings.poll_interval < deadline {
                    tokio::time::sleep(settings.poll_interval).await;
                    continue;
                }
                report.reason = format!(
                    "{}; still settling, left to the next sweep",
                    decision.reason
                );
            }
            if settings.dry_run {
                let later = decision
                    .deferred
                    .iter()
                    .map(|a| (a, "dry run: would follow once the plan above takes effect"));
                for (action, why) in decision
                    .plan
                    .iter()
                    .map(|a| (a, "dry run: would be done now"))
                    .chain(later)
                {
                    rec.action(
                        id,
                        decision.verdict,
                        &decision.requester_account,
                        action,
                        Outcome::Planned,
                        why.into(),
                        None,
                        None,
                    );
                    report.actions.push(ActionReport {
                        action: action.name(),
                        target: action.target(),
                        outcome: Outcome::Planned,
                        error: None,
                    });
                }
            } else if !decision.plan.is_empty() {
                report.reason = format!(
                    "{}; gave up after {} rounds",
                    decision.reason, settings.max_rounds
                );
                report.counters.failures += 1;
            }
            finish(&mut report, &decision, id, rec);
            return report;
        }

        let failed = execute(h, &decision, id, settings, rec, &mut report).await;
        if failed {
            finish(&mut report, &decision, id, rec);
            return report;
        }
    }
    report
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

/// Runs one plan with bounded concurrency; returns whether any write failed.
async fn execute<H: Handshake>(
    h: &H,
    decision: &Decision<H::Action>,
    id: &str,
    settings: &Settings,
    rec: &Recorder<'_>,
    report: &mut Report,
) -> bool {
    let results: Vec<(usize, Result<Written>)> = stream::iter(decision.plan.iter().enumerate())
        .map(|(i, action)| async move { (i, h.act(action).await) })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let mut failed = false;
    for (i, result) in results {
        let action = &decision.plan[i];
        let (outcome, reason, request_id, code, error) = match result {
            Ok(w) if w.already_done => (
                Outcome::AlreadyDone,
                "AWS reports it already so".to_string(),
                w.request_id,
                None,
                None,
            ),
            Ok(w) => (
                Outcome::Done,
                decision.reason.clone(),
                w.request_id,
                None,
                None,
            ),
            Err(err) => {
                failed = true;
                report.counters.failures += 1;
                if err.is_retryable() {
                    report.retryable = true;
                }
                report.error = Some(err.to_string());
                (
                    Outcome::Failed,
                    err.to_string(),
                    err.request_id().map(String::from),
                    err.code().map(String::from),
                    Some(err.to_string()),
                )
            }
        };
        if outcome == Outcome::Done {
            match action.effect() {
                Effect::Accepted => report.counters.accepted += 1,
                Effect::Rejected => report.counters.rejected += 1,
                Effect::None => {}
            }
        }
        rec.action(
            id,
            decision.verdict,
            &decision.requester_account,
            action,
            outcome,
            reason,
            request_id,
            code,
        );
        report.actions.push(ActionReport {
            action: action.name(),
            target: action.target(),
            outcome,
            error,
        });
    }
    failed
}

impl Report {
    fn fail(&mut self, err: Error) {
        self.counters.failures += 1;
        self.retryable = err.is_retryable();
        self.error = Some(err.to_string());
        self.reason = err.to_string();
    }
}

/// Runs one trigger: a sweep or one resource. Emits one EMF document. Fails (so Lambda
/// and EventBridge retry) only when a retry can help.
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
        invocation_id,
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
    match h.checks().await {
        Ok(checks) => {
            for check in checks {
                rec.status(&check);
                invocation.counters.conflicts += check.findings.len() as u64;
                invocation.checks.push(check);
            }
        }
        // A failed check does not stop the resources: it is recorded, counted, and fails the
        // invocation (after the resources) only when a retry can help.
        Err(err) => {
            rec.error("checks", &err);
            invocation.counters.failures += 1;
            invocation.error = Some(err.to_string());
            if err.is_retryable() {
                retry = Some(err);
            }
        }
    }
    let ids = match &trigger.target {
        Target::One(id) => vec![id.clone()],
        Target::Sweep => match h.sweep().await {
            Ok(ids) => ids,
            Err(err) => {
                rec.error("sweep", &err);
                invocation.counters.failures += 1;
                invocation.error = Some(err.to_string());
                if err.is_retryable() {
                    retry = Some(err);
                }
                Vec::new()
            }
        },
    };
    for id in ids {
        let report = reconcile(h, &id, &settings, &rec).await;
        invocation.counters.add(&report.counters);
        if report.retryable && retry.is_none() {
            retry = Some(Error::Aws {
                operation: "reconcile",
                code: "Retryable".into(),
                message: report.error.clone().unwrap_or_default(),
                request_id: None,
                retryable: true,
            });
        }
        invocation.reports.push(report);
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
        Err(err) => {
            let rec = Recorder {
                sink,
                kind: H::KIND,
                trigger: "unrecognised".into(),
                invocation_id,
                dry_run: settings.dry_run,
            };
            rec.error("-", &err);
            let counters = Counters {
                failures: 1,
                ..Counters::default()
            };
            sink.metrics(&counters.to_emf(&settings.metrics_namespace, H::KIND));
            return Ok(serde_json::json!({"handshake": H::KIND, "error": err.to_string()}));
        }
    };
    let report = run(h, &trigger, settings, sink, invocation_id).await?;
    Ok(serde_json::to_value(report).unwrap_or(Value::Null))
}
