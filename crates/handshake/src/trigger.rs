//! What an invocation asks for: a sweep, or one named resource.
//!
//! The event body only says where to look; every decision is made on what the API says.

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use serde_json::Value;

use crate::error::{Error, Result};

/// How one handshake kind names its resource in events.
#[derive(Debug, Clone, Copy)]
pub struct IdSpec {
    /// The field holding the id, in CloudTrail `requestParameters`/`responseElements`
    /// and in a direct invoke (e.g. `vpcPeeringConnectionId`).
    pub field: &'static str,
    /// The id's shape (e.g. `pcx-` and hex).
    pub valid: fn(&str) -> bool,
    /// The CloudTrail `eventName`s that name one resource in `field`.
    pub events: &'static [&'static str],
    /// The CloudTrail `eventName`s that only say "look now": they name none of this
    /// function's resources, so the function sweeps.
    pub sweep_events: &'static [&'static str],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sweep,
    One(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub target: Target,
    /// For the audit trail: `schedule`, `cloudtrail:EventName`, `invoke`.
    pub source: String,
    /// A direct invoke may ask for a dry run; it can never turn a configured dry run off.
    pub dry_run: bool,
}

pub fn parse(spec: &IdSpec, event: &Value) -> Result<Trigger> {
    let Some(object) = event.as_object() else {
        return Err(Error::Event(format!(
            "expected a JSON object, got {}",
            kind_of(event)
        )));
    };
    if object.contains_key("detail-type") {
        return parse_eventbridge(spec, event);
    }
    parse_direct(spec, object)
}

fn parse_eventbridge(spec: &IdSpec, event: &Value) -> Result<Trigger> {
    let envelope: CloudWatchEvent<Value> = serde_json::from_value(event.clone())
        .map_err(|e| Error::Event(format!("not an EventBridge event: {e}")))?;
    let detail_type = envelope.detail_type.as_deref().unwrap_or_default();
    match detail_type {
        "Scheduled Event" => Ok(Trigger {
            target: Target::Sweep,
            source: "schedule".into(),
            dry_run: false,
        }),
        "AWS API Call via CloudTrail" => {
            let detail = envelope.detail.unwrap_or(Value::Null);
            let name = detail
                .get("eventName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let sweeps = spec.sweep_events.contains(&name);
            if !spec.events.contains(&name) && !sweeps {
                let handled: Vec<&str> = spec
                    .events
                    .iter()
                    .chain(spec.sweep_events)
                    .copied()
                    .collect();
                return Err(Error::Event(format!(
                    "CloudTrail event `{name}` is not one this function handles ({})",
                    handled.join(", ")
                )));
            }
            if let Some(code) = detail.get("errorCode").and_then(Value::as_str) {
                return Err(Error::Event(format!(
                    "CloudTrail reports that {name} failed ({code}); nothing to reconcile"
                )));
            }
            if sweeps {
                return Ok(Trigger {
                    target: Target::Sweep,
                    source: format!("cloudtrail:{name}"),
                    dry_run: false,
                });
            }
            let found = ["responseElements", "requestParameters"]
                .iter()
                .filter_map(|section| detail.get(*section))
                .find_map(|section| find_field(section, spec.field, 6));
            let id = found.ok_or_else(|| {
                Error::Event(format!("CloudTrail event `{name}` names no {}", spec.field))
            })?;
            Ok(Trigger {
                target: Target::One(checked_id(spec, &id)?),
                source: format!("cloudtrail:{name}"),
                dry_run: false,
            })
        }
        other => Err(Error::Event(format!(
            "EventBridge detail-type `{other}` is not handled"
        ))),
    }
}

fn parse_direct(spec: &IdSpec, object: &serde_json::Map<String, Value>) -> Result<Trigger> {
    let dry_run = match object.get("dryRun") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::Event(format!(
                "dryRun must be true or false, got {other}"
            )))
        }
    };
    for key in object.keys() {
        if key != spec.field && key != "sweep" && key != "dryRun" {
            return Err(Error::Event(format!(
                "unknown field `{key}`; a direct invoke takes {}, sweep or dryRun",
                spec.field
            )));
        }
    }
    let target = match (object.get(spec.field), object.get("sweep")) {
        (Some(id), None) => {
            let id = id
                .as_str()
                .ok_or_else(|| Error::Event(format!("{} must be a string", spec.field)))?;
            Target::One(checked_id(spec, id)?)
        }
        (None, Some(Value::Bool(true))) => Target::Sweep,
        _ => {
            return Err(Error::Event(format!(
                "a direct invoke names either {} or \"sweep\": true",
                spec.field
            )))
        }
    };
    Ok(Trigger {
        target,
        source: "invoke".into(),
        dry_run,
    })
}

