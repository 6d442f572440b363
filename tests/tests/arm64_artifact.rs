//! What a customer deploys: the arm64 `bootstrap` files `sam build` put in `.aws-sam/build/`
//! (`make package`), checked as executables for Lambda's `provided.al2023` arm64 runtime and run
//! under qemu through a Lambda Runtime API against the emulator. No host build stands in.

use aws_sdk_ec2::Client;
use integration::lambda::{packaged, sample_event, LambdaHarness, Launch};
use integration::{records_of, roles, scenario, Emulator, ASTRO, CUSTOMER};
use serde_json::json;

const PLACEHOLDER: &str = "pcx-0123456789abcdef0";
const ASTRO_CIDR: &str = "10.100.0.0/16";

/// Every function in template.yaml, by logical id, with its binary.
const FUNCTIONS: [(&str, &str); 5] = [
    ("PeeringFunction", "peering"),
    ("TransitGatewayFunction", "transit-gateway"),
    ("ZonesFunction", "zones"),
    ("PeerRoleFunction", "peer-role"),
    ("EndpointServicesFunction", "endpoint-services"),
];

/// The newest glibc symbol version `provided.al2023` (Amazon Linux 2023, glibc 2.34) offers.
const AL2023_GLIBC: (u32, u32) = (2, 34);

const EM_AARCH64: u16 = 183;

/// The newest `GLIBC_x.y` version an ELF file asks for, read from its version strings.
fn newest_glibc(bytes: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_";
    let mut newest = None;
    let mut i = 0;
    while let Some(at) = bytes[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + at + needle.len();
        let text: String = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|b| *b as char)
            .collect();
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        if let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) {
            newest = newest.max(Some((major, minor)));
        }
        i = start;
    }
    newest
}

#[test]
fn every_packaged_bootstrap_is_an_arm64_linux_executable_for_al2023() {
    for (logical_id, binary) in FUNCTIONS {
        let path = packaged(logical_id);
        let bytes = std::fs::read(&path).expect("read bootstrap");
        assert_eq!(&bytes[..4], b"\x7fELF", "{binary}: not an ELF file");
        assert_eq!(bytes[4], 2, "{binary}: not a 64-bit ELF");
        assert_eq!(bytes[5], 1, "{binary}: not little-endian");
        let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
        assert_eq!(
            machine, EM_AARCH64,
            "{binary}: built for machine {machine}, not aarch64"
        );
        let executable = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).expect("metadata").permissions(),
        ) & 0o111;
        assert_ne!(executable, 0, "{binary}: bootstrap is not executable");
        let glibc = newest_glibc(&bytes).expect("a dynamically linked glibc executable");
        assert!(
            glibc <= AL2023_GLIBC,
            "{binary} needs GLIBC_{}.{}, newer than provided.al2023 offers",
            glibc.0,
            glibc.1
        );
        // The release profile strips symbols and debug information.
        let sections = section_names(&bytes);
        assert!(
            sections.iter().any(|s| s == ".text"),
            "{binary}: {sections:?}"
        );
        assert!(
            !sections
                .iter()
                .any(|s| s == ".symtab" || s.starts_with(".debug")),
            "{binary} is not stripped: {sections:?}"
        );
    }
}

