//! The peering function's configuration, read once at start-up.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::config::{Common, Reader, Source};
use crate::engine::Settings;
use crate::error::Result;
use crate::ids;
use crate::selector::RouteTableSelector;

/// The peering function's configuration.
#[derive(Debug, Clone)]
pub struct PeeringConfig {
    pub common: Common,
    pub accepter_vpc_ids: BTreeSet<String>,
    pub route_tables: RouteTableSelector,
    pub enable_accepter_dns: bool,
    /// How long one invocation waits for an accepted peering to become active.
    pub accept_wait: Duration,
}

impl PeeringConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let common = Common::read(&r)?;
        let accepter_vpc_ids = r.checked_list("ACCEPTER_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        if accepter_vpc_ids.is_empty() {
            return Err(crate::Error::Config(
                "ACCEPTER_VPC_IDS is required and is empty or unset".into(),
            ));
        }
        let route_tables =
            RouteTableSelector::parse(&r.optional("ROUTE_TABLE_SELECTOR").unwrap_or_default())
                .map_err(|e| crate::Error::Config(format!("ROUTE_TABLE_SELECTOR: {e}")))?;
        Ok(Self {
            common,
            accepter_vpc_ids,
            route_tables,
            enable_accepter_dns: r.flag("ENABLE_ACCEPTER_DNS_RESOLUTION", true)?,
            accept_wait: r.seconds("ACCEPT_WAIT_SECONDS", 30, 600)?,
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.common.dry_run,
            settle_timeout: self.accept_wait,
            metrics_namespace: self.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }
}
