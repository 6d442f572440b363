//! Astro's "Custom VPC Endpoint" flow against moto's server (with the project's endpoint
//! service extension: permissions, cross-account interface endpoints, connection acceptance).
//! The customer owns an endpoint service behind a Network Load Balancer; Astro connects to it
//! from its accounts as `astronomer-remote-management`; the customer side reconciles in
//! process through the real adapter (and once through the real binary and the Lambda
//! runtime), and the test reads the result back through the SDK.

use aws_config::SdkConfig;
use aws_sdk_ec2::Client as Ec2;
use handshake::aws::ec2::Ec2 as Ec2Adapter;
use handshake::endpoint_services::{EndpointServicesConfig, EndpointServicesHandshake};
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{
    actions, findings, metric, roles, scenario, Emulator, ASTRO, CUSTOMER, STRANGER,
};
use serde_json::{json, Value};

/// A second Astro account (another cluster's).
const ASTRO_2: &str = "444444444444";
/// Someone the customer already allows, for their own purposes.
const PARTNER_ROOT: &str = "arn:aws:iam::555555555555:root";
const SERVICE_PLACEHOLDER: &str = "vpce-svc-0123456789abcdef0";

struct World {
    emulator: Emulator,
    customer: Ec2,
    service_id: String,
    service_name: String,
}

impl World {
    /// The customer's service, requiring acceptance, allowing the partner and `STRANGER`'s
    /// account (so that a stranger can ask to connect at all).
    async fn new() -> Self {
        let emulator = Emulator::start();
        Self::on(emulator).await
    }

    async fn on(emulator: Emulator) -> Self {
        let customer_sdk = emulator.account(CUSTOMER).await;
        let stranger_root = format!("arn:aws:iam::{STRANGER}:root");
        let (service_id, service_name) =
            scenario::endpoint_service(&customer_sdk, true, &[PARTNER_ROOT, &stranger_root]).await;
        Self {
            customer: Ec2::new(&customer_sdk),
            emulator,
            service_id,
            service_name,
        }
    }

    fn config(&self, extra: &[(&str, &str)]) -> EndpointServicesConfig {
        integration::config(
            EndpointServicesConfig::read,
            &[
                ("ASTRO_ACCOUNT_IDS", &format!("{ASTRO},{ASTRO_2}")),
                ("ASTRO_CIDRS", "10.100.0.0/16"),
                ("ENDPOINT_SERVICE_IDS", &self.service_id),
                ("UNKNOWN_REQUESTS", "ignore"),
            ],
            extra,
        )
    }

    async fn handshake(&self, extra: &[(&str, &str)]) -> EndpointServicesHandshake<Ec2Adapter> {
        let function = self.emulator.function(roles::ENDPOINT_SERVICES).await;
        EndpointServicesHandshake::new(Ec2Adapter::from_sdk(&function), self.config(extra))
    }

    /// Astro's account `account`, acting as its `astronomer-remote-management` role.
    async fn astro(&self, account: &str) -> Ec2 {
        let sdk: SdkConfig = self
            .emulator
            .assume(&scenario::astro_endpoint_role(account))
            .await;
        Ec2::new(&sdk)
    }

    async fn stranger(&self) -> Ec2 {
        Ec2::new(&self.emulator.account(STRANGER).await)
    }

    async fn principals(&self) -> Vec<String> {
        let mut p = scenario::allowed_principals(&self.customer, &self.service_id).await;
        p.sort();
        p
    }
}

