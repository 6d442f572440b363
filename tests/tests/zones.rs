//! The private hosted zone handshake against moto's server (with the project's Route 53
//! extension: VPC association authorizations and cross-account associations). The customer
//! owns a private zone; the vendor peers (or attaches) its VPC and associates it with the
//! zone once authorized; the customer side reconciles in process through the real adapter,
//! and the test reads the result back through the SDK.

use aws_config::SdkConfig;
use aws_sdk_ec2::Client as Ec2;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
};
use aws_sdk_route53::Client as Route53;
use handshake::audit::MemorySink;
use handshake::aws::ec2::Ec2 as Ec2Adapter;
use handshake::aws::route53::Route53 as Route53Adapter;
use handshake::aws::tgw::TgwAws;
use handshake::zones::{self, ZonesConfig, ZonesHandshake};
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{
    actions, metric, records_of, roles, scenario, Emulator, ASTRO, CUSTOMER, REGION, STRANGER,
};
use serde_json::{json, Value};

const ASTRO_CIDR: &str = "10.100.0.0/16";
const ZONE_PLACEHOLDER: &str = "Z0123456789ABCDEFGHIJ";
const VPC_PLACEHOLDER: &str = "vpc-0123456789abcdef0";
const ENDPOINT_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0";

async fn zone_vpcs(r53: &Route53, zone: &str) -> Vec<String> {
    let out = r53
        .get_hosted_zone()
        .id(zone)
        .send()
        .await
        .expect("GetHostedZone");
    let mut vpcs: Vec<String> = out
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(String::from))
        .collect();
    vpcs.sort();
    vpcs
}

async fn authorizations(r53: &Route53, zone: &str) -> Vec<String> {
    let out = r53
        .list_vpc_association_authorizations()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("ListVPCAssociationAuthorizations");
    out.vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(String::from))
        .collect()
}

/// The vendor (or the customer) associating its VPC with the zone: Ok, or the AWS error code.
async fn associate(r53: &Route53, zone: &str, vpc_id: &str) -> Result<(), String> {
    use aws_sdk_route53::error::ProvideErrorMetadata;
    r53.associate_vpc_with_hosted_zone()
        .hosted_zone_id(zone)
        .vpc(scenario::r53_vpc(vpc_id))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or("unknown").to_string())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The customer's VPC 10.0.0.0/16 with its private zone `corp.example`; the vendor's VPC in
/// the Astro CIDR.
struct World {
    emulator: Emulator,
    customer_sdk: SdkConfig,
    /// What the zones function acts with: its own execution role.
    function_sdk: SdkConfig,
    customer: Ec2,
    customer_r53: Route53,
    vendor: Ec2,
    vendor_r53: Route53,
    customer_vpc: String,
    vendor_vpc: String,
    zone: String,
}

impl World {
    async fn new() -> Self {
        let emulator = Emulator::start();
        let customer_sdk = emulator.account(CUSTOMER).await;
        let vendor_sdk = emulator.account(ASTRO).await;
        let customer = Ec2::new(&customer_sdk);
        let customer_r53 = Route53::new(&customer_sdk);
        let vendor = Ec2::new(&vendor_sdk);
        let vendor_r53 = Route53::new(&vendor_sdk);
        let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
        let vendor_vpc = scenario::vpc(&vendor, ASTRO_CIDR).await;
        let zone = scenario::private_zone(&customer_r53, "corp.example", &customer_vpc).await;
        let function_sdk = emulator.function(roles::ZONES).await;
        Self {
            emulator,
            customer_sdk,
            function_sdk,
            customer,
            customer_r53,
            vendor,
            vendor_r53,
            customer_vpc,
            vendor_vpc,
            zone,
        }
    }

    /// A peering from `from` (owned by `account`) into the customer VPC, accepted directly
    /// by the customer (the peering handshake's job, not under test here).
    async fn peer(&self, from: &Ec2, from_vpc: &str) -> String {
        scenario::active_peering(from, from_vpc, &self.customer, &self.customer_vpc).await
    }