fn checked_id(spec: &IdSpec, id: &str) -> Result<String> {
    if (spec.valid)(id) {
        Ok(id.to_string())
    } else {
        Err(Error::Event(format!(
            "`{id}` is not a valid {}",
            spec.field
        )))
    }
}

/// Finds the first string under `key` at any depth (CloudTrail nests EC2 responses).
fn find_field(value: &Value, key: &str, depth: u8) -> Option<String> {
    if depth == 0 {
        return None;
    }
    match value {
        Value::Object(map) => map
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| map.values().find_map(|v| find_field(v, key, depth - 1))),
        Value::Array(items) => items.iter().find_map(|v| find_field(v, key, depth - 1)),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: IdSpec = IdSpec {
        field: "vpcPeeringConnectionId",
        valid: crate::ids::is_peering_id,
        events: &["CreateVpcPeeringConnection", "AcceptVpcPeeringConnection"],
        sweep_events: &["CreateVpcEndpoint"],
    };

    fn cloudtrail(name: &str, detail_extra: Value) -> Value {
        let mut detail = json!({"eventSource": "ec2.amazonaws.com", "eventName": name});
        for (k, v) in detail_extra.as_object().unwrap() {
            detail[k] = v.clone();
        }
        json!({
            "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
            "account": "222222222222", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail
        })
    }

    #[test]
    fn scheduled_event_is_a_sweep() {
        let event = json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "222222222222", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:222222222222:rule/sweep"], "detail": {}
        });
        assert_eq!(parse(&SPEC, &event).unwrap().target, Target::Sweep);
    }

    #[test]
    fn cloudtrail_create_names_the_peering_in_the_response() {
        let event = cloudtrail(
            "CreateVpcPeeringConnection",
            json!({"responseElements": {"requestId": "r", "vpcPeeringConnection": {"vpcPeeringConnectionId": "pcx-0123abcd"}}}),
        );
        let t = parse(&SPEC, &event).unwrap();
        assert_eq!(t.target, Target::One("pcx-0123abcd".into()));
        assert_eq!(t.source, "cloudtrail:CreateVpcPeeringConnection");
    }

    #[test]
    fn cloudtrail_accept_names_the_peering_in_the_request() {
        let event = cloudtrail(
            "AcceptVpcPeeringConnection",
            json!({"requestParameters": {"vpcPeeringConnectionId": "pcx-0123abcd"}, "responseElements": null}),
        );
        assert_eq!(
            parse(&SPEC, &event).unwrap().target,
            Target::One("pcx-0123abcd".into())
        );
    }

    #[test]
    fn a_sweep_event_sweeps_whatever_its_body_names() {
        let event = cloudtrail(
            "CreateVpcEndpoint",
            json!({"requestParameters": {"CreateVpcEndpointRequest": {"ServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"}}}),
        );
        let t = parse(&SPEC, &event).unwrap();
        assert_eq!(t.target, Target::Sweep);
        assert_eq!(t.source, "cloudtrail:CreateVpcEndpoint");
        let failed = cloudtrail(
            "CreateVpcEndpoint",
            json!({"errorCode": "InvalidServiceName"}),
        );
        assert!(parse(&SPEC, &failed)
            .unwrap_err()
            .to_string()
            .contains("InvalidServiceName"));
    }

    #[test]
    fn malformed_events_are_refused_with_a_reason() {
        let err = |v: Value| parse(&SPEC, &v).unwrap_err().to_string();
        assert!(err(json!("pcx-0123abcd")).contains("JSON object"));
        assert!(err(cloudtrail("DeleteVpc", json!({}))).contains("not one this function handles"));
        assert!(err(cloudtrail(
            "CreateVpcPeeringConnection",
            json!({"errorCode": "UnauthorizedOperation"})
        ))
        .contains("UnauthorizedOperation"));
        assert!(err(cloudtrail(
            "CreateVpcPeeringConnection",
            json!({"responseElements": {}})
        ))
        .contains("names no"));
        assert!(err(json!({"vpcPeeringConnectionId": "pcx-; rm -rf /"})).contains("not a valid"));
        assert!(err(json!({"vpcPeeringConnectionId": 7})).contains("must be a string"));
        assert!(err(json!({"surprise": 1})).contains("unknown field"));
        assert!(err(json!({})).contains("either"));
        assert!(err(json!({"sweep": true, "dryRun": "yes"})).contains("dryRun"));
    }

    #[test]
    fn direct_invokes() {
        let t = parse(
            &SPEC,
            &json!({"vpcPeeringConnectionId": "pcx-0123abcd", "dryRun": true}),
        )
        .unwrap();
        assert_eq!(t.target, Target::One("pcx-0123abcd".into()));
        assert!(t.dry_run);
        assert_eq!(
            parse(&SPEC, &json!({"sweep": true})).unwrap().target,
            Target::Sweep
        );
    }
}
