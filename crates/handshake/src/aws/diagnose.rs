//! EC2 and Route 53 behind the doctor's [`NetworkReads`] and [`NameReads`]. Reads only.

use aws_sdk_ec2::types::{IpPermission, NetworkAclEntry, RuleAction};

use super::ec2::{filter, route_table, Ec2};
use super::route53::Route53;
use super::tgw::vpc_attachments;
use super::{classify, code_of};
use crate::diagnose::model::{AclEntry, SgRule};
use crate::diagnose::{
    Interface, NameReads, NetworkAcl, NetworkReads, PrefixList, PrivateZone, SecurityGroup, Target,
};
use crate::error::Result;
use crate::model::RouteTable;
use crate::tgw::Attachment;

fn interface_of(n: &aws_sdk_ec2::types::NetworkInterface) -> Interface {
    Interface {
        id: n.network_interface_id().unwrap_or_default().to_string(),
        vpc_id: n.vpc_id().unwrap_or_default().to_string(),
        subnet_id: n.subnet_id().unwrap_or_default().to_string(),
        private_ips: n
            .private_ip_addresses()
            .iter()
            .filter_map(|a| a.private_ip_address().map(String::from))
            .collect(),
        security_group_ids: n
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(String::from))
            .collect(),
    }
}

fn acl_entry(e: &NetworkAclEntry) -> AclEntry {
    AclEntry {
        rule_number: e.rule_number().unwrap_or(32767),
        egress: e.egress().unwrap_or(false),
        protocol: e.protocol().unwrap_or("-1").to_string(),
        allow: e.rule_action() == Some(&RuleAction::Allow),
        cidr: e.cidr_block().map(String::from),
        ports: e
            .port_range()
            .and_then(|r| Some((u16::try_from(r.from()?).ok()?, u16::try_from(r.to()?).ok()?))),
    }
}

fn sg_rule(p: &IpPermission) -> SgRule {
    let ports = match (p.from_port(), p.to_port()) {
        // -1 for all ports (ICMP types, or every port of protocol -1).
        (Some(from), Some(to)) if from >= 0 && to >= 0 => Some((
            u16::try_from(from).unwrap_or(0),
            u16::try_from(to).unwrap_or(u16::MAX),
        )),
        _ => None,
    };
    SgRule {
        protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        ports,
        cidrs: p
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(String::from))
            .collect(),
        prefix_lists: p
            .prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id().map(String::from))
            .collect(),
        groups: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|g| Some((g.group_id()?.to_string(), g.user_id().map(String::from))))
            .collect(),
    }
}

impl NetworkReads for Ec2 {
    async fn interfaces(&self, target: &Target) -> Result<Vec<Interface>> {
        let call = self.client.describe_network_interfaces();
        let call = match target {
            Target::Ip(ip) => {
                call.filters(filter("addresses.private-ip-address", &[&ip.to_string()]))
            }
            Target::Interface(id) => call.network_interface_ids(id),
        };
        match call.send().await {
            Ok(out) => Ok(out.network_interfaces().iter().map(interface_of).collect()),
            Err(e) if code_of(&e) == Some("InvalidNetworkInterfaceID.NotFound") => Ok(Vec::new()),
            Err(e) => Err(classify("DescribeNetworkInterfaces", e)),
        }
    }

    async fn subnet_route_table(
        &self,
        vpc_id: &str,
        subnet_id: &str,
    ) -> Result<Option<RouteTable>> {
        let explicit = self
            .client
            .describe_route_tables()
            .filters(filter("association.subnet-id", &[subnet_id]))
            .send()
            .await
            .map_err(|e| classify("DescribeRouteTables", e))?;
        if let Some(t) = explicit.route_tables().first() {
            return Ok(Some(route_table(t)));
        }
        let main = self
            .client
            .describe_route_tables()
            .filters(filter("vpc-id", &[vpc_id]))
            .filters(filter("association.main", &["true"]))
            .send()
            .await
            .map_err(|e| classify("DescribeRouteTables", e))?;
        Ok(main.route_tables().first().map(route_table))
    }

