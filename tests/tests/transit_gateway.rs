//! The Transit Gateway handshake against moto's server (with the project's extensions for
//! cross-account attachments): the customer owns the TGW, its route table and a spoke VPC
//! and shares the TGW through RAM; the vendor attaches its VPC; the customer side
//! reconciles through the real SDK; the test reads the result back.

use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;
use handshake::audit::MemorySink;
use handshake::aws::tgw::TgwAws;
use handshake::tgw::{TgwConfig, TgwHandshake};
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{
    actions, findings, metric, records_of, roles, scenario, Emulator, ASTRO, CUSTOMER, REGION,
    STRANGER,
};
use serde_json::{json, Value};

const PLACEHOLDER: &str = "tgw-attach-0123456789abcdef0";
const ASTRO_CIDR: &str = "10.100.0.0/16";
const SPOKE_CIDR: &str = "10.0.0.0/16";

/// The customer's TGW (no default association or propagation), its Astro route table, a
/// spoke VPC attached to it with a main and a tagged route table, and a RAM share of the
/// TGW with `principals`.
struct World {
    emulator: Emulator,
    customer: Client,
    ram: aws_sdk_ram::Client,
    tgw: String,
    tgw_rtb: String,
    spoke_vpc: String,
    spoke_attachment: String,
    main_rtb: String,
    tagged_rtb: String,
    share_arn: String,
}

impl World {
    async fn new(auto_accept: bool) -> Self {
        let emulator = Emulator::start();
        let sdk = emulator.account(CUSTOMER).await;
        let built =
            scenario::CustomerTgw::build(&sdk, auto_accept, SPOKE_CIDR, &[ASTRO, STRANGER]).await;
        Self {
            customer: Client::new(&sdk),
            ram: aws_sdk_ram::Client::new(&sdk),
            emulator,
            tgw: built.tgw,
            tgw_rtb: built.route_table,
            spoke_vpc: built.spoke_vpc,
            spoke_attachment: built.spoke_attachment,
            main_rtb: built.spoke_main_rtb,
            tagged_rtb: built.spoke_tagged_rtb,
            share_arn: built.share_arn,
        }
    }

    async fn vendor(&self, account: &str) -> Client {
        Client::new(&self.emulator.account(account).await)
    }

    /// An attachment from `account`'s new VPC in `cidr`.
    async fn attach_from(&self, account: &str, cidr: &str) -> (String, String) {
        scenario::attach(&self.vendor(account).await, &self.tgw, cidr).await
    }

    fn vars(&self) -> [(&str, &str); 7] {
        [
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", ASTRO_CIDR),
            ("TRANSIT_GATEWAY_ID", &self.tgw),
            ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &self.tgw_rtb),
            ("TGW_SPOKE_VPC_IDS", &self.spoke_vpc),
            ("RESOURCE_SHARE_ARN", &self.share_arn),
            ("ACCEPT_WAIT_SECONDS", "5"),
        ]
    }

    fn config(&self, extra: &[(&str, &str)]) -> TgwConfig {
        integration::config(TgwConfig::read, &self.vars(), extra)
    }

    /// One invocation of the customer side, in process, with the real SDK adapter.
    async fn reconcile(&self, config: TgwConfig, event: &Value) -> (Value, MemorySink) {
        let settings = config.settings();
        let sdk = self.emulator.function(roles::TRANSIT_GATEWAY).await;
        let handshake = TgwHandshake {
            port: TgwAws::from_sdk(&sdk),
            config,
        };
        integration::invoke(&handshake, &settings, event).await
    }

    async fn state(&self, attachment: &str) -> String {
        self.attachment(attachment)
            .await
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    }

    async fn attachment(&self, id: &str) -> aws_sdk_ec2::types::TransitGatewayAttachment {
        let out = self
            .customer
            .describe_transit_gateway_attachments()
            .transit_gateway_attachment_ids(id)
            .send()
            .await
            .expect("describe");
        out.transit_gateway_attachments()[0].clone()
    }

    async fn associated_table(&self, attachment: &str) -> Option<String> {
        self.attachment(attachment)
            .await
            .association()
            .and_then(|a| a.transit_gateway_route_table_id())
            .map(String::from)
    }

    /// The static routes of the Astro TGW route table as (destination, attachment).
    async fn tgw_routes(&self) -> Vec<(String, String)> {
        let out = self
            .customer
            .search_transit_gateway_routes()
            .transit_gateway_route_table_id(&self.tgw_rtb)
            .filters(Filter::builder().name("type").values("static").build())
            .send()
            .await
            .expect("SearchTransitGatewayRoutes");
        out.routes()
            .iter()
            .map(|r| {
                let target = r
                    .transit_gateway_attachments()
                    .first()
                    .and_then(|a| a.transit_gateway_attachment_id())
                    .unwrap_or("blackhole");
                (
                    r.destination_cidr_block().unwrap_or_default().to_string(),
                    target.to_string(),
                )
            })
            .collect()
    }

    async fn spoke_routed(&self, cidr: &str) -> [bool; 2] {
        [
            scenario::has_route(&self.customer, &self.main_rtb, cidr, &self.tgw).await,
            scenario::has_route(&self.customer, &self.tagged_rtb, cidr, &self.tgw).await,
        ]
    }
}

