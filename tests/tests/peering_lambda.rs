//! The built `peering` binary, run through a Lambda Runtime API with sample events from
//! `events/`, against moto's server: what the customer deploys, end to end.

use aws_sdk_ec2::Client;
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{records_of, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

const PLACEHOLDER: &str = "pcx-0123456789abcdef0";

/// The environment Lambda would give the function: its role's temporary credentials, the
/// template's variables, and (only here) the emulator's endpoint.
async fn function_env(
    emulator: &Emulator,
    accepter_vpc: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut vars = vec![
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("ACCEPTER_VPC_IDS", accepter_vpc),
        ("ACCEPT_WAIT_SECONDS", "10"),
    ];
    vars.extend_from_slice(extra);
    emulator.function_env(roles::PEERING, &vars).await
}

#[tokio::test]
async fn peering_lambda_finishes_the_handshake_from_a_cloudtrail_event() {
    let emulator = Emulator::start();
    let vendor = Client::new(&emulator.account(ASTRO).await);
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
    let main_rtb = scenario::main_route_table(&customer, &customer_vpc).await;
    let vendor_vpc = scenario::vpc(&vendor, "10.100.0.0/16").await;
    let pcx = scenario::request_peering(&vendor, &vendor_vpc, &customer_vpc, CUSTOMER).await;

    let lambda = LambdaHarness::start(
        &binary("peering"),
        &function_env(&emulator, &customer_vpc, &[]).await,
    );
    let response = lambda
        .invoke(&sample_event(
            "peering-create-cloudtrail.json",
            PLACEHOLDER,
            &pcx,
        ))
        .expect("invocation succeeds");

    assert_eq!(response["handshake"], "vpc-peering");
    assert_eq!(response["reports"][0]["resourceId"], pcx.as_str());
    assert_eq!(response["reports"][0]["verdict"], "accept");
    assert_eq!(scenario::peering_status(&customer, &pcx).await, "active");
    assert!(scenario::has_route(&customer, &main_rtb, "10.100.0.0/16", &pcx).await);

    // The audit trail and the metrics are JSON lines on the function's stdout.
    let lines = lambda.stdout_json();
    let actions: Vec<_> = records_of(&lines, "action")
        .iter()
        .map(|r| r["action"].clone())
        .collect();
    assert!(actions.contains(&json!("accept-peering")), "{lines:?}");
    assert!(actions.contains(&json!("create-route")));
    assert!(records_of(&lines, "action")
        .iter()
        .all(|r| r["invocationId"].is_string()));
    let emf = lines
        .iter()
        .find(|l| l.get("_aws").is_some())
        .expect("an EMF document");
    assert_eq!(emf["Accepted"], 1);
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "AstroHandshake"
    );

    // The scheduled sweep afterwards finds it in sync and writes nothing.
    let before = records_of(&lambda.stdout_json(), "action").len();
    let response = lambda
        .invoke(&sample_event("sweep-scheduled.json", PLACEHOLDER, ""))
        .expect("sweep");
    assert_eq!(response["trigger"], "schedule");
    assert_eq!(records_of(&lambda.stdout_json(), "action").len(), before);
}

#[tokio::test]
async fn peering_lambda_answers_a_malformed_event_without_writing() {
    let emulator = Emulator::start();
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
    let lambda = LambdaHarness::start(
        &binary("peering"),
        &function_env(&emulator, &customer_vpc, &[]).await,
    );
    let response = lambda
        .invoke(&json!({"vpcPeeringConnectionId": 42}))
        .expect("answered");
    assert!(response["error"]
        .as_str()
        .unwrap()
        .contains("must be a string"));
    let lines = lambda.stdout_json();
    assert_eq!(records_of(&lines, "error").len(), 1);
    assert!(records_of(&lines, "action").is_empty());
}

#[tokio::test]
async fn peering_lambda_refuses_to_start_on_bad_configuration() {
    let emulator = Emulator::start();
    let env = function_env(&emulator, "vpc-0000c0c0", &[("ASTRO_CIDRS", "0.0.0.0/0")]).await;
    let mut lambda = LambdaHarness::start(&binary("peering"), &env);
    let status = lambda
        .function_exit()
        .expect("the function exits at start-up");
    assert!(!status.success());
    assert!(
        lambda.function_stderr().contains("ASTRO_CIDRS"),
        "{}",
        lambda.function_stderr()
    );
}

/// Concurrency needs no reservation: four instances of the function (four processes, each with
/// its own Runtime API, as Lambda runs concurrent execution environments) sweep the same three
/// pending requests at the same moment. They converge: every request accepted, routed in every
/// table once and DNS-enabled, and no instance records a failure or an error.
#[tokio::test]
async fn four_concurrent_instances_sweeping_the_same_requests_converge() {
    const CIDRS: [&str; 3] = ["10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"];
    let emulator = Emulator::start();
    let vendor = Client::new(&emulator.account(ASTRO).await);
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let (customer_vpc, tables) = scenario::accepter_vpc(&customer).await;
    let mut requests = Vec::new();
    for cidr in CIDRS {
        let vendor_vpc = scenario::vpc(&vendor, cidr).await;
        let pcx = scenario::request_peering(&vendor, &vendor_vpc, &customer_vpc, CUSTOMER).await;
        requests.push((pcx, cidr));
    }

    let cidrs = CIDRS.join(",");
    let env = function_env(&emulator, &customer_vpc, &[("ASTRO_CIDRS", &cidrs)]).await;
    let instances: Vec<LambdaHarness> = (0..4)
        .map(|_| LambdaHarness::start(&binary("peering"), &env))
        .collect();
    let sweep = json!({"sweep": true});
    let responses: Vec<Result<serde_json::Value, String>> = std::thread::scope(|s| {
        let running: Vec<_> = instances
            .iter()
            .map(|lambda| s.spawn(|| lambda.invoke(&sweep)))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("invoke thread"))
            .collect()
    });

    for response in &responses {
        let response = response.as_ref().expect("every instance answers");
        assert_eq!(response["handshake"], "vpc-peering", "{response}");
    }
    let records: Vec<serde_json::Value> = instances
        .iter()
        .flat_map(|lambda| lambda.stdout_json())
        .collect();
    assert!(records_of(&records, "error").is_empty(), "{records:?}");
    let writes = records_of(&records, "action");
    assert!(
        writes
            .iter()
            .all(|r| r["outcome"] == "done" || r["outcome"] == "already-done"),
        "{writes:?}"
    );
    let failures: u64 = records
        .iter()
        .filter(|l| l.get("_aws").is_some())
        .map(|d| d["Failures"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(failures, 0);

    for (pcx, cidr) in &requests {
        let peering = scenario::peering(&customer, pcx).await;
        assert_eq!(
            peering.status().and_then(|s| s.code()).map(|c| c.as_str()),
            Some("active"),
            "{pcx}"
        );
        assert_eq!(
            scenario::accepter_dns(&peering),
            Some(true),
            "{pcx}: accepter DNS resolution"
        );
        for rtb in &tables {
            let routes = scenario::routes(&customer, rtb).await;
            let to_astro: Vec<_> = routes.iter().filter(|(d, _)| d == cidr).collect();
            assert_eq!(to_astro.len(), 1, "{rtb}: {routes:?}");
            assert_eq!(&to_astro[0].1, pcx, "{rtb}: {routes:?}");
            assert!(
                writes.iter().any(|r| r["action"] == "create-route"
                    && r["outcome"] == "done"
                    && r["target"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(rtb.as_str())
                    && r["target"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(pcx.as_str())),
                "no instance recorded the route {rtb} -> {pcx}"
            );
        }
    }
}
