//! The connectivity doctor against the emulator: a database interface at 10.0.3.25:5432 in
//! the customer's VPC, reached by Astro over an active peering, built reachable once and then
//! broken at one hop at a time. Each is diagnosed through the peering function's real
//! adapters (with its execution role), and once through the binary's command line.

use aws_sdk_ec2::types::{
    IpPermission, IpRange, PeeringConnectionOptionsRequest, PortRange, RuleAction, UserIdGroupPair,
};
use aws_sdk_ec2::Client as Ec2Client;
use handshake::aws::{ec2::Ec2, route53::Route53};
use handshake::diagnose::{self, Doctor, Report};
use handshake::peering::PeeringConfig;
use integration::lambda::{binary, sample_event, LambdaHarness};
use integration::{records_of, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::{json, Value};

const DB_IP: &str = "10.0.3.25";
const ASTRO_CIDR: &str = "10.100.0.0/16";

/// What to break.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Broken {
    Nothing,
    /// The subnet's own route table has no route back (the selector routed others).
    Route,
    /// A deny numbered before the allow in the subnet's network ACL.
    NetworkAcl,
    /// The security group lets in only another security group (the customer's application
    /// servers), by reference.
    SecurityGroup,
    /// Accepter DNS resolution off on the peering.
    Dns,
}

struct World {
    emulator: Emulator,
    /// The other interface at the same address, and its VPC.
    decoy: Option<(String, String)>,
    vpc: String,
    astro_vpc: String,
    pcx: String,
    eni: String,
    subnet_table: String,
    acl: String,
    sg: String,
}

/// A security group in `vpc`; its id.
async fn security_group(ec2: &Ec2Client, vpc: &str, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description(name)
        .vpc_id(vpc)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("group id")
        .to_string()
}

/// TCP 5432 in, from `cidr`.
fn postgres_from(cidr: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
        .build()
}

/// A network interface at `ip` in `subnet`, in `groups`; its id.
async fn interface(ec2: &Ec2Client, subnet: &str, ip: &str, groups: &[&str]) -> String {
    ec2.create_network_interface()
        .subnet_id(subnet)
        .private_ip_address(ip)
        .set_groups(Some(groups.iter().map(|g| g.to_string()).collect()))
        .send()
        .await
        .expect("CreateNetworkInterface")
        .network_interface()
        .and_then(|n| n.network_interface_id())
        .expect("eni id")
        .to_string()
}

async fn world(broken: Broken) -> World {
    world_with(broken, false).await
}

