//! The peering decision: a pure function of configuration and observation.

use ipnet::Ipv4Net;

use super::model::{Observation, PeeringAction, PeeringState};
use super::PeeringConfig;
use crate::audit::Verdict;
use crate::cidr;
use crate::decision::{Decision, Refusal};
use crate::model::{plan_routes, Finding, FindingKind, RouteTarget};
use crate::ports::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

pub fn decide(config: &PeeringConfig, observation: &Observation) -> Decision<PeeringAction> {
    let p = &observation.peering;
    let requester = Some(p.requester.owner_id.clone());
    let say = |verdict, reason: String| Decision::new(verdict, reason, requester.clone());

    if p.state.is_final() {
        return say(
            Verdict::Skip,
            format!("peering is {}; no writes", p.state.as_str()),
        );
    }
    if !config.accepter_vpc_ids.contains(&p.accepter.vpc_id) {
        if config.accepter_vpc_ids.contains(&p.requester.vpc_id) {
            return say(
                Verdict::Skip,
                "this account requested the peering; only incoming requests are handled".into(),
            );
        }
        return say(
            Verdict::Ignore,
            format!(
                "accepter VPC {} is not in AccepterVpcIds; left untouched",
                p.accepter.vpc_id
            ),
        );
    }

    let (cidrs, refusals) = requester_cidrs(config, observation);
    if !refusals.is_empty() {
        let refusal = Refusal::of(&p.state, &refusals, requester);
        return Decision::refused(refusal, config.common.unknown_requests, || {
            PeeringAction::Reject { id: p.id.clone() }
        });
    }

    let converge = converge_plan(config, observation, &cidrs);
    match p.state {
        PeeringState::PendingAcceptance => {
            let mut d = say(
                Verdict::Accept,
                format!("requester {} allowed; accepting", p.requester.vpc_id),
            );
            d.plan.push(PeeringAction::Accept { id: p.id.clone() });
            d.deferred = converge.plan;
            d
        }
        PeeringState::Active => {
            Decision::converging("active", requester, converge.plan, converge.findings)
        }
        _ => {
            let mut d = say(
                Verdict::Wait,
                format!("peering is {}; waiting for it to settle", p.state.as_str()),
            );
            d.settling = true;
            d
        }
    }
}

/// Why the requester of an observed peering may not be trusted (its account, its CIDRs): the
/// checks `decide` makes before accepting; empty when it passes. The zones handshake uses it
/// to tell Astro VPCs from others.
pub fn requester_refusals(config: &PeeringConfig, observation: &Observation) -> Vec<String> {
    requester_cidrs(config, observation).1
}

/// The requester's CIDRs, and why any of them may not be routed.
fn requester_cidrs(
    config: &PeeringConfig,
    observation: &Observation,
) -> (Vec<Ipv4Net>, Vec<String>) {
    let p = &observation.peering;
    let mut refusals = Vec::new();
    if !config
        .common
        .astro_account_ids
        .contains(&p.requester.owner_id)
    {
        refusals.push(format!(
            "requester account {} is not in AstroAccountIds",
            p.requester.owner_id
        ));
    }
    let local: Vec<Ipv4Net> = observation
        .accepter_vpc_cidrs
        .iter()
        .filter_map(|c| cidr::parse(c).ok())
        .collect();
    let mut cidrs: Vec<Ipv4Net> = Vec::new();
    for text in &p.requester.cidrs {
        match cidr::parse(text) {
            Ok(net) => {
                if let Some(why) = cidr::refusal(&net, &config.common.astro_cidrs, &local) {
                    refusals.push(format!("requester {why}"));
                }
                if !cidrs.contains(&net) {
                    cidrs.push(net);
                }
            }
            Err(e) => refusals.push(format!("requester {e}")),
        }
    }
    if cidrs.is_empty() && refusals.is_empty() {
        refusals.push("requester VPC shows no IPv4 CIDR".into());
    }
    (cidrs, refusals)
}

struct Converge {
    plan: Vec<PeeringAction>,
    findings: Vec<Finding>,
}

