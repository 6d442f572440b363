//! The temporary PeerRole against moto's server, on the stack template.yaml makes: the template
//! after the SAM transform with every feature on, deployed as `sam deploy` would
//! (`integration::stack`), an Astro peering made by the vendor account, and the customer side
//! reconciled through the real SDK adapters with the peer-role function's own role.
//!
//! The emulator's CloudFormation follows AWS here (tests/emulator/astro_moto/cfn_ext.py and
//! cfn_changesets_ext.py): a change set that turns the PeerRole's condition false lists one
//! change, the role's removal, and executing it deletes the role and keeps every other
//! resource. It does not evaluate IAM: the function's permissions are pinned in
//! tests/template (the policy holds exactly the IAM::Role delete-handler permissions on the
//! PeerRole's ARN and refuses any RoleARN) and by the action coverage test (tests/iam).

use std::collections::BTreeMap;

use handshake::audit::MemorySink;
use handshake::aws::cloudformation::CloudFormation;
use handshake::aws::ec2::Ec2;
use handshake::peer_role::{
    PeerRoleConfig, PeerRoleHandshake, PeerRolePort, StackUpdate, CAPABILITIES, CHANGE_SET_PREFIX,
};
use handshake::peering::{PeeringConfig, PeeringHandshake};
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::stack::{self, CustomerStack};
use integration::{
    actions, metric, records_of, roles, scenario, Emulator, ASTRO, CUSTOMER, STRANGER,
};
use serde_json::{json, Value};

const LATER: &str = "2099-01-01T00:00:00Z";
const EARLIER: &str = "2020-01-01T00:00:00Z";
const PLACEHOLDER: &str = "pcx-0123456789abcdef0";

struct World {
    emulator: Emulator,
    stack: CustomerStack,
    /// The customer's own reads (set-up role).
    cfn: aws_sdk_cloudformation::Client,
    customer: aws_sdk_ec2::Client,
    vendor: aws_sdk_ec2::Client,
    /// What the peer-role function acts with: its own execution role.
    function: aws_config::SdkConfig,
    customer_vpc: String,
    vendor_vpc: String,
}

impl World {
    /// The stack with every feature on, the PeerRole (`create`) trusting Astro's account and
    /// time-boxed to `expires`, and a vendor VPC ready to peer with the first accepter VPC.
    async fn new(create: &str, expires: &str) -> Self {
        let emulator = Emulator::start();
        let stack = stack::deploy(
            &emulator,
            &[
                ("CreatePeerRole", create),
                ("PeerOwnerIds", ASTRO),
                ("PeerRoleExpiresAt", expires),
            ],
        );
        let customer_config = emulator.account(CUSTOMER).await;
        let function_config = emulator.function(roles::PEER_ROLE).await;
        let vendor = aws_sdk_ec2::Client::new(&emulator.account(ASTRO).await);
        let customer_vpc = stack
            .parameter("AccepterVpcIds")
            .split(',')
            .next()
            .expect("an accepter VPC")
            .to_string();
        let vendor_vpc = scenario::vpc(&vendor, "10.100.0.0/16").await;
        Self {
            cfn: aws_sdk_cloudformation::Client::new(&customer_config),
            customer: aws_sdk_ec2::Client::new(&customer_config),
            function: function_config,
            emulator,
            stack,
            vendor,
            customer_vpc,
            vendor_vpc,
        }
    }

    /// A peering from the vendor's VPC into the customer's, accepted: `active`.
    async fn active_peering(&self, vendor: &aws_sdk_ec2::Client, vendor_vpc: &str) -> String {
        scenario::active_peering(vendor, vendor_vpc, &self.customer, &self.customer_vpc).await
    }

    fn vars(&self, expires: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = vec![
            ("STACK_NAME".into(), self.stack.name.clone()),
            ("PEER_ROLE_EXPIRES_AT".into(), expires.into()),
            ("PEER_OWNER_IDS".into(), ASTRO.into()),
            (
                "ACCEPTER_VPC_IDS".into(),
                self.stack.parameter("AccepterVpcIds").into(),
            ),
        ];
        for (k, v) in extra {
            vars.retain(|(name, _)| name != k);
            vars.push((k.to_string(), v.to_string()));
        }
        vars
    }

