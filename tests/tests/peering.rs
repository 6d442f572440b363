//! The VPC peering handshake against moto's server: the vendor account requests, the
//! customer side reconciles through the real SDK, the test reads the result back.

use aws_sdk_ec2::Client;
use handshake::audit::MemorySink;
use handshake::aws::ec2::Ec2;
use handshake::peering::{PeeringConfig, PeeringHandshake};
use integration::lambda::sample_event;
use integration::{
    actions, metric, records_of, roles, scenario, Emulator, ASTRO, CUSTOMER, STRANGER,
};
use serde_json::{json, Value};

const PLACEHOLDER: &str = "pcx-0123456789abcdef0";
const ASTRO_CIDR: &str = "10.100.0.0/16";

/// Both sides' networks: the customer VPC 10.0.0.0/16 with its main route table, one
/// tagged `astro=yes` and one plain; the vendor VPC in `vendor_cidr`, owned by `vendor`.
struct World {
    _emulator: Emulator,
    vendor: Client,
    customer: Client,
    /// What the peering function acts with: its own execution role.
    function: aws_config::SdkConfig,
    customer_vpc: String,
    main_rtb: String,
    tagged_rtb: String,
    plain_rtb: String,
    vendor_vpc: String,
}

impl World {
    async fn new(vendor_account: &str, vendor_cidr: &str) -> Self {
        let emulator = Emulator::start();
        let vendor = Client::new(&emulator.account(vendor_account).await);
        let customer = Client::new(&emulator.account(CUSTOMER).await);
        let function = emulator.function(roles::PEERING).await;
        let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
        let main_rtb = scenario::main_route_table(&customer, &customer_vpc).await;
        let tagged_rtb = scenario::route_table(&customer, &customer_vpc, &[("astro", "yes")]).await;
        let plain_rtb = scenario::route_table(&customer, &customer_vpc, &[]).await;
        let vendor_vpc = scenario::vpc(&vendor, vendor_cidr).await;
        Self {
            _emulator: emulator,
            vendor,
            customer,
            function,
            customer_vpc,
            main_rtb,
            tagged_rtb,
            plain_rtb,
            vendor_vpc,
        }
    }

    async fn request(&self) -> String {
        scenario::request_peering(&self.vendor, &self.vendor_vpc, &self.customer_vpc, CUSTOMER)
            .await
    }

    fn config(&self, extra: &[(&str, &str)]) -> PeeringConfig {
        let base = [
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", ASTRO_CIDR),
            ("ACCEPTER_VPC_IDS", &self.customer_vpc),
            ("ACCEPT_WAIT_SECONDS", "5"),
        ];
        integration::config(PeeringConfig::read, &base, extra)
    }

    /// One invocation of the customer side, in process, with the real EC2 adapter.
    async fn reconcile(&self, config: PeeringConfig, event: &Value) -> (Value, MemorySink) {
        let settings = config.settings();
        let handshake = PeeringHandshake {
            port: Ec2::from_sdk(&self.function),
            config,
        };
        integration::invoke(&handshake, &settings, event).await
    }

    async fn all_tables_route(&self, pcx: &str) -> [bool; 3] {
        [
            scenario::has_route(&self.customer, &self.main_rtb, ASTRO_CIDR, pcx).await,
            scenario::has_route(&self.customer, &self.tagged_rtb, ASTRO_CIDR, pcx).await,
            scenario::has_route(&self.customer, &self.plain_rtb, ASTRO_CIDR, pcx).await,
        ]
    }
}

fn created_event(pcx: &str) -> Value {
    sample_event("peering-create-cloudtrail.json", PLACEHOLDER, pcx)
}

