//! The Transit Gateway handshake: accept allowed Astro attachments to the customer's TGW,
//! associate them with the chosen TGW route table, add static back routes there and routes
//! to the Astro CIDRs via the TGW in the spoke VPCs; report the RAM shares' status.

mod decide;
mod model;

pub use decide::{back_route_table, decide, needs_surroundings, refusals, share_check, sweep_ids};
pub use model::{
    Association, Attachment, Observation, ResourceShare, ShareExpectation, Spoke, State,
    Surroundings, TgwAction, TgwRoute, TgwRouteSpec, TgwRouteTable, TransitGateway,
};

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use crate::config::{Common, Reader, Source};
use crate::decision::{Check, Decision, Written};
use crate::engine::{Handshake, Settings};
use crate::error::{Error, Result};
use crate::ids;
use crate::ports::VpcRoutes;
use crate::selector::RouteTableSelector;
use crate::trigger::IdSpec;

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

/// EC2 Transit Gateway and RAM calls.
pub trait TgwPort: VpcRoutes {
    /// One attachment as the TGW owner sees it; `None`: no such attachment.
    fn attachment(&self, id: &str) -> impl Future<Output = Result<Option<Attachment>>> + Send;
    /// The VPC attachments on `tgw_id` in one of `states`, of the `vpc_ids` when not empty.
    fn attachments(
        &self,
        tgw_id: &str,
        states: &[&str],
        vpc_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Attachment>>> + Send;
    fn transit_gateway(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TransitGateway>>> + Send;
    /// A TGW route table with its active and blackhole routes; `None`: no such table.
    fn tgw_route_table(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TgwRouteTable>>> + Send;
    /// `IncorrectState` (no longer pending) is `already_done`.
    fn accept(&self, id: &str) -> impl Future<Output = Result<Written>> + Send;
    fn reject(&self, id: &str) -> impl Future<Output = Result<Written>> + Send;
    /// `Resource.AlreadyAssociated` is `already_done`; the next observation tells with what.
    fn associate(
        &self,
        attachment_id: &str,
        route_table_id: &str,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// Never replaces a route: `RouteAlreadyExists` is `already_done`.
    fn create_tgw_route(
        &self,
        route: &TgwRouteSpec,
    ) -> impl Future<Output = Result<Written>> + Send;
    /// One of this account's RAM shares with its associations; `None`: not found.
    fn resource_share(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<ResourceShare>>> + Send;
}

pub struct TgwHandshake<P> {
    pub port: P,
    pub config: TgwConfig,
}

impl<P: TgwPort> TgwHandshake<P> {
    async fn spoke(&self, vpc_id: &str, attached: bool) -> Result<Spoke> {
        let cidrs = match self.port.vpc_cidrs(vpc_id).await {
            Ok(cidrs) => cidrs,
            Err(e) if e.code() == Some("InvalidVpcID.NotFound") => {
                return Ok(Spoke {
                    vpc_id: vpc_id.into(),
                    found: false,
                    cidrs: vec![],
                    route_tables: vec![],
                    attached,
                })
            }
            Err(e) => return Err(e),
        };
        if cidrs.is_empty() {
            return Ok(Spoke {
                vpc_id: vpc_id.into(),
                found: false,
                cidrs,
                route_tables: vec![],
                attached,
            });
        }
        let route_tables = self.port.route_tables(vpc_id).await?;
        Ok(Spoke {
            vpc_id: vpc_id.into(),
            found: true,
            cidrs,
            route_tables,
            attached,
        })
    }

    async fn surroundings(&self, attachment: &Attachment) -> Result<Surroundings> {
        let spoke_ids: Vec<String> = self.config.spoke_vpc_ids.iter().cloned().collect();
        let tgw_id = &self.config.transit_gateway_id;
        let spoke_attachments = async {
            if spoke_ids.is_empty() {
                Ok(Vec::new())
            } else {
                self.port
                    .attachments(tgw_id, &["available"], &spoke_ids)
                    .await
            }
        };
        let (transit_gateway, spoke_attachments) =
            futures::try_join!(self.port.transit_gateway(tgw_id), spoke_attachments)?;
        let table_id = back_route_table(&self.config, attachment, transit_gateway.as_ref());
        let route_table = async {
            match &table_id {
                Some(id) => self.port.tgw_route_table(id).await,
                None => Ok(None),
            }
        };
        let spokes = futures::future::try_join_all(spoke_ids.iter().map(|vpc| {
            let attached = spoke_attachments
                .iter()
                .any(|a| &a.vpc_id == vpc && a.state == State::Available);
            self.spoke(vpc, attached)
        }));
        let (route_table, spokes) = futures::try_join!(route_table, spokes)?;
        Ok(Surroundings {
            transit_gateway,
            route_table,
            spokes,
        })
    }
}

impl<P: TgwPort> Handshake for TgwHandshake<P> {
    type Observation = Observation;
    type Action = TgwAction;

    const KIND: &'static str = "transit-gateway";
    const IDS: IdSpec = IdSpec {
        field: "transitGatewayAttachmentId",
        valid: ids::is_tgw_attachment_id,
        events: &[
            "CreateTransitGatewayVpcAttachment",
            "AcceptTransitGatewayVpcAttachment",
        ],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let Some(attachment) = self.port.attachment(id).await? else {
            return Ok(None);
        };
        let surroundings = if needs_surroundings(&self.config, &attachment) {
            Some(self.surroundings(&attachment).await?)
        } else {
            None
        };
        Ok(Some(Observation {
            attachment,
            surroundings,
        }))
    }

    fn decide(&self, observation: &Observation) -> Decision<TgwAction> {
        decide(&self.config, observation)
    }

    async fn act(&self, action: &TgwAction) -> Result<Written> {
        match action {
            TgwAction::Accept { id } => self.port.accept(id).await,
            TgwAction::Reject { id } => self.port.reject(id).await,
            TgwAction::Associate {
                attachment_id,
                route_table_id,
            } => self.port.associate(attachment_id, route_table_id).await,
            TgwAction::CreateTgwRoute(route) => self.port.create_tgw_route(route).await,
            TgwAction::CreateRoute(route) => self.port.create_route(route).await,
        }
    }

    async fn sweep(&self) -> Result<Vec<String>> {
        let found = self
            .port
            .attachments(
                &self.config.transit_gateway_id,
                &["pendingAcceptance", "pending", "available"],
                &[],
            )
            .await?;
        Ok(sweep_ids(&self.config, &found))
    }

    async fn checks(&self) -> Result<Vec<Check>> {
        let mut checks = Vec::new();
        for expected in &self.config.shares {
            let share = self.port.resource_share(&expected.arn).await?;
            checks.push(share_check(&self.config, expected, share.as_ref()));
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests;
