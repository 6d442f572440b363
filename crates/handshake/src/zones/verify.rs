//! The Remote Execution verify step: how does a name resolve inside the customer's VPCs?
//!
//! For each VPC: the private hosted zones associated with it (`ListHostedZonesByVPC`), the
//! most specific one whose domain holds the name (Route 53 Resolver answers from it and does
//! not fall back to public DNS), the record that answers (exact name first, then the closest
//! wildcard), and, for an alias, the interface endpoint it points at. Read-only.

use serde::Serialize;
use serde_json::Value;

use super::{
    EndpointReads, VpcRef, ZonesAction, ZonesConfig, ZonesHandshake, ZonesPort, ZonesReads,
};
use crate::audit::Verdict;
use crate::decision::Decision;
use crate::engine::{Query, Recorder};
use crate::error::{Error, Result};
use crate::ids;
use crate::tgw::AttachmentReads;

/// The direct-invoke field that asks for a verification.
pub const FIELD: &str = "verifyName";

/// Whether the event asks for a verification rather than a reconcile.
pub fn asks(event: &Value) -> bool {
    event.get(FIELD).is_some()
}

/// A private zone associated with a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneSummary {
    pub id: String,
    pub name: String,
    /// The owning account, when Route 53 says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasTarget {
    pub dns_name: String,
    pub hosted_zone_id: String,
}

/// One resource record set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSet {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_target: Option<AliasTarget>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A VPC endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: String,
    pub vpc_id: String,
    pub service_name: String,
    pub state: String,
}

/// What a name resolves to in one VPC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub vpc_id: String,
    pub region: String,
    pub resolved: bool,
    pub zone: Option<ZoneSummary>,
    pub record: Option<RecordSet>,
    pub endpoint: Option<Endpoint>,
    pub detail: String,
}

/// The answer to a verify invoke.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub handshake: &'static str,
    pub verify_name: String,
    /// The name resolves through a private record in every VPC looked at.
    pub resolved: bool,
    pub vpcs: Vec<Resolution>,
}

/// A verify request: the name, and optionally the VPCs to look from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    pub vpc_ids: Vec<String>,
}

/// Lower case, `\052` as `*`, with the trailing dot.
pub fn normalize(name: &str) -> String {
    let mut n = name.trim().to_ascii_lowercase().replace("\\052", "*");
    if !n.ends_with('.') {
        n.push('.');
    }
    n
}

fn is_dns_name(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub fn parse(event: &Value) -> Result<Request> {
    let Some(object) = event.as_object() else {
        return Err(Error::Event("expected a JSON object".into()));
    };
    if let Some(key) = object
        .keys()
        .find(|k| !matches!(k.as_str(), FIELD | "vpcIds" | "vpcId" | "dryRun"))
    {
        return Err(Error::Event(format!(
            "unknown field `{key}`; a verify invoke takes {FIELD} and optionally vpcIds"
        )));
    }
    let name = object
        .get(FIELD)
        .and_then(Value::as_str)
        .filter(|n| is_dns_name(n))
        .ok_or_else(|| {
            Error::Event(format!(
                "{FIELD} must be a DNS name such as api.external.astronomer.run"
            ))
        })?;
    let mut vpc_ids = Vec::new();
    match object.get("vpcIds") {
        None => {}
        Some(Value::Array(items)) => {
            for v in items {
                vpc_ids.push(v.as_str().unwrap_or_default().to_string());
            }
        }
        Some(_) => return Err(Error::Event("vpcIds must be a list of vpc- ids".into())),
    }
    if let Some(v) = object.get("vpcId") {
        vpc_ids.push(v.as_str().unwrap_or_default().to_string());
    }
    if let Some(bad) = vpc_ids.iter().find(|v| !ids::is_vpc_id(v)) {
        return Err(Error::Event(format!("`{bad}` is not a vpc- id")));
    }
    vpc_ids.sort();
    vpc_ids.dedup();
    Ok(Request {
        name: normalize(name),
        vpc_ids,
    })
}

/// The most specific zone whose domain holds `name`.
pub fn choose_zone<'a>(name: &str, zones: &'a [ZoneSummary]) -> Option<&'a ZoneSummary> {
    let name = normalize(name);
    zones
        .iter()
        .filter(|z| {
            let zone = normalize(&z.name);
            name == zone || name.ends_with(&format!(".{zone}"))
        })
        .max_by_key(|z| normalize(&z.name).len())
}

