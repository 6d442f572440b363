//! Runs a built Lambda binary through a real Lambda Runtime API: cargo-lambda's emulator
//! (`cargo lambda watch --only-lambda-apis`) serves the API, the binary polls it as it would
//! in Lambda, and `cargo lambda invoke` sends the event. The binary is either the host build
//! next to the tests or the arm64 `bootstrap` that `sam build` ships, run under qemu.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{free_port, wait_for_port};

/// The function binary `name`, built by `cargo build --workspace --bins` next to the tests.
pub fn binary(name: &str) -> PathBuf {
    // A test runs from `<profile>/deps/`, a binary of this package from `<profile>/`.
    let exe = std::env::current_exe().expect("current executable");
    let dir = exe.parent().expect("executable directory");
    let path = [
        dir.join(name),
        dir.parent().map(|p| p.join(name)).unwrap_or_default(),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .unwrap_or_else(|| dir.join(name));
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` first (`make test` does)",
        path.display()
    );
    path
}

/// The arm64 `bootstrap` that `sam build` (`make package`) put in `.aws-sam/build/<logical_id>/`:
/// the file a customer deploys.
pub fn packaged(logical_id: &str) -> PathBuf {
    let path = crate::root()
        .join(".aws-sam/build")
        .join(logical_id)
        .join("bootstrap");
    assert!(
        path.is_file(),
        "{} is not built; run `make package` first (`make test` does)",
        path.display()
    );
    path
}

/// How a function process is started.
pub struct Launch {
    program: PathBuf,
    args: Vec<OsString>,
    /// What Lambda would call the function (`AWS_LAMBDA_FUNCTION_NAME`).
    name: String,
}

impl Launch {
    /// A binary of this host, run directly.
    pub fn native(binary: &Path) -> Self {
        Self {
            program: binary.to_path_buf(),
            args: Vec::new(),
            name: binary
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("function")
                .to_string(),
        }
    }

    /// An aarch64 Linux executable, run under qemu's user-mode emulation with Debian's arm64
    /// C library (`qemu-aarch64-static -L /usr/aarch64-linux-gnu BOOTSTRAP`), as Lambda runs
    /// it on Graviton. `$HANDSHAKE_QEMU_AARCH64` and `$HANDSHAKE_ARM64_SYSROOT` override them.
    pub fn arm64(bootstrap: &Path, name: &str) -> Self {
        let qemu = std::env::var_os("HANDSHAKE_QEMU_AARCH64")
            .unwrap_or_else(|| "qemu-aarch64-static".into());
        let sysroot = std::env::var_os("HANDSHAKE_ARM64_SYSROOT")
            .unwrap_or_else(|| "/usr/aarch64-linux-gnu".into());
        Self {
            program: qemu.into(),
            args: vec!["-L".into(), sysroot, bootstrap.as_os_str().to_owned()],
            name: name.to_string(),
        }
    }
}

fn cargo_lambda() -> String {
    std::env::var("HANDSHAKE_CARGO_LAMBDA").unwrap_or_else(|_| "cargo-lambda".into())
}

/// A Runtime API emulator with one function connected to it; both stopped when dropped.
pub struct LambdaHarness {
    port: u16,
    emulator: Child,
    function: Child,
    workdir: PathBuf,
}

impl LambdaHarness {
    /// Starts the emulator, then the host binary with `env` (and nothing else from this process).
    pub fn start(binary: &Path, env: &[(String, String)]) -> Self {
        Self::launch(Launch::native(binary), env)
    }

    /// Starts the emulator, then the function as `launch` says, with `env` only.
    pub fn launch(launch: Launch, env: &[(String, String)]) -> Self {
        let port = free_port();
        let workdir = std::env::temp_dir().join(format!("astro-handshake-lambda-{port}"));
        // The emulator reads a Cargo manifest; a dependency-free one keeps it offline.
        std::fs::create_dir_all(workdir.join("dummy/src")).expect("workdir");
        std::fs::write(
            workdir.join("dummy/Cargo.toml"),
            "[package]\nname = \"dummy\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .expect("dummy manifest");
        std::fs::write(workdir.join("dummy/src/main.rs"), "fn main() {}\n").expect("dummy main");
        let mut emulator = Command::new(cargo_lambda())
            .args(["lambda", "watch", "--only-lambda-apis", "--manifest-path"])
            .arg(workdir.join("dummy/Cargo.toml"))
            .args([
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
                "--timeout",
                "120",
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(workdir.join("emulator.log")).expect("log"))
            .stderr(std::fs::File::create(workdir.join("emulator.err")).expect("log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `{} lambda watch` ({e}); `make test` installs it",
                    cargo_lambda()
                )
            });
        wait_for_port(
            port,
            &mut emulator,
            "the Lambda Runtime API emulator",
            Duration::from_secs(60),
        );
        let function = Command::new(&launch.program)
            .args(&launch.args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", &launch.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(workdir.join("function.out")).expect("log"))
            .stderr(std::fs::File::create(workdir.join("function.err")).expect("log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); `make test` installs what it needs",
                    launch.program.display()
                )
            });
        Self {
            port,
            emulator,
            function,
            workdir,
        }
    }

    /// Invokes the function with `event`; the response, or the error `cargo lambda invoke`
    /// reports (a handler `Err`).
    pub fn invoke(&self, event: &serde_json::Value) -> Result<serde_json::Value, String> {
        let file = self.workdir.join("event.json");
        std::fs::write(&file, event.to_string()).expect("event file");
        let out = Command::new(cargo_lambda())
            .args([
                "lambda",
                "invoke",
                "-A",
                "127.0.0.1",
                "-P",
                &self.port.to_string(),
                "--data-file",
            ])
            .arg(&file)
            .stdin(Stdio::null())
            .output()
            .expect("cargo lambda invoke");
        if !out.status.success() {
            return Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                self.function_stderr()
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Every JSON line the function printed on stdout so far (audit records, EMF).
    pub fn stdout_json(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.workdir.join("function.out"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn function_stderr(&self) -> String {
        std::fs::read_to_string(self.workdir.join("function.err")).unwrap_or_default()
    }

    /// Whether the function process has exited (e.g. on a configuration error), and how.
    pub fn function_exit(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..100 {
            if let Ok(Some(status)) = self.function.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for LambdaHarness {
    fn drop(&mut self) {
        let _ = self.function.kill();
        let _ = self.function.wait();
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// A sample event from `events/`, with the placeholder id replaced by a real one.
pub fn sample_event(file: &str, placeholder: &str, id: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(crate::root().join("events").join(file)).expect("sample event");
    serde_json::from_str(&text.replace(placeholder, id)).expect("sample event is JSON")
}
