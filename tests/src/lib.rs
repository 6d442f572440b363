//! The integration-test harness: moto's server (with the project's extensions) started on
//! a free loopback port for each test, SDK configurations attributed to the vendor and the
//! customer accounts, and builders for the network both sides start from.

pub mod lambda;
pub mod runtime_api;
pub mod scenario;
pub mod stack;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::Credentials;

/// Astro's (the vendor's) account.
pub const ASTRO: &str = "111111111111";
/// The customer's account, where astro-handshake runs.
pub const CUSTOMER: &str = "222222222222";
/// An account that is not allowed to request anything.
pub const STRANGER: &str = "333333333333";
pub const REGION: &str = "us-east-1";

/// The execution role of each function, named by its logical id in template.yaml. Every call a
/// function makes in the tests is signed with credentials of its own role, as Lambda signs
/// them, so the emulator's call log says which function made which call (and the action
/// coverage test checks each against that role's policy). Set-up calls use a role of their own.
pub mod roles {
    pub const PEERING: &str = "PeeringRole";
    pub const TRANSIT_GATEWAY: &str = "TransitGatewayRole";
    pub const ZONES: &str = "ZonesRole";
    pub const PEER_ROLE: &str = "PeerRoleFunctionRole";
    pub const ENDPOINT_SERVICES: &str = "EndpointServicesRole";
    /// The role the tests themselves act with: building networks, playing the vendor.
    pub const SET_UP: &str = "astro-handshake-test";
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Waits until something listens on the port, or the child exits, or time runs out.
pub fn wait_for_port(port: u16, child: &mut Child, what: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within {timeout:?}");
}

/// moto's server with the astro-handshake extensions; stopped when dropped.
pub struct Emulator {
    pub endpoint: String,
    child: Child,
}

impl Emulator {
    /// Starts `tests/emulator/server.py` with `$HANDSHAKE_PYTHON` (default `python3`).
    pub fn start() -> Self {
        Self::launch(None, &[])
    }

    /// Starts one whose every served call is appended to `call_log` (one JSON line each:
    /// account, role, service, operation, status; see tests/emulator/astro_moto/recorder.py).
    pub fn start_recording(call_log: &Path) -> Self {
        Self::launch(Some(call_log), &[])
    }

    /// A recording one that answers `rate` (0 to 1) of the calls signed by `roles` with HTTP 503
    /// `ServiceUnavailable` before acting on them (a faulted call changes nothing; the choice
    /// is seeded by `seed`; see tests/emulator/astro_moto/faults.py).
    pub fn start_faulty(call_log: &Path, rate: f64, roles: &[&str], seed: u64) -> Self {
        Self::launch(
            Some(call_log),
            &[
                ("ASTRO_FAULT_RATE", &rate.to_string()),
                ("ASTRO_FAULT_ROLES", &roles.join(",")),
                ("ASTRO_FAULT_SEED", &seed.to_string()),
            ],
        )
    }

    /// A recording one that throttles EC2 as AWS does: a bucket per account and action, 50
    /// tokens refilled at 5 a second for a mutating action, 100 at 20 for a read (see
    /// tests/emulator/astro_moto/throttle_ext.py).
    pub fn start_throttling(call_log: &Path) -> Self {
        Self::launch(Some(call_log), &[("ASTRO_EC2_THROTTLE", "1")])
    }

    /// The same, throttling only the calls signed by `roles` (the functions measured): the
    /// set-up neither waits for tokens nor spends theirs.
    pub fn start_throttling_roles(call_log: &Path, roles: &[&str]) -> Self {
        Self::launch(
            Some(call_log),
            &[
                ("ASTRO_EC2_THROTTLE", "1"),
                ("ASTRO_EC2_THROTTLE_ROLES", &roles.join(",")),
            ],
        )
    }

    /// A recording one that serves HTTPS with `cert` and `key` (PEM files): the first call of
    /// a process then pays for a TLS handshake, as against AWS.
    pub fn start_recording_tls(call_log: &Path, cert: &Path, key: &Path) -> Self {
        let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
        Self::serve(
            Some(call_log),
            &[],
            &["--ssl-cert", &cert, "--ssl-key", &key],
        )
    }

    fn launch(call_log: Option<&Path>, env: &[(&str, &str)]) -> Self {
        Self::serve(call_log, env, &[])
    }

