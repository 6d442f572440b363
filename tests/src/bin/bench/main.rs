//! `make bench`: the project's performance, measured against the emulator and printed as a
//! table. Release binaries (`cargo build --release`), each through a Lambda Runtime API of the
//! benchmark's own that notes when the process asked for work and answered; every timed figure
//! is the median of `BENCH_RUNS` runs (default 7) with the min and max.
//!
//! Sections (`BENCH_SECTIONS`, default all): `cold` (cold start, warm invocation and calls per
//! handshake, side by side with the Python/boto3 reference in `benches/reference`), `tls` (the
//! same with the emulator behind TLS, needs `openssl`), `sweeps`,
//! `scale` (`BENCH_SCALE_RUNS`, default 7, about 4 minutes a run), `footprint`.
//!
//! Not a test: it asserts only that each handshake it times did finish, so that no figure
//! comes from a run that did not do the work.

mod handshakes;
mod lab;
mod process;
mod scale;
mod stats;
mod tls;

use std::path::{Path, PathBuf};

use handshakes::{Side, Sweeps, FIFTY, PENDING};
use lab::Lab;
use process::Program;
use scale::Scale;
use stats::{mb, num, Runs};

fn var(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The release binaries: `$BENCH_BIN_DIR`, else `release/` next to this build's profile.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BENCH_BIN_DIR") {
        return dir.into();
    }
    let exe = std::env::current_exe().expect("current executable");
    exe.parent()
        .and_then(Path::parent)
        .map(|target| target.join("release"))
        .expect("target directory")
}

fn release(name: &str) -> Program {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} is not built: `make bench` runs `cargo build --release` first",
        path.display()
    );
    Program::Native(path)
}

fn python_reference() -> Program {
    let python = std::env::var_os("BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/astro-handshake/venv-bench/bin/python")
        });
    Program::Python {
        python,
        dir: integration::root().join("benches/reference"),
        handler: "accepter.handler".into(),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(integration::root())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cores} x {cpu}; commit {commit}")
}

fn row(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<64} {value}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs = var("BENCH_RUNS", 7).max(1);
    let scale_runs = var("BENCH_SCALE_RUNS", 7).max(1);
    let sections = std::env::var("BENCH_SECTIONS")
        .unwrap_or_else(|_| "cold,tls,sweeps,scale,footprint".into());
    let wants = |s: &str| sections.split(',').any(|x| x.trim() == s);
    // The benchmark's own clients trust the authority through `SSL_CERT_FILE`, read once per
    // process by the SDK: set before any client is made.
    let certs = wants("tls").then(tls::make);
    if let Some(certs) = &certs {
        std::env::set_var("SSL_CERT_FILE", &certs.ca);
    }
    println!(
        "astro-handshake benchmark: release build against the emulator (moto's server, local)"
    );
    println!("  {}", machine());
    println!("  median [min-max] of {runs} runs; scale: {scale_runs} runs\n");

    if wants("cold") {
        let lab = Lab::start("cold", false).await;
        cold(&lab, runs, "Cold start").await;
    }
    if let Some(certs) = &certs {
        let lab = Lab::start_tls("cold-tls", certs).await;
        cold(
            &lab,
            runs,
            "Cold start over HTTPS (the emulator behind TLS, as AWS is)",
        )
        .await;
    }
    if wants("sweeps") {
        sweeps(runs).await;
    }
    if wants("scale") {
        scale(scale_runs).await;
    }
    if wants("footprint") {
        footprint();
    }
}

async fn cold(lab: &Lab, runs: usize, title: &str) {
    let (rust, python) = (release("peering"), python_reference());
    let (mut ours, mut theirs) = (Side::default(), Side::default());
    // Not counted: moto builds parts of its backends on first use, which neither side should
    // pay for.
    handshakes::cold_run(lab, &python, &mut Side::default()).await;
    for run in 0..runs {
        // Alternate which goes first, so neither always meets a warmer emulator.
        if run % 2 == 0 {
            handshakes::cold_run(lab, &rust, &mut ours).await;
            handshakes::cold_run(lab, &python, &mut theirs).await;
        } else {
            handshakes::cold_run(lab, &python, &mut theirs).await;
            handshakes::cold_run(lab, &rust, &mut ours).await;
        }
    }
    let ratio = |a: &Runs, b: &Runs| format!("{}x", num(b.median() / a.median()));
    println!("{title}: a pending peering accepted, routed in 3 route tables, DNS on");
    let blank = "";
    println!(
        "  {blank:<64} {:<28} {:<28} ratio",
        "astro-handshake", "Python/boto3 reference"
    );
    let line = |label: &str, a: &Runs, b: &Runs, unit: &str| {
        println!(
            "  {label:<64} {:<28} {:<28} {}",
            a.show(unit),
            b.show(unit),
            ratio(a, b)
        )
    };
    line(
        "process start to first GET invocation/next",
        &ours.init,
        &theirs.init,
        "ms",
    );
    line(
        "process start to first handshake answered",
        &ours.first,
        &theirs.first,
        "ms",
    );
    line(
        "warm handshake (another peering, same process)",
        &ours.warm,
        &theirs.warm,
        "ms",
    );
    line("peak RSS of the process", &ours.rss, &theirs.rss, "MB");
    println!("\nAPI calls per handshake (counted at the emulator)");
    println!(
        "  {blank:<64} {:<16} {:<14} Python reference",
        "astro-handshake", "minimum"
    );
    println!(
        "  {:<64} {:<16} {:<14} {}",
        "first handshake (3 reads, accept, 1 look, tag, 3 routes, DNS)",
        ours.calls_first.show_count(),
        10,
        theirs.calls_first.show_count()
    );
    println!(
        "  {:<64} {:<16} {:<14} {}",
        "replay of the same event",
        ours.calls_replay.show_count(),
        3,
        theirs.calls_replay.show_count()
    );
    println!();
}