/// The record answering an A query for `name` in the zone `zone`: the name's own A (or CNAME)
/// record; when the name does not exist at all, the closest wildcard (`*.parent`) up to the
/// zone apex, stopping at an existing ancestor (DNS wildcard rules, RFC 4592, simplified).
pub fn find_record<'a>(name: &str, zone: &str, records: &'a [RecordSet]) -> Option<&'a RecordSet> {
    let name = normalize(name);
    let zone = normalize(zone);
    let answer = |owner: &str| -> (bool, Option<&'a RecordSet>) {
        let here: Vec<&RecordSet> = records
            .iter()
            .filter(|r| normalize(&r.name) == owner)
            .collect();
        let pick = ["A", "CNAME"]
            .iter()
            .find_map(|t| here.iter().find(|r| r.record_type == *t).copied());
        (!here.is_empty(), pick)
    };
    // The name exists when a record has it or lies below it (an empty non-terminal).
    let exists = |owner: &str| {
        records.iter().any(|r| {
            let n = normalize(&r.name);
            n == owner || n.ends_with(&format!(".{owner}"))
        })
    };
    let (found, pick) = answer(&name);
    if found || exists(&name) {
        return pick;
    }
    let mut current = name.as_str();
    while let Some((_, parent)) = current.split_once('.') {
        if parent.len() < zone.len() || !(parent == zone || parent.ends_with(&format!(".{zone}"))) {
            break;
        }
        let (found, pick) = answer(&format!("*.{parent}"));
        if found {
            return pick;
        }
        if parent == zone || answer(parent).0 {
            break;
        }
        current = parent;
    }
    None
}

/// The VPCs to look from when the request names none: every VPC of `ZoneVpcAssociations` and
/// the Remote Execution zone's own VPCs.
async fn default_vpcs<Z: ZonesPort>(port: &Z, config: &ZonesConfig) -> Result<Vec<String>> {
    let mut vpcs: Vec<String> = config.associations.values().flatten().cloned().collect();
    if let Some(zone_id) = &config.remote_execution_zone_id {
        if let Some(zone) = port.hosted_zone(zone_id).await? {
            vpcs.extend(
                zone.vpcs
                    .into_iter()
                    .filter(|v| v.region == port.region())
                    .map(|v| v.vpc_id),
            );
        }
    }
    vpcs.sort();
    vpcs.dedup();
    Ok(vpcs)
}

async fn resolve_in<Z: ZonesPort, E: EndpointReads>(
    port: &Z,
    endpoints: &E,
    name: &str,
    vpc: VpcRef,
) -> Result<Resolution> {
    let mut r = Resolution {
        vpc_id: vpc.vpc_id.clone(),
        region: vpc.region.clone(),
        resolved: false,
        zone: None,
        record: None,
        endpoint: None,
        detail: String::new(),
    };
    let zones = port.zones_of_vpc(&vpc).await?;
    let Some(zone) = choose_zone(name, &zones).cloned() else {
        r.detail = format!("no private hosted zone associated with {vpc} holds {name}; the VPC resolves it through public DNS");
        return Ok(r);
    };
    r.zone = Some(zone.clone());
    let records = match port.record_sets(&zone.id).await {
        Ok(records) => records,
        Err(err) if !err.is_retryable() => {
            r.detail = format!("{name} falls in zone {} ({}) associated with {vpc}, whose records cannot be read here: {err}", zone.id, zone.name);
            return Ok(r);
        }
        Err(err) => return Err(err),
    };
    let Some(record) = find_record(name, &zone.name, &records).cloned() else {
        r.detail = format!(
            "zone {} ({}) associated with {vpc} answers for {name} but has no A record for it",
            zone.id, zone.name
        );
        return Ok(r);
    };
    let answer = match &record.alias_target {
        Some(alias) => {
            r.endpoint = endpoints.endpoint_by_dns_name(&alias.dns_name).await?;
            let endpoint = match &r.endpoint {
                Some(e) => format!(
                    "; interface endpoint {} ({}) in {}, {}",
                    e.id, e.service_name, e.vpc_id, e.state
                ),
                None => "; no interface endpoint of this account has that DNS name".to_string(),
            };
            format!("alias to {}{endpoint}", alias.dns_name)
        }
        None => record.values.join(", "),
    };
    r.detail = format!(
        "{name} resolves in {vpc} through zone {} ({}), record {} {} -> {answer}",
        zone.id, zone.name, record.name, record.record_type
    );
    r.resolved = record.alias_target.is_some() || !record.values.is_empty();
    r.record = Some(record);
    Ok(r)
}

/// Resolves the request's name from each VPC.
pub async fn verify<Z: ZonesPort, E: EndpointReads>(
    port: &Z,
    endpoints: &E,
    config: &ZonesConfig,
    request: &Request,
) -> Result<Report> {
    let vpcs = if request.vpc_ids.is_empty() {
        default_vpcs(port, config).await?
    } else {
        request.vpc_ids.clone()
    };
    if vpcs.is_empty() {
        return Err(Error::Event(
            "no VPC to look from: pass vpcIds, or configure ZoneVpcAssociations or the Remote Execution zone".into(),
        ));
    }
    let mut report = Report {
        handshake: "zones",
        verify_name: request.name.clone(),
        resolved: true,
        vpcs: Vec::new(),
    };
    for vpc_id in vpcs {
        let vpc = VpcRef::new(vpc_id, port.region());
        let resolution = resolve_in(port, endpoints, &request.name, vpc).await?;
        report.resolved &= resolution.resolved;
        report.vpcs.push(resolution);
    }
    Ok(report)
}

