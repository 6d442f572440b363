//! The audit trail adds up: every write the emulator served to a function is reported by
//! exactly one `action` record, and every `done` or `already-done` record by exactly one call.
//!
//! One account holds every handshake at once (peerings from Astro, one of them already active,
//! and a stranger's; an Astro TGW attachment; a private zone; two endpoint services, one with an
//! Astro endpoint waiting). The four functions sweep it through their real adapters, and the
//! records are checked against the emulator's call log (tests/emulator/astro_moto/recorder.py),
//! which names each answer's request id, the same id the SDK hands back as `awsRequestId`:
//! - each write call that succeeded is the `awsRequestId` of exactly one record, `done` (or
//!   `already-done`, when AWS answered "unsuccessful" because it already was so), of the
//!   action that makes that call;
//! - each `done` record names such a call;
//! - each write AWS refused because it was already so (`RouteAlreadyExists`, ...) is exactly
//!   one `already-done` or `failed` record of that action;
//! - every record names its invocation and trigger.
//!
//! Then the same over a run where 30% of the functions' calls fail with 503 before they act.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_sdk_ec2::Client as Ec2Client;
use handshake::audit::MemorySink;
use handshake::aws::{ec2::Ec2, route53::Route53, tgw::TgwAws};
use handshake::endpoint_services::{EndpointServicesConfig, EndpointServicesHandshake};
use handshake::engine::{self, Handshake, Settings};
use handshake::peering::{PeeringConfig, PeeringHandshake};
use handshake::tgw::{TgwConfig, TgwHandshake};
use handshake::zones::{ZonesConfig, ZonesHandshake};
use integration::{config, roles, scenario, Emulator, ASTRO, CUSTOMER, STRANGER};
use serde_json::{json, Value};

const FUNCTION_ROLES: [&str; 4] = [
    roles::PEERING,
    roles::TRANSIT_GATEWAY,
    roles::ZONES,
    roles::ENDPOINT_SERVICES,
];
const ASTRO_CIDRS: &str = "10.100.0.0/16,10.101.0.0/16,10.102.0.0/16";

/// The API operation each action is made with.
fn operation_of(action: &str) -> &'static str {
    match action {
        "accept-peering" => "ec2:AcceptVpcPeeringConnection",
        "reject-peering" => "ec2:RejectVpcPeeringConnection",
        "tag-peering" => "ec2:CreateTags",
        "create-route" => "ec2:CreateRoute",
        "enable-accepter-dns-resolution" => "ec2:ModifyVpcPeeringConnectionOptions",
        "accept-attachment" => "ec2:AcceptTransitGatewayVpcAttachment",
        "reject-attachment" => "ec2:RejectTransitGatewayVpcAttachment",
        "associate-route-table" => "ec2:AssociateTransitGatewayRouteTable",
        "create-tgw-route" => "ec2:CreateTransitGatewayRoute",
        "create-vpc-association-authorization" => "route53:CreateVPCAssociationAuthorization",
        "delete-vpc-association-authorization" => "route53:DeleteVPCAssociationAuthorization",
        "associate-vpc-with-hosted-zone" => "route53:AssociateVPCWithHostedZone",
        "allow-endpoint-service-principal" => "ec2:ModifyVpcEndpointServicePermissions",
        "accept-endpoint-connection" => "ec2:AcceptVpcEndpointConnections",
        "reject-endpoint-connection" => "ec2:RejectVpcEndpointConnections",
        other => panic!("no API operation known for the action `{other}`"),
    }
}