async fn sweeps(runs: usize) {
    let lab = Lab::start("sweeps", false).await;
    let rust = release("peering");
    let mut s = Sweeps::default();
    for _ in 0..runs {
        handshakes::sweep_run(&lab, &rust, &mut s).await;
    }
    println!("Sweeps (astro-handshake; one accepter VPC)");
    let min_pending = 3 + s.pending_writes.median() as usize + PENDING;
    row(
        &format!("first sweep over {PENDING} pending peerings: time (target < 1.5 s)"),
        s.pending_ms.show("ms"),
    );
    row(
        &format!("  calls (minimum {min_pending}: 3 reads, the writes, one look each)"),
        format!(
            "{} ({} writes)",
            s.pending_calls.show_count(),
            s.pending_writes.show_count()
        ),
    );
    row(
        &format!("next sweep, {PENDING} finished: calls (minimum 3 = 1 + 2 x 1 VPC)"),
        s.ten_finished_calls.show_count(),
    );
    row(
        &format!("sweep over {FIFTY} finished peerings: calls (minimum 3)"),
        s.fifty_calls.show_count(),
    );
    row("  time", s.fifty_ms.show("ms"));
    println!();
}

async fn scale(runs: usize) {
    let mut peering = Scale::default();
    let mut tgw = Scale::default();
    for _ in 0..runs {
        scale::peering_run(&release("peering"), &mut peering).await;
        scale::tgw_run(&release("transit-gateway"), &mut tgw).await;
    }
    let floor = scale::floor(scale::ROUTES).as_secs_f64();
    println!(
        "Scale under EC2's limits ({} routes; emulator bucket 50 writes + 5/s per action; 120 s timeout)",
        scale::ROUTES
    );
    for (what, s) in [
        ("one peering: 200 route tables x 5 CIDRs", &peering),
        (
            "TGW fan-out: 4 spoke VPCs x 50 route tables x 5 CIDRs",
            &tgw,
        ),
    ] {
        println!("  {what}");
        row(
            &format!("  wall time (floor {} s)", num(floor)),
            format!(
                "{} ({}% over the floor)",
                s.wall_s.show("s"),
                num((s.wall_s.median() / floor - 1.0) * 100.0)
            ),
        );
        row("  invocations, back to back", s.invocations.show_count());
        let pair = |a: &Runs, b: &Runs| format!("{} / {}", a.show_count(), b.show_count());
        row(
            "  writes attempted / took effect",
            pair(&s.attempted, &s.effective),
        );
        row("  throttles received", s.throttles.show_count());
        row(
            "  `failed` records / Failures metric",
            pair(&s.failed_records, &s.failures),
        );
    }
    println!();
}

fn footprint() {
    println!("Footprint");
    for name in [
        "peering",
        "transit-gateway",
        "zones",
        "peer-role",
        "endpoint-services",
    ] {
        let path = bin_dir().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            row(&format!("release binary {name} (x86_64)"), mb(meta.len()));
        }
    }
    let dist = integration::root().join("dist/functions");
    let mut zips: Vec<_> = std::fs::read_dir(&dist)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    zips.sort();
    if zips.is_empty() {
        row("arm64 zips", "none in dist/functions: run `make package`");
    }
    for zip in zips {
        if let Ok(meta) = std::fs::metadata(&zip) {
            row(
                &format!(
                    "arm64 zip {} (make package)",
                    zip.file_name().unwrap_or_default().to_string_lossy()
                ),
                mb(meta.len()),
            );
        }
    }
}