/// A verify invoke: one `decision` record per VPC (verdict `accept` when the name resolves,
/// `wait` when not), the report as the answer.
impl<Z, E, T> Query for ZonesHandshake<Z, E, T>
where
    Z: ZonesPort,
    E: ZonesReads,
    T: AttachmentReads,
{
    type Request = Request;
    const KIND: &'static str = "zones";
    const TRIGGER: &'static str = "invoke:verify";

    fn parse_request(&self, event: &Value) -> Result<Request> {
        parse(event)
    }

    fn subject(request: &Request) -> String {
        request.name.clone()
    }

    async fn answer(&self, request: &Request, rec: &Recorder<'_>) -> Result<Value> {
        let report = verify(&self.port, &self.peerings, &self.config, request).await?;
        for v in &report.vpcs {
            let verdict = if v.resolved {
                Verdict::Accept
            } else {
                Verdict::Wait
            };
            rec.decision::<ZonesAction>(
                &request.name,
                &Decision::new(verdict, v.detail.clone(), None),
            );
        }
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn a(name: &str, alias: &str) -> RecordSet {
        RecordSet {
            name: name.into(),
            record_type: "A".into(),
            alias_target: Some(AliasTarget {
                dns_name: alias.into(),
                hosted_zone_id: "Z1HUB23UULQXV".into(),
            }),
            values: vec![],
        }
    }

    fn other(name: &str, t: &str) -> RecordSet {
        RecordSet {
            name: name.into(),
            record_type: t.into(),
            alias_target: None,
            values: vec!["x".into()],
        }
    }

    const ZONE: &str = "external.astronomer.run.";

    #[test]
    fn exact_record_wins_over_wildcard() {
        let records = [
            other(ZONE, "SOA"),
            a("\\052.external.astronomer.run.", "wild.vpce.amazonaws.com"),
            a("api.external.astronomer.run.", "exact.vpce.amazonaws.com"),
        ];
        let hit = find_record("API.external.astronomer.run", ZONE, &records).unwrap();
        assert_eq!(
            hit.alias_target.as_ref().unwrap().dns_name,
            "exact.vpce.amazonaws.com"
        );
        let hit = find_record("abc123.external.astronomer.run", ZONE, &records).unwrap();
        assert_eq!(
            hit.alias_target.as_ref().unwrap().dns_name,
            "wild.vpce.amazonaws.com"
        );
        let hit = find_record("a.b.external.astronomer.run.", ZONE, &records).unwrap();
        assert_eq!(
            hit.alias_target.as_ref().unwrap().dns_name,
            "wild.vpce.amazonaws.com"
        );
        let hit = find_record(ZONE, ZONE, &records);
        assert!(hit.is_none(), "the apex has only SOA: no A answer");
    }

    #[test]
    fn existing_names_block_wildcards() {
        let records = [
            a("*.external.astronomer.run.", "wild"),
            other("txt.external.astronomer.run.", "TXT"),
        ];
        assert!(
            find_record("txt.external.astronomer.run.", ZONE, &records).is_none(),
            "NODATA, not the wildcard"
        );
        assert!(
            find_record("a.txt.external.astronomer.run.", ZONE, &records).is_none(),
            "stops at an existing ancestor"
        );
        let records = [
            a("x.y.external.astronomer.run.", "deep"),
            a("*.external.astronomer.run.", "wild"),
        ];
        assert!(
            find_record("y.external.astronomer.run.", ZONE, &records).is_none(),
            "empty non-terminal"
        );
        assert!(find_record("other.example.com.", ZONE, &records).is_none());
    }

    #[test]
    fn most_specific_zone_is_chosen() {
        let zones = [
            ZoneSummary {
                id: "Z1".into(),
                name: "astronomer.run.".into(),
                owner: None,
            },
            ZoneSummary {
                id: "Z2".into(),
                name: "external.astronomer.run.".into(),
                owner: None,
            },
            ZoneSummary {
                id: "Z3".into(),
                name: "notexternal.astronomer.run.".into(),
                owner: None,
            },
        ];
        assert_eq!(
            choose_zone("api.external.astronomer.run", &zones)
                .unwrap()
                .id,
            "Z2"
        );
        assert_eq!(
            choose_zone("external.astronomer.run.", &zones).unwrap().id,
            "Z2"
        );
        assert_eq!(
            choose_zone("cloud.astronomer.run", &zones).unwrap().id,
            "Z1"
        );
        assert!(choose_zone("example.com", &zones).is_none());
    }

    #[test]
    fn parses_requests() {
        let r = parse(&json!({"verifyName": "Api.External.Astronomer.Run", "vpcIds": ["vpc-0000aaaa"], "vpcId": "vpc-0000aaaa"}))
            .unwrap();
        assert_eq!(r.name, "api.external.astronomer.run.");
        assert_eq!(r.vpc_ids, ["vpc-0000aaaa"]);
        let err = |v: Value| parse(&v).unwrap_err().to_string();
        assert!(err(json!({"verifyName": "bad name!"})).contains("DNS name"));
        assert!(err(json!({"verifyName": "a.b", "vpcIds": ["subnet-1"]})).contains("not a vpc- id"));
        assert!(err(json!({"verifyName": "a.b", "extra": 1})).contains("unknown field"));
    }
}
