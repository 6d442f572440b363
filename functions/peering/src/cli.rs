//! The peering function from a shell, outside Lambda: the same configuration from the
//! environment, the same AWS settings (`AWS_ENDPOINT_URL` included). The answer goes to
//! stdout, the audit trail to stderr.

use serde_json::Value;

use handshake::audit::StderrSink;
use handshake::diagnose::{self, Doctor, NameReads, NetworkReads, Report, Verdict};
use handshake::engine::{self, Settings};
use handshake::peering::{PeeringHandshake, PeeringPort};

pub const USAGE: &str = "usage: peering diagnose TARGET PORT [NAME] [--json]
                         why Astro can or cannot reach TARGET (an IPv4 address or eni- id) on TCP PORT;
                         NAME: the DNS name Astro uses for it. Exit 0 when reachable, 1 otherwise.
       peering invoke 'EVENT_JSON'
                         run one event here, e.g. '{\"sweep\": true, \"dryRun\": true}'
       (no arguments: serve Lambda invocations)";

/// Runs `peering diagnose ..` or `peering invoke ..`; returns the exit code (2: usage).
pub async fn run<P, N, Z>(
    h: &PeeringHandshake<P>,
    doctor: &Doctor<N, Z>,
    settings: &Settings,
    args: &[String],
) -> i32
where
    P: PeeringPort,
    N: NetworkReads,
    Z: NameReads,
{
    let json = args.iter().any(|a| a == "--json");
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--json")
        .collect();
    match args.as_slice() {
        ["diagnose", target, port, rest @ ..] if rest.len() <= 1 => {
            let mut request = serde_json::json!({"target": target, "port": port});
            if let Some(name) = rest.first() {
                request["name"] = Value::from(*name);
            }
            let event = serde_json::json!({ diagnose::FIELD: request });
            match diagnose::handle(doctor, &event, settings, &StderrSink, Some("cli".into())).await
            {
                Ok(answer) => print_diagnosis(&answer, json),
                Err(err) => {
                    eprintln!("{err}");
                    1
                }
            }
        }
        ["invoke", event] => {
            let event: Value = match serde_json::from_str(event) {
                Ok(event) => event,
                Err(e) => {
                    eprintln!("EVENT_JSON is not JSON: {e}\n{USAGE}");
                    return 2;
                }
            };
            let answer = if diagnose::asks(&event) {
                diagnose::handle(doctor, &event, settings, &StderrSink, Some("cli".into())).await
            } else {
                engine::handle(h, &event, settings, &StderrSink, Some("cli".into())).await
            };
            match answer {
                Ok(answer) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&answer).unwrap_or_default()
                    );
                    i32::from(answer.get("error").is_some())
                }
                Err(err) => {
                    eprintln!("{err}");
                    1
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    }
}

/// The diagnosis as lines (or JSON); 0 when reachable.
fn print_diagnosis(answer: &Value, json: bool) -> i32 {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(answer).unwrap_or_default()
        );
    }
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        if !json {
            eprintln!("{error}");
        }
        return 1;
    }
    let Ok(report) = serde_json::from_value::<Report>(answer.clone()) else {
        eprintln!("unexpected answer: {answer}");
        return 1;
    };
    if !json {
        for line in report.lines() {
            println!("{line}");
        }
    }
    i32::from(report.verdict != Verdict::Reachable)
}
