//! The whole reconcile loop over an in-memory port: accept, settle, converge, replay, dry
//! run, the per-invocation share check and how its errors are handled.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::audit::MemorySink;
use crate::engine;
use crate::error::Error;
use crate::model::{Route, RouteSpec, RouteState, RouteTable};
use crate::ports::VpcReads;

const TGW: &str = "tgw-0000aaaa";
const ATT: &str = "tgw-attach-0000bbbb";
const RTB: &str = "tgw-rtb-0000cccc";
const SPOKE: &str = "vpc-0000d0d0";
const SHARE: &str = "arn:aws:ram:us-east-1:222222222222:resource-share/abc";

struct World {
    attachment: Attachment,
    table: TgwRouteTable,
    spoke_tables: Vec<RouteTable>,
    share: Option<ResourceShare>,
    share_error: Option<Error>,
    auto_accept: bool,
    writes: Vec<String>,
}

struct Fake(Mutex<World>);

fn ok() -> Result<Written> {
    Ok(Written {
        request_id: Some("req-1".into()),
        already_done: false,
    })
}

impl Fake {
    fn new(state: &str) -> Self {
        Fake(Mutex::new(World {
            attachment: Attachment {
                id: ATT.into(),
                transit_gateway_id: TGW.into(),
                transit_gateway_owner_id: "222222222222".into(),
                resource_type: "vpc".into(),
                vpc_id: "vpc-0000a5a5".into(),
                vpc_owner_id: "111111111111".into(),
                state: AttachmentState::parse(state),
                association: None,
            },
            table: TgwRouteTable {
                id: RTB.into(),
                transit_gateway_id: TGW.into(),
                routes: vec![],
            },
            spoke_tables: vec![RouteTable {
                id: "rtb-0000000a".into(),
                main: true,
                tags: BTreeMap::new(),
                routes: vec![],
            }],
            share: Some(ResourceShare {
                arn: SHARE.into(),
                name: "astro".into(),
                status: ShareStatus::Active,
                principals: vec![("111111111111".into(), ShareAssociationStatus::Associated)],
                resources: vec![(
                    format!("arn:aws:ec2:us-east-1:222222222222:transit-gateway/{TGW}"),
                    ShareAssociationStatus::Associated,
                )],
            }),
            share_error: None,
            auto_accept: false,
            writes: vec![],
        }))
    }

    fn writes(&self) -> Vec<String> {
        self.0.lock().unwrap().writes.clone()
    }
}

impl VpcReads for Fake {
    async fn vpc_cidrs(&self, _vpc_id: &str) -> Result<Vec<String>> {
        Ok(vec!["10.0.0.0/16".into()])
    }
    async fn route_tables(&self, _vpc_id: &str) -> Result<Vec<RouteTable>> {
        Ok(self.0.lock().unwrap().spoke_tables.clone())
    }
}

impl VpcRoutes for Fake {
    async fn create_route(&self, route: &RouteSpec) -> Result<Written> {
        let mut s = self.0.lock().unwrap();
        s.writes.push("create-route".into());
        let t = s
            .spoke_tables
            .iter_mut()
            .find(|t| t.id == route.route_table_id)
            .unwrap();
        t.routes.push(Route {
            destination: route.destination.clone(),
            target: route.target.clone(),
            state: RouteState::Active,
        });
        ok()
    }
}

impl AttachmentReads for Fake {
    async fn attachment(&self, id: &str) -> Result<Option<Attachment>> {
        let mut s = self.0.lock().unwrap();
        let seen = s.attachment.clone();
        // AWS: pendingAcceptance -> pending -> available; seen pending once.
        if s.attachment.state == AttachmentState::Pending {
            s.attachment.state = AttachmentState::Available;
        }
        Ok(Some(seen).filter(|a| a.id == id))
    }
    async fn attachments(
        &self,
        _tgw: &str,
        states: &[AttachmentState],
        vpc_ids: &[String],
    ) -> Result<Vec<Attachment>> {
        let s = self.0.lock().unwrap();
        let mut all = vec![s.attachment.clone()];
        // The spoke's own attachment.
        all.push(Attachment {
            id: "tgw-attach-00005905".into(),
            vpc_id: SPOKE.into(),
            vpc_owner_id: "222222222222".into(),
            state: AttachmentState::Available,
            ..s.attachment.clone()
        });
        Ok(all
            .into_iter()
            .filter(|a| {
                states.contains(&a.state) && (vpc_ids.is_empty() || vpc_ids.contains(&a.vpc_id))
            })
            .collect())
    }
}

