//! The hop checks, pure: what the target's subnet route table, network ACL, security groups
//! and DNS make of traffic from one Astro CIDR on one TCP port.
//!
//! They follow AWS's evaluation rules: a route table picks the most specific route (longest
//! prefix) for a destination; a network ACL applies the matching rule with the lowest number,
//! the first match wins, and the final `*` rule denies; network ACLs are stateless, so the
//! return traffic to Astro (TCP, ephemeral ports 1024-65535) needs an outbound allow too;
//! security groups are stateful allow lists, any rule of any group on the interface allows.

use ipnet::Ipv4Net;

use super::model::{AclEntry, Facts, NetworkAcl, Path, PrefixList, SecurityGroup, SgRule};
use super::report::Hop;
use crate::cidr;
use crate::model::{RouteState, RouteTable};

/// The ports return traffic to a client uses (Linux and NAT gateways use 32768-65535 and
/// 1024-65535; AWS documents 1024-65535 for network ACLs).
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

/// Every hop for traffic from `astro` (one of the path's CIDRs) to the target's `port`.
pub fn check(facts: &Facts, path: &Path, astro: &Ipv4Net, port: u16) -> Vec<Hop> {
    let mut hops = vec![
        match &facts.route_table {
            Some(table) => route(table, astro, path.route_target()),
            None => Hop::unknown(
                "route",
                format!(
                "no route table found for {} (neither an explicit association nor a main table)",
                facts.interface.subnet_id
            ),
            ),
        },
        match &facts.network_acl {
            Some(acl) => network_acl(acl, astro, port),
            None => Hop::unknown(
                "network-acl",
                format!("no network ACL found for {}", facts.interface.subnet_id),
            ),
        },
        security_groups(
            &facts.security_groups,
            &facts.prefix_lists,
            astro,
            port,
            &facts.interface.id,
        ),
    ];
    if let Path::Peering {
        id,
        astro_vpc_id,
        accepter_dns_resolution,
        ..
    } = path
    {
        hops.push(dns(
            id,
            astro_vpc_id,
            *accepter_dns_resolution,
            facts.name.as_ref(),
        ));
    }
    hops
}

/// The route back: the subnet's table must send `astro` to `expected` (the peering or the
/// TGW), by its most specific route, and no more specific route may take part of it elsewhere.
pub fn route(table: &RouteTable, astro: &Ipv4Net, expected: &str) -> Hop {
    let parsed: Vec<(Ipv4Net, &crate::model::Route)> = table
        .routes
        .iter()
        .filter_map(|r| cidr::parse(&r.destination).ok().map(|d| (d, r)))
        .collect();
    let rule = |d: &Ipv4Net| Some(format!("{}:{d}", table.id));
    let best = parsed
        .iter()
        .filter(|(d, _)| cidr::within(astro, d))
        .max_by_key(|(d, _)| d.prefix_len());
    let Some((dest, r)) = best else {
        return Hop::blocked(
            "route",
            format!(
                "{} has no route to {astro}: replies to Astro have nowhere to go",
                table.id
            ),
            Some(table.id.clone()),
        );
    };
    if r.target.id() != expected {
        return Hop::blocked(
            "route",
            format!(
                "{} sends {astro} to {} (route {dest}), not to {expected}",
                table.id, r.target
            ),
            rule(dest),
        );
    }
    if r.state == RouteState::Blackhole {
        return Hop::blocked(
            "route",
            format!(
                "{} routes {astro} to {expected} but the route {dest} is a blackhole",
                table.id
            ),
            rule(dest),
        );
    }
    if let Some((inner, other)) = parsed
        .iter()
        .find(|(d, o)| cidr::within(d, astro) && d != astro && o.target.id() != expected)
    {
        return Hop::blocked(
            "route",
            format!(
                "{} sends {inner}, part of {astro}, to {} instead of {expected}",
                table.id, other.target
            ),
            rule(inner),
        );
    }
    Hop::pass(
        "route",
        format!("{} sends {astro} to {expected} (route {dest})", table.id),
        rule(dest),
    )
}

fn is_tcp(protocol: &str) -> bool {
    matches!(protocol, "-1" | "6" | "tcp" | "all")
}

fn covers(range: Option<(u16, u16)>, wanted: (u16, u16)) -> bool {
    range.is_none_or(|(lo, hi)| lo <= wanted.0 && wanted.1 <= hi)
}