fn created_event(attachment: &str) -> Value {
    sample_event("tgw-create-cloudtrail.json", PLACEHOLDER, attachment)
}

#[tokio::test]
async fn allowed_attachment_is_accepted_associated_and_routed() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    assert_eq!(w.state(&att).await, "pendingAcceptance");

    let (response, sink) = w.reconcile(w.config(&[]), &created_event(&att)).await;

    assert_eq!(w.state(&att).await, "available");
    assert_eq!(
        w.associated_table(&att).await.as_deref(),
        Some(w.tgw_rtb.as_str())
    );
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), att.clone())]
    );
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [true, true]);

    let done = actions(&sink);
    let names: Vec<&str> = done.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "accept-attachment",
            "associate-route-table",
            "create-tgw-route",
            "create-route",
            "create-route"
        ]
    );
    assert!(done.iter().all(|(_, o)| o == "done"), "{done:?}");
    let records = sink.records();
    let accept = records
        .iter()
        .find(|r| r["action"] == "accept-attachment")
        .unwrap();
    assert_eq!(accept["requesterAccount"], ASTRO);
    assert_eq!(accept["handshake"], "transit-gateway");
    assert_eq!(
        accept["trigger"],
        "cloudtrail:CreateTransitGatewayVpcAttachment"
    );
    assert!(
        accept["awsRequestId"].is_string(),
        "request id recorded: {accept}"
    );
    // The TGW's and the share's status, once per invocation, with no finding.
    let status = records_of(&records, "status");
    assert_eq!(status.len(), 2);
    assert_eq!(status[0]["resourceId"], w.tgw.as_str());
    assert!(status[0]["reason"]
        .as_str()
        .unwrap()
        .contains("auto-accept shared attachments is disabled"));
    assert_eq!(status[1]["resourceId"], w.share_arn.as_str());
    let reason = status[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{ASTRO} ASSOCIATED")) && reason.contains(&w.tgw),
        "{reason}"
    );
    assert!(findings(&sink).is_empty(), "{:?}", findings(&sink));
    assert_eq!(sink.metric_documents().len(), 1);
    assert_eq!(sink.metric_documents()[0]["Handshake"], "transit-gateway");
    assert_eq!(metric(&sink, "Accepted"), 1);
    assert_eq!(metric(&sink, "Conflicts"), 0);
    assert_eq!(response["reports"][0]["verdict"], "accept");
    assert_eq!(response["checks"][1]["subject"], w.share_arn.as_str());
}

#[tokio::test]
async fn replaying_the_event_ten_times_writes_once() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let event = created_event(&att);
    let (_, first) = w.reconcile(w.config(&[]), &event).await;
    assert_eq!(actions(&first).len(), 5, "{:?}", actions(&first));
    for _ in 0..9 {
        let (response, again) = w.reconcile(w.config(&[]), &event).await;
        assert!(
            actions(&again).is_empty(),
            "a replay wrote: {:?}",
            actions(&again)
        );
        assert_eq!(records_of(&again.records(), "decision").len(), 1);
        assert!(
            response["reports"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("in sync"),
            "{response}"
        );
    }
    assert_eq!(w.tgw_routes().await.len(), 1);
    let main = scenario::routes(&w.customer, &w.main_rtb).await;
    assert_eq!(main.iter().filter(|(d, _)| d == ASTRO_CIDR).count(), 1);
}

