//! The Transit Gateway decisions: pure functions of configuration and observation.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;

use super::model::{
    back_route_table, AssociationState, Attachment, AttachmentState, Observation, ResourceShare,
    ShareAssociationStatus, ShareExpectation, ShareStatus, Surroundings, TgwAction, TgwRouteSpec,
    TgwRouteTable, TgwRouteType, TransitGateway,
};
use super::TgwConfig;
use crate::audit::Verdict;
use crate::cidr;
use crate::decision::{Check, Decision, Refusal};
use crate::model::{plan_routes, Finding, FindingKind, RouteTarget};

fn finding(kind: FindingKind, detail: String) -> Finding {
    Finding { kind, detail }
}

/// Why an attachment may not be accepted, if it may not: its VPC's owner is not an Astro
/// account, or (when `AstroVpcIds` is set) its VPC is not listed. The zones handshake takes
/// Astro's attachments by the same rule.
pub fn refusals(
    astro_account_ids: &BTreeSet<String>,
    astro_vpc_ids: &BTreeSet<String>,
    a: &Attachment,
) -> Vec<String> {
    let mut why = Vec::new();
    if !astro_account_ids.contains(&a.vpc_owner_id) {
        why.push(format!(
            "VPC owner account {} is not in AstroAccountIds",
            a.vpc_owner_id
        ));
    }
    if !astro_vpc_ids.is_empty() && !astro_vpc_ids.contains(&a.vpc_id) {
        why.push(format!("VPC {} is not in AstroVpcIds", a.vpc_id));
    }
    why
}

/// Whether the attachment is a VPC attachment on the configured TGW, from another account.
fn is_candidate(config: &TgwConfig, a: &Attachment) -> bool {
    a.resource_type == "vpc"
        && a.transit_gateway_id == config.transit_gateway_id
        && a.vpc_owner_id != a.transit_gateway_owner_id
}