    fn config(&self, extra: &[(&str, &str)]) -> ZonesConfig {
        let base = [
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", ASTRO_CIDR),
            ("ACCEPTER_VPC_IDS", &self.customer_vpc),
            ("PRIVATE_HOSTED_ZONE_IDS", &self.zone),
        ];
        integration::config(ZonesConfig::read, &base, extra)
    }

    fn handshake(&self, config: ZonesConfig) -> ZonesHandshake<Route53Adapter, Ec2Adapter, TgwAws> {
        handshake_over(&self.function_sdk, config)
    }

    /// One invocation of the customer side, in process, with the real Route 53 adapter.
    async fn reconcile(&self, config: ZonesConfig, event: &Value) -> (Value, MemorySink) {
        let settings = config.settings();
        let h = self.handshake(config);
        let sink = MemorySink::default();
        let response = zones::handle(&h, event, &settings, &sink, Some("test-invocation".into()))
            .await
            .expect("invocation succeeds");
        (response, sink)
    }

    /// The function's environment for the binary: its role's credentials, the emulator, and
    /// the configuration.
    async fn lambda_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut vars = vec![
            ("AWS_MAX_ATTEMPTS", "1"),
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", ASTRO_CIDR),
            ("ACCEPTER_VPC_IDS", &self.customer_vpc),
            ("PRIVATE_HOSTED_ZONE_IDS", &self.zone),
        ];
        vars.extend_from_slice(extra);
        self.emulator.function_env(roles::ZONES, &vars).await
    }
}

/// The zones handshake over the real adapters, acting with `sdk`.
fn handshake_over(
    sdk: &SdkConfig,
    config: ZonesConfig,
) -> ZonesHandshake<Route53Adapter, Ec2Adapter, TgwAws> {
    ZonesHandshake {
        port: Route53Adapter::from_sdk(sdk),
        peerings: Ec2Adapter::from_sdk(sdk),
        attachments: TgwAws::from_sdk(sdk),
        config,
    }
}

fn zone_event(zone: &str) -> Value {
    sample_event("zones-invoke.json", ZONE_PLACEHOLDER, zone)
}

