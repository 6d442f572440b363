//! `make demo`: the customer side of Astro's handshakes, played out against a local AWS
//! emulator (moto's server). Astro's account requests; the real Lambda binaries, run
//! through a Lambda Runtime API, finish what is allowed; the audit trail and the
//! resulting network are printed; everything is stopped at the end.

use aws_sdk_ec2::Client;
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{records_of, scenario, Emulator, ASTRO, CUSTOMER, REGION, STRANGER};
use serde_json::Value;

fn heading(text: &str) {
    println!("\n== {text}");
}

fn show_audit(lines: &[Value]) {
    for r in lines.iter().filter(|l| l["audit"] == "astro-handshake") {
        let mut parts = vec![format!("[{}]", r["record"].as_str().unwrap_or("?"))];
        for key in [
            "resourceId",
            "verdict",
            "action",
            "target",
            "outcome",
            "requesterAccount",
        ] {
            if let Some(v) = r[key].as_str() {
                parts.push(format!("{key}={v}"));
            }
        }
        parts.push(format!("reason=\"{}\"", r["reason"].as_str().unwrap_or("")));
        println!("  {}", parts.join(" "));
    }
    for m in lines.iter().filter(|l| l.get("_aws").is_some()) {
        println!(
            "  [metrics] {}: Accepted={} Rejected={} Ignored={} Conflicts={} Failures={}",
            m["Handshake"].as_str().unwrap_or("?"),
            m["Accepted"],
            m["Rejected"],
            m["Ignored"],
            m["Conflicts"],
            m["Failures"]
        );
    }
}

