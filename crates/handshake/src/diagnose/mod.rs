//! The connectivity doctor: "why can't Astro reach my database?"
//!
//! A read-only query of the peering function: `{"diagnose": {"target": "10.0.3.25" | "eni-..",
//! "port": 5432, "name": "db.corp.example"}}` (`name` optional). It finds the target's
//! network interface, every active Astro handshake that reaches its VPC (a peering from an
//! Astro account into it, or a Transit Gateway its VPC and an Astro VPC are both attached
//! to), and checks each hop Astro's traffic crosses, for each Astro CIDR ([`hops`]): the
//! route table of the target's subnet (whatever the route table selector chose), its network
//! ACL both ways, the interface's security groups, and for a peering, DNS. The answer is a
//! [`Report`]; one `status` record per path says what was found.

pub mod hops;
pub mod model;
pub mod report;

use std::future::Future;
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::audit::Sink;
use crate::config::Common;
use crate::decision::Check;
use crate::engine::{self, Query, Recorder, Settings};
use crate::error::{Error, Result};
use crate::ids;
use crate::model::RouteTable;
use crate::peering::{PeeringReads, PeeringState};
use crate::tgw::Attachment;

pub use model::{
    Facts, Interface, NetworkAcl, Path, PrefixList, PrivateZone, SecurityGroup, Target,
};
pub use report::{Report, Verdict};

/// The direct-invoke field that asks for a diagnosis.
pub const FIELD: &str = "diagnose";

/// Whether the event asks for a diagnosis.
pub fn asks(event: &Value) -> bool {
    event.get(FIELD).is_some()
}

/// A diagnosis asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub target: Target,
    pub port: u16,
    pub name: Option<String>,
}

/// Reads `{"diagnose": {"target": .., "port": .., "name": ..}}`.
pub fn parse(event: &Value) -> Result<Request> {
    let bad = |why: String| Error::Event(format!("diagnose: {why}"));
    let body = event
        .get(FIELD)
        .and_then(Value::as_object)
        .ok_or_else(|| bad("expected {\"diagnose\": {\"target\": .., \"port\": ..}}".into()))?;
    if let Some(extra) = body
        .keys()
        .find(|k| !["target", "port", "name"].contains(&k.as_str()))
    {
        return Err(bad(format!("unknown field `{extra}` (target, port, name)")));
    }
    let target = match body.get("target").and_then(Value::as_str) {
        Some(t) if ids::is_network_interface_id(t) => Target::Interface(t.to_string()),
        Some(t) => Target::Ip(t.parse::<Ipv4Addr>().map_err(|_| {
            bad(format!(
                "target `{t}` is neither an IPv4 address nor a network interface id (eni-..)"
            ))
        })?),
        None => {
            return Err(bad(
                "target is required: an IPv4 address or an eni- id".into()
            ))
        }
    };
    let port = match body.get("port") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|p| (1..=65535).contains(p))
            .map(|p| p as u16)
            .ok_or_else(|| bad(format!("port {n} is not a TCP port (1-65535)")))?,
        Some(Value::String(s)) => s
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad(format!("port `{s}` is not a TCP port (1-65535)")))?,
        Some(other) => return Err(bad(format!("port must be a number, got {other}"))),
        None => return Err(bad("port is required (1-65535)".into())),
    };
    let name = match body.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if is_dns_name(n) => Some(n.trim_end_matches('.').to_lowercase()),
        Some(other) => return Err(bad(format!("name {other} is not a DNS name"))),
    };
    Ok(Request { target, port, name })
}