    fn config(&self, expires: &str, extra: &[(&str, &str)]) -> PeerRoleConfig {
        let vars: std::collections::HashMap<String, String> =
            self.vars(expires, extra).into_iter().collect();
        PeerRoleConfig::read(&vars).expect("configuration")
    }

    fn handshake(&self, config: PeerRoleConfig) -> PeerRoleHandshake<CloudFormation, Ec2> {
        PeerRoleHandshake::new(
            CloudFormation::from_sdk(&self.function),
            Ec2::from_sdk(&self.function),
            config,
        )
    }

    /// One invocation of the customer side, in process, with the real adapters.
    async fn reconcile(&self, config: PeerRoleConfig, event: &Value) -> (Value, MemorySink) {
        let settings = config.settings();
        integration::invoke(&self.handshake(config), &settings, event).await
    }

    async fn stack(&self) -> aws_sdk_cloudformation::types::Stack {
        let out = self
            .cfn
            .describe_stacks()
            .stack_name(&self.stack.name)
            .send()
            .await
            .expect("DescribeStacks");
        out.stacks()[0].clone()
    }

    async fn parameters(&self) -> BTreeMap<String, String> {
        self.stack()
            .await
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

impl World {
    /// The stack's parameters as deployed, with CreatePeerRole = `create`: only that one may
    /// change.
    fn expected(&self, create: &str) -> BTreeMap<String, String> {
        let mut parameters = self.stack.parameters.clone();
        parameters.insert("CreatePeerRole".into(), create.into());
        parameters
    }

    /// Whether IAM has the role `name`.
    async fn role_exists(&self, name: &str) -> bool {
        let iam = aws_sdk_iam::Client::new(&self.emulator.account(CUSTOMER).await);
        iam.get_role().role_name(name).send().await.is_ok()
    }

    /// The logical ids of the resources in the stack.
    async fn resources(&self) -> Vec<String> {
        self.cfn
            .list_stack_resources()
            .stack_name(&self.stack.name)
            .send()
            .await
            .expect("ListStackResources")
            .stack_resource_summaries()
            .iter()
            .filter_map(|r| r.logical_resource_id().map(str::to_string))
            .collect()
    }
}

fn decisions(sink: &MemorySink) -> Vec<(String, String)> {
    records_of(&sink.records(), "decision")
        .iter()
        .map(|r| {
            (
                r["verdict"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The removal's writes: the change set, then its execution.
fn removed() -> Vec<(String, String)> {
    [
        ("prepare-peer-role-removal", "done"),
        ("remove-peer-role", "done"),
    ]
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .to_vec()
}

fn sweep() -> Value {
    sample_event("peer-role-invoke.json", PLACEHOLDER, PLACEHOLDER)
}

#[tokio::test]
async fn active_astro_peering_removes_the_role_once() {
    let w = World::new("true", LATER).await;
    let pcx = w.active_peering(&w.vendor, &w.vendor_vpc).await;
    let event = sample_event("peer-role-accept-cloudtrail.json", PLACEHOLDER, &pcx);
    let before = w.resources().await;
    assert!(before.iter().any(|r| r == "PeerRole"), "{before:?}");

    let (response, sink) = w.reconcile(w.config(LATER, &[]), &event).await;
    assert_eq!(actions(&sink), removed(), "{response}");
    // CloudFormation deleted the role, and only the role; IAM agrees.
    let after = w.resources().await;
    let mut expected = before.clone();
    expected.retain(|r| r != "PeerRole");
    assert_eq!(after, expected);
    assert_eq!(
        w.parameters().await,
        w.expected("false"),
        "only CreatePeerRole changes"
    );
    assert_eq!(
        w.stack().await.stack_status().unwrap().as_str(),
        "UPDATE_COMPLETE"
    );
    assert!(
        !w.role_exists(&format!("{}-astro-peer-role", w.stack.name))
            .await
    );
    let decided = decisions(&sink);
    assert_eq!(decided[0].0, "accept");
    assert!(
        decided[0].1.contains(&pcx)
            && decided[0].1.contains("is active")
            && decided[0].1.contains("preparing"),
        "{}",
        decided[0].1
    );
    assert_eq!(decided[1].0, "accept");
    assert!(
        decided[1].1.contains("whose one change removes it"),
        "{}",
        decided[1].1
    );
    // The next round of the same invocation sees the flag off and IAM without the role.
    assert_eq!(decided[2].0, "skip");
    assert!(decided[2].1.contains("in sync"));
    let action = records_of(&sink.records(), "action")[0].clone();
    assert_eq!(action["handshake"], "peer-role");
    assert_eq!(action["resourceId"], pcx.as_str());
    assert_eq!(action["requesterAccount"], ASTRO);
    assert!(
        action["target"]
            .as_str()
            .unwrap()
            .contains(":stack/astro-handshake/"),
        "{action}"
    );
    let emf = &sink.metric_documents()[0];
    assert_eq!(emf["Handshake"], "peer-role");
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "AstroHandshake"
    );
    assert_eq!(metric(&sink, "Failures"), 0);
    assert_eq!(response["reports"][0]["actions"][1]["outcome"], "done");

    // Replays and sweeps afterwards write nothing.
    for event in [event, sweep()] {
        let (_, again) = w.reconcile(w.config(LATER, &[]), &event).await;
        assert!(actions(&again).is_empty(), "{:?}", again.records());
        assert_eq!(decisions(&again), vec![(
            "skip".to_string(),
            "CreatePeerRole=false on stack astro-handshake (UPDATE_COMPLETE): no PeerRole; in sync".to_string()
        )]);
    }
    assert_eq!(w.parameters().await, w.expected("false"));
}

#[tokio::test]
async fn the_end_of_the_time_box_alone_removes_the_role() {
    let w = World::new("true", EARLIER).await;
    let (_, sink) = w.reconcile(w.config(EARLIER, &[]), &sweep()).await;
    assert_eq!(actions(&sink), removed());
    assert!(
        decisions(&sink)[0]
            .1
            .contains("time box ended at 2020-01-01T00:00:00Z"),
        "{:?}",
        decisions(&sink)
    );
    assert_eq!(w.parameters().await, w.expected("false"));

    // The configured time alone is enough too (the stack's own value is later).
    let w = World::new("true", LATER).await;
    let (_, sink) = w.reconcile(w.config(EARLIER, &[]), &sweep()).await;
    assert_eq!(actions(&sink), removed());
    assert_eq!(w.parameters().await, w.expected("false"));
}

#[tokio::test]
async fn the_role_is_kept_while_no_astro_peering_is_active_and_the_time_box_is_open() {
    let w = World::new("true", LATER).await;
    // Astro's request still pending; another account's peering active; Astro's peering into
    // a VPC that is not an accepter VPC active.
    let pending =
        scenario::request_peering(&w.vendor, &w.vendor_vpc, &w.customer_vpc, CUSTOMER).await;
    let stranger = aws_sdk_ec2::Client::new(&w.emulator.account(STRANGER).await);
    let stranger_vpc = scenario::vpc(&stranger, "10.200.0.0/16").await;
    w.active_peering(&stranger, &stranger_vpc).await;
    let other_vpc = scenario::vpc(&w.customer, "10.1.0.0/16").await;
    let elsewhere = scenario::request_peering(&w.vendor, &w.vendor_vpc, &other_vpc, CUSTOMER).await;
    w.customer
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&elsewhere)
        .send()
        .await
        .expect("accept");
    let before = w.stack().await;

    let (response, sink) = w.reconcile(w.config(LATER, &[]), &sweep()).await;
    assert!(actions(&sink).is_empty(), "{response}");
    let decided = decisions(&sink);
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].0, "wait");
    assert!(
        decided[0]
            .1
            .contains(&format!("{pending} is pending acceptance")),
        "{}",
        decided[0].1
    );
    assert!(
        decided[0].1.contains("open until 2099-01-01T00:00:00Z"),
        "{}",
        decided[0].1
    );
    assert_eq!(w.parameters().await, w.expected("true"));
    assert_eq!(
        w.stack().await.last_updated_time(),
        before.last_updated_time()
    );
    assert_eq!(
        metric(&sink, "Failures") + metric(&sink, "Ignored") + metric(&sink, "Conflicts"),
        0
    );
}

#[tokio::test]
async fn dry_run_plans_the_removal_and_changes_nothing() {
    let w = World::new("true", EARLIER).await;
    let asked = sample_event("peer-role-invoke-dry-run.json", PLACEHOLDER, PLACEHOLDER);
    let (response, sink) = w.reconcile(w.config(EARLIER, &[]), &asked).await;
    assert_eq!(response["dryRun"], true);
    let planned = [
        ("prepare-peer-role-removal", "planned"),
        ("remove-peer-role", "planned"),
    ]
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .to_vec();
    assert_eq!(actions(&sink), planned);
    assert_eq!(w.parameters().await, w.expected("true"));

    let (_, sink) = w
        .reconcile(w.config(EARLIER, &[("DRY_RUN", "true")]), &sweep())
        .await;
    assert_eq!(actions(&sink), planned);
    assert!(records_of(&sink.records(), "action")[0]["dryRun"]
        .as_bool()
        .unwrap());
    assert_eq!(w.parameters().await, w.expected("true"));
    assert_eq!(w.stack().await.last_updated_time(), None, "never updated");
}

#[tokio::test]
async fn the_change_set_calls_treat_already_so_as_done() {
    let w = World::new("true", LATER).await;
    let port = CloudFormation::from_sdk(&w.function);
    let update = StackUpdate {
        stack: w.stack.id.clone(),
        change_set: format!("{CHANGE_SET_PREFIX}test"),
        set: vec![("CreatePeerRole".into(), "false".into())],
        keep: w
            .stack
            .parameters
            .keys()
            .filter(|k| *k != "CreatePeerRole")
            .cloned()
            .collect(),
        capabilities: CAPABILITIES.map(String::from).to_vec(),
    };
    assert!(
        !port
            .create_change_set(&update)
            .await
            .expect("created")
            .already_done
    );
    assert!(
        port.create_change_set(&update)
            .await
            .expect("again")
            .already_done
    );
    let cs = port
        .change_set(&w.stack.id)
        .await
        .expect("described")
        .expect("this project's change set");
    assert_eq!(cs.name, update.change_set);
    assert!(cs.only_removes_the_peer_role(), "{:?}", cs.changes);
    let delete = || port.delete_change_set(&w.stack.id, &update.change_set);
    assert!(!delete().await.expect("deleted").already_done);
    // AWS answers a delete of a change set that is gone with success (or ChangeSetNotFound,
    // which the adapter maps to already done): never a failure.
    delete().await.expect("deleting it again is not an error");
    assert_eq!(port.change_set(&w.stack.id).await.expect("listed"), None);
    assert_eq!(w.parameters().await, w.expected("true"), "nothing executed");
}

/// A change set that would change more than the PeerRole is never executed: here a
/// stack (not template.yaml) whose queue depends on `CreatePeerRole` too.
#[tokio::test]
async fn a_change_set_that_would_change_more_is_never_executed_and_alarmed() {
    let emulator = Emulator::start();
    let customer = emulator.account(CUSTOMER).await;
    let cfn = aws_sdk_cloudformation::Client::new(&customer);
    let template = json!({
        "Parameters": {
            "CreatePeerRole": {"Type": "String", "Default": "false"},
            "AccepterVpcIds": {"Type": "String"}
        },
        "Conditions": {"PeerRoleEnabled": {"Fn::Equals": [{"Ref": "CreatePeerRole"}, "true"]}},
        "Resources": {
            "PeerRole": {
                "Type": "AWS::IAM::Role",
                "Condition": "PeerRoleEnabled",
                "Properties": {
                    "RoleName": {"Fn::Sub": "${AWS::StackName}-astro-peer-role"},
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}
                }
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"VisibilityTimeout": {"Fn::If": ["PeerRoleEnabled", 60, 30]}}
            }
        }
    });
    let vendor = aws_sdk_ec2::Client::new(&emulator.account(ASTRO).await);
    let customer_ec2 = aws_sdk_ec2::Client::new(&customer);
    let vpc = scenario::vpc(&customer_ec2, "10.0.0.0/16").await;
    let param = |k: &str, v: &str| {
        aws_sdk_cloudformation::types::Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    cfn.create_stack()
        .stack_name("astro-handshake")
        .template_body(template.to_string())
        .parameters(param("CreatePeerRole", "true"))
        .parameters(param("AccepterVpcIds", &vpc))
        .capabilities(aws_sdk_cloudformation::types::Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("CreateStack");
    let vendor_vpc = scenario::vpc(&vendor, "10.100.0.0/16").await;
    scenario::active_peering(&vendor, &vendor_vpc, &customer_ec2, &vpc).await;
    let config = integration::config(
        PeerRoleConfig::read,
        &[
            ("STACK_NAME", "astro-handshake"),
            ("PEER_OWNER_IDS", ASTRO),
            ("ACCEPTER_VPC_IDS", &vpc),
        ],
        &[],
    );
    let settings = config.settings();
    let function = emulator.function(roles::PEER_ROLE).await;
    let h = PeerRoleHandshake::new(
        CloudFormation::from_sdk(&function),
        Ec2::from_sdk(&function),
        config,
    );

    // Prepared, found to change more than the PeerRole, and deleted unexecuted.
    let refused = [
        ("prepare-peer-role-removal".to_string(), "done".to_string()),
        ("discard-change-set".to_string(), "done".to_string()),
    ];
    let (response, sink) = integration::invoke(&h, &settings, &sweep()).await;
    assert_eq!(actions(&sink), refused, "{response}");
    let found = integration::findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "unexpected-change");
    assert!(found[0].1.contains("Modify Queue"), "{found:?}");
    assert_eq!(metric(&sink, "Conflicts"), 1);
    assert_eq!(metric(&sink, "Failures"), 0);

    // The next sweep checks afresh and alarms again; nothing ever reaches the stack.
    let (_, again) = integration::invoke(&h, &settings, &sweep()).await;
    assert_eq!(actions(&again), refused);
    assert_eq!(metric(&again, "Conflicts"), 1);
    let stack = &cfn
        .describe_stacks()
        .stack_name("astro-handshake")
        .send()
        .await
        .expect("DescribeStacks")
        .stacks()[0]
        .clone();
    assert_eq!(
        stack.stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
    let listed = cfn
        .list_change_sets()
        .stack_name("astro-handshake")
        .send()
        .await
        .expect("ListChangeSets");
    assert!(
        listed.summaries().is_empty(),
        "no change set left for anyone to execute: {:?}",
        listed.summaries()
    );
}

/// A stack without the PeerRole, while IAM still has a role of its name: a finding on every
/// sweep (found through IAM's GetRole, which the function checks the removal with).
#[tokio::test]
async fn a_peer_role_iam_still_has_is_a_finding() {
    let w = World::new("false", "").await;
    let iam = aws_sdk_iam::Client::new(&w.emulator.account(CUSTOMER).await);
    iam.create_role()
        .role_name(format!("{}-astro-peer-role", w.stack.name))
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .expect("CreateRole");
    let (_, sink) = w
        .reconcile(w.config("", &[("PEER_OWNER_IDS", "")]), &sweep())
        .await;
    assert!(actions(&sink).is_empty());
    let found = integration::findings(&sink);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "role-still-present");
    assert_eq!(metric(&sink, "Conflicts"), 1);
}

/// How Astro uses the PeerRole with CloudFormation's PeerRoleArn: its automation assumes the
/// role (no external id) and accepts the peering itself. The peering function then finds an
/// already active peering and converges the tag, the routes and accepter DNS on it.
#[tokio::test]
async fn astro_accepts_with_the_peer_role_and_the_peering_function_converges() {
    let w = World::new("true", LATER).await;
    let role_arn = format!(
        "arn:aws:iam::{CUSTOMER}:role/{}-astro-peer-role",
        w.stack.name
    );
    assert!(
        w.role_exists(&format!("{}-astro-peer-role", w.stack.name))
            .await
    );
    let as_peer_role = w.emulator.assume(&role_arn).await;
    let pcx = scenario::request_peering(&w.vendor, &w.vendor_vpc, &w.customer_vpc, CUSTOMER).await;
    aws_sdk_ec2::Client::new(&as_peer_role)
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&pcx)
        .send()
        .await
        .expect("Astro accepts through the PeerRole");
    assert_eq!(scenario::peering_status(&w.customer, &pcx).await, "active");

    let base = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("ACCEPTER_VPC_IDS", w.stack.parameter("AccepterVpcIds")),
    ];
    let config = integration::config(PeeringConfig::read, &base, &[]);
    let settings = config.settings();
    let peering = PeeringHandshake {
        port: Ec2::from_sdk(&w.emulator.function(roles::PEERING).await),
        config,
    };
    let event = sample_event("peering-accept-cloudtrail.json", PLACEHOLDER, &pcx);
    let (response, sink) = integration::invoke(&peering, &settings, &event).await;
    assert_eq!(response["reports"][0]["verdict"], "accept", "{response}");
    let names: Vec<String> = actions(&sink).into_iter().map(|(a, _)| a).collect();
    assert!(!names.contains(&"accept-peering".to_string()), "{names:?}");
    assert!(names.contains(&"tag-peering".to_string()), "{names:?}");
    assert!(names.contains(&"create-route".to_string()), "{names:?}");
    assert!(
        names.contains(&"enable-accepter-dns-resolution".to_string()),
        "{names:?}"
    );
    assert_eq!(
        scenario::accepter_dns(&scenario::peering(&w.customer, &pcx).await),
        Some(true)
    );
    assert!(
        scenario::has_route(
            &w.customer,
            &scenario::main_route_table(&w.customer, &w.customer_vpc).await,
            "10.100.0.0/16",
            &pcx
        )
        .await
    );
}