/// With `decoy`, first another VPC of the customer's uses the same CIDR and has an interface
/// at the same address, which Astro does not reach.
async fn world_with(broken: Broken, decoy: bool) -> World {
    let emulator = Emulator::start();
    let sdk = emulator.account(CUSTOMER).await;
    let ec2 = Ec2Client::new(&sdk);
    let vendor = Ec2Client::new(&emulator.account(ASTRO).await);
    let decoy = if decoy {
        let other = scenario::vpc(&ec2, "10.0.0.0/16").await;
        let subnet = scenario::subnet(&ec2, &other, "10.0.3.0/24").await;
        let eni = interface(&ec2, &subnet, DB_IP, &[]).await;
        Some((eni, other))
    } else {
        None
    };
    let vpc = scenario::vpc(&ec2, "10.0.0.0/16").await;
    let subnet = scenario::subnet(&ec2, &vpc, "10.0.3.0/24").await;
    let astro_vpc = scenario::vpc(&vendor, ASTRO_CIDR).await;
    let pcx = scenario::active_peering(&vendor, &astro_vpc, &ec2, &vpc).await;
    ec2.modify_vpc_peering_connection_options()
        .vpc_peering_connection_id(&pcx)
        .accepter_peering_connection_options(
            PeeringConnectionOptionsRequest::builder()
                .allow_dns_resolution_from_remote_vpc(broken != Broken::Dns)
                .build(),
        )
        .send()
        .await
        .expect("ModifyVpcPeeringConnectionOptions");

    // The main table has the route back; the subnet has a table of its own.
    let main = scenario::main_route_table(&ec2, &vpc).await;
    let subnet_table = scenario::route_table(&ec2, &vpc, &[]).await;
    ec2.associate_route_table()
        .route_table_id(&subnet_table)
        .subnet_id(&subnet)
        .send()
        .await
        .expect("AssociateRouteTable");
    let mut tables = vec![main];
    if broken != Broken::Route {
        tables.push(subnet_table.clone());
    }
    for table in tables {
        ec2.create_route()
            .route_table_id(table)
            .destination_cidr_block(ASTRO_CIDR)
            .vpc_peering_connection_id(&pcx)
            .send()
            .await
            .expect("CreateRoute");
    }

    // A network ACL of the subnet's own: 5432 in from Astro, the replies out.
    let acl = ec2
        .create_network_acl()
        .vpc_id(&vpc)
        .send()
        .await
        .expect("CreateNetworkAcl")
        .network_acl()
        .and_then(|a| a.network_acl_id())
        .expect("acl id")
        .to_string();
    let entry = |number: i32, egress: bool, allow: bool, ports: (i32, i32)| {
        let ec2 = ec2.clone();
        let acl = acl.clone();
        async move {
            ec2.create_network_acl_entry()
                .network_acl_id(acl)
                .rule_number(number)
                .egress(egress)
                .protocol("6")
                .rule_action(if allow {
                    RuleAction::Allow
                } else {
                    RuleAction::Deny
                })
                .cidr_block(ASTRO_CIDR)
                .port_range(PortRange::builder().from(ports.0).to(ports.1).build())
                .send()
                .await
                .expect("CreateNetworkAclEntry");
        }
    };
    entry(100, false, true, (5432, 5432)).await;
    entry(100, true, true, (1024, 65535)).await;
    if broken == Broken::NetworkAcl {
        entry(90, false, false, (5432, 5432)).await;
    }
    let acls = ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association.subnet-id")
                .values(&subnet)
                .build(),
        )
        .send()
        .await
        .expect("DescribeNetworkAcls");
    let association = acls
        .network_acls()
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(subnet.as_str()))
        .and_then(|a| a.network_acl_association_id())
        .expect("the subnet's network ACL association")
        .to_string();
    ec2.replace_network_acl_association()
        .association_id(association)
        .network_acl_id(&acl)
        .send()
        .await
        .expect("ReplaceNetworkAclAssociation");

    // The database's security group and interface.
    let sg = security_group(&ec2, &vpc, "database").await;
    let permission = if broken == Broken::SecurityGroup {
        let app = security_group(&ec2, &vpc, "app-servers").await;
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(5432)
            .to_port(5432)
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(app)
                    .user_id(CUSTOMER)
                    .build(),
            )
            .build()
    } else {
        postgres_from(ASTRO_CIDR)
    };
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(permission)
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    let eni = interface(&ec2, &subnet, DB_IP, &[&sg]).await;
    World {
        emulator,
        decoy,
        vpc,
        astro_vpc,
        pcx,
        eni,
        subnet_table,
        acl,
        sg,
    }
}

impl World {
    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ASTRO_ACCOUNT_IDS", ASTRO.to_string()),
            ("ASTRO_CIDRS", ASTRO_CIDR.to_string()),
            ("ACCEPTER_VPC_IDS", self.vpc.clone()),
        ]
    }

    async fn doctor(&self) -> Doctor<Ec2, Route53> {
        let owned = self.vars();
        let vars: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let vars: &[(&str, &str)] = &vars;
        let config = PeeringConfig::read(&vars).expect("configuration");
        let function = self.emulator.function(roles::PEERING).await;
        Doctor {
            network: Ec2::from_sdk(&function),
            names: Route53::from_sdk(&function),
            common: config.common,
        }
    }

    /// The report for `event`, and the invocation's records.
    async fn diagnose(&self, event: Value) -> (Value, Vec<Value>) {
        let doctor = self.doctor().await;
        let owned = self.vars();
        let vars: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let vars: &[(&str, &str)] = &vars;
        let settings = PeeringConfig::read(&vars)
            .expect("configuration")
            .settings();
        let sink = handshake::audit::MemorySink::default();
        let answer = diagnose::handle(&doctor, &event, &settings, &sink, Some("test".into()))
            .await
            .expect("the diagnosis answers");
        (answer, sink.records())
    }
}

fn asked(target: &str) -> Value {
    json!({"diagnose": {"target": target, "port": 5432}})
}

