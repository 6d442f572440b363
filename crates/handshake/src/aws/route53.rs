//! Route 53 behind [`ZonesPort`].
//!
//! Route 53 allows about five requests per second per account, shared by every caller: every
//! Route 53 call here first takes a slot from one [`Pacer`] (four per second by default), so
//! concurrent actions of one invocation queue instead of being throttled.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_route53::types::{Vpc, VpcRegion};
use aws_sdk_route53::Client;

pub use super::pacing::Pacer;
use super::{classify, code_of, write_outcome};
use crate::decision::Written;
use crate::error::Result;
use crate::ids::bare_zone_id;
use crate::zones::verify::{AliasTarget, RecordSet, ZoneSummary};
use crate::zones::{HostedZone, VpcRef, ZonesPort};

/// Route 53 requests per second this adapter allows itself (AWS: about five per account).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 4;

/// The customer account's Route 53, paced.
#[derive(Clone)]
pub struct Route53 {
    client: Client,
    /// The Region of this account's VPCs (Route 53 itself is global).
    region: String,
    pacer: Arc<Pacer>,
}

impl Route53 {
    /// From the SDK configuration [`super::load_config`] made, which names a Region.
    pub fn from_sdk(sdk: &SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            pacer: Arc::new(Pacer::per_second(DEFAULT_REQUESTS_PER_SECOND)),
        }
    }

    /// Every page of a listing that pages with `NextToken`, each request paced: `page` takes
    /// the token to go on from and answers the page's items and the next token.
    async fn every_page<T, F, Fut>(&self, page: F) -> Result<Vec<T>>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>)>>,
    {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            self.pacer.wait().await;
            let (items, next) = page(token.take()).await?;
            all.extend(items);
            match next {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(all),
            }
        }
    }
}

impl Route53 {
    /// This account's private hosted zones, as (bare id, name with its trailing dot).
    pub(super) async fn private_zones(&self) -> Result<Vec<(String, String)>> {
        self.every_page(|marker| async move {
            let out = (self.client.list_hosted_zones())
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| classify("ListHostedZones", e))?;
            let zones = out
                .hosted_zones()
                .iter()
                .filter(|z| z.config().is_some_and(|c| c.private_zone()))
                .map(|z| (bare_zone_id(z.id()).to_string(), z.name().to_string()));
            let next = if out.is_truncated() {
                out.next_marker().map(String::from)
            } else {
                None
            };
            Ok((zones.collect(), next))
        })
        .await
    }
}

fn vpc(v: &VpcRef) -> Vpc {
    Vpc::builder()
        .vpc_id(&v.vpc_id)
        .vpc_region(VpcRegion::from(v.region.as_str()))
        .build()
}

fn vpc_ref(v: &Vpc) -> Option<VpcRef> {
    Some(VpcRef::new(
        v.vpc_id()?,
        v.vpc_region()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    ))
}

impl ZonesPort for Route53 {
    fn region(&self) -> &str {
        &self.region
    }

    async fn hosted_zone(&self, zone_id: &str) -> Result<Option<HostedZone>> {
        self.pacer.wait().await;
        let out = match self.client.get_hosted_zone().id(zone_id).send().await {
            Ok(out) => out,
            Err(e) if code_of(&e) == Some("NoSuchHostedZone") => return Ok(None),
            Err(e) => return Err(classify("GetHostedZone", e)),
        };
        Ok(out.hosted_zone().map(|z| HostedZone {
            id: bare_zone_id(z.id()).to_string(),
            name: z.name().to_string(),
            private: z.config().is_some_and(|c| c.private_zone()),
            vpcs: out.vpcs().iter().filter_map(vpc_ref).collect(),
        }))
    }

    async fn authorizations(&self, zone_id: &str) -> Result<Vec<VpcRef>> {
        self.every_page(|token| async move {
            let out = (self.client.list_vpc_association_authorizations())
                .hosted_zone_id(zone_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("ListVPCAssociationAuthorizations", e))?;
            let vpcs = out.vpcs().iter().filter_map(vpc_ref).collect();
            Ok((vpcs, out.next_token().map(String::from)))
        })
        .await
    }