fn is_read(operation: &str) -> bool {
    let name = operation.split(':').nth(1).unwrap_or_default();
    ["Describe", "Get", "List", "Search"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// One call the emulator served.
#[derive(Debug)]
struct Call {
    operation: String,
    status: u64,
    error: Option<String>,
    request_id: String,
}

/// The write calls the functions made, in order.
fn write_calls(log: &Path) -> Vec<Call> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|c| FUNCTION_ROLES.contains(&c["role"].as_str().unwrap_or_default()))
        .map(|c| Call {
            operation: format!(
                "{}:{}",
                c["service"].as_str().unwrap_or_default(),
                c["operation"].as_str().unwrap_or_default()
            ),
            status: c["status"].as_u64().unwrap_or_default(),
            error: c["error"].as_str().map(String::from),
            request_id: c["requestId"].as_str().unwrap_or_default().to_string(),
        })
        .filter(|c| !is_read(&c.operation))
        .collect()
}

fn field<'a>(r: &'a Value, name: &str) -> &'a str {
    r[name].as_str().unwrap_or_default()
}

/// The check itself (see the module comment). Returns the number of write calls that took
/// effect, for the caller to assert that there was something to count.
fn assert_audit_adds_up(log: &Path, records: &[Value]) -> usize {
    for r in records {
        assert!(
            !field(r, "invocationId").is_empty() && !field(r, "trigger").is_empty(),
            "a record without its invocation or trigger: {r}"
        );
    }
    let actions: Vec<&Value> = records.iter().filter(|r| r["record"] == "action").collect();
    let calls = write_calls(log);

    // Successful write calls <-> records, one for one, by request id.
    let succeeded: Vec<&Call> = calls.iter().filter(|c| c.status < 300).collect();
    for call in &succeeded {
        let matching: Vec<&&Value> = actions
            .iter()
            .filter(|r| field(r, "awsRequestId") == call.request_id)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "the write {} ({}) is reported by {} records: {matching:?}",
            call.operation,
            call.request_id,
            matching.len()
        );
        let r = matching[0];
        assert_eq!(operation_of(field(r, "action")), call.operation, "{r}");
        assert!(
            ["done", "already-done"].contains(&field(r, "outcome")),
            "a successful write reported as {r}"
        );
    }
    let succeeded_ids: BTreeSet<&str> = succeeded.iter().map(|c| c.request_id.as_str()).collect();
    for r in actions.iter().filter(|r| r["outcome"] == "done") {
        assert!(
            succeeded_ids.contains(field(r, "awsRequestId")),
            "a `done` record names no write the emulator served: {r}"
        );
    }

    // Writes refused as already so (not an injected fault) <-> records without a request id.
    let mut refused: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.status >= 400) {
        let code = c.error.clone().unwrap_or_default();
        if code != "ServiceUnavailable" {
            *refused.entry((c.operation.clone(), code)).or_default() += 1;
        }
    }
    let mut reported: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &actions {
        let without_call = field(r, "awsRequestId").is_empty();
        let code = match field(r, "outcome") {
            "already-done" if without_call => "already-so".to_string(),
            "failed" if field(r, "errorCode") != "ServiceUnavailable" => {
                field(r, "errorCode").to_string()
            }
            _ => continue,
        };
        *reported
            .entry((operation_of(field(r, "action")).to_string(), code))
            .or_default() += 1;
    }
    let by_operation = |m: &BTreeMap<(String, String), usize>| {
        let mut out: BTreeMap<String, usize> = BTreeMap::new();
        for ((op, _), n) in m {
            *out.entry(op.clone()).or_default() += n;
        }
        out
    };
    assert_eq!(
        by_operation(&refused),
        by_operation(&reported),
        "writes refused by AWS {refused:?} against records {reported:?}"
    );

    // A `failed` record is a write whose every attempt failed: its error is one AWS gave.
    for r in actions.iter().filter(|r| r["outcome"] == "failed") {
        let op = operation_of(field(r, "action"));
        assert!(
            calls
                .iter()
                .any(|c| c.operation == op && c.error.as_deref() == Some(field(r, "errorCode"))),
            "a `failed` record with an error no call had: {r}"
        );
    }
    succeeded.len()
}