/// The one path's first hop that does not pass: (hop, rule).
fn first_problem(report: &Value) -> (String, String) {
    let report: Report = serde_json::from_value(report.clone()).expect("a report");
    assert_eq!(report.paths.len(), 1, "one path: {report:?}");
    let hop = report.paths[0].first_problem().expect("a hop that fails");
    (hop.hop.clone(), hop.rule.clone().unwrap_or_default())
}

#[tokio::test]
async fn a_reachable_database_passes_every_hop() {
    let w = world(Broken::Nothing).await;
    let (report, records) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    assert_eq!(report["interfaceId"], w.eni.as_str());
    let path = &report["paths"][0];
    assert_eq!(
        (
            path["handshake"].as_str(),
            path["id"].as_str(),
            path["astroCidr"].as_str()
        ),
        (Some("vpc-peering"), Some(w.pcx.as_str()), Some(ASTRO_CIDR))
    );
    let hops: Vec<&str> = path["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hop"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["route", "network-acl", "security-group", "dns"]);
    assert!(path["hops"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["verdict"] == "reachable"));
    assert_eq!(
        path["hops"][0]["rule"],
        format!("{}:{ASTRO_CIDR}", w.subnet_table)
    );
    assert_eq!(path["hops"][1]["rule"], format!("{}:ingress:100", w.acl));
    assert_eq!(path["hops"][2]["rule"], w.sg.as_str());

    // By interface id, the same answer.
    let (by_eni, _) = w.diagnose(asked(&w.eni)).await;
    assert_eq!(by_eni["verdict"], "reachable");

    // One status record per path, read-only, naming the invocation and trigger.
    let status = records_of(&records, "status");
    assert_eq!(status.len(), 1, "{records:?}");
    assert!(status[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("diagnose: reachable"));
    assert_eq!(status[0]["trigger"], "invoke:diagnose");
    assert!(records_of(&records, "action").is_empty());
}

#[tokio::test]
async fn a_subnet_route_table_without_the_route_back_is_the_blocked_hop() {
    let w = world(Broken::Route).await;
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "blocked", "{report:#}");
    assert_eq!(
        first_problem(&report),
        ("route".to_string(), w.subnet_table.clone())
    );
}

#[tokio::test]
async fn a_network_acl_deny_before_the_allow_is_the_blocked_hop() {
    let w = world(Broken::NetworkAcl).await;
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "blocked", "{report:#}");
    assert_eq!(
        first_problem(&report),
        ("network-acl".to_string(), format!("{}:ingress:90", w.acl))
    );
}

#[tokio::test]
async fn a_security_group_reference_is_the_blocked_hop() {
    let w = world(Broken::SecurityGroup).await;
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "blocked", "{report:#}");
    assert_eq!(
        first_problem(&report),
        ("security-group".to_string(), w.sg.clone())
    );
    let detail = report["paths"][0]["hops"][2]["detail"].as_str().unwrap();
    assert!(
        detail.contains("from security group sg-") && detail.contains("another account"),
        "{detail}"
    );
}

#[tokio::test]
async fn accepter_dns_resolution_off_is_the_blocked_hop() {
    let w = world(Broken::Dns).await;
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "blocked", "{report:#}");
    assert_eq!(first_problem(&report), ("dns".to_string(), w.pcx.clone()));
}

#[tokio::test]
async fn bad_targets_are_clear_errors_and_unknown_addresses_are_unknown() {
    let w = world(Broken::Nothing).await;
    let (answer, records) = w
        .diagnose(json!({"diagnose": {"target": "db", "port": 5432}}))
        .await;
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("neither an IPv4"),
        "{answer}"
    );
    assert_eq!(records_of(&records, "error").len(), 1);
    let (answer, _) = w.diagnose(asked("10.0.9.9")).await;
    assert_eq!(answer["verdict"], "unknown", "{answer:#}");
    assert!(answer["summary"]
        .as_str()
        .unwrap()
        .contains("no network interface"));
}