/// A refused attachment stays pending, gets nothing, and is recorded as ignored.
async fn assert_ignored(w: &World, config: TgwConfig, att: &str, reason_part: &str) {
    let (response, sink) = w.reconcile(config, &created_event(att)).await;
    assert_eq!(w.state(att).await, "pendingAcceptance");
    assert!(w.tgw_routes().await.is_empty());
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [false, false]);
    assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
    let report = &response["reports"][0];
    assert_eq!(report["verdict"], "ignore");
    assert!(
        report["reason"].as_str().unwrap().contains(reason_part),
        "{report}"
    );
    assert_eq!(metric(&sink, "Ignored"), 1);
}

#[tokio::test]
async fn attachment_from_another_account_is_left_pending_or_rejected_when_asked() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(STRANGER, ASTRO_CIDR).await;
    assert_ignored(
        &w,
        w.config(&[]),
        &att,
        "account 333333333333 is not in AstroAccountIds",
    )
    .await;

    let (response, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "reject")]),
            &created_event(&att),
        )
        .await;
    assert_eq!(w.state(&att).await, "rejected");
    assert_eq!(
        actions(&sink),
        [("reject-attachment".to_string(), "done".to_string())]
    );
    assert_eq!(response["reports"][0]["verdict"], "reject");
    assert_eq!(metric(&sink, "Rejected"), 1);
    let (response, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "reject")]),
            &created_event(&att),
        )
        .await;
    assert!(actions(&sink).is_empty());
    assert_eq!(response["reports"][0]["verdict"], "skip");
}

#[tokio::test]
async fn vpc_not_in_astro_vpc_ids_is_left_pending() {
    let w = World::new(false).await;
    let (att, vpc) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    assert_ignored(
        &w,
        w.config(&[("ASTRO_VPC_IDS", "vpc-0123456789abcdef0")]),
        &att,
        &format!("VPC {vpc} is not in AstroVpcIds"),
    )
    .await;
    // Listed: accepted.
    let (response, _) = w
        .reconcile(w.config(&[("ASTRO_VPC_IDS", &vpc)]), &created_event(&att))
        .await;
    assert_eq!(response["reports"][0]["verdict"], "accept");
    assert_eq!(w.state(&att).await, "available");
}

#[tokio::test]
async fn attachment_on_another_tgw_is_left_untouched() {
    let w = World::new(false).await;
    let other_tgw = scenario::create_tgw(&w.customer, false).await;
    scenario::share(&w.ram, "other", &other_tgw, &[ASTRO]).await;
    let (att, _) = scenario::attach(&w.vendor(ASTRO).await, &other_tgw, ASTRO_CIDR).await;
    let (response, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "reject")]),
            &created_event(&att),
        )
        .await;
    assert_eq!(
        w.state(&att).await,
        "pendingAcceptance",
        "never rejected on a TGW not managed here"
    );
    assert!(actions(&sink).is_empty());
    assert_eq!(response["reports"][0]["verdict"], "ignore");
    assert!(response["reports"][0]["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("is on {other_tgw}")));
}

#[tokio::test]
async fn astro_cidr_overlapping_a_spoke_is_refused_and_the_others_routed() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let cidrs = format!("10.0.128.0/20,{ASTRO_CIDR}");
    let (response, sink) = w
        .reconcile(w.config(&[("ASTRO_CIDRS", &cidrs)]), &created_event(&att))
        .await;
    assert_eq!(w.state(&att).await, "available");
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), att.clone())]
    );
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [true, true]);
    assert_eq!(w.spoke_routed("10.0.128.0/20").await, [false, false]);
    let found = findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "cidr-refused");
    assert!(
        found[0].1.contains(&format!(
            "10.0.128.0/20 overlaps 10.0.0.0/16 of spoke VPC {}",
            w.spoke_vpc
        )),
        "{found:?}"
    );
    assert_eq!(metric(&sink, "Conflicts"), 1);
    assert_eq!(
        response["reports"][0]["findings"][0]["kind"],
        "cidr-refused"
    );
}

