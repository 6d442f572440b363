//! Where records go and what each carries besides the decision itself.

use crate::audit::{self, AuditRecord, Outcome, RecordType, Sink, Verdict};
use crate::decision::{Action, Check, Decision};
use crate::error::Error;
use crate::model::Finding;

/// One invocation's audit trail: every record names the handshake, the trigger and the
/// invocation.
pub struct Recorder<'a> {
    pub sink: &'a dyn Sink,
    pub kind: &'static str,
    pub trigger: String,
    /// Lambda's request id (or one made up for a run outside Lambda).
    pub invocation_id: String,
    pub dry_run: bool,
}

/// One write's outcome, as the audit trail records it.
pub struct Wrote<'a> {
    pub verdict: Verdict,
    pub requester: &'a Option<String>,
    pub action: &'a dyn Action,
    pub outcome: Outcome,
    pub reason: String,
    pub request_id: Option<String>,
    pub error_code: Option<String>,
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

    pub fn action(&self, resource_id: &str, wrote: Wrote<'_>) {
        let mut r = self.base(RecordType::Action, resource_id, wrote.reason);
        r.verdict = Some(wrote.verdict);
        r.requester_account = wrote.requester.clone();
        r.action = Some(wrote.action.name().to_string());
        r.target = Some(wrote.action.target());
        r.outcome = Some(wrote.outcome);
        r.aws_request_id = wrote.request_id;
        r.error_code = wrote.error_code;
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
