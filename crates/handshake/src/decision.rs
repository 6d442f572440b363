//! The pure types every handshake's decision is made of: the verdict with its plan of writes
//! ([`Decision`]), what a write is ([`Action`]) and what it returned ([`Written`]), and the
//! outcome of a once-per-invocation check ([`Check`]). No I/O here.

use serde::Serialize;

use crate::audit::Verdict;
use crate::config::UnknownRequests;
use crate::model::{AwsValue, Finding};

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
    /// The plan is the last this invocation makes for the resource: it cleans up after a
    /// refusal, and looking again at once would only start over. The next sweep looks afresh.
    pub last_round: bool,
    /// Once every write of the plan is done, the resource is converged: the loop does not
    /// look at it again (the next sweep does). An allowed resource in its working state
    /// plans everything it lacks at once ([`Decision::converging`]).
    pub complete: bool,
}

/// The state of a request the customer side accepts or refuses (a peering, an attachment).
pub trait RequestState: AwsValue + PartialEq + Sized {
    /// What the request is, for reasons (`peering`, `attachment`).
    const WHAT: &'static str;
    /// The state in which it waits for acceptance.
    const PENDING: Self;

    fn is_pending(&self) -> bool {
        *self == Self::PENDING
    }
}

/// A request that failed validation, as [`Decision::refused`] needs it.
#[derive(Debug, Clone)]
pub struct Refusal<'a> {
    /// Why it may not be accepted.
    pub why: String,
    pub requester_account: Option<String>,
    /// Whether it still waits for acceptance: the only time it may be rejected.
    pub pending: bool,
    /// What it is and the state it is in, for the reason (`peering`, `active`).
    pub what: &'a str,
    pub state: &'a str,
}

impl<'a> Refusal<'a> {
    /// A request in `state`, refused for each of `why`.
    pub fn of<S: RequestState>(
        state: &'a S,
        why: &[String],
        requester_account: Option<String>,
    ) -> Self {
        Self {
            why: why.join("; "),
            requester_account,
            pending: state.is_pending(),
            what: S::WHAT,
            state: state.as_str(),
        }
    }
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
            last_round: false,
            complete: false,
        }
    }

    /// An allowed resource in its working state (`state`: "active", "available"): accepted,
    /// with the writes still missing, all of them ([`Decision::complete`]); "in sync" when
    /// there are none.
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
        d.complete = true;
        d
    }

    /// The one rule for a request that failed validation: rejected only while it is pending
    /// and the customer chose `UnknownRequests=reject`; otherwise left untouched.
    pub fn refused(
        refusal: Refusal<'_>,
        unknown_requests: UnknownRequests,
        reject: impl FnOnce() -> A,
    ) -> Self {
        let Refusal {
            why,
            requester_account,
            pending,
            what,
            state,
        } = refusal;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(pending: bool) -> Refusal<'static> {
        Refusal {
            why: "requester account 333333333333 is not in AstroAccountIds".into(),
            requester_account: Some("333333333333".into()),
            pending,
            what: "peering",
            state: if pending {
                "pending-acceptance"
            } else {
                "active"
            },
        }
    }

    #[test]
    fn a_refused_request_is_rejected_only_when_pending_and_asked() {
        let d = Decision::refused(refusal(true), UnknownRequests::Reject, || "reject");
        assert_eq!(
            (d.verdict, d.plan.clone()),
            (Verdict::Reject, vec!["reject"])
        );
        assert!(d.reason.ends_with("rejecting as UnknownRequests=reject"));

        let d = Decision::refused(refusal(true), UnknownRequests::Ignore, || "reject");
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
        assert!(d.reason.ends_with("left pending as UnknownRequests=ignore"));

        for unknown in [UnknownRequests::Reject, UnknownRequests::Ignore] {
            let d = Decision::refused(refusal(false), unknown, || "reject");
            assert_eq!(d.verdict, Verdict::Ignore);
            assert!(d.plan.is_empty());
            assert!(d.reason.ends_with("peering is active, left untouched"));
            assert_eq!(d.requester_account.as_deref(), Some("333333333333"));
        }
    }

    #[test]
    fn converging_says_what_is_left() {
        let d = Decision::converging("active", None, vec!["a", "b"], vec![]);
        assert_eq!(d.reason, "allowed and active; 2 write(s) to converge");
        let d: Decision<&str> = Decision::converging("available", None, vec![], vec![]);
        assert_eq!(d.reason, "allowed and available; in sync");
        assert_eq!(d.verdict, Verdict::Accept);
    }
}