#[tokio::test]
async fn cidr_already_routed_to_another_attachment_is_refused() {
    let w = World::new(false).await;
    w.customer
        .create_transit_gateway_route()
        .transit_gateway_route_table_id(&w.tgw_rtb)
        .destination_cidr_block(ASTRO_CIDR)
        .transit_gateway_attachment_id(&w.spoke_attachment)
        .send()
        .await
        .expect("customer's own TGW route");
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let (_, sink) = w.reconcile(w.config(&[]), &created_event(&att)).await;
    assert_eq!(w.state(&att).await, "available");
    assert_eq!(
        w.associated_table(&att).await.as_deref(),
        Some(w.tgw_rtb.as_str())
    );
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), w.spoke_attachment.clone())],
        "never replaced"
    );
    assert_eq!(
        w.spoke_routed(ASTRO_CIDR).await,
        [false, false],
        "a refused CIDR is not routed anywhere"
    );
    let found = findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "cidr-refused");
    assert!(
        found[0].1.contains(&format!(
            "already routes {ASTRO_CIDR} to {}",
            w.spoke_attachment
        )),
        "{found:?}"
    );
    assert_eq!(metric(&sink, "Conflicts"), 1);
}

#[tokio::test]
async fn missing_route_tables_are_reported() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    // The configured TGW route table does not exist: accepted, nothing associated or routed.
    let (response, sink) = w
        .reconcile(
            w.config(&[(
                "TRANSIT_GATEWAY_ROUTE_TABLE_ID",
                "tgw-rtb-0000000000000dead",
            )]),
            &created_event(&att),
        )
        .await;
    assert_eq!(w.state(&att).await, "available");
    assert_eq!(w.associated_table(&att).await, None);
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [false, false]);
    let found = findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "missing");
    assert!(
        found[0]
            .1
            .contains("tgw-rtb-0000000000000dead does not exist"),
        "{found:?}"
    );
    assert_eq!(response["reports"][0]["verdict"], "accept");

    // The selector picks no spoke route table: TGW side converged, a finding for the spoke.
    let (_, sink) = w
        .reconcile(
            w.config(&[("ROUTE_TABLE_SELECTOR", "tag:astro=no")]),
            &created_event(&att),
        )
        .await;
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), att.clone())]
    );
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [false, false]);
    let found = findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "no-route-table");
    assert!(found[0].1.contains(&w.spoke_vpc));
}

#[tokio::test]
async fn dry_run_plans_everything_and_changes_nothing() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let (response, sink) = w
        .reconcile(w.config(&[("DRY_RUN", "true")]), &created_event(&att))
        .await;
    assert_eq!(w.state(&att).await, "pendingAcceptance");
    assert!(w.tgw_routes().await.is_empty());
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [false, false]);
    let planned = actions(&sink);
    assert!(planned.iter().all(|(_, o)| o == "planned"), "{planned:?}");
    let names: Vec<&str> = planned.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "accept-attachment",
            "associate-route-table",
            "create-tgw-route",
            "create-route",
            "create-route"
        ]
    );
    assert!(sink.records().iter().all(|r| r["dryRun"] == true));
    assert_eq!(response["dryRun"], true);

    let invoke = sample_event("tgw-invoke-dry-run.json", PLACEHOLDER, &att);
    let (_, sink) = w.reconcile(w.config(&[]), &invoke).await;
    assert!(actions(&sink).iter().all(|(_, o)| o == "planned"));
    assert_eq!(w.state(&att).await, "pendingAcceptance");
}