impl TgwPort for Fake {
    async fn transit_gateway(&self, id: &str) -> Result<Option<TransitGateway>> {
        Ok(Some(TransitGateway {
            id: id.into(),
            default_association_route_table_id: None,
            auto_accept_shared_attachments: self.0.lock().unwrap().auto_accept,
        }))
    }
    async fn tgw_route_table(&self, id: &str) -> Result<Option<TgwRouteTable>> {
        let s = self.0.lock().unwrap();
        Ok(Some(s.table.clone()).filter(|t| t.id == id))
    }
    async fn accept(&self, _id: &str) -> Result<Written> {
        let mut s = self.0.lock().unwrap();
        s.writes.push("accept".into());
        s.attachment.state = AttachmentState::Pending;
        ok()
    }
    async fn reject(&self, _id: &str) -> Result<Written> {
        let mut s = self.0.lock().unwrap();
        s.writes.push("reject".into());
        s.attachment.state = AttachmentState::Rejected;
        ok()
    }
    async fn associate(&self, _attachment_id: &str, route_table_id: &str) -> Result<Written> {
        let mut s = self.0.lock().unwrap();
        s.writes.push("associate".into());
        s.attachment.association = Some(Association {
            route_table_id: route_table_id.into(),
            state: AssociationState::Associating,
        });
        ok()
    }
    async fn create_tgw_route(&self, route: &TgwRouteSpec) -> Result<Written> {
        let mut s = self.0.lock().unwrap();
        s.writes.push("create-tgw-route".into());
        s.table.routes.push(TgwRoute {
            destination: route.destination.clone(),
            attachment_ids: vec![route.attachment_id.clone()],
            kind: TgwRouteType::Static,
            state: RouteState::Active,
        });
        ok()
    }
    async fn resource_share(&self, _arn: &str) -> Result<Option<ResourceShare>> {
        let mut s = self.0.lock().unwrap();
        if let Some(err) = s.share_error.take() {
            return Err(err);
        }
        Ok(s.share.clone())
    }
}

fn handshake(state: &str, extra: &[(&str, &str)]) -> TgwHandshake<Fake> {
    let mut vars = extra.to_vec();
    vars.extend_from_slice(&[
        ("ASTRO_ACCOUNT_IDS", "111111111111"),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("TRANSIT_GATEWAY_ID", TGW),
        ("TRANSIT_GATEWAY_ROUTE_TABLE_ID", RTB),
        ("TGW_SPOKE_VPC_IDS", SPOKE),
        ("RESOURCE_SHARE_ARN", SHARE),
    ]);
    let vars: &[(&str, &str)] = &vars;
    TgwHandshake {
        port: Fake::new(state),
        config: TgwConfig::read(&vars).unwrap(),
    }
}

fn fast(h: &TgwHandshake<Fake>) -> engine::Settings {
    engine::Settings {
        poll_interval: std::time::Duration::from_millis(5),
        ..h.config.settings()
    }
}

async fn invoke(
    h: &TgwHandshake<Fake>,
    event: serde_json::Value,
) -> (Result<serde_json::Value>, MemorySink) {
    let sink = MemorySink::default();
    let out = engine::handle(h, &event, &fast(h), &sink, None).await;
    (out, sink)
}