/// Everything the four functions look after, in the customer's account.
struct World {
    peering: PeeringHandshake<Ec2>,
    tgw: TgwHandshake<TgwAws>,
    zones: ZonesHandshake<Route53, Ec2, TgwAws>,
    services: EndpointServicesHandshake<Ec2>,
    customer: Ec2Client,
    /// Astro, as the role it connects to endpoint services with.
    astro_endpoints: Ec2Client,
    route53: aws_sdk_route53::Client,
    astro_vpcs: [String; 2],
    pending_astro: String,
    active_astro: String,
    stranger: String,
    accepter_tables: [String; 3],
    attachment: String,
    endpoint: String,
    open_service: String,
    zone: String,
}

impl World {
    /// Builds the account; the functions act with `function_sdk(role)`.
    async fn build(emulator: &Emulator, retries: bool) -> Self {
        let sdk = emulator.account(CUSTOMER).await;
        let customer = Ec2Client::new(&sdk);
        let vendor = Ec2Client::new(&emulator.account(ASTRO).await);
        let stranger_ec2 = Ec2Client::new(&emulator.account(STRANGER).await);

        let (accepter, accepter_tables) = scenario::accepter_vpc(&customer).await;
        let astro_a = scenario::vpc(&vendor, "10.100.0.0/16").await;
        let astro_b = scenario::vpc(&vendor, "10.101.0.0/16").await;
        let stranger_vpc = scenario::vpc(&stranger_ec2, "10.200.0.0/16").await;
        let pending_astro = scenario::request_peering(&vendor, &astro_a, &accepter, CUSTOMER).await;
        let active_astro = scenario::active_peering(&vendor, &astro_b, &customer, &accepter).await;
        let stranger =
            scenario::request_peering(&stranger_ec2, &stranger_vpc, &accepter, CUSTOMER).await;

        let built = scenario::CustomerTgw::build(&sdk, false, "10.1.0.0/16", &[ASTRO]).await;
        let (attachment, _) = scenario::attach(&vendor, &built.tgw, "10.102.0.0/16").await;

        let route53 = aws_sdk_route53::Client::new(&sdk);
        let zone = scenario::private_zone(&route53, "corp.example", &accepter).await;

        let astro_principal = scenario::astro_endpoint_role(ASTRO);
        let (open_service, _) = scenario::endpoint_service(&sdk, true, &[]).await;
        let (allowed_service, allowed_name) =
            scenario::endpoint_service(&sdk, true, &[&astro_principal]).await;
        let astro_endpoint_client = Ec2Client::new(&emulator.assume(&astro_principal).await);
        let endpoint =
            scenario::connect_endpoint(&astro_endpoint_client, &allowed_name, "10.103.0.0/16")
                .await
                .expect("Astro connects to the service that allows it");

        let function = |role: &'static str| async move {
            let sdk = emulator.function(role).await;
            if retries {
                with_retries(&sdk)
            } else {
                sdk
            }
        };
        let peering = PeeringHandshake {
            port: Ec2::from_sdk(&function(roles::PEERING).await),
            config: config(
                PeeringConfig::read,
                &[
                    ("ASTRO_ACCOUNT_IDS", ASTRO),
                    ("ASTRO_CIDRS", ASTRO_CIDRS),
                    ("ACCEPTER_VPC_IDS", &accepter),
                    ("UNKNOWN_REQUESTS", "reject"),
                ],
                &[],
            ),
        };
        let tgw = TgwHandshake {
            port: TgwAws::from_sdk(&function(roles::TRANSIT_GATEWAY).await),
            config: config(
                TgwConfig::read,
                &[
                    ("ASTRO_ACCOUNT_IDS", ASTRO),
                    ("ASTRO_CIDRS", ASTRO_CIDRS),
                    ("TRANSIT_GATEWAY_ID", &built.tgw),
                    ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &built.route_table),
                    ("TGW_SPOKE_VPC_IDS", &built.spoke_vpc),
                    ("RESOURCE_SHARE_ARN", &built.share_arn),
                ],
                &[],
            ),
        };
        let zones_sdk = function(roles::ZONES).await;
        let zones = ZonesHandshake {
            port: Route53::from_sdk(&zones_sdk),
            peerings: Ec2::from_sdk(&zones_sdk),
            attachments: TgwAws::from_sdk(&zones_sdk),
            config: config(
                ZonesConfig::read,
                &[
                    ("ASTRO_ACCOUNT_IDS", ASTRO),
                    ("ASTRO_CIDRS", ASTRO_CIDRS),
                    ("ACCEPTER_VPC_IDS", &accepter),
                    ("TRANSIT_GATEWAY_ID", &built.tgw),
                    ("PRIVATE_HOSTED_ZONE_IDS", &zone),
                ],
                &[],
            ),
        };
        let listed = format!("{open_service},{allowed_service}");
        let services = EndpointServicesHandshake::new(
            Ec2::from_sdk(&function(roles::ENDPOINT_SERVICES).await),
            config(
                EndpointServicesConfig::read,
                &[
                    ("ASTRO_ACCOUNT_IDS", ASTRO),
                    ("ASTRO_CIDRS", ASTRO_CIDRS),
                    ("ENDPOINT_SERVICE_IDS", &listed),
                    ("UNKNOWN_REQUESTS", "reject"),
                ],
                &[],
            ),
        );
        Self {
            peering,
            tgw,
            zones,
            services,
            customer,
            astro_endpoints: astro_endpoint_client,
            route53,
            astro_vpcs: [astro_a, astro_b],
            pending_astro,
            active_astro,
            stranger,
            accepter_tables,
            attachment,
            endpoint,
            open_service,
            zone,
        }
    }

    /// One sweep of each function (peering first, as the zones follow the peerings); the
    /// records of all four. An invocation that fails (retryable) keeps the records it made.
    async fn sweep(&self, round: usize) -> Vec<Value> {
        let mut records = Vec::new();
        records.extend(sweep_one(&self.peering, &self.peering.config.settings(), round).await);
        records.extend(sweep_one(&self.tgw, &self.tgw.config.settings(), round).await);
        records.extend(sweep_one(&self.zones, &self.zones.config.settings(), round).await);
        records.extend(sweep_one(&self.services, &self.services.config.settings(), round).await);
        records
    }

    /// Whether every handshake is where it should end.
    async fn converged(&self) -> bool {
        let peered = scenario::peering_status(&self.customer, &self.pending_astro).await
            == "active"
            && scenario::peering_status(&self.customer, &self.stranger).await == "rejected";
        let mut routed = true;
        for (pcx, cidr) in [
            (&self.pending_astro, "10.100.0.0/16"),
            (&self.active_astro, "10.101.0.0/16"),
        ] {
            for table in &self.accepter_tables {
                routed &= scenario::has_route(&self.customer, table, cidr, pcx).await;
            }
        }
        let attached = self
            .customer
            .describe_transit_gateway_attachments()
            .transit_gateway_attachment_ids(&self.attachment)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.transit_gateway_attachments()
                    .first()
                    .and_then(|a| a.state())
                    .map(|s| s.as_str() == "available")
            })
            .unwrap_or(false);
        let allowed = scenario::allowed_principals(&self.customer, &self.open_service)
            .await
            .contains(&scenario::astro_endpoint_role(ASTRO));
        let connected = scenario::endpoint_state(&self.astro_endpoints, &self.endpoint).await;
        let authorized: BTreeSet<String> = self
            .route53
            .list_vpc_association_authorizations()
            .hosted_zone_id(&self.zone)
            .send()
            .await
            .map(|o| {
                o.vpcs()
                    .iter()
                    .filter_map(|v| v.vpc_id().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let authorized = self.astro_vpcs.iter().all(|v| authorized.contains(v));
        peered
            && routed
            && attached
            && allowed
            && authorized
            && connected.eq_ignore_ascii_case("available")
    }
}

/// Standard retries (3 attempts, short back-off) as a deployed function has them.
fn with_retries(sdk: &SdkConfig) -> SdkConfig {
    sdk.to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .build()
}

async fn sweep_one<H: Handshake>(h: &H, settings: &Settings, round: usize) -> Vec<Value> {
    let sink = MemorySink::default();
    let _ = engine::handle(
        h,
        &json!({"sweep": true}),
        settings,
        &sink,
        Some(format!("{}-{round}", H::KIND)),
    )
    .await;
    sink.records()
}

fn call_log(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "astro-handshake-audit-{name}-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// A mixed sweep: one sweep of each function does every kind of write, a second one none,
/// and the records account for every write call.
#[tokio::test]
async fn a_mixed_sweep_reports_every_write_exactly_once() {
    let log = call_log("mixed");
    let emulator = Emulator::start_recording(&log);
    let world = World::build(&emulator, false).await;

    let mut records = world.sweep(1).await;
    let mut round = 1;
    while !world.converged().await && round < 4 {
        round += 1;
        records.extend(world.sweep(round).await);
    }
    assert!(
        world.converged().await,
        "not converged after {round} sweeps"
    );
    let replay = world.sweep(round + 1).await;
    assert!(
        replay.iter().all(|r| r["record"] != "action"),
        "a converged sweep writes nothing: {replay:?}"
    );
    records.extend(replay);

    let took_effect = assert_audit_adds_up(&log, &records);
    eprintln!(
        "mixed: {round} sweeps, {took_effect} writes took effect, {} records",
        records.len()
    );
    let kinds: BTreeSet<&str> = records
        .iter()
        .filter(|r| r["record"] == "action" && r["outcome"] == "done")
        .map(|r| field(r, "action"))
        .collect();
    for kind in [
        "accept-peering",
        "reject-peering",
        "tag-peering",
        "create-route",
        "enable-accepter-dns-resolution",
        "accept-attachment",
        "create-tgw-route",
        "create-vpc-association-authorization",
        "allow-endpoint-service-principal",
        "accept-endpoint-connection",
    ] {
        assert!(
            kinds.contains(kind),
            "the mixed sweep made no {kind}: {kinds:?}"
        );
    }
    assert!(took_effect >= 20, "only {took_effect} writes");
    let triggers: BTreeSet<&str> = records.iter().map(|r| field(r, "trigger")).collect();
    assert_eq!(triggers, BTreeSet::from(["invoke"]), "{triggers:?}");
}

/// The same account with 30% of the functions' calls failing: sweeps until it converges, and
/// the records still account for every write that took effect, none for one that did not.
#[tokio::test]
async fn under_injected_faults_every_write_that_took_effect_is_reported_once() {
    let log = call_log("faults");
    let emulator = Emulator::start_faulty(&log, 0.3, &FUNCTION_ROLES, 7);
    let world = World::build(&emulator, true).await;

    let mut records = Vec::new();
    let mut round = 0;
    while round < 15 {
        round += 1;
        records.extend(world.sweep(round).await);
        if world.converged().await {
            break;
        }
    }
    assert!(
        world.converged().await,
        "not converged after {round} sweeps"
    );

    let faulted = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"ServiceUnavailable\""))
        .count();
    let faulted_writes = write_calls(&log)
        .iter()
        .filter(|c| c.error.as_deref() == Some("ServiceUnavailable"))
        .count();
    assert!(
        faulted > 10 && faulted_writes > 0,
        "{faulted} faults, {faulted_writes} on writes"
    );
    let took_effect = assert_audit_adds_up(&log, &records);
    assert!(took_effect >= 20, "only {took_effect} writes");
    eprintln!(
        "faults: {round} sweeps, {took_effect} writes took effect, {faulted} calls faulted ({faulted_writes} writes), {} records",
        records.len()
    );
}