/// The ids a sweep reconciles: every attachment from another account waiting for
/// acceptance, and the Astro accounts' attachments that are settling or available. Other
/// available attachments were decided when they were requested; re-deciding them on every
/// sweep would only repeat the same alarm.
pub fn sweep_ids(config: &TgwConfig, attachments: &[Attachment]) -> Vec<String> {
    let mut ids: Vec<String> = attachments
        .iter()
        .filter(|a| is_candidate(config, a))
        .filter(|a| match a.state {
            AttachmentState::PendingAcceptance => true,
            AttachmentState::Pending | AttachmentState::Available => {
                config.common.astro_account_ids.contains(&a.vpc_owner_id)
            }
            _ => false,
        })
        .map(|a| a.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub fn decide(config: &TgwConfig, observation: &Observation) -> Decision<TgwAction> {
    let a = &observation.attachment;
    let requester = Some(a.vpc_owner_id.clone()).filter(|o| !o.is_empty());
    let say = |verdict, reason: String| Decision::new(verdict, reason, requester.clone());

    if a.resource_type != "vpc" {
        return say(
            Verdict::Skip,
            format!(
                "{} is a {} attachment, not a VPC attachment; no writes",
                a.id, a.resource_type
            ),
        );
    }
    if a.transit_gateway_id != config.transit_gateway_id {
        return say(
            Verdict::Ignore,
            format!(
                "attachment is on {}, not on TransitGatewayId {}; left untouched",
                a.transit_gateway_id, config.transit_gateway_id
            ),
        );
    }
    if a.state.is_final() {
        return say(
            Verdict::Skip,
            format!("attachment is {}; no writes", a.state.as_str()),
        );
    }
    if a.vpc_owner_id == a.transit_gateway_owner_id {
        return say(
            Verdict::Skip,
            format!(
                "attachment of this account's own VPC {}; not an Astro attachment",
                a.vpc_id
            ),
        );
    }

    let why = refusals(&config.common.astro_account_ids, &config.astro_vpc_ids, a);
    if !why.is_empty() {
        let refusal = Refusal::of(&a.state, &why, requester);
        return Decision::refused(refusal, config.common.unknown_requests, || {
            TgwAction::Reject { id: a.id.clone() }
        });
    }

    let Some(s) = &observation.surroundings else {
        let mut d = say(
            Verdict::Wait,
            format!(
                "attachment is {}; waiting for it to settle",
                a.state.as_str()
            ),
        );
        d.settling = !matches!(
            a.state,
            AttachmentState::PendingAcceptance | AttachmentState::Available
        );
        return d;
    };
    let converge = converge(config, a, s);
    match a.state {
        AttachmentState::PendingAcceptance => {
            let mut d = say(
                Verdict::Accept,
                format!(
                    "attachment of {} (account {}) allowed; accepting",
                    a.vpc_id, a.vpc_owner_id
                ),
            );
            d.plan.push(TgwAction::Accept { id: a.id.clone() });
            d.deferred = converge.plan;
            d
        }
        AttachmentState::Available => {
            let mut d =
                Decision::converging("available", requester, converge.plan, converge.findings);
            d.settling = converge.settling;
            // An association still changing: look again after the writes.
            d.complete = !converge.settling;
            d
        }
        _ => {
            let mut d = say(
                Verdict::Wait,
                format!(
                    "attachment is {}; waiting for it to settle",
                    a.state.as_str()
                ),
            );
            d.settling = true;
            d
        }
    }
}

struct Converge {
    plan: Vec<TgwAction>,
    findings: Vec<Finding>,
    settling: bool,
}

/// Everything an allowed, available attachment still lacks: the route table association,
/// static back routes in the TGW route table, routes in the spoke VPCs.
///
/// The attachment is not tagged: each account keeps its own tags on a cross-account
/// attachment, and a TGW route or VPC route cannot carry tags; the audit trail names every
/// write instead.
fn converge(config: &TgwConfig, a: &Attachment, s: &Surroundings) -> Converge {
    let mut c = Converge {
        plan: Vec::new(),
        findings: Vec::new(),
        settling: false,
    };
    if s.transit_gateway.is_none() {
        c.findings.push(finding(
            FindingKind::Missing,
            format!(
                "TransitGatewayId {} does not exist or is not visible",
                config.transit_gateway_id
            ),
        ));
    }

    let table = route_table(config, a, s, &mut c.findings);
    if let (Some(table), Some(configured)) = (table, &config.route_table_id) {
        associate(a, table, configured, &mut c);
    }

    // The back route table is what tells whether a CIDR is already taken: without it,
    // nothing is routed, neither in the TGW nor in the spokes.
    let Some(table) = table else { return c };
    let cidrs = routable_cidrs(config, a, s, table, &mut c.findings);
    for cidr in &cidrs {
        let in_place = table.routes.iter().any(|r| {
            r.kind == TgwRouteType::Static
                && r.only_to(&a.id)
                && cidr::parse(&r.destination).ok().as_ref() == Some(cidr)
        });
        if !in_place {
            c.plan.push(TgwAction::CreateTgwRoute(TgwRouteSpec {
                route_table_id: table.id.clone(),
                destination: cidr.to_string(),
                attachment_id: a.id.clone(),
            }));
        }
    }
    for spoke in &s.spokes {
        if !spoke.found {
            c.findings.push(finding(
                FindingKind::Missing,
                format!("spoke VPC {} (TgwSpokeVpcIds) does not exist or is not visible; no routes added there", spoke.vpc_id),
            ));
            continue;
        }
        if !spoke.attached {
            c.findings.push(finding(
                FindingKind::Missing,
                format!(
                    "spoke VPC {} has no available attachment to {}; no routes added there",
                    spoke.vpc_id, config.transit_gateway_id
                ),
            ));
            continue;
        }
        let tables = config.route_tables.select(&spoke.route_tables);
        if tables.is_empty() {
            c.findings.push(finding(
                FindingKind::NoRouteTable,
                format!(
                    "route table selector `{}` picks no route table in {}; no routes added",
                    config.route_tables, spoke.vpc_id
                ),
            ));
        }
        let target = RouteTarget::TransitGateway(config.transit_gateway_id.clone());
        let (routes, conflicts) = plan_routes(&tables, &cidrs, &target);
        c.plan
            .extend(routes.into_iter().map(TgwAction::CreateRoute));
        c.findings.extend(conflicts);
    }
    c
}

/// The back route table, when it can be used; findings say why not.
fn route_table<'a>(
    config: &TgwConfig,
    a: &Attachment,
    s: &'a Surroundings,
    findings: &mut Vec<Finding>,
) -> Option<&'a TgwRouteTable> {
    let Some(id) = back_route_table(
        config.route_table_id.as_deref(),
        s.transit_gateway.as_ref(),
        a,
    ) else {
        findings.push(finding(
            FindingKind::NoRouteTable,
            format!(
                "TransitGatewayRouteTableId is empty, {} has no default association route table and {} is associated with none; no routes added",
                config.transit_gateway_id, a.id
            ),
        ));
        return None;
    };
    match &s.route_table {
        Some(t) if t.id == id && t.transit_gateway_id == config.transit_gateway_id => Some(t),
        Some(t) if t.id == id => {
            findings.push(finding(
                FindingKind::Missing,
                format!(
                    "TGW route table {id} belongs to {}, not {}; no association or routes",
                    t.transit_gateway_id, config.transit_gateway_id
                ),
            ));
            None
        }
        _ => {
            findings.push(finding(
                FindingKind::Missing,
                format!("TGW route table {id} does not exist or is not visible; no association or routes"),
            ));
            None
        }
    }
}