fn touches(range: Option<(u16, u16)>, wanted: (u16, u16)) -> bool {
    range.is_none_or(|(lo, hi)| lo <= wanted.1 && wanted.0 <= hi)
}

fn ports_text(p: (u16, u16)) -> String {
    if p.0 == p.1 {
        p.0.to_string()
    } else {
        format!("{}-{}", p.0, p.1)
    }
}

/// The rule number AWS gives the final `*` rule of every network ACL.
pub const FINAL_RULE: i32 = 32767;

/// One direction of a network ACL, for TCP on `ports` with `astro` at the other end: the
/// entry that decides, by rule number. `Ok(entry)` allows; `Err((why, rule number))` denies.
pub fn acl_direction<'a>(
    acl: &'a NetworkAcl,
    egress: bool,
    astro: &Ipv4Net,
    ports: (u16, u16),
) -> Result<&'a AclEntry, (String, i32)> {
    let mut entries: Vec<&AclEntry> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    let direction = if egress { "outbound" } else { "inbound" };
    let what = format!(
        "{direction} tcp {} {} {astro}",
        ports_text(ports),
        if egress { "to" } else { "from" }
    );
    for e in entries {
        let Some(block) = e.cidr.as_deref().and_then(|c| cidr::parse(c).ok()) else {
            continue; // IPv6
        };
        if !is_tcp(&e.protocol) || !touches(e.ports, ports) || !cidr::overlaps(&block, astro) {
            continue;
        }
        let number = if e.rule_number == FINAL_RULE {
            "*".to_string()
        } else {
            e.rule_number.to_string()
        };
        if !e.allow {
            return Err((
                format!("{} rule {number} ({block}) denies {what}", acl.id),
                e.rule_number,
            ));
        }
        if cidr::within(astro, &block) && covers(e.ports, ports) {
            return Ok(e);
        }
        // An allow for part of the CIDR or the ports: later rules decide for the rest.
    }
    Err((
        format!(
            "no rule of {} allows {what}; the final * rule denies it",
            acl.id
        ),
        FINAL_RULE,
    ))
}

/// The subnet's network ACL: inbound to the port, and the replies outbound.
pub fn network_acl(acl: &NetworkAcl, astro: &Ipv4Net, port: u16) -> Hop {
    let rule_of = |egress: bool, number: i32| {
        format!(
            "{}:{}:{number}",
            acl.id,
            if egress { "egress" } else { "ingress" }
        )
    };
    let inbound = match acl_direction(acl, false, astro, (port, port)) {
        Ok(e) => e,
        Err((why, number)) => {
            return Hop::blocked("network-acl", why, Some(rule_of(false, number)));
        }
    };
    let outbound = match acl_direction(acl, true, astro, EPHEMERAL) {
        Ok(e) => e,
        Err((why, number)) => {
            return Hop::blocked(
                "network-acl",
                format!("{why} (the replies to Astro)"),
                Some(rule_of(true, number)),
            );
        }
    };
    Hop::pass(
        "network-acl",
        format!(
            "{} allows tcp {port} from {astro} (inbound rule {}) and the replies (outbound rule {})",
            acl.id, inbound.rule_number, outbound.rule_number
        ),
        Some(rule_of(false, inbound.rule_number)),
    )
}

/// Whether `rule` lets TCP to `port` in from all of `astro`: by CIDR, or by a prefix list
/// whose entries hold it.
fn rule_allows(rule: &SgRule, lists: &[PrefixList], astro: &Ipv4Net, port: u16) -> Option<String> {
    if !is_tcp(&rule.protocol) || !covers(rule.ports, (port, port)) {
        return None;
    }
    if let Some(c) = rule
        .cidrs
        .iter()
        .find(|c| cidr::parse(c).is_ok_and(|b| cidr::within(astro, &b)))
    {
        return Some(format!("from {c}"));
    }
    for id in &rule.prefix_lists {
        let entries = lists
            .iter()
            .find(|l| &l.id == id)
            .and_then(|l| l.cidrs.as_ref());
        if let Some(c) = entries.and_then(|cidrs| {
            cidrs
                .iter()
                .find(|c| cidr::parse(c).is_ok_and(|b| cidr::within(astro, &b)))
        }) {
            return Some(format!("from prefix list {id} ({c})"));
        }
    }
    None
}

