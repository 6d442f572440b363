//! The zones function from a shell, outside Lambda: the same configuration from the
//! environment, the same AWS settings (`AWS_ENDPOINT_URL` included). It prints the JSON
//! answer on stdout and the audit trail on stderr, and exits 0 when all is well.

use serde_json::Value;

use handshake::audit::StderrSink;
use handshake::engine::Settings;
use handshake::tgw::AttachmentReads;
use handshake::zones::{self, verify, ZonesHandshake, ZonesPort, ZonesReads};

pub const USAGE: &str = "usage: zones verify NAME [VPC_ID ...]   resolve NAME as the VPCs see it (exit 1 if it does not resolve)
       zones invoke 'EVENT_JSON'          run one event here, e.g. '{\"sweep\": true, \"dryRun\": true}'
       (no arguments: serve Lambda invocations)";

/// Runs `zones verify NAME [VPC_ID ...]` or `zones invoke EVENT_JSON`; returns the exit code
/// (2: usage, 1: the answer is an error or the name does not resolve).
pub async fn run<Z, E, T>(h: &ZonesHandshake<Z, E, T>, settings: &Settings, args: &[String]) -> i32
where
    Z: ZonesPort,
    E: ZonesReads,
    T: AttachmentReads,
{
    let event = match args.first().map(String::as_str) {
        Some("verify") if args.len() >= 2 => {
            let mut event = serde_json::json!({ verify::FIELD: args[1] });
            if args.len() > 2 {
                event["vpcIds"] = Value::from(args[2..].to_vec());
            }
            event
        }
        Some("invoke") if args.len() == 2 => match serde_json::from_str::<Value>(&args[1]) {
            Ok(event) => event,
            Err(e) => {
                eprintln!("EVENT_JSON is not JSON: {e}\n{USAGE}");
                return 2;
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    match zones::handle(h, &event, settings, &StderrSink, Some("cli".into())).await {
        Ok(answer) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            let failed = answer.get("error").is_some()
                || answer.get("resolved") == Some(&Value::Bool(false));
            i32::from(failed)
        }
        Err(err) => {
            eprintln!("{err}");
            1
        }
    }
}