fn sweep() -> Value {
    json!({"sweep": true})
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The whole flow: Astro cannot connect until its principal is allowed; once allowed, its
/// endpoints are accepted, a stranger's is left pending, the customer's own principals stay,
/// and a replay writes nothing.
#[tokio::test]
async fn astro_is_allowed_its_endpoints_accepted_and_nothing_else_touched() {
    let w = World::new().await;
    let astro = w.astro(ASTRO).await;
    assert_eq!(
        scenario::connect_endpoint(&astro, &w.service_name, "10.100.0.0/16").await,
        Err("InvalidServiceName".to_string()),
        "Astro may not connect before its principal is allowed"
    );

    let h = w.handshake(&[]).await;
    let settings = h.config.settings();
    let (response, sink) = integration::invoke(&h, &settings, &sweep()).await;
    assert_eq!(
        actions(&sink),
        [
            (
                "allow-endpoint-service-principal".to_string(),
                "done".to_string()
            ),
            (
                "allow-endpoint-service-principal".to_string(),
                "done".to_string()
            ),
        ],
        "{response}"
    );
    assert_eq!(
        w.principals().await,
        sorted(vec![
            scenario::astro_endpoint_role(ASTRO),
            scenario::astro_endpoint_role(ASTRO_2),
            PARTNER_ROOT.to_string(),
            format!("arn:aws:iam::{STRANGER}:root"),
        ]),
        "Astro's principals added, the customer's kept"
    );

    let ours = scenario::connect_endpoint(&astro, &w.service_name, "10.100.0.0/16")
        .await
        .expect("Astro connects once allowed");
    let astro_2 = w.astro(ASTRO_2).await;
    let second = scenario::connect_endpoint(&astro_2, &w.service_name, "10.102.0.0/16")
        .await
        .expect("the second Astro account connects");
    let stranger = w.stranger().await;
    let theirs = scenario::connect_endpoint(&stranger, &w.service_name, "172.16.0.0/16")
        .await
        .expect("an account the customer allows may ask");
    for (ec2, id) in [(&astro, &ours), (&astro_2, &second), (&stranger, &theirs)] {
        assert_eq!(scenario::endpoint_state(ec2, id).await, "pendingAcceptance");
    }

    let (response, sink) = integration::invoke(&h, &settings, &sweep()).await;
    assert_eq!(
        actions(&sink),
        [
            ("accept-endpoint-connection".to_string(), "done".to_string()),
            ("accept-endpoint-connection".to_string(), "done".to_string()),
        ],
        "{response}"
    );
    assert_eq!(scenario::endpoint_state(&astro, &ours).await, "available");
    assert_eq!(
        scenario::endpoint_state(&astro_2, &second).await,
        "available"
    );
    assert_eq!(
        scenario::endpoint_state(&stranger, &theirs).await,
        "pendingAcceptance",
        "left pending as UnknownRequests=ignore"
    );
    assert_eq!(metric(&sink, "Accepted"), 2);
    assert_eq!(metric(&sink, "Ignored"), 1);
    assert_eq!(metric(&sink, "Failures"), 0);
    let refused = response["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["resourceId"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&theirs)
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(refused["verdict"], "ignore", "{response}");

    // Converged, not replayed: nothing to write; the stranger is recorded again.
    let (_, again) = integration::invoke(&h, &settings, &sweep()).await;
    assert!(actions(&again).is_empty(), "{:?}", actions(&again));
    assert_eq!(metric(&again, "Ignored"), 1);
    assert_eq!(w.principals().await.len(), 4);
}

/// `UnknownRequests=reject`: the stranger's endpoint is rejected; a direct invoke naming the
/// service reconciles the service and its pending connections.
#[tokio::test]
async fn a_direct_invoke_rejects_a_stranger_when_the_customer_asks() {
    let w = World::new().await;
    let h = w.handshake(&[("UNKNOWN_REQUESTS", "reject")]).await;
    let settings = h.config.settings();
    integration::invoke(&h, &settings, &sweep()).await;
    let stranger = w.stranger().await;
    let theirs = scenario::connect_endpoint(&stranger, &w.service_name, "172.16.0.0/16")
        .await
        .expect("an account the customer allows may ask");
    let astro = w.astro(ASTRO).await;
    let ours = scenario::connect_endpoint(&astro, &w.service_name, "10.100.0.0/16")
        .await
        .expect("Astro connects");

    let event = sample_event(
        "endpoint-services-invoke.json",
        SERVICE_PLACEHOLDER,
        &w.service_id,
    );
    let (response, sink) = integration::invoke(&h, &settings, &event).await;
    let mut done = actions(&sink);
    done.sort();
    assert_eq!(
        done,
        [
            ("accept-endpoint-connection".to_string(), "done".to_string()),
            ("reject-endpoint-connection".to_string(), "done".to_string()),
        ],
        "{response}"
    );
    assert_eq!(scenario::endpoint_state(&astro, &ours).await, "available");
    assert_eq!(
        scenario::endpoint_state(&stranger, &theirs).await,
        "rejected"
    );
    assert_eq!(metric(&sink, "Rejected"), 1);
    assert_eq!(response["trigger"], "invoke");
}

/// A dry run plans the principals and the acceptance, and changes nothing.
#[tokio::test]
async fn a_dry_run_plans_and_changes_nothing() {
    let w = World::new().await;
    let before = w.principals().await;
    let h = w.handshake(&[]).await;
    let settings = h.config.settings();
    let event = sample_event(
        "endpoint-services-invoke-dry-run.json",
        SERVICE_PLACEHOLDER,
        &w.service_id,
    );
    let (response, sink) = integration::invoke(&h, &settings, &event).await;
    assert_eq!(
        actions(&sink),
        [
            (
                "allow-endpoint-service-principal".to_string(),
                "planned".to_string()
            ),
            (
                "allow-endpoint-service-principal".to_string(),
                "planned".to_string()
            ),
        ],
        "{response}"
    );
    assert_eq!(w.principals().await, before);
}

/// Listed services that are gone, principals of accounts that are no longer Astro's, and a
/// service open to everyone without review: findings, and no write.
#[tokio::test]
async fn what_needs_a_person_is_a_finding_and_never_a_removal() {
    let emulator = Emulator::start();
    let customer_sdk = emulator.account(CUSTOMER).await;
    let old_astro = scenario::astro_endpoint_role("666666666666");
    let (open, _) = scenario::endpoint_service(
        &customer_sdk,
        false,
        &[
            "*",
            &old_astro,
            &scenario::astro_endpoint_role(ASTRO),
            &scenario::astro_endpoint_role(ASTRO_2),
        ],
    )
    .await;
    let gone = "vpce-svc-0aaaaaaaaaaaaaaa1";
    let w = World::on(emulator).await;
    let h = w
        .handshake(&[("ENDPOINT_SERVICE_IDS", &format!("{open},{gone}"))])
        .await;
    let (response, sink) = integration::invoke(&h, &h.config.settings(), &sweep()).await;
    assert!(actions(&sink).is_empty(), "{response}");
    let mut kinds: Vec<String> = findings(&sink).into_iter().map(|(k, _)| k).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["missing", "open-endpoint-service", "stale-principal"],
        "{response}"
    );
    assert_eq!(metric(&sink, "Conflicts"), 3);
    let still = scenario::allowed_principals(&w.customer, &open).await;
    assert!(still.contains(&old_astro) && still.contains(&"*".to_string()));
}

/// Two instances accepting the same connection at once (a CloudTrail event and a sweep):
/// one accepts it, the other finds it accepted; neither fails.
#[tokio::test]
async fn concurrent_instances_accept_once_and_neither_fails() {
    let w = World::new().await;
    let one = w.handshake(&[]).await;
    let two = w.handshake(&[]).await;
    let settings = one.config.settings();
    integration::invoke(&one, &settings, &sweep()).await;
    let astro = w.astro(ASTRO).await;
    let ours = scenario::connect_endpoint(&astro, &w.service_name, "10.100.0.0/16")
        .await
        .expect("Astro connects");

    let event = sample_event(
        "endpoint-services-create-endpoint-cloudtrail.json",
        SERVICE_PLACEHOLDER,
        &w.service_id,
    );
    let swept = sweep();
    let ((a, sink_a), (b, sink_b)) = tokio::join!(
        integration::invoke(&one, &settings, &event),
        integration::invoke(&two, &settings, &swept)
    );
    assert_eq!(a["trigger"], "cloudtrail:CreateVpcEndpoint", "{a}");
    assert_eq!(
        metric(&sink_a, "Failures") + metric(&sink_b, "Failures"),
        0,
        "{a}\n{b}"
    );
    let accepted = metric(&sink_a, "Accepted") + metric(&sink_b, "Accepted");
    assert_eq!(accepted, 1, "one acceptance between them: {a}\n{b}");
    let mut outcomes: Vec<(String, String)> = actions(&sink_a);
    outcomes.extend(actions(&sink_b));
    assert!(
        outcomes
            .iter()
            .all(|(name, outcome)| name == "accept-endpoint-connection"
                && (outcome == "done" || outcome == "already-done")),
        "{outcomes:?}"
    );
    assert_eq!(scenario::endpoint_state(&astro, &ours).await, "available");
    let _ = b;
}

/// What the customer deploys, end to end: the built binary polls the Lambda Runtime API,
/// takes the CloudTrail event and a sweep, and writes its audit trail and metrics to stdout.
#[tokio::test]
async fn the_endpoint_services_binary_serves_events_through_the_lambda_runtime() {
    let w = World::new().await;
    let vars = [
        ("ASTRO_ACCOUNT_IDS", format!("{ASTRO},{ASTRO_2}")),
        ("ASTRO_CIDRS", "10.100.0.0/16".to_string()),
        ("ENDPOINT_SERVICE_IDS", w.service_id.clone()),
        ("UNKNOWN_REQUESTS", "ignore".to_string()),
        ("PARTITION", "aws".to_string()),
        ("DRY_RUN", "false".to_string()),
        ("AWS_MAX_ATTEMPTS", "1".to_string()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env = w
        .emulator
        .function_env(roles::ENDPOINT_SERVICES, &vars)
        .await;
    let harness = LambdaHarness::start(&binary("endpoint-services"), &env);

    let first = harness
        .invoke(&sample_event(
            "sweep-scheduled.json",
            SERVICE_PLACEHOLDER,
            "",
        ))
        .expect("invocation answers");
    assert_eq!(first["handshake"], "endpoint-services", "{first}");
    assert_eq!(first["counters"]["Failures"], 0, "{first}");
    let astro = w.astro(ASTRO).await;
    let ours = scenario::connect_endpoint(&astro, &w.service_name, "10.100.0.0/16")
        .await
        .expect("Astro connects");
    let event = sample_event(
        "endpoint-services-create-endpoint-cloudtrail.json",
        SERVICE_PLACEHOLDER,
        &w.service_id,
    );
    let second = harness.invoke(&event).expect("invocation answers");
    assert_eq!(
        second["trigger"], "cloudtrail:CreateVpcEndpoint",
        "{second}"
    );
    assert_eq!(scenario::endpoint_state(&astro, &ours).await, "available");

    let printed = harness.stdout_json();
    let audit: Vec<&Value> = printed
        .iter()
        .filter(|l| l["audit"] == "astro-handshake")
        .collect();
    assert!(audit.iter().all(|r| r["handshake"] == "endpoint-services"));
    let written: Vec<&str> = audit
        .iter()
        .filter(|r| r["record"] == "action")
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(
        written,
        [
            "allow-endpoint-service-principal",
            "allow-endpoint-service-principal",
            "accept-endpoint-connection"
        ],
        "{printed:?}"
    );
    let emf: Vec<&Value> = printed.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(emf.len(), 2);
    assert!(emf
        .iter()
        .all(|d| d["Handshake"] == "endpoint-services" && d["Failures"] == 0));
}