/// `make diagnose` runs this: lines on stdout, exit 0 only when reachable.
#[tokio::test]
async fn the_command_line_prints_the_hops_and_exits_by_verdict() {
    let w = world(Broken::NetworkAcl).await;
    let owned = w.vars();
    let vars: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env = w.emulator.function_env(roles::PEERING, &vars).await;
    let run = |args: &[&str]| {
        std::process::Command::new(binary("peering"))
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run peering")
    };
    let out = run(&["diagnose", DB_IP, "5432"]);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with(&format!("{DB_IP}:5432 [")), "{text}");
    assert!(text.contains("BLOCKED"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("BLOCKED network-acl") && l.contains("rule 90")),
        "{text}"
    );
    let out = run(&["diagnose", DB_IP, "5432", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["verdict"], "blocked");
    assert_eq!(run(&["diagnose", DB_IP]).status.code(), Some(2));

    // The same through the Lambda runtime, with the sample event of events/.
    let harness = LambdaHarness::start(&binary("peering"), &env);
    let answer = harness
        .invoke(&sample_event("peering-diagnose.json", "10.0.3.25", DB_IP))
        .expect("invocation answers");
    assert_eq!(answer["verdict"], "blocked", "{answer:#}");
    assert_eq!(
        first_problem(&answer),
        ("network-acl".to_string(), format!("{}:ingress:90", w.acl))
    );
}

