//! The PeerRole decision: a pure function of configuration and observation.

use aws_smithy_types::DateTime;

use super::model::{
    format_time, parse_time, peer_role_name, ChangeSetStatus, ExecutionStatus, Observation,
    PeerRoleAction, Stack, StackStatus, StackStatusClass, StackUpdate, CAPABILITIES,
    CHANGE_SET_PREFIX, CREATE_PEER_ROLE, EXPIRES_PARAMETER,
};
use super::PeerRoleConfig;
use crate::audit::Verdict;
use crate::decision::Decision;
use crate::model::{Finding, FindingKind};
use crate::peering::{Peering, PeeringState};

/// After an update of the stack rolled back, how long the removal waits before trying again.
pub const ROLLBACK_BACKOFF_SECS: i64 = 3600;

/// The end of the time box: the earlier of `PEER_ROLE_EXPIRES_AT` and the stack's
/// `PeerRoleExpiresAt` parameter (the value the trust policy holds), when either is set.
pub fn effective_expiry(config: &PeerRoleConfig, stack: &Stack) -> Option<DateTime> {
    let from_stack = stack
        .parameters
        .get(EXPIRES_PARAMETER)
        .and_then(|t| parse_time(t).ok());
    match (config.expires_at, from_stack) {
        (Some(a), Some(b)) => Some(if b.secs() < a.secs() { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Astro Hybrid peerings in `state`: requested by a `PEER_OWNER_IDS` account into one of
/// the accepter VPCs.
fn astro_peerings<'a>(
    config: &PeerRoleConfig,
    peerings: &'a [Peering],
    state: &PeeringState,
) -> Vec<&'a Peering> {
    peerings
        .iter()
        .filter(|p| {
            &p.state == state
                && config.peer_owner_ids.contains(&p.requester.owner_id)
                && config.accepter_vpc_ids.contains(&p.accepter.vpc_id)
        })
        .collect()
}

pub fn decide(config: &PeerRoleConfig, o: &Observation) -> Decision<PeerRoleAction> {
    let Some(stack) = &o.stack else {
        let mut d = Decision::new(
            Verdict::Ignore,
            format!(
                "stack {} does not exist or is not visible; check STACK_NAME",
                o.stack_name
            ),
            None,
        );
        d.findings.push(Finding {
            kind: FindingKind::Missing,
            detail: format!(
                "CloudFormation stack {} (STACK_NAME) not found",
                o.stack_name
            ),
        });
        return d;
    };
    let Some(flag) = stack.parameters.get(CREATE_PEER_ROLE) else {
        return Decision::new(
            Verdict::Ignore,
            format!("stack {} has no {CREATE_PEER_ROLE} parameter; not an astro-handshake stack, left untouched", stack.name),
            None,
        );
    };
    if flag != "true" {
        if o.role_exists == Some(true) {
            let role = peer_role_name(&stack.name);
            let mut d = Decision::new(
                Verdict::Ignore,
                format!("{CREATE_PEER_ROLE}={flag} on stack {}, yet role {role} still exists; left to a person", stack.name),
                None,
            );
            d.findings.push(finding(
                FindingKind::RoleStillPresent,
                format!("stack {} has no PeerRole, but IAM still has {role}: delete it, or find out who made it", stack.name),
            ));
            return d;
        }
        return Decision::new(
            Verdict::Skip,
            format!(
                "{CREATE_PEER_ROLE}={flag} on stack {} ({}): no PeerRole; in sync",
                stack.name, stack.status
            ),
            None,
        );
    }

    let expiry = effective_expiry(config, stack);
    let active = astro_peerings(config, &o.peerings, &PeeringState::Active);
    let (why, requester) = if let Some(p) = active.first() {
        (
            format!(
                "Astro peering {} from {} is active",
                p.id, p.requester.owner_id
            ),
            Some(p.requester.owner_id.clone()),
        )
    } else if let Some(at) = expiry.filter(|at| o.now.secs() >= at.secs()) {
        (
            format!("the PeerRole's time box ended at {}", format_time(&at)),
            None,
        )
    } else {
        return keep(config, o, expiry);
    };
    remove(stack, o, &why, requester)
}

/// The PeerRole is to go: through a change set of this project's, executed only when its one
/// change removes the role, and never through a stack service role.
fn remove(
    stack: &Stack,
    o: &Observation,
    why: &str,
    requester: Option<String>,
) -> Decision<PeerRoleAction> {
    let say = |verdict, reason: String| Decision::new(verdict, reason, requester.clone());
    let refuse = |reason: String, kind: FindingKind, detail: String| {
        let mut d = say(Verdict::Ignore, reason);
        d.findings.push(finding(kind, detail));
        d
    };
    let name = &stack.name;
    if let Some(role) = &stack.role_arn {
        return refuse(
            format!("{why}, but stack {name} runs with the service role {role}; not removed here"),
            FindingKind::StackServiceRole,
            format!("stack {name} has the service role {role}: CloudFormation would remove the PeerRole with that role's power; deploy the stack with {CREATE_PEER_ROLE}=false instead"),
        );
    }
    match stack.status.class() {
        StackStatusClass::InProgress => {
            let mut d = say(
                Verdict::Wait,
                format!("{why}, but stack {name} is {}; waiting for it", stack.status),
            );
            // This project's own removal finishes within moments; anyone else's update is
            // left to a later sweep.
            d.settling = o.change_set.is_some();
            return d;
        }
        StackStatusClass::Stuck => {
            return say(
                Verdict::Ignore,
                format!(
                    "{why}, but stack {name} is {} and cannot be updated; fix the stack, then deploy it with {CREATE_PEER_ROLE}=false",
                    stack.status
                ),
            )
        }
        StackStatusClass::Updatable => {}
    }
    if stack.status == StackStatus::UpdateRollbackComplete {
        let retry = stack.changed_at.map(|at| at.secs() + ROLLBACK_BACKOFF_SECS);
        if let Some(at) = retry.filter(|at| o.now.secs() < *at) {
            let at = format_time(&DateTime::from_secs(at));
            let mut d = say(
                Verdict::Wait,
                format!("{why}, but the last update of stack {name} rolled back; trying again after {at}"),
            );
            d.findings.push(finding(
                FindingKind::RolledBack,
                format!("the last update of stack {name} rolled back; the PeerRole's removal waits until {at}"),
            ));
            return d;
        }
    }
    let update = removal(stack);
    let stack_id = stack_ref(stack);
    let Some(cs) = &o.change_set else {
        let mut d = say(
            Verdict::Accept,
            format!(
                "{why}; preparing the PeerRole's removal: change set {} on stack {name} with {CREATE_PEER_ROLE}=false, previous template and values",
                update.change_set
            ),
        );
        // What follows once CloudFormation has computed it, as a dry run shows it.
        d.deferred.push(PeerRoleAction::RemovePeerRole {
            stack: update.stack.clone(),
            change_set: update.change_set.clone(),
        });
        d.plan.push(PeerRoleAction::PrepareRemoval(update));
        return d;
    };
    let busy = matches!(
        cs.status,
        ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress
    ) || cs.execution == ExecutionStatus::ExecuteInProgress;
    if busy {
        let mut d = say(
            Verdict::Wait,
            format!(
                "{why}; change set {} is {} ({}); waiting for it",
                cs.name, cs.status, cs.execution
            ),
        );
        d.settling = true;
        return d;
    }
    if cs.name != update.change_set {
        // Made for an earlier state of the stack: replaced by one for this state.
        let mut d = say(
            Verdict::Accept,
            format!(
                "{why}; change set {} was made before the stack's last change; discarding it for a new one",
                cs.name
            ),
        );
        d.plan.push(PeerRoleAction::DiscardChangeSet {
            stack: stack_id,
            change_set: cs.name.clone(),
        });
        return d;
    }
    match (&cs.status, &cs.execution) {
        (ChangeSetStatus::CreateComplete, ExecutionStatus::Available)
            if cs.only_removes_the_peer_role() =>
        {
            let mut d = say(
                Verdict::Accept,
                format!("{why}; removing the PeerRole: executing change set {}, whose one change removes it", cs.name),
            );
            d.plan.push(PeerRoleAction::RemovePeerRole {
                stack: stack_id,
                change_set: cs.name.clone(),
            });
            d
        }
        // Never executed, and deleted so that no one executes it by mistake; the finding holds
        // what it would have changed. The next sweep computes a fresh one, so a stack put right
        // proceeds on its own, and one left as it is alarms again.
        (ChangeSetStatus::CreateComplete, _) => {
            let changes: Vec<String> = cs.changes.iter().map(|c| c.to_string()).collect();
            let mut d = refuse(
                format!("{why}, but change set {} would change more than the PeerRole; deleting it unexecuted", cs.name),
                FindingKind::UnexpectedChange,
                format!(
                    "change set {} on stack {name} would make: {}; only the PeerRole's removal is allowed, so it was deleted unexecuted. Deploy the stack with {CREATE_PEER_ROLE}=false yourself",
                    cs.name,
                    if changes.is_empty() { "no change".to_string() } else { changes.join(", ") }
                ),
            );
            d.plan.push(PeerRoleAction::DiscardChangeSet {
                stack: stack_id,
                change_set: cs.name.clone(),
            });
            d.last_round = true;
            d
        }
        _ => {
            let mut d = refuse(
                format!("{why}, but change set {} is {}; deleting it unexecuted", cs.name, cs.status),
                FindingKind::UnexpectedChange,
                format!(
                    "change set {} on stack {name} is {}: {}. Deleted unexecuted; deploy the stack with {CREATE_PEER_ROLE}=false yourself",
                    cs.name, cs.status, cs.status_reason
                ),
            );
            d.plan.push(PeerRoleAction::DiscardChangeSet {
                stack: stack_id,
                change_set: cs.name.clone(),
            });
            d.last_round = true;
            d
        }
    }
}

fn finding(kind: FindingKind, detail: String) -> Finding {
    Finding { kind, detail }
}

/// The stack's ARN, or its name when the API gave none.
fn stack_ref(stack: &Stack) -> String {
    if stack.id.is_empty() {
        stack.name.clone()
    } else {
        stack.id.clone()
    }
}

/// The role is still needed: no active Astro peering and the time box is open.
fn keep(
    config: &PeerRoleConfig,
    o: &Observation,
    expiry: Option<DateTime>,
) -> Decision<PeerRoleAction> {
    let until = match expiry {
        Some(at) => format!("its time box is open until {}", format_time(&at)),
        None => format!("it has no time box ({EXPIRES_PARAMETER} is empty)"),
    };
    let provisioning = astro_peerings(config, &o.peerings, &PeeringState::Provisioning);
    let pending = astro_peerings(config, &o.peerings, &PeeringState::PendingAcceptance);
    let progress = match (provisioning.first(), pending.first()) {
        (Some(p), _) => format!("Astro peering {} is provisioning", p.id),
        (None, Some(p)) => format!("Astro peering {} is pending acceptance", p.id),
        (None, None) => "no Astro peering yet".to_string(),
    };
    let mut d = Decision::new(
        Verdict::Wait,
        format!("PeerRole kept: {progress}, and {until}"),
        None,
    );
    // Provisioning turns active within seconds: worth a short wait in this invocation.
    d.settling = !provisioning.is_empty();
    d
}

/// The change set that removes the PeerRole: the previous template, `CreatePeerRole=false`,
/// every other parameter at its previous value; named after the stack's last change, so one
/// attempt is one change set.
fn removal(stack: &Stack) -> StackUpdate {
    StackUpdate {
        stack: stack_ref(stack),
        change_set: format!(
            "{CHANGE_SET_PREFIX}{}",
            stack.changed_at.map(|at| at.secs()).unwrap_or_default()
        ),
        set: vec![(CREATE_PEER_ROLE.to_string(), "false".to_string())],
        keep: stack
            .parameters
            .keys()
            .filter(|k| *k != CREATE_PEER_ROLE)
            .cloned()
            .collect(),
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    use super::*;
    use crate::decision::Action;
    use crate::peer_role::model::{ChangeAction, ChangeSet, ResourceChange};
    use crate::peering::VpcEnd;

    const ASTRO: &str = "111111111111";
    const STRANGER: &str = "333333333333";
    const VPC: &str = "vpc-0123456789abcdef0";
    const OTHER_VPC: &str = "vpc-0fedcba987654321f";
    /// 2026-12-01T00:00:00Z
    const EXPIRES: i64 = 1_796_083_200;

    fn config() -> PeerRoleConfig {
        PeerRoleConfig {
            stack_name: "astro-handshake".into(),
            expires_at: Some(DateTime::from_secs(EXPIRES)),
            peer_owner_ids: BTreeSet::from([ASTRO.to_string()]),
            accepter_vpc_ids: BTreeSet::from([VPC.to_string()]),
            dry_run: false,
            metrics_namespace: "AstroHandshake".into(),
            settle_wait: Duration::from_secs(20),
        }
    }

    fn stack(status: &str, create: &str) -> Stack {
        let parameters: BTreeMap<String, String> = [
            ("AstroAccountIds", ASTRO),
            ("AccepterVpcIds", VPC),
            (CREATE_PEER_ROLE, create),
            ("PeerOwnerIds", ASTRO),
            ("PeerRoleExternalId", "ext"),
            (EXPIRES_PARAMETER, "2026-12-01T00:00:00Z"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Stack {
            id: "arn:aws:cloudformation:us-east-1:222222222222:stack/astro-handshake/abc".into(),
            name: "astro-handshake".into(),
            status: StackStatus::parse(status),
            parameters,
            changed_at: Some(DateTime::from_secs(1_790_000_000)),
            role_arn: None,
        }
    }

    fn peering(id: &str, owner: &str, accepter_vpc: &str, state: PeeringState) -> Peering {
        Peering {
            id: id.into(),
            state,
            requester: VpcEnd {
                owner_id: owner.into(),
                vpc_id: "vpc-0aaaaaaaaaaaaaaa1".into(),
                region: "us-east-1".into(),
                cidrs: vec!["10.100.0.0/16".into()],
            },
            accepter: VpcEnd {
                owner_id: "222222222222".into(),
                vpc_id: accepter_vpc.into(),
                region: "us-east-1".into(),
                cidrs: vec!["10.0.0.0/16".into()],
            },
            accepter_dns_resolution: false,
            tags: BTreeMap::new(),
        }
    }

    fn observe(stack: Option<Stack>, peerings: Vec<Peering>, now: i64) -> Observation {
        Observation {
            stack_name: "astro-handshake".into(),
            stack,
            peerings,
            change_set: None,
            role_exists: None,
            now: DateTime::from_secs(now),
        }
    }

    const CHANGE_SET: &str = "astro-handshake-remove-peer-role-1790000000";

    fn change_set(status: &str, execution: &str, changes: &[(&str, &str, &str)]) -> ChangeSet {
        ChangeSet {
            name: CHANGE_SET.into(),
            status: ChangeSetStatus::parse(status),
            execution: ExecutionStatus::parse(execution),
            status_reason: String::new(),
            changes: changes
                .iter()
                .map(|(action, id, kind)| ResourceChange {
                    action: ChangeAction::parse(action),
                    logical_id: id.to_string(),
                    resource_type: kind.to_string(),
                })
                .collect(),
        }
    }

    /// The observation with the removal's change set in `cs`.
    fn discard(change_set: &str) -> PeerRoleAction {
        PeerRoleAction::DiscardChangeSet {
            stack: stack("UPDATE_COMPLETE", "true").id,
            change_set: change_set.into(),
        }
    }

    fn with_change_set(cs: ChangeSet) -> Observation {
        let mut o = observe(
            Some(stack("UPDATE_COMPLETE", "true")),
            vec![active_astro()],
            before_expiry(),
        );
        o.change_set = Some(cs);
        o
    }

    fn before_expiry() -> i64 {
        EXPIRES - 3600
    }

    fn active_astro() -> Peering {
        peering("pcx-0000000a", ASTRO, VPC, PeeringState::Active)
    }

    fn the_update(d: &Decision<PeerRoleAction>) -> &StackUpdate {
        assert_eq!(d.plan.len(), 1, "{}", d.reason);
        let PeerRoleAction::PrepareRemoval(u) = &d.plan[0] else {
            panic!("{:?}", d.plan)
        };
        u
    }

    #[test]
    fn active_astro_peering_removes_the_role_with_previous_template_and_values() {
        let o = observe(
            Some(stack("UPDATE_COMPLETE", "true")),
            vec![active_astro()],
            before_expiry(),
        );
        let d = decide(&config(), &o);
        assert_eq!(d.verdict, Verdict::Accept);
        assert!(
            d.reason.contains("pcx-0000000a") && d.reason.contains("active"),
            "{}",
            d.reason
        );
        assert_eq!(d.requester_account.as_deref(), Some(ASTRO));
        let u = the_update(&d);
        assert_eq!(
            u.stack,
            "arn:aws:cloudformation:us-east-1:222222222222:stack/astro-handshake/abc"
        );
        assert_eq!(
            u.set,
            vec![(CREATE_PEER_ROLE.to_string(), "false".to_string())]
        );
        assert_eq!(
            u.keep,
            vec![
                "AccepterVpcIds",
                "AstroAccountIds",
                "PeerOwnerIds",
                "PeerRoleExpiresAt",
                "PeerRoleExternalId"
            ]
        );
        assert_eq!(
            u.capabilities,
            vec![
                "CAPABILITY_IAM",
                "CAPABILITY_NAMED_IAM",
                "CAPABILITY_AUTO_EXPAND"
            ]
        );
        assert_eq!(
            u.change_set, CHANGE_SET,
            "named after the stack's last change"
        );
        assert!(d.findings.is_empty());
        assert_eq!(
            d.plan[0].target(),
            format!("{} {CHANGE_SET} (CreatePeerRole=false)", u.stack)
        );
        assert_eq!(d.plan[0].name(), "prepare-peer-role-removal");
    }

    #[test]
    fn every_parameter_but_create_peer_role_keeps_its_previous_value() {
        // The plan never names a value for anything else: a NoEcho parameter (shown as ****)
        // or one the customer changed stays as CloudFormation holds it.
        let mut s = stack("CREATE_COMPLETE", "true");
        s.parameters.insert("Secret".into(), "****".into());
        let d = decide(
            &config(),
            &observe(Some(s.clone()), vec![active_astro()], before_expiry()),
        );
        let u = the_update(&d);
        assert_eq!(u.set.len(), 1);
        assert_eq!(u.keep.len(), s.parameters.len() - 1);
        assert!(u.keep.contains(&"Secret".to_string()));
        assert!(!u.keep.contains(&CREATE_PEER_ROLE.to_string()));
    }

    #[test]
    fn time_box_edges() {
        let s = Some(stack("CREATE_COMPLETE", "true"));
        let at = |now| decide(&config(), &observe(s.clone(), vec![], now));
        // One second before the end: kept (the trust policy still admits Astro).
        let d = at(EXPIRES - 1);
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.plan.is_empty() && !d.settling);
        assert!(
            d.reason.contains("open until 2026-12-01T00:00:00Z"),
            "{}",
            d.reason
        );
        // At the end exactly: aws:CurrentTime DateLessThan fails, the role is useless: removed.
        let d = at(EXPIRES);
        assert_eq!(d.verdict, Verdict::Accept);
        assert!(
            d.reason.contains("time box ended at 2026-12-01T00:00:00Z"),
            "{}",
            d.reason
        );
        assert_eq!(the_update(&d).set[0].1, "false");
        // Long after: removed.
        assert_eq!(at(EXPIRES + 86_400 * 365).plan.len(), 1);
    }

    #[test]
    fn no_time_box_keeps_the_role_until_the_peering_is_active() {
        let mut c = config();
        c.expires_at = None;
        let mut s = stack("CREATE_COMPLETE", "true");
        s.parameters.insert(EXPIRES_PARAMETER.into(), String::new());
        let d = decide(&c, &observe(Some(s.clone()), vec![], i64::from(i32::MAX)));
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.reason.contains("no time box"), "{}", d.reason);
        assert_eq!(
            decide(&c, &observe(Some(s), vec![active_astro()], 0))
                .plan
                .len(),
            1
        );
    }

    #[test]
    fn the_earlier_of_configuration_and_stack_parameter_ends_the_time_box() {
        let mut s = stack("CREATE_COMPLETE", "true");
        s.parameters
            .insert(EXPIRES_PARAMETER.into(), "2026-06-01T00:00:00Z".into());
        let june = parse_time("2026-06-01T00:00:00Z").unwrap();
        assert_eq!(effective_expiry(&config(), &s), Some(june));
        let mut later = config();
        later.expires_at = Some(parse_time("2025-01-01T00:00:00Z").unwrap());
        assert_eq!(effective_expiry(&later, &s), later.expires_at);
        // An unreadable stack value falls back to the configuration; neither set: none.
        s.parameters.insert(EXPIRES_PARAMETER.into(), "soon".into());
        assert_eq!(effective_expiry(&config(), &s), config().expires_at);
        let mut none = config();
        none.expires_at = None;
        assert_eq!(effective_expiry(&none, &s), None);
        s.parameters
            .insert(EXPIRES_PARAMETER.into(), "2026-06-01T00:00:00Z".into());
        assert_eq!(effective_expiry(&none, &s), Some(june));
    }

    #[test]
    fn only_active_peerings_from_peer_owners_into_accepter_vpcs_count() {
        let s = Some(stack("CREATE_COMPLETE", "true"));
        let not_ours = vec![
            peering("pcx-0000000b", STRANGER, VPC, PeeringState::Active),
            peering("pcx-0000000c", ASTRO, OTHER_VPC, PeeringState::Active),
            peering("pcx-0000000d", ASTRO, VPC, PeeringState::PendingAcceptance),
            peering("pcx-0000000e", ASTRO, VPC, PeeringState::Deleted),
        ];
        let d = decide(&config(), &observe(s, not_ours, before_expiry()));
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.plan.is_empty());
        assert!(
            d.reason.contains("pcx-0000000d is pending acceptance"),
            "{}",
            d.reason
        );
        assert!(
            !d.settling,
            "pending acceptance can take days: no waiting in the invocation"
        );
    }

    #[test]
    fn a_provisioning_peering_is_worth_a_short_wait() {
        let s = Some(stack("CREATE_COMPLETE", "true"));
        let d = decide(
            &config(),
            &observe(
                s,
                vec![peering(
                    "pcx-0000000f",
                    ASTRO,
                    VPC,
                    PeeringState::Provisioning,
                )],
                0,
            ),
        );
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.settling && d.plan.is_empty());
        assert!(d.reason.contains("provisioning"), "{}", d.reason);
    }

    #[test]
    fn a_change_set_that_only_removes_the_role_is_executed() {
        let cs = change_set(
            "CREATE_COMPLETE",
            "AVAILABLE",
            &[("Remove", "PeerRole", "AWS::IAM::Role")],
        );
        let d = decide(&config(), &with_change_set(cs));
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(
            d.plan,
            [PeerRoleAction::RemovePeerRole {
                stack: stack("UPDATE_COMPLETE", "true").id,
                change_set: CHANGE_SET.into()
            }]
        );
        assert_eq!(d.plan[0].name(), "remove-peer-role");
        assert!(d.findings.is_empty());
    }

    #[test]
    fn a_change_set_that_changes_anything_else_is_never_executed_and_alarmed() {
        for changes in [
            &[
                ("Remove", "PeerRole", "AWS::IAM::Role"),
                ("Modify", "PeeringFunction", "AWS::Lambda::Function"),
            ][..],
            &[("Remove", "PeeringRole", "AWS::IAM::Role")][..],
            &[("Modify", "PeerRole", "AWS::IAM::Role")][..],
            &[][..],
        ] {
            let d = decide(
                &config(),
                &with_change_set(change_set("CREATE_COMPLETE", "AVAILABLE", changes)),
            );
            assert_eq!(d.verdict, Verdict::Ignore, "{changes:?}");
            assert_eq!(d.plan, [discard(CHANGE_SET)], "deleted, never executed");
            assert!(d.last_round, "not prepared again in the same sweep");
            assert_eq!(d.findings[0].kind, FindingKind::UnexpectedChange);
            assert!(d.findings[0].detail.contains(CHANGE_SET));
        }
        let mut failed = change_set("FAILED", "UNAVAILABLE", &[]);
        failed.status_reason = "The submitted information didn't contain changes.".into();
        let d = decide(&config(), &with_change_set(failed));
        assert_eq!(d.plan, [discard(CHANGE_SET)]);
        assert!(d.findings[0].detail.contains("didn't contain changes"));
    }

    #[test]
    fn a_change_set_made_before_the_stack_changed_is_discarded() {
        let mut stale = change_set(
            "CREATE_COMPLETE",
            "AVAILABLE",
            &[("Modify", "Queue", "AWS::SQS::Queue")],
        );
        stale.name = "astro-handshake-remove-peer-role-1700000000".into();
        let d = decide(&config(), &with_change_set(stale));
        assert_eq!(
            d.plan,
            [discard("astro-handshake-remove-peer-role-1700000000")]
        );
        assert!(!d.last_round, "a fresh one follows in the same sweep");
        assert!(d.findings.is_empty());
    }

    #[test]
    fn a_change_set_being_computed_or_executed_is_waited_for() {
        for (status, execution) in [
            ("CREATE_PENDING", "UNAVAILABLE"),
            ("CREATE_IN_PROGRESS", "UNAVAILABLE"),
            ("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS"),
        ] {
            let d = decide(
                &config(),
                &with_change_set(change_set(status, execution, &[])),
            );
            assert_eq!(d.verdict, Verdict::Wait, "{status} {execution}");
            assert!(d.plan.is_empty() && d.settling, "{status} {execution}");
        }
        // Its execution under way: the stack is in progress, worth the short wait.
        let mut o = with_change_set(change_set("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS", &[]));
        o.stack.as_mut().unwrap().status = StackStatus::UpdateInProgress;
        assert!(decide(&config(), &o).settling);
    }

    #[test]
    fn a_role_iam_still_has_after_its_removal_is_a_finding() {
        let mut o = observe(Some(stack("UPDATE_COMPLETE", "false")), vec![], EXPIRES);
        o.role_exists = Some(true);
        let d = decide(&config(), &o);
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
        assert_eq!(d.findings[0].kind, FindingKind::RoleStillPresent);
        assert!(d.findings[0]
            .detail
            .contains("astro-handshake-astro-peer-role"));
        o.role_exists = Some(false);
        assert_eq!(decide(&config(), &o).verdict, Verdict::Skip);
    }

    #[test]
    fn no_role_means_in_sync_and_nothing_is_read_or_planned() {
        for status in [
            "UPDATE_COMPLETE",
            "UPDATE_IN_PROGRESS",
            "UPDATE_ROLLBACK_FAILED",
        ] {
            let d = decide(
                &config(),
                &observe(
                    Some(stack(status, "false")),
                    vec![active_astro()],
                    EXPIRES + 1,
                ),
            );
            assert_eq!(d.verdict, Verdict::Skip, "{status}");
            assert!(d.plan.is_empty() && d.findings.is_empty());
            assert!(
                d.reason.contains("in sync") && d.reason.contains(status),
                "{}",
                d.reason
            );
        }
    }

    #[test]
    fn stack_in_progress_waits_for_the_next_sweep() {
        for status in [
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "CREATE_IN_PROGRESS",
            "REVIEW_IN_PROGRESS",
        ] {
            let d = decide(
                &config(),
                &observe(Some(stack(status, "true")), vec![active_astro()], 0),
            );
            assert_eq!(d.verdict, Verdict::Wait, "{status}");
            assert!(d.plan.is_empty(), "{status}");
            // Someone else's update takes minutes: no waiting inside a 60 s invocation.
            assert!(!d.settling, "{status}");
            assert!(d.reason.contains(status));
        }
    }

    #[test]
    fn stack_that_cannot_be_updated_is_left_to_a_person() {
        for status in [
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "UPDATE_FAILED",
            "DELETE_FAILED",
            "DELETE_COMPLETE",
        ] {
            let d = decide(
                &config(),
                &observe(Some(stack(status, "true")), vec![], EXPIRES),
            );
            assert_eq!(d.verdict, Verdict::Ignore, "{status}");
            assert!(d.plan.is_empty());
            assert!(d.reason.contains("cannot be updated"), "{}", d.reason);
        }
    }

    #[test]
    fn after_a_rolled_back_update_the_removal_backs_off_and_alarms() {
        let s = Some(stack("UPDATE_ROLLBACK_COMPLETE", "true"));
        let rolled_back = 1_790_000_000;
        // Within the hour after the rollback: a finding on every sweep, no attempt.
        for now in [rolled_back, rolled_back + ROLLBACK_BACKOFF_SECS - 1] {
            let d = decide(&config(), &observe(s.clone(), vec![active_astro()], now));
            assert_eq!(d.verdict, Verdict::Wait);
            assert!(d.plan.is_empty());
            assert_eq!(d.findings[0].kind, FindingKind::RolledBack);
            assert!(d.reason.contains("trying again after"), "{}", d.reason);
        }
        // Then tried again.
        let later = rolled_back + ROLLBACK_BACKOFF_SECS;
        let d = decide(&config(), &observe(s, vec![active_astro()], later));
        assert_eq!(the_update(&d).set[0].1, "false");
        assert!(d.findings.is_empty());
    }

    #[test]
    fn a_stack_with_a_service_role_is_refused_and_alarmed() {
        let mut s = stack("UPDATE_COMPLETE", "true");
        s.role_arn = Some("arn:aws:iam::222222222222:role/deployer".into());
        let d = decide(&config(), &observe(Some(s), vec![active_astro()], 0));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
        assert_eq!(d.findings[0].kind, FindingKind::StackServiceRole);
        assert!(
            d.findings[0]
                .detail
                .contains("arn:aws:iam::222222222222:role/deployer"),
            "{:?}",
            d.findings
        );
        // A change set never carries a role: StackUpdate has no field for one.
        let d = decide(
            &config(),
            &observe(
                Some(stack("UPDATE_COMPLETE", "true")),
                vec![active_astro()],
                0,
            ),
        );
        let fields = serde_json::to_value(the_update(&d)).unwrap();
        assert!(
            fields
                .as_object()
                .unwrap()
                .keys()
                .all(|k| !k.to_lowercase().contains("role")),
            "{fields}"
        );
    }

    #[test]
    fn missing_stack_is_a_finding() {
        let d = decide(&config(), &observe(None, vec![], 0));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].kind, FindingKind::Missing);
        assert!(d.reason.contains("STACK_NAME"));
    }

    #[test]
    fn stack_without_the_parameter_is_left_alone() {
        let mut s = stack("CREATE_COMPLETE", "true");
        s.parameters.remove(CREATE_PEER_ROLE);
        let d = decide(&config(), &observe(Some(s), vec![active_astro()], EXPIRES));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
    }

    #[test]
    fn a_stack_with_no_time_or_arn_is_named_plainly() {
        let mut s = stack("CREATE_COMPLETE", "true");
        s.changed_at = None;
        s.id = String::new();
        let d = decide(&config(), &observe(Some(s), vec![active_astro()], 0));
        let u = the_update(&d);
        assert_eq!(u.change_set, "astro-handshake-remove-peer-role-0");
        assert_eq!(u.stack, "astro-handshake");
    }

    #[test]
    fn status_classes() {
        use StackStatusClass::*;
        for (status, class) in [
            ("CREATE_COMPLETE", Updatable),
            ("UPDATE_COMPLETE", Updatable),
            ("UPDATE_ROLLBACK_COMPLETE", Updatable),
            ("IMPORT_COMPLETE", Updatable),
            ("IMPORT_ROLLBACK_COMPLETE", Updatable),
            ("ROLLBACK_COMPLETE", Stuck),
            ("DELETE_COMPLETE", Stuck),
            ("CREATE_FAILED", Stuck),
            ("ROLLBACK_FAILED", Stuck),
            ("SOMETHING_NEW", Stuck),
            ("DELETE_IN_PROGRESS", InProgress),
            ("IMPORT_ROLLBACK_IN_PROGRESS", InProgress),
        ] {
            assert_eq!(StackStatus::parse(status).class(), class, "{status}");
        }
    }
}