async fn function_env(emulator: &Emulator, vars: &[(&str, &str)]) -> Vec<(String, String)> {
    let creds = emulator.credentials(CUSTOMER).await;
    let mut env: Vec<(String, String)> = vec![
        ("AWS_ACCESS_KEY_ID".into(), creds.access_key_id().into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            creds.secret_access_key().into(),
        ),
        (
            "AWS_SESSION_TOKEN".into(),
            creds.session_token().unwrap_or_default().into(),
        ),
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_ENDPOINT_URL".into(), emulator.endpoint.clone()),
        ("METRICS_NAMESPACE".into(), "AstroHandshake".into()),
    ];
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

async fn peering_demo(emulator: &Emulator) {
    heading("VPC peering: the networks");
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let astro = Client::new(&emulator.account(ASTRO).await);
    let stranger = Client::new(&emulator.account(STRANGER).await);
    let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
    let main_rtb = scenario::main_route_table(&customer, &customer_vpc).await;
    let app_rtb = scenario::route_table(&customer, &customer_vpc, &[("astro", "yes")]).await;
    let astro_vpc = scenario::vpc(&astro, "10.100.0.0/16").await;
    let stranger_vpc = scenario::vpc(&stranger, "10.100.0.0/16").await;
    println!("  customer {CUSTOMER}: {customer_vpc} 10.0.0.0/16, route tables {main_rtb} (main), {app_rtb}");
    println!("  Astro    {ASTRO}: {astro_vpc} 10.100.0.0/16");
    println!("  stranger {STRANGER}: {stranger_vpc} 10.100.0.0/16 (not an Astro account)");

    heading("VPC peering: Astro and a stranger request peering");
    let pcx = scenario::request_peering(&astro, &astro_vpc, &customer_vpc, CUSTOMER).await;
    let foreign =
        scenario::request_peering(&stranger, &stranger_vpc, &customer_vpc, CUSTOMER).await;
    println!(
        "  {pcx} from Astro: {}",
        scenario::peering_status(&customer, &pcx).await
    );
    println!(
        "  {foreign} from the stranger: {}",
        scenario::peering_status(&customer, &foreign).await
    );

    heading("VPC peering: the peering function, invoked by the CloudTrail event, then the sweep");
    let env = function_env(
        emulator,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", &customer_vpc),
        ],
    )
    .await;
    let lambda = LambdaHarness::start(&binary("peering"), &env);
    let event = sample_event(
        "peering-create-cloudtrail.json",
        "pcx-0123456789abcdef0",
        &pcx,
    );
    lambda.invoke(&event).expect("peering function");
    lambda
        .invoke(&sample_event("sweep-scheduled.json", "", ""))
        .expect("sweep");
    show_audit(&lambda.stdout_json());

    heading("VPC peering: the result, read back from the API");
    let p = scenario::peering(&customer, &pcx).await;
    println!(
        "  {pcx}: {}",
        scenario::peering_status(&customer, &pcx).await
    );
    println!(
        "  {foreign}: {} (left untouched, alarmed)",
        scenario::peering_status(&customer, &foreign).await
    );
    let dns = p
        .accepter_vpc_info()
        .and_then(|i| i.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc());
    println!("  accepter DNS resolution (AllowDnsResolutionFromRemoteVpc): {dns:?}");
    let tags: Vec<String> = p
        .tags()
        .iter()
        .map(|t| format!("{}={}", t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    println!("  tags: {}", tags.join(", "));
    for rtb in [&main_rtb, &app_rtb] {
        let routes = scenario::routes(&customer, rtb).await;
        let text: Vec<String> = routes.iter().map(|(d, t)| format!("{d} -> {t}")).collect();
        println!("  {rtb}: {}", text.join(", "));
    }
    let writes_before = records_of(&lambda.stdout_json(), "action").len();
    lambda.invoke(&event).expect("replay");
    let writes_after = records_of(&lambda.stdout_json(), "action").len();
    println!(
        "  replaying the event: {} new writes",
        writes_after - writes_before
    );
}

async fn transit_gateway_demo(emulator: &Emulator) {
    heading("Transit Gateway: the customer's TGW, shared with Astro through RAM");
    let sdk = emulator.account(CUSTOMER).await;
    let customer = Client::new(&sdk);
    let astro = Client::new(&emulator.account(ASTRO).await);
    let built = scenario::CustomerTgw::build(&sdk, false, "10.1.0.0/16", &[ASTRO]).await;
    let (tgw, tgw_rtb, spoke_vpc, spoke_rtb, share_arn) = (
        built.tgw,
        built.route_table,
        built.spoke_vpc,
        built.spoke_main_rtb,
        built.share_arn,
    );
    println!("  {tgw} with route table {tgw_rtb}; spoke {spoke_vpc} 10.1.0.0/16 (route table {spoke_rtb})");
    println!("  RAM share {share_arn} -> {ASTRO}");

    heading("Transit Gateway: Astro attaches its VPC (pending acceptance)");
    let (attachment, astro_vpc) = scenario::attach(&astro, &tgw, "10.100.0.0/16").await;
    println!("  {attachment} from {astro_vpc} 10.100.0.0/16");

    heading("Transit Gateway: the transit-gateway function, invoked by the CloudTrail event");
    let env = function_env(
        emulator,
        &[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("TRANSIT_GATEWAY_ID", &tgw),
            ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", &tgw_rtb),
            ("TGW_SPOKE_VPC_IDS", &spoke_vpc),
            ("RESOURCE_SHARE_ARN", &share_arn),
        ],
    )
    .await;
    let lambda = LambdaHarness::start(&binary("transit-gateway"), &env);
    let event = sample_event(
        "tgw-create-cloudtrail.json",
        "tgw-attach-0123456789abcdef0",
        &attachment,
    )
    .to_string()
    .replace("tgw-0123456789abcdef0", &tgw);
    let event: Value = serde_json::from_str(&event).expect("event");
    lambda.invoke(&event).expect("transit-gateway function");
    show_audit(&lambda.stdout_json());

    heading("Transit Gateway: the result, read back from the API");
    let state = customer
        .describe_transit_gateway_vpc_attachments()
        .transit_gateway_attachment_ids(&attachment)
        .send()
        .await
        .expect("describe attachment");
    let a = &state.transit_gateway_vpc_attachments()[0];
    println!(
        "  {attachment}: {}",
        a.state().map(|s| s.as_str()).unwrap_or("?")
    );
    let tgw_routes = customer
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(&tgw_rtb)
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("type")
                .values("static")
                .build(),
        )
        .send()
        .await
        .expect("search routes");
    for r in tgw_routes.routes() {
        let to: Vec<&str> = r
            .transit_gateway_attachments()
            .iter()
            .filter_map(|x| x.transit_gateway_attachment_id())
            .collect();
        println!(
            "  {tgw_rtb}: {} -> {}",
            r.destination_cidr_block().unwrap_or("?"),
            to.join(",")
        );
    }
    let routes = scenario::routes(&customer, &spoke_rtb).await;
    let text: Vec<String> = routes.iter().map(|(d, t)| format!("{d} -> {t}")).collect();
    println!("  {spoke_rtb}: {}", text.join(", "));
    let writes_before = records_of(&lambda.stdout_json(), "action").len();
    lambda.invoke(&event).expect("replay");
    println!(
        "  replaying the event: {} new writes",
        records_of(&lambda.stdout_json(), "action").len() - writes_before
    );
}

#[tokio::main]
async fn main() {
    println!("astro-handshake demo: a local AWS emulator, Astro's account {ASTRO}, the customer's {CUSTOMER}");
    let emulator = Emulator::start();
    println!(
        "  emulator (moto server with the project's extensions) at {}",
        emulator.endpoint
    );
    peering_demo(&emulator).await;
    transit_gateway_demo(&emulator).await;
    heading("done: the emulator and the functions are stopped");
}
