//! The Transit Gateway function's configuration, read once at start-up.

use std::collections::BTreeSet;
use std::time::Duration;

use super::ShareExpectation;
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

fn is_share_arn(value: &str) -> bool {
    value.starts_with("arn:") && value.contains(":ram:") && value.contains(":resource-share/")
}

impl TgwConfig {
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
        Ok(Self {
            common,
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