/// The section names of a 64-bit little-endian ELF file, from its section header table.
fn section_names(bytes: &[u8]) -> Vec<String> {
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let u64_at = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word) as usize
    };
    let (table, entry, count, names) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| table + i * entry;
    let strings = u64_at(header(names) + 0x18);
    (0..count)
        .map(|i| {
            let start = strings
                + u32::from_le_bytes(bytes[header(i)..header(i) + 4].try_into().expect("4 bytes"))
                    as usize;
            let end = bytes[start..]
                .iter()
                .position(|b| *b == 0)
                .map_or(start, |n| start + n);
            String::from_utf8_lossy(&bytes[start..end]).into_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn section_names_reads_the_section_header_table() {
    // This test binary is a debug build of the host: it has debug sections and symbols.
    let own = std::fs::read(std::env::current_exe().expect("test binary")).expect("read");
    let sections = section_names(&own);
    assert!(sections.iter().any(|s| s == ".text"), "{sections:?}");
    assert!(sections.iter().any(|s| s == ".symtab"), "{sections:?}");
}

#[test]
fn newest_glibc_reads_version_strings() {
    let fake = b"\0GLIBC_2.17\0GLIBC_2.28\0GLIBC_PRIVATE\0GLIBC_2.3.4\0";
    assert_eq!(newest_glibc(fake), Some((2, 28)));
    assert_eq!(newest_glibc(b"no versions"), None);
}

/// The peering bootstrap a customer deploys, under qemu, finishes Astro's peering: accepted,
/// back routes in every route table of the accepter VPC, accepter DNS resolution on; the
/// sweep afterwards writes nothing.
#[tokio::test]
async fn the_packaged_peering_bootstrap_finishes_a_handshake_under_qemu() {
    let emulator = Emulator::start();
    let vendor = Client::new(&emulator.account(ASTRO).await);
    let customer = Client::new(&emulator.account(CUSTOMER).await);
    let (customer_vpc, tables) = scenario::accepter_vpc(&customer).await;
    let vendor_vpc = scenario::vpc(&vendor, ASTRO_CIDR).await;
    let pcx = scenario::request_peering(&vendor, &vendor_vpc, &customer_vpc, CUSTOMER).await;

    let env = emulator
        .function_env(
            roles::PEERING,
            &[
                ("ASTRO_ACCOUNT_IDS", ASTRO),
                ("ASTRO_CIDRS", ASTRO_CIDR),
                ("ACCEPTER_VPC_IDS", &customer_vpc),
                ("DRY_RUN", "false"),
            ],
        )
        .await;
    let lambda =
        LambdaHarness::launch(Launch::arm64(&packaged("PeeringFunction"), "peering"), &env);
    let response = lambda
        .invoke(&sample_event(
            "peering-create-cloudtrail.json",
            PLACEHOLDER,
            &pcx,
        ))
        .expect("the arm64 bootstrap answers");

    assert_eq!(response["handshake"], "vpc-peering", "{response}");
    assert_eq!(response["reports"][0]["verdict"], "accept", "{response}");
    let peering = scenario::peering(&customer, &pcx).await;
    assert_eq!(
        peering.status().and_then(|s| s.code()).map(|c| c.as_str()),
        Some("active")
    );
    for rtb in &tables {
        assert!(
            scenario::has_route(&customer, rtb, ASTRO_CIDR, &pcx).await,
            "{rtb} has no route to Astro"
        );
    }
    assert_eq!(
        scenario::accepter_dns(&peering),
        Some(true),
        "accepter DNS resolution"
    );

    let lines = lambda.stdout_json();
    assert!(records_of(&lines, "error").is_empty(), "{lines:?}");
    assert!(
        records_of(&lines, "action")
            .iter()
            .all(|r| r["outcome"] == "done"),
        "{lines:?}"
    );
    let before = records_of(&lines, "action").len();
    assert!(before >= 5, "accept, 3 routes, DNS: {lines:?}");

    let sweep = lambda
        .invoke(&json!({"sweep": true}))
        .expect("sweep answers");
    assert_eq!(sweep["reports"][0]["actions"], json!([]), "{sweep}");
    assert!(
        sweep["reports"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("in sync")),
        "{sweep}"
    );
    assert_eq!(records_of(&lambda.stdout_json(), "action").len(), before);
}

/// The four other bootstraps start under qemu, read their configuration, and answer a sweep
/// through the Runtime API with their handshake's report.
#[tokio::test]
async fn every_other_packaged_bootstrap_answers_a_sweep_under_qemu() {
    let emulator = Emulator::start();
    let customer_sdk = emulator.account(CUSTOMER).await;
    let customer = Client::new(&customer_sdk);
    let customer_vpc = scenario::vpc(&customer, "10.0.0.0/16").await;
    let tgw = scenario::create_tgw(&customer, false).await;
    let tgw_rtb = scenario::tgw_route_table(&customer, &tgw).await;
    let share = scenario::share(
        &aws_sdk_ram::Client::new(&customer_sdk),
        "astro-transit-gateway",
        &tgw,
        &[ASTRO],
    )
    .await;
    let zone = scenario::private_zone(
        &aws_sdk_route53::Client::new(&customer_sdk),
        "corp.example",
        &customer_vpc,
    )
    .await;
    let (service, _) = scenario::endpoint_service(
        &customer_sdk,
        true,
        &[&scenario::astro_endpoint_role(ASTRO)],
    )
    .await;

    let common = [
        ("ASTRO_ACCOUNT_IDS", ASTRO),
        ("ASTRO_CIDRS", ASTRO_CIDR),
        ("ACCEPTER_VPC_IDS", customer_vpc.as_str()),
        ("DRY_RUN", "false"),
    ];
    struct Case<'a> {
        logical_id: &'a str,
        role: &'a str,
        handshake: &'a str,
        vars: Vec<(&'a str, &'a str)>,
    }
    let cases = [
        Case {
            logical_id: "TransitGatewayFunction",
            role: roles::TRANSIT_GATEWAY,
            handshake: "transit-gateway",
            vars: vec![
                ("TRANSIT_GATEWAY_ID", tgw.as_str()),
                ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", tgw_rtb.as_str()),
                ("RESOURCE_SHARE_ARN", share.as_str()),
            ],
        },
        Case {
            logical_id: "ZonesFunction",
            role: roles::ZONES,
            handshake: "zones",
            vars: vec![("PRIVATE_HOSTED_ZONE_IDS", zone.as_str())],
        },
        Case {
            logical_id: "PeerRoleFunction",
            role: roles::PEER_ROLE,
            handshake: "peer-role",
            vars: vec![("STACK_NAME", "astro-handshake")],
        },
        Case {
            logical_id: "EndpointServicesFunction",
            role: roles::ENDPOINT_SERVICES,
            handshake: "endpoint-services",
            vars: vec![("ENDPOINT_SERVICE_IDS", service.as_str())],
        },
    ];
    for Case {
        logical_id,
        role,
        handshake,
        vars,
    } in cases
    {
        let binary = FUNCTIONS
            .iter()
            .find(|(id, _)| *id == logical_id)
            .map(|(_, b)| *b)
            .expect("a function of the template");
        let vars: Vec<(&str, &str)> = common.iter().chain(vars.iter()).copied().collect();
        let env = emulator.function_env(role, &vars).await;
        let lambda = LambdaHarness::launch(Launch::arm64(&packaged(logical_id), binary), &env);
        let response = lambda
            .invoke(&json!({"sweep": true}))
            .unwrap_or_else(|e| panic!("{logical_id} under qemu: {e}"));
        assert_eq!(response["handshake"], handshake, "{logical_id}: {response}");
        assert_eq!(response["trigger"], "invoke", "{logical_id}: {response}");
        assert!(response["reports"].is_array(), "{logical_id}: {response}");
        let lines = lambda.stdout_json();
        assert!(
            lines.iter().any(|l| l.get("_aws").is_some()),
            "{logical_id}: no EMF document: {lines:?}"
        );
        assert!(
            records_of(&lines, "error").is_empty(),
            "{logical_id}: {lines:?}"
        );
    }
}