#[tokio::test]
async fn astro_vpc_is_authorized_then_the_used_authorization_is_deleted() {
    let w = World::new().await;
    w.peer(&w.vendor, &w.vendor_vpc).await;
    assert_eq!(
        associate(&w.vendor_r53, &w.zone, &w.vendor_vpc).await,
        Err("NotAuthorizedException".into())
    );

    let (response, sink) = w.reconcile(w.config(&[]), &zone_event(&w.zone)).await;
    assert_eq!(
        authorizations(&w.customer_r53, &w.zone).await,
        [w.vendor_vpc.as_str()]
    );
    assert_eq!(
        actions(&sink),
        [(
            "create-vpc-association-authorization".to_string(),
            "done".to_string()
        )]
    );
    let record = records_of(&sink.records(), "action")[0].clone();
    assert_eq!(record["handshake"], "zones");
    assert_eq!(
        record["target"],
        format!("{}:{}:{REGION}", w.zone, w.vendor_vpc)
    );
    assert!(record["awsRequestId"].is_string(), "{record}");
    assert_eq!(metric(&sink, "Accepted"), 1);
    assert_eq!(sink.metric_documents()[0]["Handshake"], "zones");
    assert!(
        response["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("waiting for Astro to associate"),
        "{response}"
    );

    // Astro associates its VPC with the customer's zone, as authorized.
    associate(&w.vendor_r53, &w.zone, &w.vendor_vpc)
        .await
        .expect("authorized association");
    let (_, sink) = w.reconcile(w.config(&[]), &zone_event(&w.zone)).await;
    assert_eq!(
        actions(&sink),
        [(
            "delete-vpc-association-authorization".to_string(),
            "done".to_string()
        )]
    );
    assert!(authorizations(&w.customer_r53, &w.zone).await.is_empty());
    assert_eq!(
        zone_vpcs(&w.customer_r53, &w.zone).await,
        sorted(vec![w.customer_vpc.clone(), w.vendor_vpc.clone()])
    );

    // Converged: a replay plans and writes nothing.
    let (response, sink) = w.reconcile(w.config(&[]), &zone_event(&w.zone)).await;
    assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
    assert!(
        response["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in sync"),
        "{response}"
    );
}

#[tokio::test]
async fn disallowed_peerings_get_no_authorization() {
    let w = World::new().await;
    let stranger = Ec2::new(&w.emulator.account(STRANGER).await);
    let stranger_vpc = scenario::vpc(&stranger, ASTRO_CIDR).await;
    let foreign = w.peer(&stranger, &stranger_vpc).await;
    let outside_vpc = scenario::vpc(&w.vendor, "10.200.0.0/16").await;
    let outside = w.peer(&w.vendor, &outside_vpc).await;

    let (response, sink) = w.reconcile(w.config(&[]), &zone_event(&w.zone)).await;
    assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
    assert!(authorizations(&w.customer_r53, &w.zone).await.is_empty());
    let reason = response["reports"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&foreign) && reason.contains("333333333333 is not in AstroAccountIds"),
        "{reason}"
    );
    assert!(
        reason.contains(&outside) && reason.contains("10.200.0.0/16 is outside AstroCidrs"),
        "{reason}"
    );

    // AstroVpcIds, when set, narrows the allowed peerings further.
    w.peer(&w.vendor, &w.vendor_vpc).await;
    let (response, sink) = w
        .reconcile(
            w.config(&[("ASTRO_VPC_IDS", "vpc-00000000deadbeef")]),
            &zone_event(&w.zone),
        )
        .await;
    assert!(actions(&sink).is_empty());
    assert!(response["reports"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not in AstroVpcIds"));
    let (_, sink) = w
        .reconcile(
            w.config(&[("ASTRO_VPC_IDS", &w.vendor_vpc)]),
            &zone_event(&w.zone),
        )
        .await;
    assert_eq!(actions(&sink).len(), 1);
    assert_eq!(
        authorizations(&w.customer_r53, &w.zone).await,
        [w.vendor_vpc.as_str()]
    );
}

#[tokio::test]
async fn attachment_on_the_transit_gateway_is_authorized() {
    let w = World::new().await;
    let tgw = w
        .customer
        .create_transit_gateway()
        .send()
        .await
        .expect("CreateTransitGateway");
    let tgw = tgw.transit_gateway().expect("tgw");
    let (tgw_id, tgw_arn) = (
        tgw.transit_gateway_id().unwrap().to_string(),
        tgw.transit_gateway_arn().unwrap().to_string(),
    );
    aws_sdk_ram::Client::new(&w.customer_sdk)
        .create_resource_share()
        .name("astro-tgw")
        .resource_arns(&tgw_arn)
        .principals(ASTRO)
        .allow_external_principals(true)
        .send()
        .await
        .expect("CreateResourceShare");
    let subnet = scenario::subnet(&w.vendor, &w.vendor_vpc, "10.100.1.0/24").await;
    let attachment = w
        .vendor
        .create_transit_gateway_vpc_attachment()
        .transit_gateway_id(&tgw_id)
        .vpc_id(&w.vendor_vpc)
        .subnet_ids(subnet)
        .send()
        .await
        .expect("CreateTransitGatewayVpcAttachment");
    let attachment_id = attachment
        .transit_gateway_vpc_attachment()
        .unwrap()
        .transit_gateway_attachment_id()
        .unwrap()
        .to_string();
    let config = || w.config(&[("TRANSIT_GATEWAY_ID", &tgw_id)]);

    // Pending: not yet an Astro VPC.
    let (_, sink) = w.reconcile(config(), &zone_event(&w.zone)).await;
    assert!(actions(&sink).is_empty());
    w.customer
        .accept_transit_gateway_vpc_attachment()
        .transit_gateway_attachment_id(&attachment_id)
        .send()
        .await
        .expect("AcceptTransitGatewayVpcAttachment");
    let (response, sink) = w.reconcile(config(), &zone_event(&w.zone)).await;
    assert_eq!(
        actions(&sink),
        [(
            "create-vpc-association-authorization".to_string(),
            "done".to_string()
        )]
    );
    assert!(
        response["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(&attachment_id),
        "{response}"
    );
    assert_eq!(
        authorizations(&w.customer_r53, &w.zone).await,
        [w.vendor_vpc.as_str()]
    );
}

#[tokio::test]
async fn extra_vpcs_are_associated_and_nothing_is_disassociated() {
    let w = World::new().await;
    let extra = scenario::vpc(&w.customer, "10.1.0.0/16").await;
    let theirs = scenario::vpc(&w.customer, "10.2.0.0/16").await;
    // Someone else associated `theirs`; the project never takes it away.
    associate(&w.customer_r53, &w.zone, &theirs)
        .await
        .expect("customer's own association");
    let pairs = format!("{}:{extra}", w.zone);
    let config = || w.config(&[("ZONE_VPC_ASSOCIATIONS", &pairs)]);

    let (_, sink) = w.reconcile(config(), &json!({"sweep": true})).await;
    assert_eq!(
        actions(&sink),
        [(
            "associate-vpc-with-hosted-zone".to_string(),
            "done".to_string()
        )]
    );
    let expected = sorted(vec![w.customer_vpc.clone(), extra.clone(), theirs.clone()]);
    assert_eq!(zone_vpcs(&w.customer_r53, &w.zone).await, expected);

    for _ in 0..2 {
        let (response, sink) = w
            .reconcile(
                config(),
                &sample_event("sweep-scheduled.json", ZONE_PLACEHOLDER, ""),
            )
            .await;
        assert_eq!(response["trigger"], "schedule");
        assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
        assert_eq!(zone_vpcs(&w.customer_r53, &w.zone).await, expected);
    }
}

#[tokio::test]
async fn sweep_converges_every_zone_and_a_replay_writes_nothing() {
    let w = World::new().await;
    w.peer(&w.vendor, &w.vendor_vpc).await;
    let second = scenario::private_zone(&w.customer_r53, "data.example", &w.customer_vpc).await;
    let zones = format!("{},{second}", w.zone);
    let config = || w.config(&[("PRIVATE_HOSTED_ZONE_IDS", &zones)]);
    let (response, sink) = w.reconcile(config(), &json!({"sweep": true})).await;
    assert_eq!(response["reports"].as_array().unwrap().len(), 2);
    assert_eq!(actions(&sink).len(), 2);
    assert_eq!(metric(&sink, "Accepted"), 2);
    for zone in [&w.zone, &second] {
        assert_eq!(
            authorizations(&w.customer_r53, zone).await,
            [w.vendor_vpc.as_str()]
        );
    }
    for _ in 0..3 {
        let (_, sink) = w.reconcile(config(), &json!({"sweep": true})).await;
        assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
        assert_eq!(
            records_of(&sink.records(), "decision").len(),
            2,
            "one decision per zone"
        );
    }
}

#[tokio::test]
async fn dry_run_plans_and_changes_nothing() {
    let w = World::new().await;
    w.peer(&w.vendor, &w.vendor_vpc).await;
    let extra = scenario::vpc(&w.customer, "10.1.0.0/16").await;
    let pairs = format!("{}:{extra}", w.zone);
    let (response, sink) = w
        .reconcile(
            w.config(&[("ZONE_VPC_ASSOCIATIONS", &pairs), ("DRY_RUN", "true")]),
            &zone_event(&w.zone),
        )
        .await;
    assert_eq!(
        actions(&sink),
        [
            (
                "create-vpc-association-authorization".to_string(),
                "planned".to_string()
            ),
            (
                "associate-vpc-with-hosted-zone".to_string(),
                "planned".to_string()
            )
        ]
    );
    assert!(sink.records().iter().all(|r| r["dryRun"] == true));
    assert_eq!(response["dryRun"], true);
    assert!(authorizations(&w.customer_r53, &w.zone).await.is_empty());
    assert_eq!(
        zone_vpcs(&w.customer_r53, &w.zone).await,
        [w.customer_vpc.as_str()]
    );

    // A direct invoke may ask for a dry run of a function configured to act.
    let event = sample_event("zones-invoke-dry-run.json", ZONE_PLACEHOLDER, &w.zone);
    let (_, sink) = w
        .reconcile(w.config(&[("ZONE_VPC_ASSOCIATIONS", &pairs)]), &event)
        .await;
    assert!(actions(&sink).iter().all(|(_, o)| o == "planned"));
    assert!(authorizations(&w.customer_r53, &w.zone).await.is_empty());
}

#[tokio::test]
async fn missing_zone_is_a_finding_and_unlisted_zone_is_left_alone() {
    let w = World::new().await;
    let (response, sink) = w
        .reconcile(
            w.config(&[("PRIVATE_HOSTED_ZONE_IDS", "Z00000000MISSING")]),
            &json!({"sweep": true}),
        )
        .await;
    assert_eq!(response["reports"][0]["verdict"], "ignore");
    assert_eq!(response["reports"][0]["findings"][0]["kind"], "missing");
    assert_eq!(metric(&sink, "Conflicts"), 1);
    let (response, sink) = w
        .reconcile(
            w.config(&[("PRIVATE_HOSTED_ZONE_IDS", "Z00000000MISSING")]),
            &zone_event(&w.zone),
        )
        .await;
    assert_eq!(response["reports"][0]["verdict"], "skip");
    assert!(actions(&sink).is_empty());
}

#[tokio::test]
async fn unreachable_route53_fails_the_invocation_for_a_retry() {
    let w = World::new().await;
    let config = w.config(&[]);
    let settings = config.settings();
    let unreachable = w
        .function_sdk
        .to_builder()
        .endpoint_url(format!("http://127.0.0.1:{}", integration::free_port()))
        .build();
    let h = handshake_over(&unreachable, config);
    let sink = MemorySink::default();
    let err = zones::handle(&h, &zone_event(&w.zone), &settings, &sink, None)
        .await
        .expect_err("retryable");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(records_of(&sink.records(), "error").len(), 1);
    assert_eq!(metric(&sink, "Failures"), 1);
}

/// The Remote Execution set-up of the template: an interface endpoint in the agents' VPC,
/// the private zone `external.astronomer.run` with apex and wildcard alias records to it.
struct RemoteExecution {
    vpc: String,
    zone: String,
    endpoint_id: String,
    endpoint_dns: String,
}

async fn remote_execution(w: &World) -> RemoteExecution {
    let vpc = scenario::vpc(&w.customer, "10.50.0.0/16").await;
    let subnet = scenario::subnet(&w.customer, &vpc, "10.50.1.0/24").await;
    let out = w
        .customer
        .create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name(ENDPOINT_SERVICE)
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
        .subnet_ids(subnet)
        .send()
        .await
        .expect("CreateVpcEndpoint");
    let endpoint = out.vpc_endpoint().expect("endpoint");
    let dns = &endpoint.dns_entries()[0];
    let (endpoint_dns, endpoint_zone) = (
        dns.dns_name().unwrap().to_string(),
        dns.hosted_zone_id().unwrap().to_string(),
    );
    let zone = scenario::private_zone(&w.customer_r53, "external.astronomer.run", &vpc).await;
    let mut batch = ChangeBatch::builder();
    for name in ["external.astronomer.run.", "*.external.astronomer.run."] {
        let alias = AliasTarget::builder()
            .dns_name(&endpoint_dns)
            .hosted_zone_id(&endpoint_zone)
            .evaluate_target_health(false)
            .build()
            .unwrap();
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::A)
            .alias_target(alias)
            .build()
            .unwrap();
        batch = batch.changes(
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap(),
        );
    }
    w.customer_r53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(batch.build().unwrap())
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    RemoteExecution {
        vpc,
        zone,
        endpoint_id: endpoint.vpc_endpoint_id().unwrap().to_string(),
        endpoint_dns,
    }
}

#[tokio::test]
async fn verify_follows_the_alias_record_to_the_endpoint() {
    let w = World::new().await;
    let re = remote_execution(&w).await;
    let agents = scenario::vpc(&w.customer, "10.60.0.0/16").await;
    // A bare VPC id joins the Remote Execution zone.
    let config = || {
        w.config(&[
            ("REMOTE_EXECUTION_ZONE_ID", &re.zone),
            ("ZONE_VPC_ASSOCIATIONS", &agents),
        ])
    };

    // Before the agents' VPC joins, the name resolves in the endpoint VPC only.
    let (report, _) = w
        .reconcile(
            config(),
            &json!({"verifyName": "api.external.astronomer.run"}),
        )
        .await;
    assert_eq!(report["resolved"], false, "{report}");
    let by_vpc = |report: &Value, vpc: &str| {
        report["vpcs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vpcId"] == vpc)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_vpc(&report, &re.vpc)["resolved"], true);
    assert_eq!(by_vpc(&report, &agents)["resolved"], false);
    assert!(by_vpc(&report, &agents)["detail"]
        .as_str()
        .unwrap()
        .contains("public DNS"));

    let (_, sink) = w.reconcile(config(), &json!({"sweep": true})).await;
    assert_eq!(
        actions(&sink),
        [(
            "associate-vpc-with-hosted-zone".to_string(),
            "done".to_string()
        )]
    );

    let (report, sink) = w
        .reconcile(
            config(),
            &sample_event("zones-verify.json", ZONE_PLACEHOLDER, ""),
        )
        .await;
    assert_eq!(report["resolved"], true, "{report}");
    assert_eq!(report["verifyName"], "api.external.astronomer.run.");
    for vpc in [&re.vpc, &agents] {
        let found = by_vpc(&report, vpc);
        assert_eq!(found["zone"]["id"], re.zone.as_str());
        assert_eq!(found["zone"]["name"], "external.astronomer.run.");
        assert_eq!(found["record"]["name"], "*.external.astronomer.run.");
        assert_eq!(found["record"]["type"], "A");
        assert_eq!(
            found["record"]["aliasTarget"]["dnsName"],
            re.endpoint_dns.as_str()
        );
        assert_eq!(found["endpoint"]["id"], re.endpoint_id.as_str());
        assert_eq!(found["endpoint"]["vpcId"], re.vpc.as_str());
    }
    let records = sink.records();
    let decisions = records_of(&records, "decision");
    assert_eq!(decisions.len(), 2, "one audit record per VPC");
    assert!(decisions
        .iter()
        .all(|r| r["verdict"] == "accept" && r["resourceId"] == "api.external.astronomer.run."));
    assert!(actions(&sink).is_empty(), "verify writes nothing");

    // The apex name has its own record; a VPC named in the request is the only one looked at.
    let event = sample_event("zones-verify-vpc.json", VPC_PLACEHOLDER, &agents);
    let event = json!({"verifyName": "external.astronomer.run", "vpcIds": event["vpcIds"]});
    let (report, _) = w.reconcile(config(), &event).await;
    assert_eq!(report["vpcs"].as_array().unwrap().len(), 1);
    assert_eq!(
        report["vpcs"][0]["record"]["name"],
        "external.astronomer.run."
    );

    // A name outside the zone is not answered privately.
    let (report, _) = w
        .reconcile(
            config(),
            &json!({"verifyName": "api.astronomer.io", "vpcId": agents}),
        )
        .await;
    assert_eq!(report["resolved"], false);
    let (report, sink) = w
        .reconcile(config(), &json!({"verifyName": "not a name"}))
        .await;
    assert!(report["error"].is_string());
    assert_eq!(records_of(&sink.records(), "error").len(), 1);
}

#[tokio::test]
async fn zones_binary_runs_through_the_lambda_runtime_and_the_command_line() {
    let w = World::new().await;
    w.peer(&w.vendor, &w.vendor_vpc).await;
    let re = remote_execution(&w).await;
    let env = w
        .lambda_env(&[("REMOTE_EXECUTION_ZONE_ID", &re.zone)])
        .await;
    let zones_bin = binary("zones");
    {
        let lambda = LambdaHarness::start(&zones_bin, &env);
        let response = lambda
            .invoke(&sample_event("sweep-scheduled.json", ZONE_PLACEHOLDER, ""))
            .expect("sweep");
        assert_eq!(response["handshake"], "zones");
        assert_eq!(response["counters"]["Accepted"], 1, "{response}");
        assert_eq!(
            authorizations(&w.customer_r53, &w.zone).await,
            [w.vendor_vpc.as_str()]
        );
        let again = lambda.invoke(&json!({"sweep": true})).expect("replay");
        assert_eq!(again["counters"]["Accepted"], 0, "{again}");

        let verified = lambda
            .invoke(&json!({"verifyName": "api.external.astronomer.run"}))
            .expect("verify");
        assert_eq!(verified["resolved"], true, "{verified}");
        let out = lambda.stdout_json();
        let emf: Vec<&Value> = out.iter().filter(|l| l.get("_aws").is_some()).collect();
        assert!(!emf.is_empty() && emf.iter().all(|d| d["Handshake"] == "zones"));
        let audit: Vec<&Value> = out
            .iter()
            .filter(|l| l["audit"] == "astro-handshake")
            .collect();
        assert!(audit.iter().any(
            |r| r["action"] == "create-vpc-association-authorization" && r["outcome"] == "done"
        ));
        assert!(audit
            .iter()
            .any(|r| r["trigger"] == "invoke:verify" && r["verdict"] == "accept"));
    }

    // The command line a Makefile target runs: `zones verify NAME [VPC_ID ...]`.
    let run = |args: &[&str]| {
        std::process::Command::new(&zones_bin)
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run zones")
    };
    let out = run(&["verify", "api.external.astronomer.run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["vpcs"][0]["endpoint"]["id"], re.endpoint_id.as_str());
    let out = run(&["verify", "api.external.astronomer.run", &w.customer_vpc]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "does not resolve from a VPC outside the zone"
    );
    let out = run(&["invoke", r#"{"sweep": true, "dryRun": true}"#]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&["nonsense"]).status.code(), Some(2));
}

#[tokio::test]
async fn adapter_maps_already_done_answers_and_keeps_real_conflicts() {
    use handshake::zones::{VpcRef, ZonesPort};
    let w = World::new().await;
    let port = Route53Adapter::from_sdk(&w.function_sdk);
    let customer_vpc = VpcRef::new(w.customer_vpc.clone(), REGION);
    let vendor_vpc = VpcRef::new(w.vendor_vpc.clone(), REGION);

    // Associating a VPC the zone already has (ConflictingDomainExists for this very zone).
    let written = port
        .associate(&w.zone, &customer_vpc)
        .await
        .expect("already associated");
    assert!(written.already_done);
    // The same name in another zone of this VPC is a real conflict, never "done".
    let other = scenario::vpc(&w.customer, "10.3.0.0/16").await;
    let twin = scenario::private_zone(&w.customer_r53, "corp.example", &other).await;
    let err = port
        .associate(&twin, &customer_vpc)
        .await
        .expect_err("conflict");
    assert_eq!(err.code(), Some("ConflictingDomainExists"));
    assert!(!err.is_retryable());

    // Deleting an authorization that is not there; creating one twice.
    assert!(
        port.delete_authorization(&w.zone, &vendor_vpc)
            .await
            .expect("not found is done")
            .already_done
    );
    for _ in 0..2 {
        assert!(
            !port
                .create_authorization(&w.zone, &vendor_vpc)
                .await
                .expect("create")
                .already_done
        );
    }
    assert_eq!(port.authorizations(&w.zone).await.unwrap(), [vendor_vpc]);
    assert!(port
        .hosted_zone("Z00000000MISSING")
        .await
        .unwrap()
        .is_none());
}
