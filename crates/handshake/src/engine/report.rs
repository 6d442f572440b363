//! What an invocation answers: one report per resource, and the invocation's own.

use serde::Serialize;

use crate::audit::{Counters, Outcome, Verdict};
use crate::decision::Check;
use crate::error::Error;
use crate::model::Finding;

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
    /// The first failure a retry of the invocation can help with, as AWS gave it.
    #[serde(skip)]
    pub retry: Option<Error>,
    #[serde(skip)]
    pub counters: Counters,
}

impl Report {
    pub(super) fn new(resource_id: &str) -> Self {
        Self {
            resource_id: resource_id.to_string(),
            verdict: Verdict::Skip,
            reason: String::new(),
            actions: Vec::new(),
            findings: Vec::new(),
            error: None,
            retry: None,
            counters: Counters::default(),
        }
    }

    /// Counts a failure; keeps the first retryable one to fail the invocation with.
    pub(super) fn failed(&mut self, err: &Error) {
        self.counters.failures += 1;
        self.error = Some(err.to_string());
        if err.is_retryable() && self.retry.is_none() {
            self.retry = Some(err.clone());
        }
    }
}

/// What one invocation did; also the function's response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationReport {
    pub handshake: &'static str,
    pub trigger: String,
    pub dry_run: bool,
    /// The once-per-invocation checks ([`super::Handshake::checks`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    pub reports: Vec<Report>,
    pub counters: Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
