//! Route 53 (and the EC2 reads around it) behind [`ZonesPort`].
//!
//! Route 53 allows about five requests per second per account, shared by every caller: every
//! Route 53 call here first takes a slot from one [`Pacer`] (four per second by default), so
//! concurrent actions of one invocation queue instead of being throttled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::Filter;
use aws_sdk_route53::operation::RequestId;
use aws_sdk_route53::types::{Vpc, VpcRegion};
use aws_sdk_route53::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::ec2::Ec2;
use super::{classify, code_of, written};
use crate::decision::Written;
use crate::error::{Error, Result};
use crate::peering::{Peering, PeeringPort, Status};
use crate::ports::VpcRoutes;
use crate::zones::verify::{AliasTarget, Endpoint, RecordSet, ZoneSummary};
use crate::zones::{bare_zone_id, HostedZone, TgwVpcAttachment, VpcRef, ZonesPort};

/// Route 53 requests per second this adapter allows itself (AWS: about five per account).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 4;

/// Hands out evenly spaced start times, one per request, shared by all tasks of a process.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    pub fn per_second(requests: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / requests.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the next free start time: now, or one interval after the last reservation.
    pub async fn reserve(&self) -> Instant {
        let mut next = self.next.lock().await;
        let slot = (*next).max(Instant::now());
        *next = slot + self.interval;
        slot
    }

    /// Waits for this request's slot.
    pub async fn wait(&self) {
        let slot = self.reserve().await;
        tokio::time::sleep_until(slot).await;
    }
}

#[derive(Clone)]
pub struct Route53 {
    client: Client,
    ec2: Ec2,
    ec2_client: aws_sdk_ec2::Client,
    region: String,
    pacer: Arc<Pacer>,
}

impl Route53 {
    pub fn new(client: Client, ec2_client: aws_sdk_ec2::Client, region: impl Into<String>) -> Self {
        Self {
            client,
            ec2: Ec2::new(ec2_client.clone()),
            ec2_client,
            region: region.into(),
            pacer: Arc::new(Pacer::per_second(DEFAULT_REQUESTS_PER_SECOND)),
        }
    }

    /// Both clients from one SDK configuration, which must name a Region.
    pub fn from_sdk(sdk: &SdkConfig) -> Result<Self> {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| Error::Config("no AWS Region configured (AWS_REGION)".into()))?;
        Ok(Self::new(
            Client::new(sdk),
            aws_sdk_ec2::Client::new(sdk),
            region,
        ))
    }

    pub fn with_requests_per_second(mut self, requests: u32) -> Self {
        self.pacer = Arc::new(Pacer::per_second(requests));
        self
    }
}