#[tokio::test]
async fn allowed_request_is_accepted_routed_dns_enabled_and_tagged() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let pcx = w.request().await;
    assert_eq!(
        scenario::peering_status(&w.customer, &pcx).await,
        "pending-acceptance"
    );

    let (response, sink) = w.reconcile(w.config(&[]), &created_event(&pcx)).await;

    assert_eq!(scenario::peering_status(&w.customer, &pcx).await, "active");
    assert_eq!(w.all_tables_route(&pcx).await, [true, true, true]);
    let p = scenario::peering(&w.customer, &pcx).await;
    let dns = p
        .accepter_vpc_info()
        .and_then(|i| i.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc());
    assert_eq!(dns, Some(true), "accepter DNS resolution enabled");
    assert!(p
        .tags()
        .iter()
        .any(|t| t.key() == Some("astro-handshake:managed") && t.value() == Some("true")));

    let done = actions(&sink);
    assert_eq!(
        done.iter().filter(|(a, _)| a == "accept-peering").count(),
        1
    );
    assert_eq!(done.iter().filter(|(a, _)| a == "create-route").count(), 3);
    assert!(done.iter().all(|(_, o)| o == "done"), "{done:?}");
    let records = sink.records();
    let accept = records
        .iter()
        .find(|r| r["action"] == "accept-peering")
        .unwrap();
    assert_eq!(accept["requesterAccount"], ASTRO);
    assert_eq!(accept["trigger"], "cloudtrail:CreateVpcPeeringConnection");
    assert_eq!(accept["dryRun"], false);
    assert!(
        accept["awsRequestId"].is_string(),
        "request id recorded: {accept}"
    );
    assert_eq!(metric(&sink, "Accepted"), 1);
    assert_eq!(response["reports"][0]["verdict"], "accept");
}

#[tokio::test]
async fn replaying_the_event_ten_times_writes_once() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let pcx = w.request().await;
    let event = created_event(&pcx);
    let (_, first) = w.reconcile(w.config(&[]), &event).await;
    let first_writes = actions(&first).len();
    assert_eq!(
        first_writes,
        1 + 1 + 3 + 1,
        "accept, tag, 3 routes, dns: {:?}",
        actions(&first)
    );
    for _ in 0..9 {
        let (response, again) = w.reconcile(w.config(&[]), &event).await;
        assert!(
            actions(&again).is_empty(),
            "a replay wrote: {:?}",
            actions(&again)
        );
        assert_eq!(records_of(&again.records(), "decision").len(), 1);
        assert!(response["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in sync"));
    }
    assert_eq!(
        scenario::routes(&w.customer, &w.plain_rtb)
            .await
            .iter()
            .filter(|(d, _)| d == ASTRO_CIDR)
            .count(),
        1
    );
}

/// A refused request stays pending, gets no routes, and is recorded as ignored.
async fn assert_ignored(w: &World, pcx: &str, reason_part: &str) {
    let (response, sink) = w.reconcile(w.config(&[]), &created_event(pcx)).await;
    assert_eq!(
        scenario::peering_status(&w.customer, pcx).await,
        "pending-acceptance"
    );
    assert_eq!(w.all_tables_route(pcx).await, [false, false, false]);
    assert!(actions(&sink).is_empty());
    let report = &response["reports"][0];
    assert_eq!(report["verdict"], "ignore");
    assert!(
        report["reason"].as_str().unwrap().contains(reason_part),
        "{report}"
    );
    assert_eq!(metric(&sink, "Ignored"), 1);
}

#[tokio::test]
async fn request_from_another_account_is_left_pending() {
    let w = World::new(STRANGER, ASTRO_CIDR).await;
    let pcx = w.request().await;
    assert_ignored(&w, &pcx, "account 333333333333 is not in AstroAccountIds").await;
}

#[tokio::test]
async fn requester_cidr_outside_astro_cidrs_is_refused() {
    let w = World::new(ASTRO, "10.200.0.0/16").await;
    let pcx = w.request().await;
    assert_ignored(&w, &pcx, "10.200.0.0/16 is outside AstroCidrs").await;
}

#[tokio::test]
async fn secondary_requester_cidr_outside_astro_cidrs_is_refused() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    scenario::add_cidr(&w.vendor, &w.vendor_vpc, "172.16.0.0/16").await;
    let pcx = w.request().await;
    assert_ignored(&w, &pcx, "172.16.0.0/16 is outside AstroCidrs").await;
}