/// Associates with the configured table when associated with none; never moves it.
fn associate(a: &Attachment, table: &TgwRouteTable, configured: &str, c: &mut Converge) {
    match &a.association {
        None => c.plan.push(TgwAction::Associate { attachment_id: a.id.clone(), route_table_id: table.id.clone() }),
        Some(x)
            if x.route_table_id == configured && x.state != AssociationState::Disassociating => {}
        Some(x) if x.state == AssociationState::Disassociating => c.settling = true,
        Some(x) => c.findings.push(finding(
            FindingKind::AssociatedElsewhere,
            format!(
                "{} is associated with {} ({}), not TransitGatewayRouteTableId {configured}; not moved",
                a.id, x.route_table_id, x.state
            ),
        )),
    }
}

/// The Astro CIDRs that may be routed to this attachment. Refused, with a finding: a
/// default or over-broad block, one overlapping a spoke VPC's own CIDRs, and one the TGW
/// route table already routes (itself or a part of it) to anything but this attachment. A
/// broader route elsewhere (a summary or default route) does not refuse it: the more
/// specific route to Astro is the point.
fn routable_cidrs(
    config: &TgwConfig,
    a: &Attachment,
    s: &Surroundings,
    table: &TgwRouteTable,
    findings: &mut Vec<Finding>,
) -> Vec<Ipv4Net> {
    let mut allowed: Vec<Ipv4Net> = Vec::new();
    let wanted = config.astro_cidrs_of(&a.vpc_id);
    if wanted.is_empty() {
        findings.push(finding(
            FindingKind::CidrRefused,
            format!(
                "{} is not in AstroVpcCidrs: no Astro CIDR is known for it; not routed",
                a.vpc_id
            ),
        ));
    }
    'cidrs: for net in wanted {
        if allowed.contains(net) {
            continue;
        }
        if cidr::over_broad(net) {
            findings.push(finding(
                FindingKind::CidrRefused,
                format!(
                    "Astro CIDR {net} is a default or over-broad route (broader than /{}); not routed",
                    cidr::BROADEST_VPC_PREFIX
                ),
            ));
            continue;
        }
        for spoke in s.spokes.iter().filter(|s| s.found) {
            for own in spoke.cidrs.iter().filter_map(|c| cidr::parse(c).ok()) {
                if cidr::overlaps(net, &own) {
                    findings.push(finding(
                        FindingKind::CidrRefused,
                        format!(
                            "Astro CIDR {net} overlaps {own} of spoke VPC {}; not routed",
                            spoke.vpc_id
                        ),
                    ));
                    continue 'cidrs;
                }
            }
        }
        for route in &table.routes {
            let Ok(dest) = cidr::parse(&route.destination) else {
                continue;
            };
            if cidr::within(&dest, net) && !route.only_to(&a.id) {
                findings.push(finding(
                    FindingKind::CidrRefused,
                    format!(
                        "Astro CIDR {net}: TGW route table {} already routes {dest} to {} ({}, {}); not routed",
                        table.id,
                        route.target(),
                        route.kind,
                        route.state
                    ),
                ));
                continue 'cidrs;
            }
        }
        allowed.push(*net);
    }
    allowed
}

/// The Transit Gateway itself, once per invocation: one that auto-accepts shared attachments
/// lets any account it is shared with attach without validation, so it is a finding (counted
/// as a conflict) until that option is disabled.
pub fn tgw_check(tgw_id: &str, tgw: Option<&TransitGateway>) -> Check {
    let (reason, findings) = match tgw {
        None => (
            "transit gateway not found".to_string(),
            vec![finding(
                FindingKind::Missing,
                format!("TransitGatewayId {tgw_id} does not exist or is not visible"),
            )],
        ),
        Some(t) if t.auto_accept_shared_attachments => (
            "auto-accept shared attachments is enabled".to_string(),
            vec![finding(
                FindingKind::AutoAcceptsAttachments,
                format!(
                    "{tgw_id} accepts shared attachments by itself: any account it is shared with attaches without validation; disable AutoAcceptSharedAttachments"
                ),
            )],
        ),
        Some(_) => (
            "auto-accept shared attachments is disabled".to_string(),
            vec![],
        ),
    };
    Check {
        subject: tgw_id.to_string(),
        reason: format!("transit gateway {tgw_id}: {reason}"),
        findings,
    }
}