    async fn subnet_network_acl(&self, subnet_id: &str) -> Result<Option<NetworkAcl>> {
        let out = self
            .client
            .describe_network_acls()
            .filters(filter("association.subnet-id", &[subnet_id]))
            .send()
            .await
            .map_err(|e| classify("DescribeNetworkAcls", e))?;
        Ok(out.network_acls().first().map(|a| NetworkAcl {
            id: a.network_acl_id().unwrap_or_default().to_string(),
            entries: a.entries().iter().map(acl_entry).collect(),
        }))
    }

    async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .describe_security_groups()
            .set_group_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| classify("DescribeSecurityGroups", e))?;
        Ok(out
            .security_groups()
            .iter()
            .map(|g| SecurityGroup {
                id: g.group_id().unwrap_or_default().to_string(),
                ingress: g.ip_permissions().iter().map(sg_rule).collect(),
            })
            .collect())
    }

    async fn prefix_list(&self, id: &str) -> Result<PrefixList> {
        let entries = self
            .client
            .get_managed_prefix_list_entries()
            .prefix_list_id(id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match entries {
            Ok(entries) => Ok(PrefixList {
                id: id.to_string(),
                cidrs: Some(
                    entries
                        .iter()
                        .filter_map(|e| e.cidr().map(String::from))
                        .collect(),
                ),
            }),
            Err(e)
                if matches!(
                    code_of(&e),
                    Some("UnauthorizedOperation" | "InvalidPrefixListID.NotFound")
                ) =>
            {
                Ok(PrefixList {
                    id: id.to_string(),
                    cidrs: None,
                })
            }
            Err(e) => Err(classify("GetManagedPrefixListEntries", e)),
        }
    }

    async fn vpc_tgw_attachments(&self, vpc_id: &str) -> Result<Vec<Attachment>> {
        self.available_attachments("resource-id", vpc_id).await
    }

    async fn tgw_attachments(&self, tgw_id: &str) -> Result<Vec<Attachment>> {
        self.available_attachments("transit-gateway-id", tgw_id)
            .await
    }
}

impl Ec2 {
    async fn available_attachments(&self, by: &str, value: &str) -> Result<Vec<Attachment>> {
        vpc_attachments(
            &self.client,
            vec![filter(by, &[value]), filter("state", &["available"])],
        )
        .await
    }
}

/// Whether a record named `record` (Route 53 spelling: trailing dot, `\052` for `*`) answers
/// for `name`: the same name, or a wildcard over one of its parents.
fn answers(record: &str, name: &str) -> bool {
    let record = record
        .trim_end_matches('.')
        .replace("\\052", "*")
        .to_lowercase();
    if record == name {
        return true;
    }
    record
        .strip_prefix("*.")
        .is_some_and(|parent| name.ends_with(&format!(".{parent}")))
}

impl NameReads for Route53 {
    async fn private_zones_holding(&self, name: &str) -> Result<Vec<PrivateZone>> {
        let mut found = Vec::new();
        for zone in self.private_zones().await? {
            let domain = zone.1.trim_end_matches('.').to_lowercase();
            if name != domain && !name.ends_with(&format!(".{domain}")) {
                continue;
            }
            let Some(details) = crate::zones::ZonesPort::hosted_zone(self, &zone.0).await? else {
                continue;
            };
            let records = crate::zones::ZonesPort::record_sets(self, &zone.0).await?;
            found.push(PrivateZone {
                id: zone.0,
                name: domain,
                vpc_ids: details.vpcs.into_iter().map(|v| v.vpc_id).collect(),
                has_record: records.iter().any(|r| answers(&r.name, name)),
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_answers_for_its_name_or_under_its_wildcard() {
        assert!(answers("db.corp.example.", "db.corp.example"));
        assert!(answers("\\052.corp.example.", "db.corp.example"));
        assert!(answers("*.corp.example", "a.b.corp.example"));
        assert!(!answers("*.corp.example.", "corp.example"));
        assert!(!answers("web.corp.example.", "db.corp.example"));
    }

    #[test]
    fn security_group_ports_of_minus_one_mean_every_port() {
        let p = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .build();
        assert_eq!(sg_rule(&p).ports, None);
        let p = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(5432)
            .to_port(5439)
            .build();
        assert_eq!(sg_rule(&p).ports, Some((5432, 5439)));
    }
}