/// The interface's security groups: one rule of one group must allow TCP `port` from all of
/// `astro`. A rule naming another security group as its source matches only traffic from
/// interfaces in that group: Astro's interfaces are in Astro's account, so such a rule does
/// not let Astro in across the peering or the TGW (it is named, not counted).
pub fn security_groups(
    groups: &[SecurityGroup],
    lists: &[PrefixList],
    astro: &Ipv4Net,
    port: u16,
    interface: &str,
) -> Hop {
    for g in groups {
        for rule in &g.ingress {
            if let Some(source) = rule_allows(rule, lists, astro, port) {
                return Hop::pass(
                    "security-group",
                    format!("{} allows tcp {port} {source}", g.id),
                    Some(g.id.clone()),
                );
            }
        }
    }
    let mut notes = Vec::new();
    for g in groups {
        for rule in &g.ingress {
            if !is_tcp(&rule.protocol) || !covers(rule.ports, (port, port)) {
                continue;
            }
            for (group, owner) in &rule.groups {
                notes.push(format!(
                    "{} allows tcp {port} from security group {group}{}, which cannot match traffic from Astro's VPC in another account",
                    g.id,
                    owner.as_deref().map(|o| format!(" (account {o})")).unwrap_or_default()
                ));
            }
            for c in &rule.cidrs {
                if cidr::parse(c).is_ok_and(|b| cidr::overlaps(&b, astro)) {
                    notes.push(format!(
                        "{} allows tcp {port} from {c}, only part of {astro}",
                        g.id
                    ));
                }
            }
            for id in &rule.prefix_lists {
                let readable = lists
                    .iter()
                    .find(|l| &l.id == id)
                    .is_some_and(|l| l.cidrs.is_some());
                if !readable {
                    return Hop::unknown(
                        "security-group",
                        format!(
                            "{} allows tcp {port} from prefix list {id}, whose entries could not be read",
                            g.id
                        ),
                    );
                }
            }
        }
    }
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    let mut detail = format!(
        "no security group of {interface} ({}) allows tcp {port} from {astro}",
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    );
    if !notes.is_empty() {
        detail.push_str(": ");
        detail.push_str(&notes.join("; "));
    }
    Hop::blocked("security-group", detail, ids.first().map(|s| s.to_string()))
}