    async fn create_authorization(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        let call = (self.client.create_vpc_association_authorization())
            .hosted_zone_id(zone_id)
            .vpc(vpc(v));
        self.pacer.wait().await;
        write_outcome("CreateVPCAssociationAuthorization", call.send().await, &[])
    }

    async fn delete_authorization(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        let call = (self.client.delete_vpc_association_authorization())
            .hosted_zone_id(zone_id)
            .vpc(vpc(v));
        self.pacer.wait().await;
        let done = &["VPCAssociationAuthorizationNotFound"];
        write_outcome("DeleteVPCAssociationAuthorization", call.send().await, done)
    }

    async fn associate(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        self.pacer.wait().await;
        let result = self
            .client
            .associate_vpc_with_hosted_zone()
            .hosted_zone_id(zone_id)
            .vpc(vpc(v))
            .send()
            .await;
        // ConflictingDomainExists: the VPC is associated with a zone of the same name. When
        // that zone is this one (a concurrent run, a replay) it is done; otherwise a conflict.
        let mut already: &[&str] = &[];
        if result
            .as_ref()
            .is_err_and(|e| code_of(e) == Some("ConflictingDomainExists"))
            && self
                .hosted_zone(zone_id)
                .await?
                .is_some_and(|zone| zone.has_vpc(v))
        {
            already = &["ConflictingDomainExists"];
        }
        write_outcome("AssociateVPCWithHostedZone", result, already)
    }

    async fn zones_of_vpc(&self, v: &VpcRef) -> Result<Vec<ZoneSummary>> {
        self.every_page(|token| async move {
            let out = (self.client.list_hosted_zones_by_vpc())
                .vpc_id(&v.vpc_id)
                .vpc_region(VpcRegion::from(v.region.as_str()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("ListHostedZonesByVPC", e))?;
            let zones = out.hosted_zone_summaries().iter().map(|z| ZoneSummary {
                id: bare_zone_id(z.hosted_zone_id()).to_string(),
                name: z.name().to_string(),
                owner: z
                    .owner()
                    .and_then(|o| o.owning_account().or(o.owning_service()))
                    .map(String::from),
            });
            Ok((zones.collect(), out.next_token().map(String::from)))
        })
        .await
    }

    async fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>> {
        let mut all = Vec::new();
        let mut start: Option<(String, aws_sdk_route53::types::RrType, Option<String>)> = None;
        // A private zone for one endpoint holds a handful of records; 100 pages is plenty.
        for _ in 0..100 {
            self.pacer.wait().await;
            let mut call = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone_id);
            if let Some((name, kind, identifier)) = start.take() {
                call = call
                    .start_record_name(name)
                    .start_record_type(kind)
                    .set_start_record_identifier(identifier);
            }
            let out = call
                .send()
                .await
                .map_err(|e| classify("ListResourceRecordSets", e))?;
            all.extend(out.resource_record_sets().iter().map(|r| {
                RecordSet {
                    name: r.name().to_string(),
                    record_type: r.r#type().as_str().to_string(),
                    alias_target: r.alias_target().map(|a| AliasTarget {
                        dns_name: a.dns_name().to_string(),
                        hosted_zone_id: a.hosted_zone_id().to_string(),
                    }),
                    values: r
                        .resource_records()
                        .iter()
                        .map(|v| v.value().to_string())
                        .collect(),
                }
            }));
            match (
                out.is_truncated(),
                out.next_record_name(),
                out.next_record_type(),
            ) {
                (true, Some(name), Some(kind)) => {
                    start = Some((
                        name.to_string(),
                        kind.clone(),
                        out.next_record_identifier().map(String::from),
                    ))
                }
                _ => break,
            }
        }
        Ok(all)
    }
}
