//! A function process connected to a [`RuntimeApi`] of its own, as Lambda runs one execution
//! environment: started with an environment and nothing else from this process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use integration::runtime_api::{Invoked, RuntimeApi};

/// The template's function timeout: the deadline every invocation is given.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What to run: the project's binary, or the Python reference through `awslambdaric`.
#[derive(Clone)]
pub enum Program {
    Native(PathBuf),
    Python {
        python: PathBuf,
        dir: PathBuf,
        handler: String,
    },
}

impl Program {
    fn command(&self) -> Command {
        match self {
            Self::Native(path) => Command::new(path),
            Self::Python {
                python,
                dir,
                handler,
            } => {
                let mut c = Command::new(python);
                c.args(["-m", "awslambdaric", handler]).current_dir(dir);
                c
            }
        }
    }
}

pub struct Function {
    pub api: RuntimeApi,
    pub started: Instant,
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Function {
    /// Starts the Runtime API, then the process (the instant just before the spawn is
    /// `started`).
    pub fn start(program: &Program, env: &[(String, String)], name: &str) -> Self {
        let api = RuntimeApi::start();
        let dir = std::env::temp_dir();
        let tag = format!("astro-handshake-bench-{}-{name}", std::process::id());
        let out = dir.join(format!("{tag}.out"));
        let err = dir.join(format!("{tag}.err"));
        let mut command = program.command();
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_DEFAULT_REGION", integration::REGION)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"));
        let started = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({e}); `make bench` builds it"));
        Self {
            api,
            started,
            child,
            out,
            err,
        }
    }

    /// One invocation with the template's timeout; panics with the function's stderr when it
    /// is not answered.
    pub fn invoke(&self, event: &serde_json::Value) -> Invoked {
        self.api
            .invoke(event, TIMEOUT, TIMEOUT + Duration::from_secs(15))
            .unwrap_or_else(|e| panic!("{e}\n{}", self.stderr()))
    }

    /// The process's peak resident set (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Every JSON line printed on stdout so far (audit records, EMF documents).
    pub fn stdout_json(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
        let _ = std::fs::remove_file(&self.err);
    }
}

/// The calls the emulator served, read from its call log (one JSON object a line).
pub struct CallLog(pub PathBuf);

impl CallLog {
    pub fn at(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "astro-handshake-bench-{name}-{}.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Every call so far made with `role`.
    pub fn of(&self, role: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|c| c["role"] == role)
            .collect()
    }

    pub fn count(&self, role: &str) -> usize {
        self.of(role).len()
    }
}