#[tokio::test]
async fn without_the_role_a_sweep_reads_the_stack_and_writes_nothing() {
    let w = World::new("false", "").await;
    let (_, sink) = w
        .reconcile(w.config("", &[("PEER_OWNER_IDS", "")]), &sweep())
        .await;
    assert!(actions(&sink).is_empty());
    assert_eq!(decisions(&sink)[0].0, "skip");
    assert_eq!(w.parameters().await, w.expected("false"));
}

#[tokio::test]
async fn a_missing_stack_is_a_finding_not_an_error() {
    let w = World::new("true", EARLIER).await;
    let (response, sink) = w
        .reconcile(
            w.config(EARLIER, &[("STACK_NAME", "not-this-one")]),
            &sweep(),
        )
        .await;
    assert!(actions(&sink).is_empty(), "{response}");
    assert_eq!(decisions(&sink)[0].0, "ignore");
    let records = sink.records();
    let findings = records_of(&records, "finding");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["action"], "missing");
    assert_eq!(
        (
            metric(&sink, "Ignored"),
            metric(&sink, "Conflicts"),
            metric(&sink, "Failures")
        ),
        (1, 1, 0)
    );
    assert_eq!(w.parameters().await, w.expected("true"));
}

/// The built `peer-role` binary, polling a Lambda Runtime API like in Lambda, with the
/// customer's temporary credentials in its environment.
#[tokio::test]
async fn the_peer_role_binary_removes_the_role_through_the_lambda_runtime() {
    let w = World::new("true", LATER).await;
    let pcx = w.active_peering(&w.vendor, &w.vendor_vpc).await;
    let vars = w.vars(LATER, &[("DRY_RUN", "false"), ("AWS_MAX_ATTEMPTS", "1")]);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let env = w.emulator.function_env(roles::PEER_ROLE, &vars).await;
    let harness = LambdaHarness::start(&binary("peer-role"), &env);

    let response = harness
        .invoke(&sample_event(
            "peer-role-accept-cloudtrail.json",
            PLACEHOLDER,
            &pcx,
        ))
        .expect("invocation answers");
    assert_eq!(response["handshake"], "peer-role", "{response}");
    assert_eq!(
        response["reports"][0]["actions"][1]["action"], "remove-peer-role",
        "{response}"
    );
    assert_eq!(
        response["reports"][0]["actions"][1]["outcome"], "done",
        "{response}"
    );
    assert_eq!(w.parameters().await, w.expected("false"));

    let again = harness
        .invoke(&json!({"sweep": true}))
        .expect("invocation answers");
    assert_eq!(again["reports"][0]["verdict"], "skip", "{again}");
    assert_eq!(again["reports"][0]["actions"], json!([]));

    let printed = harness.stdout_json();
    let audit: Vec<&Value> = printed
        .iter()
        .filter(|l| l["audit"] == "astro-handshake")
        .collect();
    assert!(audit.iter().all(|r| r["handshake"] == "peer-role"));
    assert_eq!(
        audit.iter().filter(|r| r["record"] == "action").count(),
        2,
        "{printed:?}"
    );
    let emf: Vec<&Value> = printed.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(emf.len(), 2);
    assert!(emf
        .iter()
        .all(|d| d["Handshake"] == "peer-role" && d["Failures"] == 0));
}