#[tokio::test]
async fn auto_accepted_attachment_still_gets_its_routes() {
    let w = World::new(true).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    assert_eq!(w.state(&att).await, "available", "auto-accepted");
    let sweep = sample_event("sweep-scheduled.json", PLACEHOLDER, "");
    let (response, sink) = w.reconcile(w.config(&[]), &sweep).await;
    assert_eq!(response["trigger"], "schedule");
    let names: Vec<String> = actions(&sink).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        names,
        [
            "associate-route-table",
            "create-tgw-route",
            "create-route",
            "create-route"
        ]
    );
    assert_eq!(
        w.associated_table(&att).await.as_deref(),
        Some(w.tgw_rtb.as_str())
    );
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), att.clone())]
    );
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [true, true]);
    assert_eq!(metric(&sink, "Accepted"), 0, "nothing to accept");
    // A TGW that accepts shared attachments by itself is a finding on every invocation.
    assert_eq!(
        findings(&sink)
            .iter()
            .map(|(kind, _)| kind.as_str())
            .collect::<Vec<_>>(),
        ["auto-accepts-attachments"]
    );
    assert_eq!(metric(&sink, "Conflicts"), 1);
    // The customer's own spoke attachment is not an Astro attachment: not even looked at.
    assert_eq!(
        response["reports"].as_array().unwrap().len(),
        1,
        "{response}"
    );
}