    fn serve(call_log: Option<&Path>, env: &[(&str, &str)], args: &[&str]) -> Self {
        let python = std::env::var("HANDSHAKE_PYTHON").unwrap_or_else(|_| "python3".into());
        let port = free_port();
        let log = std::env::temp_dir().join(format!("astro-handshake-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("emulator log");
        let mut command = Command::new(&python);
        if let Some(path) = call_log {
            command.env("ASTRO_CALL_LOG", path);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .arg(root().join("tests/emulator/server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .env_remove("MOTO_ACCOUNT_ID")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the emulator with `{python}` ({e}); `make test` installs it")
            });
        wait_for_port(
            port,
            &mut child,
            "the emulator (moto server)",
            Duration::from_secs(60),
        );
        let scheme = if args.is_empty() { "http" } else { "https" };
        Self {
            endpoint: format!("{scheme}://127.0.0.1:{port}"),
            child,
        }
    }

    /// Temporary credentials for `account` with the set-up role: what the tests build and
    /// read with, and how the vendor and strangers act.
    pub async fn credentials(&self, account: &str) -> Credentials {
        self.role_credentials(account, roles::SET_UP).await
    }

    /// Temporary credentials for `role` in `account`, from STS AssumeRole as Lambda would hand
    /// them to a function; moto attributes every request signed with them to that account.
    pub async fn role_credentials(&self, account: &str, role: &str) -> Credentials {
        self.assumed(&format!("arn:aws:iam::{account}:role/{role}"), role)
            .await
    }

    /// An SDK configuration acting with the role `role_arn` (the vendor assuming the
    /// customer's PeerRole, say).
    pub async fn assume(&self, role_arn: &str) -> SdkConfig {
        let credentials = self.assumed(role_arn, "astro-handshake-test").await;
        self.config_with(credentials)
    }

    async fn assumed(&self, role_arn: &str, session: &str) -> Credentials {
        let bootstrap = aws_sdk_sts::Client::new(&self.config_with(Credentials::new(
            "test",
            "test",
            None,
            None,
            "bootstrap",
        )));
        let out = bootstrap
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session)
            .send()
            .await
            .expect("AssumeRole on the emulator");
        let c = out.credentials().expect("credentials");
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "assumed",
        )
    }

    /// An SDK configuration acting as `account`, pointed at the emulator. One attempt per
    /// call: a failing call in a test shows itself instead of being re-sent.
    pub async fn account(&self, account: &str) -> SdkConfig {
        let credentials = self.credentials(account).await;
        self.config_with(credentials)
    }

    /// An SDK configuration acting as the function whose execution role is `role` (one of
    /// [`roles`]) in the customer's account, pointed at the emulator.
    pub async fn function(&self, role: &str) -> SdkConfig {
        let credentials = self.role_credentials(CUSTOMER, role).await;
        self.config_with(credentials)
    }

    /// The environment Lambda gives a function with the execution role `role`: its temporary
    /// credentials and Region, plus (only here) the emulator's endpoint; then `vars`, the
    /// function's own variables (a later one replaces an earlier one of the same name).
    pub async fn function_env(&self, role: &str, vars: &[(&str, &str)]) -> Vec<(String, String)> {
        let c = self.role_credentials(CUSTOMER, role).await;
        let lambda = [
            ("AWS_ACCESS_KEY_ID", c.access_key_id()),
            ("AWS_SECRET_ACCESS_KEY", c.secret_access_key()),
            ("AWS_SESSION_TOKEN", c.session_token().unwrap_or_default()),
            ("AWS_REGION", REGION),
            ("AWS_ENDPOINT_URL", &self.endpoint),
            ("METRICS_NAMESPACE", "AstroHandshake"),
        ];
        let mut env: Vec<(String, String)> = Vec::new();
        for (k, v) in lambda.iter().chain(vars) {
            env.retain(|(name, _)| name != k);
            env.push((k.to_string(), v.to_string()));
        }
        env
    }

    fn config_with(&self, credentials: Credentials) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration read from `base` variables, with `extra` in front (a variable in `extra`
/// wins over the same one in `base`).
pub fn config<C>(
    read: fn(&dyn handshake::config::Source) -> handshake::Result<C>,
    base: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> C {
    let mut vars = extra.to_vec();
    vars.extend_from_slice(base);
    let vars: &[(&str, &str)] = &vars;
    read(&vars).expect("configuration")
}

/// One invocation of a handshake in process, through the engine, with the real adapters: its
/// answer and its audit trail. Panics when the invocation fails (a retryable error).
pub async fn invoke<H: handshake::engine::Handshake>(
    h: &H,
    settings: &handshake::engine::Settings,
    event: &serde_json::Value,
) -> (serde_json::Value, handshake::audit::MemorySink) {
    let sink = handshake::audit::MemorySink::default();
    let answer =
        handshake::engine::handle(h, event, settings, &sink, Some("test-invocation".into()))
            .await
            .expect("invocation succeeds");
    (answer, sink)
}

/// The calls a recording emulator ([`Emulator::start_recording`]) served for `role`, in order,
/// as `service:Operation`.
pub fn calls_of(call_log: &Path, role: &str) -> Vec<String> {
    std::fs::read_to_string(call_log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|call| call["role"] == role)
        .map(|call| {
            format!(
                "{}:{}",
                call["service"].as_str().unwrap_or_default(),
                call["operation"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The writes an invocation recorded, as (action, outcome) pairs.
pub fn actions(sink: &handshake::audit::MemorySink) -> Vec<(String, String)> {
    pairs(sink, "action", "action", "outcome")
}

/// The findings an invocation recorded, as (kind, detail) pairs.
pub fn findings(sink: &handshake::audit::MemorySink) -> Vec<(String, String)> {
    pairs(sink, "finding", "action", "reason")
}

fn pairs(
    sink: &handshake::audit::MemorySink,
    kind: &str,
    first: &str,
    second: &str,
) -> Vec<(String, String)> {
    records_of(&sink.records(), kind)
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (field(first), field(second))
        })
        .collect()
}

/// The sum of one EMF metric over the invocation's metric documents.
pub fn metric(sink: &handshake::audit::MemorySink, name: &str) -> u64 {
    sink.metric_documents()
        .iter()
        .map(|d| d[name].as_u64().unwrap_or(0))
        .sum()
}

/// The audit records of one kind (`decision`, `action`, `finding`, `error`).
pub fn records_of<'a>(records: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    records.iter().filter(|r| r["record"] == kind).collect()
}