/// A security group may let Astro in through a prefix list (the `AstroExternalIps` one, or the
/// customer's own) instead of a CIDR.
#[tokio::test]
async fn a_prefix_list_holding_the_astro_cidr_passes_the_security_group_hop() {
    let w = world(Broken::Nothing).await;
    let ec2 = Ec2Client::new(&w.emulator.account(CUSTOMER).await);
    let list = ec2
        .create_managed_prefix_list()
        .prefix_list_name("astro")
        .address_family("IPv4")
        .max_entries(5)
        .entries(
            aws_sdk_ec2::types::AddPrefixListEntry::builder()
                .cidr(ASTRO_CIDR)
                .build(),
        )
        .send()
        .await
        .expect("CreateManagedPrefixList")
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let tcp = || {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(5432)
            .to_port(5432)
    };
    ec2.revoke_security_group_ingress()
        .group_id(&w.sg)
        .ip_permissions(postgres_from(ASTRO_CIDR))
        .send()
        .await
        .expect("RevokeSecurityGroupIngress");
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(first_problem(&report).0, "security-group", "{report:#}");

    ec2.authorize_security_group_ingress()
        .group_id(&w.sg)
        .ip_permissions(
            tcp()
                .prefix_list_ids(
                    aws_sdk_ec2::types::PrefixListId::builder()
                        .prefix_list_id(&list)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    let detail = report["paths"][0]["hops"][2]["detail"].as_str().unwrap();
    assert!(detail.contains(&list), "{detail}");
}

/// With a name: the private zone holding it must answer in Astro's VPC.
#[tokio::test]
async fn a_name_resolves_only_once_its_zone_is_associated_with_astros_vpc() {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    let w = world(Broken::Nothing).await;
    let customer = aws_sdk_route53::Client::new(&w.emulator.account(CUSTOMER).await);
    let vendor = aws_sdk_route53::Client::new(&w.emulator.account(ASTRO).await);
    let zone = scenario::private_zone(&customer, "corp.example", &w.vpc).await;
    customer
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(
                            ResourceRecordSet::builder()
                                .name("db.corp.example")
                                .r#type(RrType::A)
                                .ttl(60)
                                .resource_records(
                                    ResourceRecord::builder().value(DB_IP).build().unwrap(),
                                )
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    let named = json!({"diagnose": {"target": DB_IP, "port": 5432, "name": "db.corp.example"}});
    let (report, _) = w.diagnose(named.clone()).await;
    assert_eq!(first_problem(&report), ("dns".to_string(), zone.clone()));
    let detail = report["paths"][0]["hops"][3]["detail"].as_str().unwrap();
    assert!(detail.contains("not associated"), "{detail}");

    customer
        .create_vpc_association_authorization()
        .hosted_zone_id(&zone)
        .vpc(scenario::r53_vpc(&w.astro_vpc))
        .send()
        .await
        .expect("CreateVPCAssociationAuthorization");
    vendor
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone)
        .vpc(scenario::r53_vpc(&w.astro_vpc))
        .send()
        .await
        .expect("AssociateVPCWithHostedZone");
    let (report, _) = w.diagnose(named).await;
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    assert_eq!(report["paths"][0]["hops"][3]["rule"], zone.as_str());

    // A name the zone has no record for is blocked at the same zone.
    let (report, _) = w
        .diagnose(
            json!({"diagnose": {"target": DB_IP, "port": 5432, "name": "cache.corp.example"}}),
        )
        .await;
    assert_eq!(first_problem(&report), ("dns".to_string(), zone));
}

/// A Transit Gateway path: the spoke VPC's subnet has no table of its own, so the main table
/// is checked; Astro's CIDR comes from AstroCidrs.
#[tokio::test]
async fn a_transit_gateway_path_is_checked_through_the_main_route_table() {
    let emulator = Emulator::start();
    let sdk = emulator.account(CUSTOMER).await;
    let ec2 = Ec2Client::new(&sdk);
    let vendor = Ec2Client::new(&emulator.account(ASTRO).await);
    let built = scenario::CustomerTgw::build(&sdk, false, "10.1.0.0/16", &[ASTRO]).await;
    let (astro_attachment, _) = scenario::attach(&vendor, &built.tgw, "10.102.0.0/16").await;
    ec2.accept_transit_gateway_vpc_attachment()
        .transit_gateway_attachment_id(&astro_attachment)
        .send()
        .await
        .expect("AcceptTransitGatewayVpcAttachment");
    let subnet = scenario::subnet(&ec2, &built.spoke_vpc, "10.1.3.0/24").await;
    let sg = security_group(&ec2, &built.spoke_vpc, "database").await;
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(postgres_from("10.102.0.0/16"))
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    interface(&ec2, &subnet, "10.1.3.25", &[&sg]).await;
    let vars = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", "10.102.0.0/16"),
        ("ACCEPTER_VPC_IDS", built.spoke_vpc.as_str()),
    ];
    let vars: &[(&str, &str)] = &vars;
    let config = PeeringConfig::read(&vars).expect("configuration");
    let settings = config.settings();
    let function = emulator.function(roles::PEERING).await;
    let doctor = Doctor {
        network: Ec2::from_sdk(&function),
        names: Route53::from_sdk(&function),
        common: config.common,
    };
    let run = || async {
        let sink = handshake::audit::MemorySink::default();
        diagnose::handle(
            &doctor,
            &json!({"diagnose": {"target": "10.1.3.25", "port": 5432}}),
            &settings,
            &sink,
            None,
        )
        .await
        .expect("the diagnosis answers")
    };

    // No route back yet: blocked at the main table.
    let report = run().await;
    assert_eq!(
        first_problem(&report),
        ("route".to_string(), built.spoke_main_rtb.clone()),
        "{report:#}"
    );
    assert_eq!(report["paths"][0]["handshake"], "transit-gateway");
    assert_eq!(report["paths"][0]["id"], built.spoke_attachment.as_str());

    ec2.create_route()
        .route_table_id(&built.spoke_main_rtb)
        .destination_cidr_block("10.102.0.0/16")
        .transit_gateway_id(&built.tgw)
        .send()
        .await
        .expect("CreateRoute");
    let report = run().await;
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    let hops: Vec<&str> = report["paths"][0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hop"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["route", "network-acl", "security-group"]);
}

/// Several VPCs may use the same private address: the interface diagnosed is the one in the
/// VPC Astro reaches, and the other is named.
#[tokio::test]
async fn the_same_address_in_another_vpc_is_not_the_one_diagnosed() {
    let w = world_with(Broken::Nothing, true).await;
    let (decoy_eni, decoy_vpc) = w.decoy.clone().expect("a decoy");
    let (report, _) = w.diagnose(asked(DB_IP)).await;
    assert_eq!(report["verdict"], "reachable", "{report:#}");
    assert_eq!(report["interfaceId"], w.eni.as_str());
    assert_eq!(
        report["otherInterfaces"],
        json!([format!("{decoy_eni} ({decoy_vpc})")])
    );
    // Asked by its id, the decoy is diagnosed, and nothing reaches it.
    let (report, _) = w.diagnose(asked(&decoy_eni)).await;
    assert_eq!(report["verdict"], "blocked", "{report:#}");
    assert!(report["summary"]
        .as_str()
        .unwrap()
        .contains(&format!("reaches {decoy_vpc}")));
}
