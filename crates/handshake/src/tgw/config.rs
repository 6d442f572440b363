//! The Transit Gateway function's configuration, read once at start-up.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ipnet::Ipv4Net;

use super::ShareExpectation;
use crate::cidr;
use crate::config::{Common, Reader, Source};
use crate::engine::Settings;
use crate::error::{Error, Result};
use crate::ids;
use crate::selector::RouteTableSelector;

/// The Transit Gateway function's configuration.
#[derive(Debug, Clone)]
pub struct TgwConfig {
    pub common: Common,
    /// `TRANSIT_GATEWAY_ID`: the only TGW whose attachments are touched.
    pub transit_gateway_id: String,
    /// `TRANSIT_GATEWAY_ROUTE_TABLE_ID`: associate Astro attachments with it and hold the
    /// back routes; empty: the TGW's default association route table holds them.
    pub route_table_id: Option<String>,
    /// `TGW_SPOKE_VPC_IDS`: VPCs that route to the Astro CIDRs through the TGW.
    pub spoke_vpc_ids: BTreeSet<String>,
    /// `ASTRO_VPC_IDS`: when set, the only VPCs whose attachments are accepted.
    pub astro_vpc_ids: BTreeSet<String>,
    /// `ASTRO_VPC_CIDRS` (`VPC_ID:CIDR` pairs): several Astro clusters on one TGW, each routed
    /// to its own CIDRs. Empty: every Astro attachment is routed to all of `ASTRO_CIDRS`.
    pub astro_vpc_cidrs: BTreeMap<String, Vec<Ipv4Net>>,
    /// `ROUTE_TABLE_SELECTOR`, applied to each spoke VPC.
    pub route_tables: RouteTableSelector,
    /// `RESOURCE_SHARE_ARN` (the TGW share) and `RESOLVER_RULE_SHARE_ARN`: whose status each
    /// invocation reports.
    pub shares: Vec<ShareExpectation>,
    /// `ACCEPT_WAIT_SECONDS` (default 30): how long one invocation waits for an accepted
    /// attachment to become available before leaving the rest to the next sweep (which
    /// takes `pending` and `available` Astro attachments). Kept short: a sweep reconciles
    /// attachments one after the other within the function's 120 s timeout.
    pub accept_wait: Duration,
}

/// `ASTRO_VPC_CIDRS`: each `VPC_ID:CIDR` pair checked, every CIDR inside one of `ASTRO_CIDRS`.
fn astro_vpc_cidrs(r: &Reader, astro_cidrs: &[Ipv4Net]) -> Result<BTreeMap<String, Vec<Ipv4Net>>> {
    let mut map: BTreeMap<String, Vec<Ipv4Net>> = BTreeMap::new();
    for pair in r.list("ASTRO_VPC_CIDRS") {
        let bad = |why: String| Error::Config(format!("ASTRO_VPC_CIDRS: `{pair}` {why}"));
        let (vpc, text) = pair
            .split_once(':')
            .ok_or_else(|| bad("is not VPC_ID:CIDR".into()))?;
        if !ids::is_vpc_id(vpc) {
            return Err(bad(format!("names `{vpc}`, not a vpc- id")));
        }
        let net = cidr::parse(text).map_err(&bad)?;
        if !astro_cidrs.iter().any(|astro| cidr::within(&net, astro)) {
            return Err(bad("is not inside any of ASTRO_CIDRS".into()));
        }
        let cidrs = map.entry(vpc.to_string()).or_default();
        if !cidrs.contains(&net) {
            cidrs.push(net);
        }
    }
    Ok(map)
}

fn is_share_arn(value: &str) -> bool {
    value.starts_with("arn:") && value.contains(":ram:") && value.contains(":resource-share/")
}

impl TgwConfig {
    /// The Astro CIDRs an attachment from `vpc_id` is routed to: its own when
    /// `ASTRO_VPC_CIDRS` maps VPCs (none for a VPC it does not list), else all of them.
    pub fn astro_cidrs_of(&self, vpc_id: &str) -> &[Ipv4Net] {
        if self.astro_vpc_cidrs.is_empty() {
            &self.common.astro_cidrs
        } else {
            self.astro_vpc_cidrs.get(vpc_id).map_or(&[], Vec::as_slice)
        }
    }

    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let common = Common::read(&r)?;
        let transit_gateway_id = r.required("TRANSIT_GATEWAY_ID")?;
        if !ids::is_tgw_id(&transit_gateway_id) {
            return Err(Error::Config(format!(
                "TRANSIT_GATEWAY_ID: `{transit_gateway_id}` is not a tgw- id"
            )));
        }
        let route_table_id = r.optional("TRANSIT_GATEWAY_ROUTE_TABLE_ID");
        if let Some(bad) = route_table_id
            .as_deref()
            .filter(|id| !ids::is_tgw_route_table_id(id))
        {
            return Err(Error::Config(format!(
                "TRANSIT_GATEWAY_ROUTE_TABLE_ID: `{bad}` is not a tgw-rtb- id"
            )));
        }
        let route_tables =
            RouteTableSelector::parse(&r.optional("ROUTE_TABLE_SELECTOR").unwrap_or_default())
                .map_err(|e| Error::Config(format!("ROUTE_TABLE_SELECTOR: {e}")))?;
        let mut shares = Vec::new();
        for (name, must_hold) in [
            ("RESOURCE_SHARE_ARN", Some(transit_gateway_id.clone())),
            ("RESOLVER_RULE_SHARE_ARN", None),
        ] {
            if let Some(arn) = r.optional(name) {
                if !is_share_arn(&arn) {
                    return Err(Error::Config(format!(
                        "{name}: `{arn}` is not a RAM resource share ARN"
                    )));
                }
                shares.push(ShareExpectation { arn, must_hold });
            }
        }
        let astro_vpc_cidrs = astro_vpc_cidrs(&r, &common.astro_cidrs)?;
        Ok(Self {
            common,
            astro_vpc_cidrs,
            transit_gateway_id,
            route_table_id,
            spoke_vpc_ids: r.checked_list("TGW_SPOKE_VPC_IDS", "a vpc- id", ids::is_vpc_id)?,
            astro_vpc_ids: r.checked_list("ASTRO_VPC_IDS", "a vpc- id", ids::is_vpc_id)?,
            route_tables,
            shares,
            accept_wait: r.seconds("ACCEPT_WAIT_SECONDS", 30, 600)?,
        })
    }

    /// An accepted attachment can take a minute or more to become available: look every
    /// five seconds for up to `accept_wait`.
    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.common.dry_run,
            settle_timeout: self.accept_wait,
            poll_interval: Duration::from_secs(5),
            metrics_namespace: self.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }
}
