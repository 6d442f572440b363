//! The Transit Gateway handshake: accept allowed Astro attachments to the customer's TGW,
//! associate them with the chosen TGW route table, add static back routes there and routes
//! to the Astro CIDRs via the TGW in the spoke VPCs; report the RAM shares' status.

mod config;
mod decide;
mod model;

pub use config::TgwConfig;
pub use decide::{decide, refusals, share_check, sweep_ids, tgw_check};
pub use model::{
    back_route_table, Association, AssociationState, Attachment, AttachmentState, Observation,
    ResourceShare, ShareAssociationStatus, ShareExpectation, ShareStatus, Spoke, Surroundings,
    TgwAction, TgwRoute, TgwRouteSpec, TgwRouteTable, TgwRouteType, TransitGateway,
};

use std::future::Future;

use crate::decision::{Check, Decision, Written};
use crate::engine::{Handshake, Listed};
use crate::error::Result;
use crate::ids;
use crate::ports::VpcRoutes;
use crate::trigger::IdSpec;

/// The attachment states a sweep lists: waiting for acceptance, settling, working.
pub const LIVE: [AttachmentState; 3] = [
    AttachmentState::PendingAcceptance,
    AttachmentState::Pending,
    AttachmentState::Available,
];

/// Transit Gateway attachment reads: what the zones handshake needs of attachments too.
pub trait AttachmentReads: Sync {
    /// One attachment as the TGW owner sees it; `None`: no such attachment.
    fn attachment(&self, id: &str) -> impl Future<Output = Result<Option<Attachment>>> + Send;
    /// The VPC attachments on `tgw_id` in one of `states`, of the `vpc_ids` when not empty.
    fn attachments(
        &self,
        tgw_id: &str,
        states: &[AttachmentState],
        vpc_ids: &[String],
    ) -> impl Future<Output = Result<Vec<Attachment>>> + Send;
}

/// EC2 Transit Gateway and RAM calls, and the spoke VPCs' routes.
pub trait TgwPort: AttachmentReads + VpcRoutes {
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

    /// Whether a decision on `attachment` needs what surrounds it: it is on this TGW and a
    /// write can still apply to it.
    fn needs_surroundings(&self, attachment: &Attachment) -> bool {
        attachment.transit_gateway_id == self.config.transit_gateway_id
            && attachment.state.is_live()
    }

    /// Whether surroundings read for another look (or another attachment) hold for
    /// `attachment`: its back routes go to the TGW route table they hold.
    fn still_hold(&self, s: &Surroundings, attachment: &Attachment) -> bool {
        let table = back_route_table(
            self.config.route_table_id.as_deref(),
            s.transit_gateway.as_ref(),
            attachment,
        );
        table.as_deref() == s.route_table.as_ref().map(|t| t.id.as_str())
    }

    async fn surroundings(&self, attachment: &Attachment) -> Result<Surroundings> {
        let spoke_ids: Vec<String> = self.config.spoke_vpc_ids.iter().cloned().collect();
        let tgw_id = &self.config.transit_gateway_id;
        let spoke_attachments = async {
            if spoke_ids.is_empty() {
                Ok(Vec::new())
            } else {
                self.port
                    .attachments(tgw_id, &[AttachmentState::Available], &spoke_ids)
                    .await
            }
        };
        let (transit_gateway, spoke_attachments) =
            futures::try_join!(self.port.transit_gateway(tgw_id), spoke_attachments)?;
        let table_id = back_route_table(
            self.config.route_table_id.as_deref(),
            transit_gateway.as_ref(),
            attachment,
        );
        let route_table = async {
            match &table_id {
                Some(id) => self.port.tgw_route_table(id).await,
                None => Ok(None),
            }
        };
        let spokes = futures::future::try_join_all(spoke_ids.iter().map(|vpc| {
            let attached = spoke_attachments
                .iter()
                .any(|a| &a.vpc_id == vpc && a.state == AttachmentState::Available);
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
        sweep_events: &[],
    };

    async fn observe(&self, id: &str) -> Result<Option<Observation>> {
        let Some(attachment) = self.port.attachment(id).await? else {
            return Ok(None);
        };
        // What surrounds it is read while a write can apply to an attachment on this TGW.
        let surroundings = match self.needs_surroundings(&attachment) {
            true => Some(self.surroundings(&attachment).await?),
            false => None,
        };
        Ok(Some(Observation {
            attachment,
            surroundings,
        }))
    }

    /// After an acceptance or while it settles, the attachment is read again; what surrounds
    /// it is kept while its back routes still go to the same TGW route table.
    async fn look_again(&self, id: &str, previous: Observation) -> Result<Option<Observation>> {
        let Some(attachment) = self.port.attachment(id).await? else {
            return Ok(None);
        };
        let surroundings = match self.needs_surroundings(&attachment) {
            false => None,
            true => match previous.surroundings {
                Some(s) if self.still_hold(&s, &attachment) => Some(s),
                _ => Some(self.surroundings(&attachment).await?),
            },
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

    /// One listing of the TGW's attachments: each listed attachment's first observation, with
    /// what surrounds it read once for all whose back routes go to the same TGW route table.
    async fn sweep(&self) -> Result<Vec<Listed<Observation>>> {
        let found = self
            .port
            .attachments(&self.config.transit_gateway_id, &LIVE, &[])
            .await?;
        let mut read: Vec<Surroundings> = Vec::new();
        let mut listed = Vec::new();
        for id in sweep_ids(&self.config, &found) {
            let Some(attachment) = found.iter().find(|a| a.id == id).cloned() else {
                continue;
            };
            let surroundings = match self.needs_surroundings(&attachment) {
                false => None,
                true => match read.iter().find(|s| self.still_hold(s, &attachment)) {
                    Some(s) => Some(s.clone()),
                    None => {
                        let s = self.surroundings(&attachment).await?;
                        read.push(s.clone());
                        Some(s)
                    }
                },
            };
            listed.push(Listed::observed(
                id,
                Observation {
                    attachment,
                    surroundings,
                },
            ));
        }
        Ok(listed)
    }

    async fn checks(&self) -> Result<Vec<Check>> {
        let tgw_id = &self.config.transit_gateway_id;
        let tgw = self.port.transit_gateway(tgw_id).await?;
        let mut checks = vec![tgw_check(tgw_id, tgw.as_ref())];
        for expected in &self.config.shares {
            let share = self.port.resource_share(&expected.arn).await?;
            checks.push(share_check(&self.config, expected, share.as_ref()));
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests;
