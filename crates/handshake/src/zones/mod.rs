//! The private hosted zone handshake: authorize Astro VPCs on the customer's zones and
//! delete each authorization once Astro has used it; associate extra customer VPCs (the
//! Remote Execution zone among them); and, on request, verify how a name resolves.
//!
//! The resource is a hosted zone. Observing it reads the zone's VPCs and authorizations and
//! the Astro VPCs (from the peerings and the Transit Gateway); the decision plans what is
//! missing; the same engine as every handshake acts and records.

mod decide;
mod model;
pub mod verify;

pub use decide::{astro_vpcs, decide};
pub use model::{AstroVpc, HostedZone, Observation, TgwVpcAttachment, VpcRef, ZoneAction};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use serde_json::Value;

use crate::audit::{MemorySink, Sink, StdoutSink};
use crate::config::{Reader, Source};
use crate::decision::{Decision, Written};
use crate::engine::{self, Handshake, Settings};
use crate::error::{Error, Result};
use crate::ids;
use crate::peering::{self, Peering, PeeringConfig};
use crate::trigger::IdSpec;
use verify::{Endpoint, RecordSet, ZoneSummary};

/// A hosted zone id as the API gives it (`Z` and letters/digits), without `/hostedzone/`.
pub fn is_zone_id(value: &str) -> bool {
    (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `Z123` from `Z123` or `/hostedzone/Z123`.
pub fn bare_zone_id(value: &str) -> &str {
    value.trim().trim_start_matches("/hostedzone/")
}

/// The zones function's configuration.
#[derive(Debug, Clone)]
pub struct ZonesConfig {
    /// Astro accounts and CIDRs, accepter VPCs: the peering validation, reused as is.
    pub peering: PeeringConfig,
    /// When set, only these VPCs are authorized.
    pub astro_vpc_ids: BTreeSet<String>,
    pub transit_gateway_id: Option<String>,
    /// Zones the Astro VPCs are authorized on.
    pub private_hosted_zone_ids: BTreeSet<String>,
    /// Zone -> customer VPCs to associate with it.
    pub associations: BTreeMap<String, BTreeSet<String>>,
    /// The Remote Execution zone (`external.astronomer.run`): where a bare VPC id goes.
    pub remote_execution_zone_id: Option<String>,
}

impl ZonesConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let peering = PeeringConfig::read(source)?;
        let astro_vpc_ids = r.checked_list("ASTRO_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        let transit_gateway_id = r.optional("TRANSIT_GATEWAY_ID");
        if let Some(bad) = transit_gateway_id.as_deref().filter(|t| !ids::is_tgw_id(t)) {
            return Err(Error::Config(format!(
                "TRANSIT_GATEWAY_ID: `{bad}` is not a tgw- id"
            )));
        }
        let zone = |name: &str, text: &str| -> Result<String> {
            let id = bare_zone_id(text);
            if is_zone_id(id) {
                Ok(id.to_string())
            } else {
                Err(Error::Config(format!(
                    "{name}: `{text}` is not a hosted zone id"
                )))
            }
        };
        let private_hosted_zone_ids = r
            .list("PRIVATE_HOSTED_ZONE_IDS")
            .iter()
            .map(|z| zone("PRIVATE_HOSTED_ZONE_IDS", z))
            .collect::<Result<_>>()?;
        let remote_execution_zone_id = r
            .optional("REMOTE_EXECUTION_ZONE_ID")
            .map(|z| zone("REMOTE_EXECUTION_ZONE_ID", &z))
            .transpose()?;
        let mut associations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in r.list("ZONE_VPC_ASSOCIATIONS") {
            let (zone_id, vpc_id) = match entry.split_once(':') {
                Some((z, v)) => (zone("ZONE_VPC_ASSOCIATIONS", z)?, v.trim()),
                None => {
                    let z = remote_execution_zone_id.clone().ok_or_else(|| {
                        Error::Config(format!(
                            "ZONE_VPC_ASSOCIATIONS: `{entry}` names no zone and REMOTE_EXECUTION_ZONE_ID is unset \
                             (write ZONE_ID:VPC_ID, or set AstroEndpointServiceName)"
                        ))
                    })?;
                    (z, entry.trim())
                }
            };
            if !ids::is_vpc_id(vpc_id) {
                return Err(Error::Config(format!(
                    "ZONE_VPC_ASSOCIATIONS: `{vpc_id}` in `{entry}` is not a vpc- id"
                )));
            }
            associations
                .entry(zone_id)
                .or_default()
                .insert(vpc_id.to_string());
        }
        Ok(Self {
            peering,
            astro_vpc_ids,
            transit_gateway_id,
            private_hosted_zone_ids,
            associations,
            remote_execution_zone_id,
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.peering.common.dry_run,
            metrics_namespace: self.peering.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }

    /// Every zone the configuration names, in a stable order.
    pub fn zones(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self
            .private_hosted_zone_ids
            .iter()
            .chain(self.associations.keys())
            .collect();
        all.into_iter().cloned().collect()
    }

    pub fn is_configured(&self, zone_id: &str) -> bool {
        self.private_hosted_zone_ids.contains(zone_id) || self.associations.contains_key(zone_id)
    }
}

/// Route 53 (paced) and the EC2 reads the zones handshake needs.
pub trait ZonesPort: Sync {
    /// The Region of this account's VPCs.
    fn region(&self) -> &str;
    /// `GetHostedZone`; `None` when there is no such zone.
    fn hosted_zone(&self, zone_id: &str)
        -> impl Future<Output = Result<Option<HostedZone>>> + Send;
    /// `ListVPCAssociationAuthorizations`, every page.
    fn authorizations(&self, zone_id: &str) -> impl Future<Output = Result<Vec<VpcRef>>> + Send;
    /// `CreateVPCAssociationAuthorization` (repeating it is harmless).
    fn create_authorization(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `DeleteVPCAssociationAuthorization`; `VPCAssociationAuthorizationNotFound` is `already_done`.
    fn delete_authorization(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// `AssociateVPCWithHostedZone`; the VPC found associated afterwards is `already_done`.
    fn associate(
        &self,
        zone_id: &str,
        vpc: &VpcRef,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// Peerings into these VPCs that are active.
    fn active_peerings_into(
        &self,
        vpc_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Peering>>> + Send;
    fn vpc_cidrs(&self, vpc_id: &str) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Every VPC attachment on the Transit Gateway.
    fn tgw_vpc_attachments(
        &self,
        tgw_id: &str,
    ) -> impl Future<Output = Result<Vec<TgwVpcAttachment>>> + Send;
    /// `ListHostedZonesByVPC`: the private zones the VPC is associated with, whoever owns them.
    fn zones_of_vpc(&self, vpc: &VpcRef) -> impl Future<Output = Result<Vec<ZoneSummary>>> + Send;
    /// `ListResourceRecordSets`, every page.
    fn record_sets(&self, zone_id: &str) -> impl Future<Output = Result<Vec<RecordSet>>> + Send;
    /// The interface endpoint (in this account) one of whose DNS names is `dns_name`.
    fn endpoint_by_dns_name(
        &self,
        dns_name: &str,
    ) -> impl Future<Output = Result<Option<Endpoint>>> + Send;
}

pub struct ZonesHandshake<P> {
    pub port: P,
    pub config: ZonesConfig,
}

impl<P: ZonesPort> ZonesHandshake<P> {
    /// Active peerings into the accepter VPCs, each with its accepter VPC's CIDRs.
    async fn peerings(&self) -> Result<Vec<peering::Observation>> {
        let accepters: Vec<String> = self
            .config
            .peering
            .accepter_vpc_ids
            .iter()
            .cloned()
            .collect();
        let peerings = self.port.active_peerings_into(&accepters).await?;
        let mut cidrs: HashMap<String, Vec<String>> = HashMap::new();
        let mut out = Vec::new();
        for peering in peerings {
            let vpc = peering.accepter.vpc_id.clone();
            if !cidrs.contains_key(&vpc) {
                cidrs.insert(vpc.clone(), self.port.vpc_cidrs(&vpc).await?);
            }
            out.push(peering::Observation {
                accepter_vpc_cidrs: cidrs[&vpc].clone(),
                peering,
                route_tables: vec![],
            });
        }
        Ok(out)
    }

    async fn attachments(&self) -> Result<Vec<TgwVpcAttachment>> {
        match &self.config.transit_gateway_id {
            Some(tgw) => self.port.tgw_vpc_attachments(tgw).await,
            None => Ok(vec![]),
        }
    }
}

impl<P: ZonesPort> Handshake for ZonesHandshake<P> {
    type Observation = Observation;
    type Action = ZoneAction;

    const KIND: &'static str = "zones";
    const IDS: IdSpec = IdSpec {
        field: "hostedZoneId",
        valid: is_zone_id,
        events: &[],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let mut observation = Observation {
            zone_id: id.to_string(),
            configured: self.config.is_configured(id),
            zone: None,
            authorizations: vec![],
            peerings: vec![],
            attachments: vec![],
            region: self.port.region().to_string(),
        };
        if !observation.configured {
            return Ok(Some(observation));
        }
        observation.zone = self.port.hosted_zone(id).await?;
        let private = observation.zone.as_ref().is_some_and(|z| z.private);
        if private && self.config.private_hosted_zone_ids.contains(id) {
            let (authorizations, peerings, attachments) = futures::try_join!(
                self.port.authorizations(id),
                self.peerings(),
                self.attachments()
            )?;
            observation.authorizations = authorizations;
            observation.peerings = peerings;
            observation.attachments = attachments;
        }
        Ok(Some(observation))
    }

    fn decide(&self, observation: &Observation) -> Decision<ZoneAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &ZoneAction) -> Result<Written> {
        match action {
            ZoneAction::Authorize { zone_id, vpc } => {
                self.port.create_authorization(zone_id, vpc).await
            }
            ZoneAction::Deauthorize { zone_id, vpc } => {
                self.port.delete_authorization(zone_id, vpc).await
            }
            ZoneAction::Associate { zone_id, vpc } => self.port.associate(zone_id, vpc).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<String>> {
        Ok(self.config.zones())
    }
}

/// One invocation from a raw event: `{"verifyName": ..}` verifies a name, anything else
/// (schedule, `{"hostedZoneId": ..}`, `{"sweep": true}`) reconciles zones.
pub async fn handle<P: ZonesPort>(
    h: &ZonesHandshake<P>,
    event: &Value,
    settings: &Settings,
    sink: &dyn Sink,
    invocation_id: Option<String>,
) -> Result<Value> {
    if event.get(verify::FIELD).is_some() {
        return verify::handle(h, event, settings, sink, invocation_id).await;
    }
    engine::handle(h, event, settings, sink, invocation_id).await
}

/// The Lambda entry point: audit trail to stdout, the report as the response; fails only
/// when a retry can help.
pub async fn invoke<P: ZonesPort>(
    h: &ZonesHandshake<P>,
    settings: &Settings,
    event: &Value,
    request_id: &str,
) -> Result<Value> {
    handle(h, event, settings, &StdoutSink, Some(request_id.to_string())).await.inspect_err(|err| {
        tracing::warn!(error = %err, code = err.code(), retryable = err.is_retryable(), "invocation failed; it will be retried");
    })
}

/// Audit records as JSON lines on stderr: the command line keeps stdout for the answer.
struct StderrSink;

impl Sink for StderrSink {
    fn record(&self, record: &crate::audit::AuditRecord) {
        if let Ok(line) = serde_json::to_string(record) {
            eprintln!("{line}");
        }
    }

    fn metrics(&self, _document: &Value) {}
}

pub const USAGE: &str = "usage: zones verify NAME [VPC_ID ...]   resolve NAME as the VPCs see it (exit 1 if it does not resolve)
       zones invoke 'EVENT_JSON'          run one event here, e.g. '{\"sweep\": true, \"dryRun\": true}'
       (no arguments: serve Lambda invocations)";

/// The command line outside Lambda (same configuration from the environment, same AWS
/// settings, `AWS_ENDPOINT_URL` included). Prints the JSON answer on stdout and the audit
/// trail on stderr; returns the exit code.
pub async fn cli<P: ZonesPort>(h: &ZonesHandshake<P>, settings: &Settings, args: &[String]) -> i32 {
    let event = match args.first().map(String::as_str) {
        Some("verify") if args.len() >= 2 => {
            let mut event = serde_json::json!({ verify::FIELD: args[1] });
            if args.len() > 2 {
                event["vpcIds"] = Value::from(args[2..].to_vec());
            }
            event
        }
        Some("invoke") if args.len() == 2 => match serde_json::from_str::<Value>(&args[1]) {
            Ok(event) => event,
            Err(e) => {
                eprintln!("EVENT_JSON is not JSON: {e}\n{USAGE}");
                return 2;
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    let memory = MemorySink::default();
    let tee = crate::audit::Tee(&StderrSink, &memory);
    match handle(h, &event, settings, &tee, Some("cli".into())).await {
        Ok(answer) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            let failed = answer.get("error").is_some()
                || answer.get("resolved") == Some(&Value::Bool(false));
            i32::from(failed)
        }
        Err(err) => {
            eprintln!("{err}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(extra: &[(&str, &str)]) -> Result<ZonesConfig> {
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", "vpc-0000c0c0"),
        ]);
        let vars: &[(&str, &str)] = &vars;
        ZonesConfig::read(&vars)
    }

    #[test]
    fn reads_zones_and_associations() {
        let c = read(&[
            ("PRIVATE_HOSTED_ZONE_IDS", "Z0AAAA,/hostedzone/Z0BBBB"),
            (
                "ZONE_VPC_ASSOCIATIONS",
                "Z0BBBB:vpc-00001111, vpc-00002222,Z0BBBB:vpc-00003333",
            ),
            ("REMOTE_EXECUTION_ZONE_ID", "Z0EEEE"),
            ("TRANSIT_GATEWAY_ID", "tgw-0000abcd"),
            ("ASTRO_VPC_IDS", "vpc-0000a5a5"),
        ])
        .unwrap();
        assert_eq!(c.zones(), ["Z0AAAA", "Z0BBBB", "Z0EEEE"]);
        assert_eq!(c.associations["Z0BBBB"].len(), 2);
        assert!(c.associations["Z0EEEE"].contains("vpc-00002222"));
        assert_eq!(c.transit_gateway_id.as_deref(), Some("tgw-0000abcd"));
        assert!(c.is_configured("Z0AAAA") && !c.is_configured("Z0FFFF"));
        let c = read(&[]).unwrap();
        assert!(c.zones().is_empty());
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let err = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(err(&[("PRIVATE_HOSTED_ZONE_IDS", "z-lower")]).contains("PRIVATE_HOSTED_ZONE_IDS"));
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "vpc-00002222")]).contains("REMOTE_EXECUTION_ZONE_ID")
        );
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "Z0AAAA:subnet-1234abcd")]).contains("not a vpc- id")
        );
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "bad:vpc-00002222")]).contains("not a hosted zone id")
        );
        assert!(err(&[("TRANSIT_GATEWAY_ID", "vpc-00002222")]).contains("TRANSIT_GATEWAY_ID"));
        assert!(err(&[("ASTRO_VPC_IDS", "vpc-nothex!")]).contains("ASTRO_VPC_IDS"));
    }

    #[test]
    fn zone_ids() {
        assert!(is_zone_id("Z1RWWTK7Y8UDDQ"));
        assert!(
            is_zone_id("1RWWTK7Y8UDDQ"),
            "moto's ids need not start with Z"
        );
        assert!(!is_zone_id("/hostedzone/Z1"));
        assert!(!is_zone_id("z1rww"));
        assert!(!is_zone_id(""));
        assert_eq!(bare_zone_id("/hostedzone/Z1"), "Z1");
    }
}