/// The status of one RAM share: the Astro accounts must be associated principals, every
/// resource associated, the expected resource among them, and the share active.
pub fn share_check(
    config: &TgwConfig,
    expected: &ShareExpectation,
    share: Option<&ResourceShare>,
) -> Check {
    let not_associated = |detail: String| finding(FindingKind::ShareNotAssociated, detail);
    let Some(share) = share else {
        return Check {
            subject: expected.arn.clone(),
            reason: "resource share not found among this account's shares".into(),
            findings: vec![not_associated(format!(
                "resource share {} does not exist or is not visible",
                expected.arn
            ))],
        };
    };
    let mut findings = Vec::new();
    if share.status != ShareStatus::Active {
        findings.push(not_associated(format!(
            "resource share {} is {}",
            share.name, share.status
        )));
    }
    for account in &config.common.astro_account_ids {
        match share
            .principals
            .iter()
            .find(|(p, _)| principal_is(p, account))
        {
            None => findings.push(not_associated(format!(
                "Astro account {account} is not a principal of {}",
                share.name
            ))),
            Some((_, status)) if *status != ShareAssociationStatus::Associated => {
                findings.push(not_associated(format!(
                    "Astro account {account} is {status} with {} (invitation not accepted yet?)",
                    share.name
                )))
            }
            Some(_) => {}
        }
    }
    for (resource, status) in share
        .resources
        .iter()
        .filter(|(_, st)| *st != ShareAssociationStatus::Associated)
    {
        findings.push(not_associated(format!(
            "{resource} is {status} with {}",
            share.name
        )));
    }
    if share.resources.is_empty() {
        findings.push(not_associated(format!(
            "resource share {} holds no resources",
            share.name
        )));
    }
    if let Some(id) = &expected.must_hold {
        if !share
            .resources
            .iter()
            .any(|(r, _)| r.ends_with(&format!("/{id}")))
        {
            findings.push(not_associated(format!(
                "resource share {} does not hold {id}",
                share.name
            )));
        }
    }
    let list = |items: &[(String, ShareAssociationStatus)]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items
                .iter()
                .map(|(e, st)| format!("{e} {st}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Check {
        subject: share.arn.clone(),
        reason: format!(
            "resource share {} is {}; principals: {}; resources: {}",
            share.name,
            share.status,
            list(&share.principals),
            list(&share.resources)
        ),
        findings,
    }
}

fn principal_is(principal: &str, account: &str) -> bool {
    principal == account || principal == format!("arn:aws:iam::{account}:root")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::decision::Action;
    use crate::model::{Route, RouteTable};
    use crate::tgw::model::{Association, Spoke, TgwRoute, TransitGateway};

    const TGW: &str = "tgw-0000aaaa";
    const ATT: &str = "tgw-attach-0000bbbb";
    const RTB: &str = "tgw-rtb-0000cccc";
    const SPOKE: &str = "vpc-0000d0d0";

    fn config(extra: &[(&str, &str)]) -> TgwConfig {
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("TRANSIT_GATEWAY_ID", TGW),
            ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", RTB),
            ("TGW_SPOKE_VPC_IDS", SPOKE),
        ]);
        let vars: &[(&str, &str)] = &vars;
        TgwConfig::read(&vars).unwrap()
    }

    fn attachment(state: &str, owner: &str) -> Attachment {
        Attachment {
            id: ATT.into(),
            transit_gateway_id: TGW.into(),
            transit_gateway_owner_id: "222222222222".into(),
            resource_type: "vpc".into(),
            vpc_id: "vpc-0000a5a5".into(),
            vpc_owner_id: owner.into(),
            state: AttachmentState::parse(state),
            association: None,
        }
    }

    fn surroundings() -> Surroundings {
        Surroundings {
            transit_gateway: Some(TransitGateway {
                id: TGW.into(),
                default_association_route_table_id: Some("tgw-rtb-0000dddd".into()),
                auto_accept_shared_attachments: false,
            }),
            route_table: Some(TgwRouteTable {
                id: RTB.into(),
                transit_gateway_id: TGW.into(),
                routes: vec![],
            }),
            spokes: vec![Spoke {
                vpc_id: SPOKE.into(),
                found: true,
                cidrs: vec!["10.0.0.0/16".into()],
                route_tables: vec![
                    RouteTable {
                        id: "rtb-0000000a".into(),
                        main: true,
                        tags: BTreeMap::new(),
                        routes: vec![],
                    },
                    RouteTable {
                        id: "rtb-0000000b".into(),
                        main: false,
                        tags: BTreeMap::new(),
                        routes: vec![],
                    },
                ],
                attached: true,
            }],
        }
    }

    fn observation(state: &str, owner: &str) -> Observation {
        Observation {
            attachment: attachment(state, owner),
            surroundings: Some(surroundings()),
        }
    }

    fn names(plan: &[TgwAction]) -> Vec<&'static str> {
        plan.iter().map(|a| a.name()).collect()
    }

    fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
        findings.iter().map(|f| f.kind).collect()
    }

    /// The observation once every planned write took effect.
    fn converged(mut obs: Observation, plan: &[TgwAction]) -> Observation {
        let s = obs.surroundings.as_mut().unwrap();
        for action in plan {
            match action {
                TgwAction::Associate { route_table_id, .. } => {
                    obs.attachment.association = Some(Association {
                        route_table_id: route_table_id.clone(),
                        state: "associated".into(),
                    })
                }
                TgwAction::CreateTgwRoute(r) => {
                    s.route_table.as_mut().unwrap().routes.push(TgwRoute {
                        destination: r.destination.clone(),
                        attachment_ids: vec![r.attachment_id.clone()],
                        kind: "static".into(),
                        state: "active".into(),
                    })
                }
                TgwAction::CreateRoute(r) => {
                    let t = s.spokes[0]
                        .route_tables
                        .iter_mut()
                        .find(|t| t.id == r.route_table_id)
                        .unwrap();
                    t.routes.push(Route {
                        destination: r.destination.clone(),
                        target: r.target.clone(),
                        state: "active".into(),
                    });
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        obs
    }

    #[test]
    fn pending_allowed_attachment_is_accepted_with_the_rest_deferred() {
        let d = decide(
            &config(&[]),
            &observation("pendingAcceptance", "111111111111"),
        );
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(names(&d.plan), ["accept-attachment"]);
        assert_eq!(
            names(&d.deferred),
            [
                "associate-route-table",
                "create-tgw-route",
                "create-route",
                "create-route"
            ]
        );
        assert_eq!(d.requester_account.as_deref(), Some("111111111111"));
    }

    #[test]
    fn available_attachment_converges_then_plans_nothing() {
        let cfg = config(&[]);
        let obs = observation("available", "111111111111");
        let d = decide(&cfg, &obs);
        assert_eq!(
            names(&d.plan),
            [
                "associate-route-table",
                "create-tgw-route",
                "create-route",
                "create-route"
            ]
        );
        let TgwAction::CreateTgwRoute(r) = &d.plan[1] else {
            panic!()
        };
        assert_eq!(
            (
                r.route_table_id.as_str(),
                r.destination.as_str(),
                r.attachment_id.as_str()
            ),
            (RTB, "10.100.0.0/16", ATT)
        );
        let TgwAction::CreateRoute(r) = &d.plan[2] else {
            panic!()
        };
        assert_eq!(r.target, RouteTarget::TransitGateway(TGW.into()));
        let obs = converged(obs, &d.plan);
        let d = decide(&cfg, &obs);
        assert!(d.plan.is_empty(), "{:?}", d.plan);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        assert!(d.reason.contains("in sync"));
    }

    #[test]
    fn validation_refusals_name_the_reason() {
        let cfg = config(&[("ASTRO_VPC_IDS", "vpc-0000a5a5")]);
        let d = decide(&cfg, &observation("pendingAcceptance", "333333333333"));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(
            d.reason
                .contains("account 333333333333 is not in AstroAccountIds"),
            "{}",
            d.reason
        );
        assert!(d.plan.is_empty() && d.deferred.is_empty());

        let cfg = config(&[("ASTRO_VPC_IDS", "vpc-0000ffff")]);
        let d = decide(&cfg, &observation("pendingAcceptance", "111111111111"));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(
            d.reason.contains("VPC vpc-0000a5a5 is not in AstroVpcIds"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn reject_only_when_asked_and_only_while_pending() {
        let cfg = config(&[("UNKNOWN_REQUESTS", "reject")]);
        let d = decide(&cfg, &observation("pendingAcceptance", "333333333333"));
        assert_eq!(d.verdict, Verdict::Reject);
        assert_eq!(names(&d.plan), ["reject-attachment"]);
        let d = decide(&cfg, &observation("available", "333333333333"));
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
        assert!(d.reason.contains("left untouched"));
    }

    #[test]
    fn other_tgw_own_vpc_and_final_states_get_no_writes() {
        let cfg = config(&[("UNKNOWN_REQUESTS", "reject")]);
        let mut obs = observation("pendingAcceptance", "333333333333");
        obs.attachment.transit_gateway_id = "tgw-0000ffff".into();
        let d = decide(&cfg, &obs);
        assert_eq!(
            d.verdict,
            Verdict::Ignore,
            "never reject on a TGW not managed here"
        );
        assert!(d.plan.is_empty() && d.reason.contains("not on TransitGatewayId"));

        let d = decide(&cfg, &observation("available", "222222222222"));
        assert_eq!(d.verdict, Verdict::Skip);
        assert!(d.reason.contains("own VPC"));

        for state in [
            "rejected",
            "deleted",
            "deleting",
            "failed",
            "failing",
            "rejecting",
            "rollingBack",
        ] {
            let d = decide(&cfg, &observation(state, "111111111111"));
            assert_eq!(d.verdict, Verdict::Skip, "{state}");
            assert!(d.plan.is_empty());
        }
        let mut obs = observation("available", "111111111111");
        obs.attachment.resource_type = "peering".into();
        assert_eq!(decide(&cfg, &obs).verdict, Verdict::Skip);
    }

    #[test]
    fn pending_and_modifying_wait() {
        for state in ["pending", "modifying", "initiatingRequest"] {
            let mut obs = observation(state, "111111111111");
            obs.surroundings = None;
            let d = decide(&config(&[]), &obs);
            assert_eq!(d.verdict, Verdict::Wait, "{state}");
            assert!(d.settling && d.plan.is_empty());
        }
    }

    #[test]
    fn cidr_overlapping_a_spoke_is_refused_the_others_routed() {
        let cfg = config(&[("ASTRO_CIDRS", "10.0.128.0/20,10.100.0.0/16")]);
        let d = decide(&cfg, &observation("available", "111111111111"));
        assert_eq!(kinds(&d.findings), [FindingKind::CidrRefused]);
        assert!(d.findings[0]
            .detail
            .contains("10.0.128.0/20 overlaps 10.0.0.0/16 of spoke VPC vpc-0000d0d0"));
        let routed: Vec<String> = d
            .plan
            .iter()
            .filter_map(|a| match a {
                TgwAction::CreateTgwRoute(r) => Some(r.destination.clone()),
                TgwAction::CreateRoute(r) => Some(r.destination.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(routed, ["10.100.0.0/16"; 3]);
    }

    #[test]
    fn cidr_routed_to_another_attachment_is_refused_but_a_broader_route_is_not() {
        let cfg = config(&[]);
        let mut obs = observation("available", "111111111111");
        let routes = &mut obs
            .surroundings
            .as_mut()
            .unwrap()
            .route_table
            .as_mut()
            .unwrap()
            .routes;
        routes.push(TgwRoute {
            destination: "0.0.0.0/0".into(),
            attachment_ids: vec!["tgw-attach-0000eeee".into()],
            kind: "static".into(),
            state: "active".into(),
        });
        let d = decide(&cfg, &obs);
        assert!(
            d.findings.is_empty(),
            "a default route elsewhere does not refuse: {:?}",
            d.findings
        );
        assert_eq!(
            d.plan
                .iter()
                .filter(|a| matches!(a, TgwAction::CreateTgwRoute(_)))
                .count(),
            1
        );

        for (dest, ids, kind) in [
            ("10.100.0.0/16", vec!["tgw-attach-0000eeee"], "propagated"),
            ("10.100.4.0/24", vec!["tgw-attach-0000eeee"], "static"),
            ("10.100.0.0/16", vec![], "static"),
        ] {
            let mut obs = observation("available", "111111111111");
            obs.surroundings
                .as_mut()
                .unwrap()
                .route_table
                .as_mut()
                .unwrap()
                .routes
                .push(TgwRoute {
                    destination: dest.into(),
                    attachment_ids: ids.iter().map(|s| s.to_string()).collect(),
                    kind: kind.into(),
                    state: if ids.is_empty() {
                        "blackhole"
                    } else {
                        "active"
                    }
                    .into(),
                });
            let d = decide(&cfg, &obs);
            assert_eq!(kinds(&d.findings), [FindingKind::CidrRefused], "{dest}");
            assert!(
                d.findings[0]
                    .detail
                    .contains(&format!("already routes {dest}")),
                "{}",
                d.findings[0].detail
            );
            assert_eq!(
                names(&d.plan),
                ["associate-route-table"],
                "{dest}: nothing routed"
            );
        }
    }

    #[test]
    fn over_broad_astro_cidr_is_never_routed() {
        let d = decide(
            &config(&[("ASTRO_CIDRS", "10.96.0.0/12")]),
            &observation("available", "111111111111"),
        );
        assert_eq!(kinds(&d.findings), [FindingKind::CidrRefused]);
        assert!(d.findings[0].detail.contains("over-broad"));
        assert!(!d
            .plan
            .iter()
            .any(|a| matches!(a, TgwAction::CreateTgwRoute(_) | TgwAction::CreateRoute(_))));
    }

    #[test]
    fn association_elsewhere_is_reported_not_moved() {
        let mut obs = observation("available", "111111111111");
        obs.attachment.association = Some(Association {
            route_table_id: "tgw-rtb-0000dddd".into(),
            state: "associated".into(),
        });
        let d = decide(&config(&[]), &obs);
        assert_eq!(kinds(&d.findings), [FindingKind::AssociatedElsewhere]);
        assert!(!names(&d.plan).contains(&"associate-route-table"));
        assert!(
            names(&d.plan).contains(&"create-tgw-route"),
            "back routes still go to the configured table"
        );
    }

    #[test]
    fn missing_route_tables_are_findings() {
        // The configured TGW route table does not exist: nothing is routed anywhere.
        let mut obs = observation("available", "111111111111");
        obs.surroundings.as_mut().unwrap().route_table = None;
        let d = decide(&config(&[]), &obs);
        assert_eq!(kinds(&d.findings), [FindingKind::Missing]);
        assert!(d.findings[0].detail.contains(RTB));
        assert!(d.plan.is_empty(), "{:?}", d.plan);

        // No configured table: the TGW's default association table holds the back routes.
        let cfg = config(&[("TRANSIT_GATEWAY_ROUTE_TABLE_ID", "")]);
        let obs = observation("available", "111111111111");
        assert_eq!(
            back_route_table(
                cfg.route_table_id.as_deref(),
                obs.surroundings.as_ref().unwrap().transit_gateway.as_ref(),
                &obs.attachment,
            )
            .as_deref(),
            Some("tgw-rtb-0000dddd")
        );
        let mut obs = obs;
        let s = obs.surroundings.as_mut().unwrap();
        s.transit_gateway
            .as_mut()
            .unwrap()
            .default_association_route_table_id = None;
        s.route_table = None;
        let d = decide(&cfg, &obs);
        assert_eq!(kinds(&d.findings), [FindingKind::NoRouteTable]);

        // The selector picks nothing in the spoke; the spoke is missing; or not attached.
        let d = decide(
            &config(&[("ROUTE_TABLE_SELECTOR", "tag:astro=yes")]),
            &observation("available", "111111111111"),
        );
        assert_eq!(kinds(&d.findings), [FindingKind::NoRouteTable]);
        assert!(names(&d.plan).contains(&"create-tgw-route"));
        let mut obs = observation("available", "111111111111");
        obs.surroundings.as_mut().unwrap().spokes[0].attached = false;
        let d = decide(&config(&[]), &obs);
        assert_eq!(kinds(&d.findings), [FindingKind::Missing]);
        assert!(d.findings[0].detail.contains("no available attachment"));
        obs.surroundings.as_mut().unwrap().spokes[0].found = false;
        let d = decide(&config(&[]), &obs);
        assert!(d.findings[0].detail.contains("does not exist"));
    }

    #[test]
    fn spoke_route_to_another_target_is_a_conflict() {
        let cfg = config(&[("ROUTE_TABLE_SELECTOR", "main")]);
        let mut obs = observation("available", "111111111111");
        obs.surroundings.as_mut().unwrap().spokes[0].route_tables[0]
            .routes
            .push(Route {
                destination: "10.100.0.0/16".into(),
                target: "pcx-0000abcd".into(),
                state: "active".into(),
            });
        let d = decide(&cfg, &obs);
        assert_eq!(kinds(&d.findings), [FindingKind::RouteConflict]);
        assert!(!names(&d.plan).contains(&"create-route"));
    }

    #[test]
    fn sweep_takes_requests_and_astro_attachments_only() {
        let cfg = config(&[]);
        let mut list = Vec::new();
        for (id, state, owner) in [
            ("tgw-attach-00000001", "pendingAcceptance", "333333333333"),
            ("tgw-attach-00000002", "available", "333333333333"),
            ("tgw-attach-00000003", "available", "111111111111"),
            ("tgw-attach-00000004", "pending", "111111111111"),
            ("tgw-attach-00000005", "available", "222222222222"),
            ("tgw-attach-00000006", "pendingAcceptance", "111111111111"),
        ] {
            let mut a = attachment(state, owner);
            a.id = id.into();
            list.push(a);
        }
        assert_eq!(
            sweep_ids(&cfg, &list),
            [
                "tgw-attach-00000001",
                "tgw-attach-00000003",
                "tgw-attach-00000004",
                "tgw-attach-00000006"
            ]
        );
    }

    fn share(
        status: &str,
        principals: &[(&str, &str)],
        resources: &[(&str, &str)],
    ) -> ResourceShare {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), ShareAssociationStatus::parse(b)))
                .collect()
        };
        ResourceShare {
            arn: "arn:aws:ram:us-east-1:222222222222:resource-share/abc".into(),
            name: "astro".into(),
            status: status.into(),
            principals: pairs(principals),
            resources: pairs(resources),
        }
    }

    #[test]
    fn share_status_findings() {
        let cfg = config(&[]);
        let expected = ShareExpectation {
            arn: "arn:aws:ram:us-east-1:222222222222:resource-share/abc".into(),
            must_hold: Some(TGW.into()),
        };
        let tgw_arn = format!("arn:aws:ec2:us-east-1:222222222222:transit-gateway/{TGW}");
        let ok = share(
            "ACTIVE",
            &[("111111111111", "ASSOCIATED")],
            &[(&tgw_arn, "ASSOCIATED")],
        );
        let c = share_check(&cfg, &expected, Some(&ok));
        assert!(c.findings.is_empty(), "{:?}", c.findings);
        assert!(
            c.reason.contains("principals: 111111111111 ASSOCIATED"),
            "{}",
            c.reason
        );

        let count = |s: ResourceShare| share_check(&cfg, &expected, Some(&s)).findings.len();
        assert_eq!(
            count(share(
                "ACTIVE",
                &[("111111111111", "ASSOCIATING")],
                &[(&tgw_arn, "ASSOCIATED")]
            )),
            1
        );
        assert_eq!(count(share("ACTIVE", &[], &[(&tgw_arn, "ASSOCIATED")])), 1);
        assert_eq!(
            count(share(
                "DELETED",
                &[("111111111111", "ASSOCIATED")],
                &[(&tgw_arn, "ASSOCIATED")]
            )),
            1
        );
        assert_eq!(
            count(share("ACTIVE", &[("111111111111", "ASSOCIATED")], &[])),
            2
        );
        let missing = share_check(&cfg, &expected, None);
        assert_eq!(kinds(&missing.findings), [FindingKind::ShareNotAssociated]);
    }

    #[test]
    fn several_clusters_each_get_their_own_cidrs() {
        let base = [
            ("ASTRO_CIDRS", "10.100.0.0/14"),
            (
                "ASTRO_VPC_CIDRS",
                "vpc-0000a5a5:10.100.0.0/16,vpc-0000b5b5:10.102.0.0/16,vpc-0000b5b5:10.103.0.0/24",
            ),
        ];
        let cfg = config(&base);
        let tgw_routes = |vpc: &str| {
            let mut obs = observation("available", "111111111111");
            obs.attachment.vpc_id = vpc.into();
            let d = decide(&cfg, &obs);
            assert!(d.findings.is_empty(), "{vpc}: {:?}", d.findings);
            d.plan
                .iter()
                .filter_map(|a| match a {
                    TgwAction::CreateTgwRoute(r) => Some(r.destination.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(tgw_routes("vpc-0000a5a5"), ["10.100.0.0/16"]);
        assert_eq!(
            tgw_routes("vpc-0000b5b5"),
            ["10.102.0.0/16", "10.103.0.0/24"]
        );

        // A VPC the map does not list gets no routes, and a finding that says why.
        let mut obs = observation("available", "111111111111");
        obs.attachment.vpc_id = "vpc-0000c5c5".into();
        let d = decide(&cfg, &obs);
        assert!(d
            .plan
            .iter()
            .all(|a| !matches!(a, TgwAction::CreateTgwRoute(_) | TgwAction::CreateRoute(_))));
        assert_eq!(kinds(&d.findings), [FindingKind::CidrRefused]);
        assert!(
            d.findings[0].detail.contains("AstroVpcCidrs"),
            "{:?}",
            d.findings
        );

        // Empty: every attachment is routed to all of AstroCidrs, as before.
        assert_eq!(config(&[]).astro_cidrs_of("vpc-0000c5c5").len(), 1);
    }

    #[test]
    fn astro_vpc_cidrs_are_checked_at_start_up() {
        let read = |value: &str| {
            let vars = [
                ("ASTRO_ACCOUNT_IDS", "111111111111"),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("TRANSIT_GATEWAY_ID", TGW),
                ("ASTRO_VPC_CIDRS", value),
            ];
            let vars: &[(&str, &str)] = &vars;
            TgwConfig::read(&vars)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(read("vpc-0000a5a5:10.100.4.0/24").is_ok());
        for bad in [
            "vpc-0000a5a5:10.200.0.0/16",
            "vpc-0000a5a5",
            "subnet-0000a5a5:10.100.0.0/16",
            "vpc-0000a5a5:10.100.0.0/33",
        ] {
            let err = read(bad).unwrap_err();
            assert!(err.contains("ASTRO_VPC_CIDRS"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_auto_accepting_tgw_is_a_finding_until_disabled() {
        let mut tgw = TransitGateway {
            id: TGW.into(),
            default_association_route_table_id: None,
            auto_accept_shared_attachments: true,
        };
        let check = tgw_check(TGW, Some(&tgw));
        assert_eq!(
            kinds(&check.findings),
            [FindingKind::AutoAcceptsAttachments]
        );
        assert!(check.reason.contains("enabled"));
        tgw.auto_accept_shared_attachments = false;
        assert!(tgw_check(TGW, Some(&tgw)).findings.is_empty());
        assert_eq!(
            kinds(&tgw_check(TGW, None).findings),
            [FindingKind::Missing]
        );
    }
}
