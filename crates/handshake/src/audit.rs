//! The audit trail: one JSON record per decision, finding and write, and EMF metrics.
//!
//! Records go to stdout as single JSON lines; Lambda sends them to CloudWatch Logs.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// The value of the `audit` field on every record, for log filters.
pub const AUDIT_MARK: &str = "astro-handshake";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordType {
    Decision,
    Action,
    Finding,
    /// A once-per-invocation check (a resource share's associations).
    Status,
    Error,
}

/// The verdict on a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Allowed: converge it.
    Accept,
    /// Not allowed and rejected, as the customer asked.
    Reject,
    /// Not allowed and left untouched.
    Ignore,
    /// Nothing to do (finished, failed, expired, deleted, or not ours to manage).
    Skip,
    /// Allowed, but in a transient state; look again later.
    Wait,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Dry run: what would be done.
    Planned,
    Done,
    /// AWS answered that it was already so.
    AlreadyDone,
    Failed,
}

/// One line of the audit trail.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub audit: &'static str,
    pub record: RecordType,
    pub handshake: &'static str,
    pub resource_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub dry_run: bool,
    pub trigger: String,
    pub invocation_id: String,
    pub timestamp_ms: u128,
}

/// Who hears the audit trail.
pub trait Sink: Send + Sync {
    fn record(&self, record: &AuditRecord);
    /// A CloudWatch Embedded Metric Format document.
    fn metrics(&self, document: &serde_json::Value);
}

/// JSON lines on stdout, for CloudWatch Logs.
pub struct StdoutSink;

impl Sink for StdoutSink {
    fn record(&self, record: &AuditRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            println!("{line}");
        }
    }

    fn metrics(&self, document: &serde_json::Value) {
        println!("{document}");
    }
}

/// JSON lines on stderr, for a function run from a shell: stdout is kept for the answer.
/// Metrics are left out.
pub struct StderrSink;

impl Sink for StderrSink {
    fn record(&self, record: &AuditRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            eprintln!("{line}");
        }
    }

    fn metrics(&self, _document: &serde_json::Value) {}
}

/// Keeps the records, for tests and for the invocation's response.
#[derive(Default)]
pub struct MemorySink {
    records: Mutex<Vec<serde_json::Value>>,
    metrics: Mutex<Vec<serde_json::Value>>,
}

impl MemorySink {
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.records.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn metric_documents(&self) -> Vec<serde_json::Value> {
        self.metrics.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Sink for MemorySink {
    fn record(&self, record: &AuditRecord) {
        if let (Ok(mut all), Ok(value)) = (self.records.lock(), serde_json::to_value(record)) {
            all.push(value);
        }
    }

    fn metrics(&self, document: &serde_json::Value) {
        if let Ok(mut all) = self.metrics.lock() {
            all.push(document.clone());
        }
    }
}

/// An invocation id for a run outside Lambda (a shell, a test without one): `local-<pid>-<ms>`.
pub fn local_invocation_id() -> String {
    format!("local-{}-{}", std::process::id(), now_ms())
}

pub fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// The counters an invocation reports as CloudWatch metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Counters {
    pub accepted: u64,
    pub rejected: u64,
    pub ignored: u64,
    pub conflicts: u64,
    pub failures: u64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.accepted += other.accepted;
        self.rejected += other.rejected;
        self.ignored += other.ignored;
        self.conflicts += other.conflicts;
        self.failures += other.failures;
    }

    /// One CloudWatch Embedded Metric Format document for these counters.
    pub fn to_emf(&self, namespace: &str, handshake: &str) -> serde_json::Value {
        let names = ["Accepted", "Rejected", "Ignored", "Conflicts", "Failures"];
        let metrics: Vec<_> = names
            .iter()
            .map(|n| serde_json::json!({"Name": n, "Unit": "Count"}))
            .collect();
        serde_json::json!({
            "_aws": {
                "Timestamp": now_ms() as u64,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["Handshake"]],
                    "Metrics": metrics,
                }]
            },
            "Handshake": handshake,
            "Accepted": self.accepted,
            "Rejected": self.rejected,
            "Ignored": self.ignored,
            "Conflicts": self.conflicts,
            "Failures": self.failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_every_counter() {
        let c = Counters {
            accepted: 1,
            rejected: 0,
            ignored: 2,
            conflicts: 3,
            failures: 4,
        };
        let doc = c.to_emf("AstroHandshake", "vpc-peering");
        let declared = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "AstroHandshake");
        assert_eq!(declared["Dimensions"][0][0], "Handshake");
        for metric in declared["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc[name].is_u64(), "{name} has no value");
        }
        assert_eq!(doc["Conflicts"], 3);
        assert_eq!(doc["Handshake"], "vpc-peering");
    }
}