#[tokio::test]
async fn requester_default_route_is_refused() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    scenario::add_cidr(&w.vendor, &w.vendor_vpc, "0.0.0.0/0").await;
    let pcx = w.request().await;
    assert_ignored(&w, &pcx, "0.0.0.0/0 is a default or over-broad route").await;
}

#[tokio::test]
async fn requester_overlapping_the_accepter_is_refused() {
    let w = World::new(ASTRO, "10.0.0.0/16").await;
    let pcx = w.request().await;
    let (response, sink) = w
        .reconcile(
            w.config(&[("ASTRO_CIDRS", "10.0.0.0/8")]),
            &created_event(&pcx),
        )
        .await;
    assert_eq!(
        scenario::peering_status(&w.customer, &pcx).await,
        "pending-acceptance"
    );
    assert!(actions(&sink).is_empty());
    assert!(response["reports"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("overlaps the local CIDR 10.0.0.0/16"));
}

#[tokio::test]
async fn reject_mode_rejects_and_ignore_mode_leaves_pending() {
    let w = World::new(STRANGER, ASTRO_CIDR).await;
    let ignored = w.request().await;
    let (_, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "ignore")]),
            &created_event(&ignored),
        )
        .await;
    assert!(actions(&sink).is_empty());
    assert_eq!(
        scenario::peering_status(&w.customer, &ignored).await,
        "pending-acceptance"
    );

    let (response, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "reject")]),
            &created_event(&ignored),
        )
        .await;
    assert_eq!(
        scenario::peering_status(&w.customer, &ignored).await,
        "rejected"
    );
    assert_eq!(
        actions(&sink),
        [("reject-peering".to_string(), "done".to_string())]
    );
    assert_eq!(response["reports"][0]["verdict"], "reject");
    assert_eq!(metric(&sink, "Rejected"), 1);

    // A rejected peering is final: no further writes, whatever the mode.
    let (response, sink) = w
        .reconcile(
            w.config(&[("UNKNOWN_REQUESTS", "reject")]),
            &created_event(&ignored),
        )
        .await;
    assert!(actions(&sink).is_empty());
    assert_eq!(response["reports"][0]["verdict"], "skip");
}

#[tokio::test]
async fn existing_route_to_another_target_is_never_replaced() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let igw = scenario::internet_gateway(&w.customer, &w.customer_vpc).await;
    w.customer
        .create_route()
        .route_table_id(&w.main_rtb)
        .destination_cidr_block(ASTRO_CIDR)
        .gateway_id(&igw)
        .send()
        .await
        .expect("customer's own route");
    let pcx = w.request().await;
    let (response, sink) = w.reconcile(w.config(&[]), &created_event(&pcx)).await;
    assert_eq!(scenario::peering_status(&w.customer, &pcx).await, "active");
    assert_eq!(w.all_tables_route(&pcx).await, [false, true, true]);
    assert!(
        scenario::has_route(&w.customer, &w.main_rtb, ASTRO_CIDR, &igw).await,
        "customer's route kept"
    );
    let findings = records_of(&sink.records(), "finding")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["action"], "route-conflict");
    assert!(findings[0]["reason"].as_str().unwrap().contains(&igw));
    assert_eq!(metric(&sink, "Conflicts"), 1);
    assert_eq!(
        response["reports"][0]["findings"][0]["kind"],
        "route-conflict"
    );
}