fn kinds(sink: &MemorySink, record: &str) -> Vec<String> {
    sink.records()
        .iter()
        .filter(|r| r["record"] == record)
        .map(|r| r["action"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn accepts_waits_for_available_converges_and_replays_without_writes() {
    let h = handshake("pendingAcceptance", &[]);
    let (out, sink) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    let out = out.unwrap();
    assert_eq!(
        h.port.writes(),
        ["accept", "associate", "create-tgw-route", "create-route"]
    );
    assert_eq!(out["reports"][0]["verdict"], "accept");
    assert_eq!(out["checks"][0]["subject"], TGW);
    assert_eq!(out["checks"][1]["subject"], SHARE);
    let statuses: Vec<_> = sink
        .records()
        .into_iter()
        .filter(|r| r["record"] == "status" && r["resourceId"] == SHARE)
        .collect();
    assert_eq!(statuses.len(), 1, "one share status per invocation");
    assert!(statuses[0]["reason"]
        .as_str()
        .unwrap()
        .contains("111111111111 ASSOCIATED"));
    assert_eq!(sink.metric_documents()[0]["Handshake"], "transit-gateway");
    assert_eq!(sink.metric_documents()[0]["Accepted"], 1);

    for _ in 0..3 {
        let (out, sink) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
        assert!(kinds(&sink, "action").is_empty());
        assert!(out.unwrap()["reports"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in sync"));
    }
    assert_eq!(h.port.writes().len(), 4);
}

#[tokio::test]
async fn dry_run_plans_and_writes_nothing() {
    let h = handshake("pendingAcceptance", &[("DRY_RUN", "true")]);
    let (out, sink) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    assert!(h.port.writes().is_empty());
    assert_eq!(
        kinds(&sink, "action"),
        [
            "accept-attachment",
            "associate-route-table",
            "create-tgw-route",
            "create-route"
        ]
    );
    assert_eq!(out.unwrap()["dryRun"], true);
}

#[tokio::test]
async fn share_not_associated_is_a_counted_finding_and_sweep_still_runs() {
    let h = handshake("available", &[]);
    h.port
        .0
        .lock()
        .unwrap()
        .share
        .as_mut()
        .unwrap()
        .principals
        .clear();
    let (out, sink) = invoke(&h, json!({"sweep": true})).await;
    let out = out.unwrap();
    assert_eq!(kinds(&sink, "finding"), ["share-not-associated"]);
    assert_eq!(
        out["checks"][1]["findings"][0]["kind"],
        "share-not-associated"
    );
    assert_eq!(sink.metric_documents()[0]["Conflicts"], 1);
    assert_eq!(
        h.port.writes(),
        ["associate", "create-tgw-route", "create-route"],
        "the spoke's own attachment is not swept"
    );
}

#[tokio::test]
async fn an_auto_accepting_tgw_is_counted_on_every_sweep_until_disabled() {
    let h = handshake("available", &[]);
    h.port.0.lock().unwrap().auto_accept = true;
    for _ in 0..2 {
        let (out, sink) = invoke(&h, json!({"sweep": true})).await;
        let out = out.unwrap();
        assert_eq!(
            out["checks"][0]["findings"][0]["kind"],
            "auto-accepts-attachments"
        );
        assert_eq!(kinds(&sink, "finding"), ["auto-accepts-attachments"]);
        assert_eq!(sink.metric_documents()[0]["Conflicts"], 1);
    }
    h.port.0.lock().unwrap().auto_accept = false;
    let (_, sink) = invoke(&h, json!({"sweep": true})).await;
    assert_eq!(sink.metric_documents()[0]["Conflicts"], 0);
}

#[tokio::test]
async fn share_errors_fail_the_invocation_only_when_retryable() {
    let aws = |code: &str, retryable| Error::Aws {
        operation: "GetResourceShares",
        code: code.into(),
        message: "m".into(),
        request_id: None,
        retryable,
    };
    let h = handshake("available", &[]);
    h.port.0.lock().unwrap().share_error = Some(aws("AccessDeniedException", false));
    let (out, sink) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    let out = out.expect("a permanent error is recorded, not retried");
    assert_eq!(
        sink.records()
            .iter()
            .filter(|r| r["record"] == "error")
            .count(),
        1
    );
    assert_eq!(sink.metric_documents()[0]["Failures"], 1);
    assert_eq!(
        out["reports"][0]["verdict"], "accept",
        "the attachment is still reconciled"
    );

    let h = handshake("available", &[]);
    h.port.0.lock().unwrap().share_error = Some(aws("RequestLimitExceeded", true));
    let (out, _) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    assert!(out.unwrap_err().is_retryable());
    assert_eq!(
        h.port.writes().len(),
        3,
        "writes made before failing are idempotent on the retry"
    );
}

#[tokio::test]
async fn refused_attachment_is_rejected_only_in_reject_mode() {
    let h = handshake("pendingAcceptance", &[("ASTRO_VPC_IDS", "vpc-0000ffff")]);
    let (out, _) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    assert_eq!(out.unwrap()["reports"][0]["verdict"], "ignore");
    assert!(h.port.writes().is_empty());
    let h = handshake(
        "pendingAcceptance",
        &[
            ("ASTRO_VPC_IDS", "vpc-0000ffff"),
            ("UNKNOWN_REQUESTS", "reject"),
        ],
    );
    let (out, sink) = invoke(&h, json!({"transitGatewayAttachmentId": ATT})).await;
    assert_eq!(out.unwrap()["reports"][0]["verdict"], "reject");
    assert_eq!(h.port.writes(), ["reject"]);
    assert_eq!(sink.metric_documents()[0]["Rejected"], 1);
}

#[test]
fn config_is_checked() {
    let base = [
        ("ASTRO_ACCOUNT_IDS", "111111111111"),
        ("ASTRO_CIDRS", "10.100.0.0/16"),
        ("TRANSIT_GATEWAY_ID", TGW),
    ];
    let read = |extra: &[(&str, &str)]| {
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&base);
        let vars: &[(&str, &str)] = &vars;
        TgwConfig::read(&vars)
    };
    let c = read(&[]).unwrap();
    assert!(c.route_table_id.is_none() && c.spoke_vpc_ids.is_empty() && c.shares.is_empty());
    let settings = c.settings();
    assert_eq!(settings.settle_timeout, Duration::from_secs(30));
    assert_eq!(settings.poll_interval, Duration::from_secs(5));
    let err = |extra: &[(&str, &str)]| read(extra).unwrap_err().to_string();
    assert!(err(&[("TRANSIT_GATEWAY_ID", "")]).contains("TRANSIT_GATEWAY_ID is required"));
    assert!(err(&[("TRANSIT_GATEWAY_ID", "vpc-0000aaaa")]).contains("not a tgw- id"));
    assert!(err(&[("TRANSIT_GATEWAY_ROUTE_TABLE_ID", "rtb-0000aaaa")])
        .contains("TRANSIT_GATEWAY_ROUTE_TABLE_ID"));
    assert!(err(&[("TGW_SPOKE_VPC_IDS", "vpc-0000aaaa,subnet-1")]).contains("TGW_SPOKE_VPC_IDS"));
    assert!(err(&[("RESOURCE_SHARE_ARN", "share")]).contains("RESOURCE_SHARE_ARN"));
    let c = read(&[
        ("RESOLVER_RULE_SHARE_ARN", SHARE),
        ("RESOURCE_SHARE_ARN", SHARE),
    ])
    .unwrap();
    assert_eq!(c.shares.len(), 2);
    assert_eq!(c.shares[0].must_hold.as_deref(), Some(TGW));
    assert_eq!(c.shares[1].must_hold, None);
}

#[test]
fn sample_events_name_the_attachment() {
    use crate::engine::Handshake;
    use crate::trigger::{parse, Target};
    const ID: &str = "tgw-attach-0123456789abcdef0";
    let spec = <TgwHandshake<Fake> as Handshake>::IDS;
    for (text, source, dry_run) in [
        (
            include_str!("../../../../events/tgw-create-cloudtrail.json"),
            "cloudtrail:CreateTransitGatewayVpcAttachment",
            false,
        ),
        (
            include_str!("../../../../events/tgw-accept-cloudtrail.json"),
            "cloudtrail:AcceptTransitGatewayVpcAttachment",
            false,
        ),
        (
            include_str!("../../../../events/tgw-invoke.json"),
            "invoke",
            false,
        ),
        (
            include_str!("../../../../events/tgw-invoke-dry-run.json"),
            "invoke",
            true,
        ),
    ] {
        let t = parse(&spec, &serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(
            (t.target, t.source.as_str(), t.dry_run),
            (Target::One(ID.into()), source, dry_run)
        );
    }
    let sweep = parse(
        &spec,
        &serde_json::from_str(include_str!("../../../../events/sweep-scheduled.json")).unwrap(),
    );
    assert_eq!(sweep.unwrap().target, Target::Sweep);
}
