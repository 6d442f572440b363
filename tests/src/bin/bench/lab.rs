//! The emulator the benchmark runs against, and the networks it builds there.

use aws_sdk_ec2::Client;
use integration::{roles, scenario, Emulator, ASTRO, CUSTOMER};

use crate::process::CallLog;

/// A recording emulator (throttling the functions' EC2 calls as AWS does when asked), with
/// the customer's and Astro's clients.
pub struct Lab {
    pub emulator: Emulator,
    pub log: CallLog,
    pub customer: Client,
    pub vendor: Client,
    /// The authority the emulator's HTTPS certificate chains to, when it serves HTTPS.
    tls_ca: Option<std::path::PathBuf>,
}

impl Lab {
    /// One serving HTTPS with `certs` (the benchmark trusts their authority through
    /// `SSL_CERT_FILE`, set when it starts).
    pub async fn start_tls(name: &str, certs: &crate::tls::Certificates) -> Self {
        let log = CallLog::at(name);
        let emulator = Emulator::start_recording_tls(log.path(), &certs.cert, &certs.key);
        Self::with(emulator, log, Some(certs.ca.clone())).await
    }

    pub async fn start(name: &str, throttled: bool) -> Self {
        let log = CallLog::at(name);
        let emulator = if throttled {
            Emulator::start_throttling_roles(log.path(), &[roles::PEERING, roles::TRANSIT_GATEWAY])
        } else {
            Emulator::start_recording(log.path())
        };
        Self::with(emulator, log, None).await
    }

    async fn with(emulator: Emulator, log: CallLog, tls_ca: Option<std::path::PathBuf>) -> Self {
        let customer = Client::new(&emulator.account(CUSTOMER).await);
        let vendor = Client::new(&emulator.account(ASTRO).await);
        Self {
            emulator,
            log,
            customer,
            vendor,
            tls_ca,
        }
    }

    /// What Lambda gives the peering function (its role's credentials, the Region, the
    /// emulator's endpoint), and `vars`.
    pub async fn peering_env(&self, vpc: &str, astro_cidrs: &str) -> Vec<(String, String)> {
        let mut env = self
            .emulator
            .function_env(
                roles::PEERING,
                &[
                    ("ASTRO_ACCOUNT_IDS", ASTRO),
                    ("ASTRO_CIDRS", astro_cidrs),
                    ("ACCEPTER_VPC_IDS", vpc),
                ],
            )
            .await;
        if let Some(ca) = &self.tls_ca {
            let ca = ca.to_string_lossy().into_owned();
            env.push(("SSL_CERT_FILE".into(), ca.clone()));
            env.push(("AWS_CA_BUNDLE".into(), ca));
        }
        env
    }

    /// An accepter VPC with `tables` route tables (the main one first).
    pub async fn accepter_vpc(&self, tables: usize) -> (String, Vec<String>) {
        let vpc = scenario::vpc(&self.customer, "10.0.0.0/16").await;
        let mut ids = vec![scenario::main_route_table(&self.customer, &vpc).await];
        while ids.len() < tables {
            ids.push(scenario::route_table(&self.customer, &vpc, &[]).await);
        }
        (vpc, ids)
    }

    /// A pending peering from a new Astro VPC in `cidr` (and `more` CIDRs) into `vpc`.
    pub async fn request(&self, vpc: &str, cidr: &str, more: &[&str]) -> String {
        let astro = scenario::vpc(&self.vendor, cidr).await;
        for extra in more {
            scenario::add_cidr(&self.vendor, &astro, extra).await;
        }
        scenario::request_peering(&self.vendor, &astro, vpc, CUSTOMER).await
    }

    /// Whether the peering is active, routed to every requester CIDR in every one of `tables`,
    /// and has accepter DNS resolution on.
    pub async fn connected(&self, pcx: &str, tables: &[String], cidrs: &[&str]) -> bool {
        let p = scenario::peering(&self.customer, pcx).await;
        if p.status().and_then(|s| s.code()).map(|c| c.as_str()) != Some("active")
            || scenario::accepter_dns(&p) != Some(true)
        {
            return false;
        }
        for table in tables {
            for cidr in cidrs {
                if !scenario::has_route(&self.customer, table, cidr, pcx).await {
                    return false;
                }
            }
        }
        true
    }
}