#[tokio::test]
async fn sweep_finishes_allowed_attachments_and_leaves_the_rest() {
    let w = World::new(false).await;
    let (allowed, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let (refused, _) = w.attach_from(STRANGER, "10.200.0.0/16").await;
    let sweep = sample_event("sweep-invoke.json", PLACEHOLDER, "");
    let (_, sink) = w.reconcile(w.config(&[]), &sweep).await;
    assert_eq!(w.state(&allowed).await, "available");
    assert_eq!(w.state(&refused).await, "pendingAcceptance");
    assert_eq!(metric(&sink, "Accepted"), 1);
    assert_eq!(metric(&sink, "Ignored"), 1);
    // Next sweep: the refused request is still pending (decided again), the allowed one in sync.
    let (response, sink) = w.reconcile(w.config(&[]), &sweep).await;
    assert!(actions(&sink).is_empty());
    assert_eq!(response["reports"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn share_not_associated_is_reported_and_the_attachment_still_reconciled() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    // A second share that lists only the stranger: Astro is not a principal of it.
    let lonely = scenario::share(&w.ram, "no-astro", &w.tgw, &[STRANGER]).await;
    let (response, sink) = w
        .reconcile(
            w.config(&[("RESOURCE_SHARE_ARN", &lonely)]),
            &created_event(&att),
        )
        .await;
    assert_eq!(w.state(&att).await, "available");
    let found = findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "share-not-associated");
    assert!(
        found[0]
            .1
            .contains(&format!("Astro account {ASTRO} is not a principal")),
        "{found:?}"
    );
    assert_eq!(metric(&sink, "Conflicts"), 1);
    assert_eq!(
        response["checks"][1]["findings"][0]["kind"],
        "share-not-associated"
    );

    // A deleted share, and one that does not exist.
    w.ram
        .delete_resource_share()
        .resource_share_arn(&lonely)
        .send()
        .await
        .expect("DeleteResourceShare");
    let (_, sink) = w
        .reconcile(
            w.config(&[("RESOURCE_SHARE_ARN", &lonely)]),
            &created_event(&att),
        )
        .await;
    assert!(
        findings(&sink)
            .iter()
            .any(|(_, d)| d.contains("is DELETED")),
        "{:?}",
        findings(&sink)
    );
    let unknown = format!(
        "arn:aws:ram:{REGION}:{CUSTOMER}:resource-share/00000000-0000-0000-0000-000000000000"
    );
    let (_, sink) = w
        .reconcile(
            w.config(&[("RESOURCE_SHARE_ARN", &unknown)]),
            &created_event(&att),
        )
        .await;
    assert!(
        findings(&sink)
            .iter()
            .any(|(_, d)| d.contains("does not exist")),
        "{:?}",
        findings(&sink)
    );
    assert!(actions(&sink).is_empty());
}

#[tokio::test]
async fn unknown_attachment_id_is_skipped() {
    let w = World::new(false).await;
    let (response, sink) = w
        .reconcile(
            w.config(&[]),
            &created_event("tgw-attach-00000000deadbeef0"),
        )
        .await;
    assert_eq!(response["reports"][0]["verdict"], "skip");
    assert!(actions(&sink).is_empty());
}

/// The built `transit-gateway` binary through a Lambda Runtime API, with the customer's
/// temporary credentials in its environment as Lambda would give them.
#[tokio::test]
async fn lambda_binary_finishes_the_handshake() {
    let w = World::new(false).await;
    let (att, _) = w.attach_from(ASTRO, ASTRO_CIDR).await;
    let mut vars = w.vars().to_vec();
    vars.extend([("AWS_MAX_ATTEMPTS", "1"), ("RUST_LOG", "warn")]);
    let env = w.emulator.function_env(roles::TRANSIT_GATEWAY, &vars).await;
    let harness = LambdaHarness::start(&binary("transit-gateway"), &env);

    let response = harness.invoke(&created_event(&att)).expect("invocation");
    assert_eq!(response["handshake"], "transit-gateway");
    assert_eq!(response["reports"][0]["verdict"], "accept", "{response}");
    assert_eq!(w.state(&att).await, "available");
    assert_eq!(
        w.tgw_routes().await,
        [(ASTRO_CIDR.to_string(), att.clone())]
    );
    assert_eq!(w.spoke_routed(ASTRO_CIDR).await, [true, true]);

    let again = harness
        .invoke(&sample_event("tgw-invoke.json", PLACEHOLDER, &att))
        .expect("replay");
    assert!(
        again["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in sync"),
        "{again}"
    );
    assert_eq!(
        again["reports"][0]["actions"].as_array().map(Vec::len),
        Some(0)
    );

    let lines = harness.stdout_json();
    let audit: Vec<&Value> = lines
        .iter()
        .filter(|l| l["audit"] == "astro-handshake")
        .collect();
    assert!(audit.iter().all(|r| r["handshake"] == "transit-gateway"));
    assert_eq!(
        audit.iter().filter(|r| r["record"] == "status").count(),
        4,
        "the TGW's and the share's status, once per invocation"
    );
    assert_eq!(audit.iter().filter(|r| r["record"] == "action").count(), 5);
    let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(emf.len(), 2);
    assert_eq!(emf[0]["Handshake"], "transit-gateway");
    assert_eq!(emf[0]["Accepted"], 1);
}

/// The seed's "repeat the steps for each Astro cluster": two clusters attach to one TGW, and
/// with `ASTRO_VPC_CIDRS` each attachment gets static TGW routes and spoke routes to its own
/// CIDRs only, without findings; the replays write nothing.
#[tokio::test]
async fn two_astro_clusters_on_one_tgw_each_get_their_own_routes() {
    let w = World::new(false).await;
    let (first, first_vpc) = w.attach_from(ASTRO, "10.100.0.0/16").await;
    let (second, second_vpc) = w.attach_from(ASTRO, "10.102.0.0/16").await;
    let map = format!("{first_vpc}:10.100.0.0/16,{second_vpc}:10.102.0.0/16");
    let clusters = [
        ("ASTRO_CIDRS", "10.100.0.0/14"),
        ("ASTRO_VPC_CIDRS", map.as_str()),
    ];
    for att in [&first, &second] {
        let (response, sink) = w.reconcile(w.config(&clusters), &created_event(att)).await;
        assert_eq!(response["reports"][0]["verdict"], "accept", "{response}");
        assert!(findings(&sink).is_empty(), "{att}: {:?}", findings(&sink));
        assert_eq!(metric(&sink, "Failures") + metric(&sink, "Conflicts"), 0);
    }
    let mut routes = w.tgw_routes().await;
    routes.sort();
    assert_eq!(
        routes,
        [
            ("10.100.0.0/16".to_string(), first.clone()),
            ("10.102.0.0/16".to_string(), second.clone())
        ]
    );
    for cidr in ["10.100.0.0/16", "10.102.0.0/16"] {
        assert_eq!(w.spoke_routed(cidr).await, [true, true], "{cidr}");
    }
    assert_eq!(w.spoke_routed("10.101.0.0/16").await, [false, false]);

    for event in [
        created_event(&first),
        created_event(&second),
        json!({"sweep": true}),
    ] {
        let (_, sink) = w.reconcile(w.config(&clusters), &event).await;
        assert!(actions(&sink).is_empty(), "{:?}", actions(&sink));
        assert!(findings(&sink).is_empty(), "{:?}", findings(&sink));
    }
}