/// Like [`classify`], and `ConcurrentModification` (another change to the zone is in
/// progress) is worth a retry too.
fn error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
{
    let mut err = classify(operation, err);
    if let Error::Aws {
        code, retryable, ..
    } = &mut err
    {
        if code == "ConcurrentModification" {
            *retryable = true;
        }
    }
    err
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

fn ec2_filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
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
            Err(e) => return Err(error("GetHostedZone", e)),
        };
        Ok(out.hosted_zone().map(|z| HostedZone {
            id: bare_zone_id(z.id()).to_string(),
            name: z.name().to_string(),
            private: z.config().is_some_and(|c| c.private_zone()),
            vpcs: out.vpcs().iter().filter_map(vpc_ref).collect(),
        }))
    }

    async fn authorizations(&self, zone_id: &str) -> Result<Vec<VpcRef>> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.pacer.wait().await;
            let out = self
                .client
                .list_vpc_association_authorizations()
                .hosted_zone_id(zone_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| error("ListVPCAssociationAuthorizations", e))?;
            all.extend(out.vpcs().iter().filter_map(vpc_ref));
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(all),
            }
        }
    }

    async fn create_authorization(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        self.pacer.wait().await;
        self.client
            .create_vpc_association_authorization()
            .hosted_zone_id(zone_id)
            .vpc(vpc(v))
            .send()
            .await
            .map(|out| written(&out))
            .map_err(|e| error("CreateVPCAssociationAuthorization", e))
    }

    async fn delete_authorization(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        self.pacer.wait().await;
        match self
            .client
            .delete_vpc_association_authorization()
            .hosted_zone_id(zone_id)
            .vpc(vpc(v))
            .send()
            .await
        {
            Ok(out) => Ok(written(&out)),
            Err(e) if code_of(&e) == Some("VPCAssociationAuthorizationNotFound") => Ok(Written {
                request_id: None,
                already_done: true,
            }),
            Err(e) => Err(error("DeleteVPCAssociationAuthorization", e)),
        }
    }

    async fn associate(&self, zone_id: &str, v: &VpcRef) -> Result<Written> {
        self.pacer.wait().await;
        let err = match self
            .client
            .associate_vpc_with_hosted_zone()
            .hosted_zone_id(zone_id)
            .vpc(vpc(v))
            .send()
            .await
        {
            Ok(out) => return Ok(written(&out)),
            Err(e) => e,
        };
        // ConflictingDomainExists: the VPC is associated with a zone of the same name. When
        // that zone is this one (a concurrent run, a replay) it is done; otherwise a conflict.
        if code_of(&err) == Some("ConflictingDomainExists") {
            if let Some(zone) = self.hosted_zone(zone_id).await? {
                if zone.has_vpc(v) {
                    return Ok(Written {
                        request_id: None,
                        already_done: true,
                    });
                }
            }
        }
        Err(error("AssociateVPCWithHostedZone", err))
    }

    async fn active_peerings_into(&self, vpc_ids: &[String]) -> Result<Vec<Peering>> {
        let mut active = Vec::new();
        for id in self.ec2.live_peerings_into(vpc_ids).await? {
            if let Some(p) = self.ec2.peering(&id).await? {
                if p.status == Status::Active {
                    active.push(p);
                }
            }
        }
        Ok(active)
    }

    async fn vpc_cidrs(&self, vpc_id: &str) -> Result<Vec<String>> {
        self.ec2.vpc_cidrs(vpc_id).await
    }

    async fn tgw_vpc_attachments(&self, tgw_id: &str) -> Result<Vec<TgwVpcAttachment>> {
        let items = self
            .ec2_client
            .describe_transit_gateway_vpc_attachments()
            .filters(ec2_filter("transit-gateway-id", tgw_id))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeTransitGatewayVpcAttachments", e))?;
        Ok(items
            .iter()
            .map(|a| TgwVpcAttachment {
                id: a
                    .transit_gateway_attachment_id()
                    .unwrap_or_default()
                    .to_string(),
                transit_gateway_id: a.transit_gateway_id().unwrap_or_default().to_string(),
                vpc_id: a.vpc_id().unwrap_or_default().to_string(),
                vpc_owner_id: a.vpc_owner_id().unwrap_or_default().to_string(),
                state: a
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn zones_of_vpc(&self, v: &VpcRef) -> Result<Vec<ZoneSummary>> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.pacer.wait().await;
            let out = self
                .client
                .list_hosted_zones_by_vpc()
                .vpc_id(&v.vpc_id)
                .vpc_region(VpcRegion::from(v.region.as_str()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| error("ListHostedZonesByVPC", e))?;
            all.extend(out.hosted_zone_summaries().iter().map(|z| {
                ZoneSummary {
                    id: bare_zone_id(z.hosted_zone_id()).to_string(),
                    name: z.name().to_string(),
                    owner: z
                        .owner()
                        .and_then(|o| o.owning_account().or(o.owning_service()))
                        .map(String::from),
                }
            }));
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(all),
            }
        }
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
                .map_err(|e| error("ListResourceRecordSets", e))?;
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

    async fn endpoint_by_dns_name(&self, dns_name: &str) -> Result<Option<Endpoint>> {
        let wanted = dns_name.trim_end_matches('.').to_ascii_lowercase();
        let wanted = wanted
            .strip_prefix("dualstack.")
            .unwrap_or(&wanted)
            .to_string();
        let endpoints = self
            .ec2_client
            .describe_vpc_endpoints()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("DescribeVpcEndpoints", e))?;
        let mut by_name: HashMap<String, Endpoint> = HashMap::new();
        for e in &endpoints {
            let endpoint = Endpoint {
                id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
                vpc_id: e.vpc_id().unwrap_or_default().to_string(),
                service_name: e.service_name().unwrap_or_default().to_string(),
                state: e
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            };
            for entry in e.dns_entries() {
                if let Some(name) = entry.dns_name() {
                    by_name.insert(
                        name.trim_end_matches('.').to_ascii_lowercase(),
                        endpoint.clone(),
                    );
                }
            }
        }
        Ok(by_name.remove(&wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On tokio's paused clock: time moves only when every task waits, so the spacing is
    /// exact and the test measures no real time.
    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_concurrent_requests() {
        let pacer = Pacer::per_second(2);
        let slots: Vec<_> = futures::future::join_all((0..6).map(|_| pacer.reserve())).await;
        for pair in slots.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_millis(500));
        }
        // Waiting never starts a request before its slot: six requests 20 ms apart span 100 ms.
        let pacer = Arc::new(Pacer::per_second(50));
        let start = tokio::time::Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.wait().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }
}