fn is_dns_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The EC2 reads of a diagnosis.
pub trait NetworkReads: PeeringReads {
    /// The network interfaces holding the address (several VPCs may use the same private
    /// address), or the one named. Empty: none.
    fn interfaces(&self, target: &Target) -> impl Future<Output = Result<Vec<Interface>>> + Send;
    /// The subnet's route table: its explicit association, else the VPC's main table.
    fn subnet_route_table(
        &self,
        vpc_id: &str,
        subnet_id: &str,
    ) -> impl Future<Output = Result<Option<RouteTable>>> + Send;
    fn subnet_network_acl(
        &self,
        subnet_id: &str,
    ) -> impl Future<Output = Result<Option<NetworkAcl>>> + Send;
    fn security_groups(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<SecurityGroup>>> + Send;
    /// A prefix list's entries; `cidrs: None` when this account may not read them.
    fn prefix_list(&self, id: &str) -> impl Future<Output = Result<PrefixList>> + Send;
    /// The available Transit Gateway attachments of a VPC, on any TGW.
    fn vpc_tgw_attachments(
        &self,
        vpc_id: &str,
    ) -> impl Future<Output = Result<Vec<Attachment>>> + Send;
    /// The available VPC attachments on a TGW.
    fn tgw_attachments(&self, tgw_id: &str)
        -> impl Future<Output = Result<Vec<Attachment>>> + Send;
}

/// The Route 53 read of a diagnosis.
pub trait NameReads: Sync {
    /// This account's private zones whose domain holds `name`, with their VPCs and whether
    /// a record answers for it.
    fn private_zones_holding(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<PrivateZone>>> + Send;
}

/// The doctor: EC2 and Route 53 reads, and whom to count as Astro.
pub struct Doctor<N, Z> {
    pub network: N,
    pub names: Z,
    pub common: Common,
}

impl<N: NetworkReads, Z: NameReads> Doctor<N, Z> {
    /// The active Astro handshakes into `vpc_id`.
    pub async fn paths(&self, vpc_id: &str) -> Result<Vec<Path>> {
        let astro = &self.common.astro_account_ids;
        let mut paths = Vec::new();
        let peerings = self
            .network
            .peerings_into(&[vpc_id.to_string()], &[PeeringState::Active])
            .await?;
        // What the filters asked for is checked again: the path must really end in this VPC.
        for p in peerings.into_iter().filter(|p| {
            astro.contains(&p.requester.owner_id)
                && p.accepter.vpc_id == vpc_id
                && p.state == PeeringState::Active
        }) {
            paths.push(Path::Peering {
                astro_cidrs: self.astro_part(&p.requester.cidrs),
                id: p.id,
                astro_vpc_id: p.requester.vpc_id,
                accepter_dns_resolution: p.accepter_dns_resolution,
            });
        }
        for own in self.network.vpc_tgw_attachments(vpc_id).await? {
            let astro_attachments: Vec<String> = self
                .network
                .tgw_attachments(&own.transit_gateway_id)
                .await?
                .into_iter()
                .filter(|a| astro.contains(&a.vpc_owner_id))
                .map(|a| a.id)
                .collect();
            if !astro_attachments.is_empty() {
                paths.push(Path::TransitGateway {
                    tgw_id: own.transit_gateway_id,
                    attachment_id: own.id,
                    astro_attachment_ids: astro_attachments,
                    astro_cidrs: self
                        .common
                        .astro_cidrs
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                });
            }
        }
        Ok(paths)
    }

    /// The CIDRs of an Astro VPC that lie in AstroCidrs (all of them when none does: the
    /// traffic still comes from there).
    fn astro_part(&self, cidrs: &[String]) -> Vec<String> {
        let inside: Vec<String> = cidrs
            .iter()
            .filter(|c| {
                crate::cidr::parse(c).is_ok_and(|n| {
                    self.common
                        .astro_cidrs
                        .iter()
                        .any(|a| crate::cidr::within(&n, a))
                })
            })
            .cloned()
            .collect();
        if inside.is_empty() {
            cidrs.to_vec()
        } else {
            inside
        }
    }