/// For a peering: the accepter's DNS resolution option, and where a name was asked about,
/// the private zone of this account that answers for it in Astro's VPC.
pub fn dns(
    peering: &str,
    astro_vpc: &str,
    accepter_dns_resolution: bool,
    name: Option<&(String, Vec<super::model::PrivateZone>)>,
) -> Hop {
    if !accepter_dns_resolution {
        return Hop::blocked(
            "dns",
            format!(
                "accepter DNS resolution is off on {peering}: Astro resolves this VPC's AWS hostnames to public addresses, which do not cross the peering"
            ),
            Some(peering.to_string()),
        );
    }
    let Some((name, zones)) = name else {
        return Hop::pass(
            "dns",
            format!("accepter DNS resolution is on for {peering}"),
            Some(peering.to_string()),
        );
    };
    // Route 53 Resolver answers from the most specific private zone associated with the
    // VPC that holds the name, and does not fall back to a less specific one.
    let in_astro_vpc = zones
        .iter()
        .filter(|z| z.vpc_ids.iter().any(|v| v == astro_vpc))
        .max_by_key(|z| z.name.len());
    match in_astro_vpc {
        Some(z) if z.has_record => Hop::pass(
            "dns",
            format!("{name} resolves in {astro_vpc} from private zone {} ({})", z.id, z.name),
            Some(z.id.clone()),
        ),
        Some(z) => Hop::blocked(
            "dns",
            format!(
                "private zone {} ({}) answers for {name} in {astro_vpc} but has no record for it",
                z.id, z.name
            ),
            Some(z.id.clone()),
        ),
        None => match zones.iter().max_by_key(|z| z.name.len()) {
            Some(z) => Hop::blocked(
                "dns",
                format!(
                    "private zone {} ({}) holds {name} but is not associated with Astro's VPC {astro_vpc}",
                    z.id, z.name
                ),
                Some(z.id.clone()),
            ),
            None => Hop::unknown(
                "dns",
                format!(
                    "no private zone of this account holds {name}; it resolves through public DNS or a zone of Astro's"
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Interface, PrivateZone};
    use super::super::report::Verdict;
    use super::*;
    use crate::model::{Route, RouteTarget};

    fn net(s: &str) -> Ipv4Net {
        cidr::parse(s).unwrap()
    }

    fn table(routes: &[(&str, &str, &str)]) -> RouteTable {
        RouteTable {
            id: "rtb-1".into(),
            main: false,
            tags: Default::default(),
            routes: routes
                .iter()
                .map(|(d, t, s)| Route {
                    destination: d.to_string(),
                    target: RouteTarget::from(*t),
                    state: RouteState::parse(s),
                })
                .collect(),
        }
    }

    fn entry(
        n: i32,
        egress: bool,
        proto: &str,
        allow: bool,
        c: &str,
        ports: Option<(u16, u16)>,
    ) -> AclEntry {
        AclEntry {
            rule_number: n,
            egress,
            protocol: proto.into(),
            allow,
            cidr: Some(c.into()),
            ports,
        }
    }

    fn acl(entries: Vec<AclEntry>) -> NetworkAcl {
        NetworkAcl {
            id: "acl-1".into(),
            entries,
        }
    }

    fn open_outbound() -> AclEntry {
        entry(100, true, "-1", true, "0.0.0.0/0", None)
    }

    #[test]
    fn the_most_specific_route_decides() {
        let astro = net("10.100.0.0/16");
        let t = table(&[
            ("10.0.0.0/16", "local", "active"),
            ("0.0.0.0/0", "igw-1", "active"),
            ("10.100.0.0/16", "pcx-1", "active"),
        ]);
        let hop = route(&t, &astro, "pcx-1");
        assert_eq!(hop.verdict, Verdict::Reachable, "{hop:?}");
        assert_eq!(hop.rule.as_deref(), Some("rtb-1:10.100.0.0/16"));

        // Only the default route: it wins, and it is not the peering.
        let hop = route(&table(&[("0.0.0.0/0", "igw-1", "active")]), &astro, "pcx-1");
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(
            hop.detail.contains("igw-1") && hop.detail.contains("0.0.0.0/0"),
            "{hop:?}"
        );

        // A broader route to the peering loses to a more specific one elsewhere.
        let t = table(&[
            ("10.0.0.0/8", "pcx-1", "active"),
            ("10.100.0.0/16", "tgw-9", "active"),
        ]);
        assert_eq!(route(&t, &astro, "pcx-1").verdict, Verdict::Blocked);
        // A broader route to the peering is enough when nothing more specific exists.
        let t = table(&[("10.0.0.0/8", "pcx-1", "active")]);
        assert_eq!(route(&t, &astro, "pcx-1").verdict, Verdict::Reachable);
        // A more specific route inside the Astro CIDR takes part of it elsewhere.
        let t = table(&[
            ("10.100.0.0/16", "pcx-1", "active"),
            ("10.100.8.0/24", "nat-1", "active"),
        ]);
        let hop = route(&t, &astro, "pcx-1");
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert_eq!(hop.rule.as_deref(), Some("rtb-1:10.100.8.0/24"));
        // A blackhole route to the right target.
        let t = table(&[("10.100.0.0/16", "pcx-1", "blackhole")]);
        assert_eq!(route(&t, &astro, "pcx-1").verdict, Verdict::Blocked);
        // No route at all.
        let hop = route(
            &table(&[("10.0.0.0/16", "local", "active")]),
            &astro,
            "pcx-1",
        );
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(hop.detail.contains("no route"));
    }

    #[test]
    fn a_network_acl_applies_its_lowest_matching_rule_first() {
        let astro = net("10.100.0.0/16");
        // A deny numbered before an allow wins.
        let a = acl(vec![
            entry(200, false, "6", true, "10.100.0.0/16", Some((5432, 5432))),
            entry(90, false, "6", false, "10.100.0.0/16", Some((5432, 5432))),
            open_outbound(),
        ]);
        let hop = network_acl(&a, &astro, 5432);
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert_eq!(hop.rule.as_deref(), Some("acl-1:ingress:90"));
        assert!(hop.detail.contains("rule 90"), "{hop:?}");

        // An allow numbered before the deny wins.
        let a = acl(vec![
            entry(80, false, "6", true, "10.100.0.0/16", Some((5432, 5432))),
            entry(90, false, "6", false, "10.100.0.0/16", Some((5432, 5432))),
            open_outbound(),
        ]);
        let hop = network_acl(&a, &astro, 5432);
        assert_eq!(hop.verdict, Verdict::Reachable, "{hop:?}");
        assert_eq!(hop.rule.as_deref(), Some("acl-1:ingress:80"));

        // A rule for another port or another CIDR does not match; the final * denies.
        let a = acl(vec![
            entry(100, false, "6", true, "10.100.0.0/16", Some((443, 443))),
            entry(110, false, "6", true, "192.168.0.0/16", Some((5432, 5432))),
            entry(32767, false, "-1", false, "0.0.0.0/0", None),
            open_outbound(),
        ]);
        let hop = network_acl(&a, &astro, 5432);
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert_eq!(hop.rule.as_deref(), Some("acl-1:ingress:32767"));

        // An allow of only part of the CIDR leaves the rest to later rules.
        let a = acl(vec![
            entry(100, false, "6", true, "10.100.0.0/24", Some((5432, 5432))),
            entry(110, false, "6", false, "10.100.0.0/16", Some((5432, 5432))),
            open_outbound(),
        ]);
        assert_eq!(network_acl(&a, &astro, 5432).verdict, Verdict::Blocked);
        // UDP rules do not carry TCP.
        let a = acl(vec![
            entry(100, false, "17", true, "0.0.0.0/0", None),
            open_outbound(),
        ]);
        assert_eq!(network_acl(&a, &astro, 5432).verdict, Verdict::Blocked);
    }

    #[test]
    fn network_acls_need_the_replies_on_every_ephemeral_port() {
        let astro = net("10.100.0.0/16");
        let inbound = entry(100, false, "6", true, "10.100.0.0/16", Some((5432, 5432)));
        // Replies allowed only on 32768-65535: ports 1024-32767 are denied by the final rule.
        let a = acl(vec![
            inbound.clone(),
            entry(100, true, "6", true, "10.100.0.0/16", Some((32768, 65535))),
        ]);
        let hop = network_acl(&a, &astro, 5432);
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(
            hop.detail.contains("outbound") && hop.detail.contains("replies"),
            "{hop:?}"
        );
        assert_eq!(hop.rule.as_deref(), Some("acl-1:egress:32767"));
        // A deny of some ephemeral ports before the allow blocks.
        let a = acl(vec![
            inbound.clone(),
            entry(50, true, "6", false, "0.0.0.0/0", Some((2000, 3000))),
            entry(100, true, "6", true, "10.100.0.0/16", Some((1024, 65535))),
        ]);
        assert_eq!(
            network_acl(&a, &astro, 5432).rule.as_deref(),
            Some("acl-1:egress:50")
        );
        let a = acl(vec![
            inbound,
            entry(100, true, "6", true, "10.0.0.0/8", Some((1024, 65535))),
        ]);
        assert_eq!(network_acl(&a, &astro, 5432).verdict, Verdict::Reachable);
    }

    fn sg(rules: Vec<SgRule>) -> SecurityGroup {
        SecurityGroup {
            id: "sg-1".into(),
            ingress: rules,
        }
    }

    fn tcp(port: u16) -> SgRule {
        SgRule {
            protocol: "tcp".into(),
            ports: Some((port, port)),
            ..Default::default()
        }
    }

    #[test]
    fn security_groups_allow_by_cidr_or_prefix_list_but_not_by_group_reference() {
        let astro = net("10.100.0.0/16");
        let by_cidr = SgRule {
            cidrs: vec!["10.100.0.0/16".into()],
            ..tcp(5432)
        };
        let hop = security_groups(&[sg(vec![by_cidr.clone()])], &[], &astro, 5432, "eni-1");
        assert_eq!(hop.verdict, Verdict::Reachable, "{hop:?}");
        // The wrong port.
        assert_eq!(
            security_groups(&[sg(vec![by_cidr])], &[], &astro, 5433, "eni-1").verdict,
            Verdict::Blocked
        );
        // A port range and all protocols.
        let all = SgRule {
            protocol: "-1".into(),
            ports: None,
            cidrs: vec!["10.0.0.0/8".into()],
            ..Default::default()
        };
        assert_eq!(
            security_groups(&[sg(vec![all])], &[], &astro, 5432, "eni-1").verdict,
            Verdict::Reachable
        );
        // By prefix list.
        let by_list = SgRule {
            prefix_lists: vec!["pl-1".into()],
            ..tcp(5432)
        };
        let lists = [PrefixList {
            id: "pl-1".into(),
            cidrs: Some(vec!["203.0.113.7/32".into(), "10.100.0.0/16".into()]),
        }];
        let hop = security_groups(&[sg(vec![by_list.clone()])], &lists, &astro, 5432, "eni-1");
        assert_eq!(hop.verdict, Verdict::Reachable);
        assert!(hop.detail.contains("pl-1"));
        // A prefix list without the CIDR, or unreadable.
        let other = [PrefixList {
            id: "pl-1".into(),
            cidrs: Some(vec!["203.0.113.7/32".into()]),
        }];
        assert_eq!(
            security_groups(&[sg(vec![by_list.clone()])], &other, &astro, 5432, "eni-1").verdict,
            Verdict::Blocked
        );
        let unreadable = [PrefixList {
            id: "pl-1".into(),
            cidrs: None,
        }];
        assert_eq!(
            security_groups(&[sg(vec![by_list])], &unreadable, &astro, 5432, "eni-1").verdict,
            Verdict::Unknown
        );
        // A group reference is named and does not count.
        let by_group = SgRule {
            groups: vec![("sg-astro".into(), Some("111111111111".into()))],
            ..tcp(5432)
        };
        let hop = security_groups(&[sg(vec![by_group])], &[], &astro, 5432, "eni-1");
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(
            hop.detail.contains("sg-astro") && hop.detail.contains("another account"),
            "{hop:?}"
        );
        // Part of the CIDR only.
        let part = SgRule {
            cidrs: vec!["10.100.1.0/24".into()],
            ..tcp(5432)
        };
        let hop = security_groups(&[sg(vec![part])], &[], &astro, 5432, "eni-1");
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(hop.detail.contains("only part"));
    }

    fn zone(id: &str, name: &str, vpcs: &[&str], has_record: bool) -> PrivateZone {
        PrivateZone {
            id: id.into(),
            name: name.into(),
            vpc_ids: vpcs.iter().map(|v| v.to_string()).collect(),
            has_record,
        }
    }

    #[test]
    fn dns_needs_the_accepter_option_and_a_zone_associated_with_astro() {
        assert_eq!(dns("pcx-1", "vpc-a", false, None).verdict, Verdict::Blocked);
        assert_eq!(
            dns("pcx-1", "vpc-a", true, None).verdict,
            Verdict::Reachable
        );
        let asked = |zones: Vec<PrivateZone>| ("db.corp.example".to_string(), zones);
        let hop = dns(
            "pcx-1",
            "vpc-a",
            true,
            Some(&asked(vec![zone("Z1", "corp.example", &["vpc-c"], true)])),
        );
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert!(hop.detail.contains("not associated"));
        let hop = dns(
            "pcx-1",
            "vpc-a",
            true,
            Some(&asked(vec![zone("Z1", "corp.example", &["vpc-a"], true)])),
        );
        assert_eq!(hop.verdict, Verdict::Reachable);
        // The most specific zone in Astro's VPC answers, and it lacks the record.
        let hop = dns(
            "pcx-1",
            "vpc-a",
            true,
            Some(&asked(vec![
                zone("Z1", "corp.example", &["vpc-a"], true),
                zone("Z2", "db.corp.example", &["vpc-a"], false),
            ])),
        );
        assert_eq!(hop.verdict, Verdict::Blocked);
        assert_eq!(hop.rule.as_deref(), Some("Z2"));
        assert_eq!(
            dns("pcx-1", "vpc-a", true, Some(&asked(vec![]))).verdict,
            Verdict::Unknown
        );
    }

    #[test]
    fn a_tgw_path_has_no_dns_hop_and_a_peering_path_has_one() {
        let facts = Facts {
            interface: Interface {
                id: "eni-1".into(),
                vpc_id: "vpc-1".into(),
                subnet_id: "subnet-1".into(),
                private_ips: vec!["10.0.3.25".into()],
                security_group_ids: vec![],
            },
            route_table: None,
            network_acl: None,
            security_groups: vec![],
            prefix_lists: vec![],
            name: None,
        };
        let astro = net("10.100.0.0/16");
        let tgw = Path::TransitGateway {
            tgw_id: "tgw-1".into(),
            attachment_id: "tgw-attach-1".into(),
            astro_attachment_ids: vec![],
            astro_cidrs: vec![],
        };
        let hops: Vec<String> = check(&facts, &tgw, &astro, 5432)
            .into_iter()
            .map(|h| h.hop)
            .collect();
        assert_eq!(hops, ["route", "network-acl", "security-group"]);
        let peering = Path::Peering {
            id: "pcx-1".into(),
            astro_vpc_id: "vpc-a".into(),
            astro_cidrs: vec![],
            accepter_dns_resolution: true,
        };
        let hops = check(&facts, &peering, &astro, 5432);
        assert_eq!(hops.len(), 4);
        assert_eq!(hops[0].verdict, Verdict::Unknown, "no route table read");
    }
}