/// Everything an allowed, active peering still lacks: the tag, routes, DNS.
fn converge_plan(config: &PeeringConfig, observation: &Observation, cidrs: &[Ipv4Net]) -> Converge {
    let p = &observation.peering;
    let mut plan = Vec::new();
    let mut findings = Vec::new();
    if p.tags.get(MANAGED_TAG_KEY).map(String::as_str) != Some(MANAGED_TAG_VALUE) {
        plan.push(PeeringAction::Tag { id: p.id.clone() });
    }
    let tables = config.route_tables.select(&observation.route_tables);
    if tables.is_empty() {
        findings.push(Finding {
            kind: FindingKind::NoRouteTable,
            detail: format!(
                "route table selector `{}` picks no route table in {}; no routes added",
                config.route_tables, p.accepter.vpc_id
            ),
        });
    }
    let target = RouteTarget::Peering(p.id.clone());
    let (routes, conflicts) = plan_routes(&tables, cidrs, &target);
    plan.extend(routes.into_iter().map(PeeringAction::CreateRoute));
    findings.extend(conflicts);
    if config.enable_accepter_dns && !p.accepter_dns_resolution {
        plan.push(PeeringAction::EnableAccepterDns { id: p.id.clone() });
    }
    Converge { plan, findings }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Route, RouteTable};
    use crate::peering::model::{Peering, VpcEnd};

    const PCX: &str = "pcx-0000aaaa";

    fn config(extra: &[(&str, &str)]) -> PeeringConfig {
        // The first match wins: overrides come before the defaults.
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", "vpc-0000c0c0"),
        ]);
        let vars: &[(&str, &str)] = &vars;
        PeeringConfig::read(&vars).unwrap()
    }

    fn observation(status: &str, owner: &str, cidrs: &[&str]) -> Observation {
        Observation {
            peering: Peering {
                id: PCX.into(),
                state: PeeringState::parse(status),
                requester: VpcEnd {
                    owner_id: owner.into(),
                    vpc_id: "vpc-0000a5a5".into(),
                    region: "us-east-1".into(),
                    cidrs: cidrs.iter().map(|s| s.to_string()).collect(),
                },
                accepter: VpcEnd {
                    owner_id: "222222222222".into(),
                    vpc_id: "vpc-0000c0c0".into(),
                    region: "us-east-1".into(),
                    cidrs: vec!["10.0.0.0/16".into()],
                },
                accepter_dns_resolution: false,
                tags: BTreeMap::new(),
            },
            surroundings_read: true,
            accepter_vpc_cidrs: vec!["10.0.0.0/16".into()],
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
                    tags: [("astro".to_string(), "yes".to_string())].into(),
                    routes: vec![],
                },
            ],
        }
    }

    fn names(plan: &[PeeringAction]) -> Vec<&'static str> {
        use crate::decision::Action;
        plan.iter().map(|a| a.name()).collect()
    }

    #[test]
    fn pending_allowed_request_is_accepted_with_routes_deferred() {
        let d = decide(
            &config(&[]),
            &observation("pending-acceptance", "111111111111", &["10.100.0.0/16"]),
        );
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(names(&d.plan), ["accept-peering"]);
        assert_eq!(
            names(&d.deferred),
            [
                "tag-peering",
                "create-route",
                "create-route",
                "enable-accepter-dns-resolution"
            ]
        );
    }

    #[test]
    fn active_allowed_peering_converges_then_plans_nothing() {
        let cfg = config(&[]);
        let mut obs = observation(
            "active",
            "111111111111",
            &["10.100.0.0/16", "10.100.64.0/18"],
        );
        let d = decide(&cfg, &obs);
        assert_eq!(d.plan.len(), 1 + 4 + 1, "tag, 2 tables x 2 CIDRs, dns");
        obs.peering
            .tags
            .insert(MANAGED_TAG_KEY.into(), MANAGED_TAG_VALUE.into());
        obs.peering.accepter_dns_resolution = true;
        for t in &mut obs.route_tables {
            for c in ["10.100.0.0/16", "10.100.64.0/18"] {
                t.routes.push(Route {
                    destination: c.into(),
                    target: PCX.into(),
                    state: "active".into(),
                });
            }
        }
        let d = decide(&cfg, &obs);
        assert!(d.plan.is_empty(), "{:?}", d.plan);
        assert!(d.findings.is_empty());
        assert!(d.reason.contains("in sync"));
    }

    #[test]
    fn refusals_name_the_reason() {
        let cfg = config(&[]);
        let reason = |owner: &str, cidrs: &[&str]| {
            let d = decide(&cfg, &observation("pending-acceptance", owner, cidrs));
            assert_eq!(d.verdict, Verdict::Ignore);
            assert!(d.plan.is_empty() && d.deferred.is_empty());
            d.reason
        };
        assert!(reason("999999999999", &["10.100.0.0/16"]).contains("account 999999999999"));
        assert!(reason("111111111111", &["10.200.0.0/16"]).contains("outside AstroCidrs"));
        assert!(reason("111111111111", &["10.100.0.0/16", "10.0.0.0/24"])
            .contains("outside AstroCidrs"));
        assert!(reason("111111111111", &["0.0.0.0/0"]).contains("over-broad"));
        assert!(reason("111111111111", &[]).contains("no IPv4 CIDR"));
        let cfg = config(&[("ASTRO_CIDRS", "10.0.0.0/8")]);
        let d = decide(
            &cfg,
            &observation("pending-acceptance", "111111111111", &["10.0.0.0/20"]),
        );
        assert!(d.reason.contains("overlaps"), "{}", d.reason);
    }

    #[test]
    fn reject_only_when_asked_and_only_while_pending() {
        let cfg = config(&[("UNKNOWN_REQUESTS", "reject")]);
        let d = decide(
            &cfg,
            &observation("pending-acceptance", "999999999999", &["10.100.0.0/16"]),
        );
        assert_eq!(d.verdict, Verdict::Reject);
        assert_eq!(names(&d.plan), ["reject-peering"]);
        let d = decide(
            &cfg,
            &observation("active", "999999999999", &["10.100.0.0/16"]),
        );
        assert_eq!(d.verdict, Verdict::Ignore);
        assert!(d.plan.is_empty());
    }

    #[test]
    fn final_states_and_foreign_vpcs_get_no_writes() {
        let cfg = config(&[("UNKNOWN_REQUESTS", "reject")]);
        for status in ["failed", "rejected", "expired", "deleted", "deleting"] {
            let d = decide(
                &cfg,
                &observation(status, "111111111111", &["10.100.0.0/16"]),
            );
            assert_eq!(d.verdict, Verdict::Skip, "{status}");
            assert!(d.plan.is_empty());
        }
        let mut obs = observation("pending-acceptance", "999999999999", &["10.100.0.0/16"]);
        obs.peering.accepter.vpc_id = "vpc-0000ffff".into();
        let d = decide(&cfg, &obs);
        assert_eq!(
            d.verdict,
            Verdict::Ignore,
            "never reject for a VPC not managed here"
        );
        assert!(d.plan.is_empty());
    }

    #[test]
    fn provisioning_waits() {
        let d = decide(
            &config(&[]),
            &observation("provisioning", "111111111111", &["10.100.0.0/16"]),
        );
        assert_eq!(d.verdict, Verdict::Wait);
        assert!(d.settling && d.plan.is_empty());
    }

    #[test]
    fn conflicting_route_is_reported_not_replaced() {
        let cfg = config(&[
            ("ROUTE_TABLE_SELECTOR", "main"),
            ("ENABLE_ACCEPTER_DNS_RESOLUTION", "false"),
        ]);
        let mut obs = observation("active", "111111111111", &["10.100.0.0/16"]);
        obs.peering
            .tags
            .insert(MANAGED_TAG_KEY.into(), MANAGED_TAG_VALUE.into());
        obs.route_tables[0].routes.push(Route {
            destination: "10.100.0.0/16".into(),
            target: "tgw-0000abcd".into(),
            state: "active".into(),
        });
        let d = decide(&cfg, &obs);
        assert!(d.plan.is_empty(), "{:?}", d.plan);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].kind, FindingKind::RouteConflict);
    }

    #[test]
    fn selector_forms_choose_tables() {
        let count_routes = |sel: &str| {
            let cfg = config(&[("ROUTE_TABLE_SELECTOR", sel)]);
            let d = decide(
                &cfg,
                &observation("active", "111111111111", &["10.100.0.0/16"]),
            );
            d.plan
                .iter()
                .filter(|a| matches!(a, PeeringAction::CreateRoute(_)))
                .count()
        };
        assert_eq!(count_routes("all"), 2);
        assert_eq!(count_routes("main"), 1);
        assert_eq!(count_routes("tag:astro=yes"), 1);
        assert_eq!(count_routes("rtb-0000000b"), 1);
        let cfg = config(&[("ROUTE_TABLE_SELECTOR", "tag:astro=no")]);
        let d = decide(
            &cfg,
            &observation("active", "111111111111", &["10.100.0.0/16"]),
        );
        assert_eq!(d.findings[0].kind, FindingKind::NoRouteTable);
    }
}