    /// Reads everything the hops need and checks them.
    pub async fn diagnose(&self, request: &Request) -> Result<Report> {
        let mut report = Report {
            target: request.target.to_string(),
            port: request.port,
            name: request.name.clone(),
            interface_id: None,
            vpc_id: None,
            subnet_id: None,
            other_interfaces: Vec::new(),
            verdict: Verdict::Blocked,
            summary: String::new(),
            paths: Vec::new(),
        };
        let candidates = self.network.interfaces(&request.target).await?;
        if candidates.is_empty() {
            report.verdict = Verdict::Unknown;
            report.summary = format!(
                "no network interface in this account and Region holds {}",
                request.target
            );
            return Ok(report);
        }
        // The same private address may be in use in several VPCs: the one Astro reaches is
        // the one Astro means.
        let mut chosen = None;
        for candidate in &candidates {
            let paths = self.paths(&candidate.vpc_id).await?;
            if !paths.is_empty() {
                chosen = Some((candidate.clone(), paths));
                break;
            }
        }
        let (interface, paths) = chosen.unwrap_or_else(|| (candidates[0].clone(), Vec::new()));
        report.other_interfaces = candidates
            .iter()
            .filter(|c| c.id != interface.id)
            .map(|c| format!("{} ({})", c.id, c.vpc_id))
            .collect();
        report.interface_id = Some(interface.id.clone());
        report.vpc_id = Some(interface.vpc_id.clone());
        report.subnet_id = Some(interface.subnet_id.clone());
        if paths.is_empty() {
            report.summary = format!(
                "no active Astro peering or Transit Gateway attachment reaches {}",
                candidates
                    .iter()
                    .map(|c| c.vpc_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(report);
        }
        let route_table = self
            .network
            .subnet_route_table(&interface.vpc_id, &interface.subnet_id)
            .await?;
        let network_acl = self
            .network
            .subnet_network_acl(&interface.subnet_id)
            .await?;
        let security_groups = self
            .network
            .security_groups(&interface.security_group_ids)
            .await?;
        let mut list_ids: Vec<String> = security_groups
            .iter()
            .flat_map(|g| {
                g.ingress
                    .iter()
                    .flat_map(|r| r.prefix_lists.iter().cloned())
            })
            .collect();
        list_ids.sort();
        list_ids.dedup();
        let mut prefix_lists = Vec::new();
        for id in &list_ids {
            prefix_lists.push(self.network.prefix_list(id).await?);
        }
        let name = match &request.name {
            Some(n) if paths.iter().any(|p| matches!(p, Path::Peering { .. })) => {
                Some((n.clone(), self.names.private_zones_holding(n).await?))
            }
            _ => None,
        };
        let facts = Facts {
            interface,
            route_table,
            network_acl,
            security_groups,
            prefix_lists,
            name,
        };
        for path in &paths {
            for cidr in path.astro_cidrs() {
                let Ok(astro) = crate::cidr::parse(cidr) else {
                    continue;
                };
                let hops = hops::check(&facts, path, &astro, request.port);
                report.paths.push(report::PathReport::new(
                    path.handshake(),
                    path.id(),
                    cidr,
                    hops,
                ));
            }
        }
        report.verdict = Report::overall(&report.paths);
        report.summary = match report.verdict {
            Verdict::Reachable => {
                let ok = report
                    .paths
                    .iter()
                    .find(|p| p.verdict == Verdict::Reachable)
                    .map(|p| format!("{} {} from {}", p.handshake, p.id, p.astro_cidr))
                    .unwrap_or_default();
                format!("reachable through {ok}")
            }
            _ => report
                .paths
                .iter()
                .filter_map(|p| {
                    p.first_problem().map(|h| {
                        format!(
                            "{} {} from {}: {}",
                            p.handshake, p.id, p.astro_cidr, h.detail
                        )
                    })
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        Ok(report)
    }
}

impl<N: NetworkReads, Z: NameReads> Query for Doctor<N, Z> {
    type Request = Request;
    const KIND: &'static str = "vpc-peering";
    const TRIGGER: &'static str = "invoke:diagnose";

    fn parse_request(&self, event: &Value) -> Result<Request> {
        parse(event)
    }

    fn subject(request: &Request) -> String {
        format!("{}:{}", request.target, request.port)
    }

    async fn answer(&self, request: &Request, rec: &Recorder<'_>) -> Result<Value> {
        let report = self.diagnose(request).await?;
        let subject = Self::subject(request);
        if report.paths.is_empty() {
            rec.status(&Check {
                subject,
                reason: format!("diagnose: {}: {}", report.verdict.as_str(), report.summary),
                findings: Vec::new(),
            });
        } else {
            for p in &report.paths {
                let why = p
                    .first_problem()
                    .map(|h| format!("at {}: {}", h.hop, h.detail))
                    .unwrap_or_else(|| "every hop passes".into());
                rec.status(&Check {
                    subject: format!("{subject} via {} from {}", p.id, p.astro_cidr),
                    reason: format!("diagnose: {}: {why}", p.verdict.as_str()),
                    findings: Vec::new(),
                });
            }
        }
        Ok(serde_json::to_value(&report).unwrap_or(Value::Null))
    }
}

/// Answers one diagnose event (see [`engine::query`]).
pub async fn handle<N: NetworkReads, Z: NameReads>(
    doctor: &Doctor<N, Z>,
    event: &Value,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<Value> {
    engine::query(doctor, event, settings, sink, invocation_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_names_an_address_or_interface_and_a_port() {
        let r = parse(&json!({"diagnose": {"target": "10.0.3.25", "port": 5432}})).unwrap();
        assert_eq!(r.target, Target::Ip("10.0.3.25".parse().unwrap()));
        assert_eq!((r.port, r.name), (5432, None));
        let r = parse(
            &json!({"diagnose": {"target": "eni-0123456789abcdef0", "port": "443",
            "name": "DB.corp.example."}}),
        )
        .unwrap();
        assert_eq!(r.target, Target::Interface("eni-0123456789abcdef0".into()));
        assert_eq!((r.port, r.name.as_deref()), (443, Some("db.corp.example")));
    }

    #[test]
    fn a_bad_request_is_an_event_error_naming_the_field() {
        for (event, needle) in [
            (json!({"diagnose": "10.0.3.25"}), "expected"),
            (json!({"diagnose": {"port": 5432}}), "target is required"),
            (
                json!({"diagnose": {"target": "10.0.3", "port": 5432}}),
                "neither an IPv4",
            ),
            (
                json!({"diagnose": {"target": "eni-xyz", "port": 5432}}),
                "neither an IPv4",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25"}}),
                "port is required",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25", "port": 0}}),
                "not a TCP port",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25", "port": 70000}}),
                "not a TCP port",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25", "port": true}}),
                "must be a number",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25", "port": 1, "name": "a b"}}),
                "not a DNS name",
            ),
            (
                json!({"diagnose": {"target": "10.0.3.25", "port": 1, "dryRun": true}}),
                "unknown field",
            ),
        ] {
            match parse(&event) {
                Err(Error::Event(text)) => assert!(text.contains(needle), "{event}: {text}"),
                other => panic!("{event}: {other:?}"),
            }
        }
    }
}