#[tokio::test]
async fn route_table_selector_forms() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    for (selector, expected) in [
        ("main", [true, false, false]),
        ("tag:astro=yes", [false, true, false]),
    ] {
        let pcx = w.request().await;
        w.reconcile(
            w.config(&[("ROUTE_TABLE_SELECTOR", selector)]),
            &created_event(&pcx),
        )
        .await;
        assert_eq!(w.all_tables_route(&pcx).await, expected, "{selector}");
        // The CIDR is now routed in those tables: the next peering would conflict there.
        // Remove this peering's routes so the next selector starts from a clean slate.
        for (rtb, routed) in [(&w.main_rtb, expected[0]), (&w.tagged_rtb, expected[1])] {
            if routed {
                w.customer
                    .delete_route()
                    .route_table_id(rtb)
                    .destination_cidr_block(ASTRO_CIDR)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    let pcx = w.request().await;
    let ids = format!("{},{}", w.plain_rtb, w.tagged_rtb);
    w.reconcile(
        w.config(&[("ROUTE_TABLE_SELECTOR", &ids)]),
        &created_event(&pcx),
    )
    .await;
    assert_eq!(w.all_tables_route(&pcx).await, [false, true, true]);
}

#[tokio::test]
async fn dry_run_plans_everything_and_changes_nothing() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let pcx = w.request().await;
    let (response, sink) = w
        .reconcile(w.config(&[("DRY_RUN", "true")]), &created_event(&pcx))
        .await;
    assert_eq!(
        scenario::peering_status(&w.customer, &pcx).await,
        "pending-acceptance"
    );
    assert_eq!(w.all_tables_route(&pcx).await, [false, false, false]);
    let planned = actions(&sink);
    assert!(planned.iter().all(|(_, o)| o == "planned"), "{planned:?}");
    let names: Vec<&str> = planned.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "accept-peering",
            "tag-peering",
            "create-route",
            "create-route",
            "create-route",
            "enable-accepter-dns-resolution"
        ]
    );
    assert!(sink.records().iter().all(|r| r["dryRun"] == true));
    assert_eq!(response["dryRun"], true);

    // A direct invoke can ask for a dry run even when the function is configured to act.
    let (_, sink) = w
        .reconcile(
            w.config(&[]),
            &json!({"vpcPeeringConnectionId": pcx, "dryRun": true}),
        )
        .await;
    assert!(actions(&sink).iter().all(|(_, o)| o == "planned"));
    assert_eq!(
        scenario::peering_status(&w.customer, &pcx).await,
        "pending-acceptance"
    );
}

#[tokio::test]
async fn sweep_finishes_allowed_requests_and_leaves_the_rest() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let allowed = w.request().await;
    let stranger = Client::new(&w._emulator.account(STRANGER).await);
    let stranger_vpc = scenario::vpc(&stranger, ASTRO_CIDR).await;
    let refused =
        scenario::request_peering(&stranger, &stranger_vpc, &w.customer_vpc, CUSTOMER).await;
    let sweep = sample_event("sweep-scheduled.json", PLACEHOLDER, "");
    let (response, sink) = w.reconcile(w.config(&[]), &sweep).await;
    assert_eq!(response["trigger"], "schedule");
    assert_eq!(
        scenario::peering_status(&w.customer, &allowed).await,
        "active"
    );
    assert_eq!(
        scenario::peering_status(&w.customer, &refused).await,
        "pending-acceptance"
    );
    let decisions = records_of(&sink.records(), "decision").len();
    assert!(decisions >= 2, "both peerings decided");
    assert_eq!(metric(&sink, "Accepted"), 1);
    assert_eq!(metric(&sink, "Ignored"), 1);
}

#[tokio::test]
async fn malformed_event_is_recorded_and_changes_nothing() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let pcx = w.request().await;
    for event in [
        json!({"vpcPeeringConnectionId": "pcx-not-hex!"}),
        json!(["pcx-0123abcd"]),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": {"eventName": "DeleteVpc"}}),
    ] {
        let (response, sink) = w.reconcile(w.config(&[]), &event).await;
        assert!(response["error"].is_string(), "{response}");
        let errors = records_of(&sink.records(), "error").len();
        assert_eq!(errors, 1);
        assert!(actions(&sink).is_empty());
        assert_eq!(metric(&sink, "Failures"), 1);
    }
    assert_eq!(
        scenario::peering_status(&w.customer, &pcx).await,
        "pending-acceptance"
    );
}

#[tokio::test]
async fn unknown_peering_id_is_skipped() {
    let w = World::new(ASTRO, ASTRO_CIDR).await;
    let (response, sink) = w
        .reconcile(w.config(&[]), &created_event("pcx-00000000deadbeef"))
        .await;
    assert_eq!(response["reports"][0]["verdict"], "skip");
    assert!(actions(&sink).is_empty());
}
