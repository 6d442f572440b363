//! The zones decision: a pure function of configuration and observation.

use std::collections::BTreeSet;

use super::model::{AstroVpc, Observation, VpcRef, ZonesAction};
use super::ZonesConfig;
use crate::audit::Verdict;
use crate::decision::Decision;
use crate::model::{Finding, FindingKind};
use crate::peering::{self, PeeringState};
use crate::tgw::{self, AttachmentState};

pub fn decide(config: &ZonesConfig, observation: &Observation) -> Decision<ZonesAction> {
    let id = &observation.zone_id;
    if !observation.configured {
        return Decision::new(
            Verdict::Skip,
            format!(
                "{id} is in neither PrivateHostedZoneIds nor ZoneVpcAssociations; left untouched"
            ),
            None,
        );
    }
    let zone = match &observation.zone {
        Some(zone) if zone.private => zone,
        other => {
            let detail = match other {
                Some(zone) => format!(
                    "{id} ({}) is a public hosted zone; VPCs can only join private zones",
                    zone.name
                ),
                None => format!("{id} does not exist or is not visible to this account"),
            };
            let mut d = Decision::new(Verdict::Ignore, format!("{detail}; nothing done"), None);
            d.findings.push(Finding {
                kind: FindingKind::Missing,
                detail,
            });
            return d;
        }
    };

    let mut plan = Vec::new();
    let mut notes = Vec::new();

    if config.private_hosted_zone_ids.contains(id) {
        let (astro, refused) = astro_vpcs(config, observation);
        let mut states = Vec::new();
        for a in &astro {
            let associated = zone.has_vpc(&a.vpc);
            let authorized = observation.authorizations.contains(&a.vpc);
            let state = match (associated, authorized) {
                (false, false) => {
                    plan.push(ZonesAction::Authorize {
                        zone_id: id.clone(),
                        vpc: a.vpc.clone(),
                    });
                    "to authorize"
                }
                (false, true) => "authorized, waiting for Astro to associate",
                (true, true) => {
                    plan.push(ZonesAction::Deauthorize {
                        zone_id: id.clone(),
                        vpc: a.vpc.clone(),
                    });
                    "associated, authorization to delete"
                }
                (true, false) => "associated",
            };
            states.push(format!("{} via {}: {state}", a.vpc, a.via));
        }
        notes.push(if astro.is_empty() {
            "no Astro VPC yet".to_string()
        } else {
            format!("Astro VPCs: {}", states.join(", "))
        });
        if !refused.is_empty() {
            notes.push(format!("not authorized: {}", refused.join("; ")));
        }
        let desired: BTreeSet<&VpcRef> = astro.iter().map(|a| &a.vpc).collect();
        let other: Vec<String> = observation
            .authorizations
            .iter()
            .filter(|v| !desired.contains(v))
            .map(|v| v.to_string())
            .collect();
        if !other.is_empty() {
            notes.push(format!(
                "authorizations for other VPCs left as they are: {}",
                other.join(", ")
            ));
        }
    }

    if let Some(extra) = config.associations.get(id) {
        let mut missing = Vec::new();
        for vpc_id in extra {
            let vpc = VpcRef::new(vpc_id.clone(), observation.region.clone());
            if !zone.has_vpc(&vpc) {
                missing.push(vpc_id.clone());
                plan.push(ZonesAction::Associate {
                    zone_id: id.clone(),
                    vpc,
                });
            }
        }
        notes.push(if missing.is_empty() {
            format!("{} listed VPC(s) associated", extra.len())
        } else {
            format!("listed VPC(s) to associate: {}", missing.join(", "))
        });
    }

    let head = if plan.is_empty() {
        format!("{id} ({}) in sync", zone.name)
    } else {
        format!("{id} ({}): {} write(s) to converge", zone.name, plan.len())
    };
    let mut d = Decision::new(
        Verdict::Accept,
        format!("{head}; {}", notes.join("; ")),
        None,
    );
    d.plan = plan;
    d
}

/// The Astro VPCs: requesters of active peerings into the accepter VPCs that pass the peering
/// validation, and VPCs of available attachments on the Transit Gateway from allowed accounts;
/// both restricted to `AstroVpcIds` when it is set. Also says why any candidate was refused.
pub fn astro_vpcs(config: &ZonesConfig, observation: &Observation) -> (Vec<AstroVpc>, Vec<String>) {
    let common = &config.peering.common;
    let mut found: Vec<AstroVpc> = Vec::new();
    let mut refused = Vec::new();
    let listed =
        |vpc_id: &str| config.astro_vpc_ids.is_empty() || config.astro_vpc_ids.contains(vpc_id);

    for p in &observation.peerings {
        let peering = &p.peering;
        if peering.state != PeeringState::Active
            || !config
                .peering
                .accepter_vpc_ids
                .contains(&peering.accepter.vpc_id)
        {
            continue;
        }
        let requester = &peering.requester;
        let refusals = peering::requester_refusals(&config.peering, p);
        if !refusals.is_empty() {
            refused.push(format!(
                "{} via {}: {}",
                requester.vpc_id,
                peering.id,
                refusals.join(", ")
            ));
        } else if !listed(&requester.vpc_id) {
            refused.push(format!(
                "{} via {}: not in AstroVpcIds",
                requester.vpc_id, peering.id
            ));
        } else {
            let region = if requester.region.is_empty() {
                &observation.region
            } else {
                &requester.region
            };
            found.push(AstroVpc {
                vpc: VpcRef::new(requester.vpc_id.clone(), region.clone()),
                account: requester.owner_id.clone(),
                via: peering.id.clone(),
            });
        }
    }

    if let Some(tgw) = &config.transit_gateway_id {
        for a in &observation.attachments {
            if &a.transit_gateway_id != tgw || a.state != AttachmentState::Available {
                continue;
            }
            let refusals = tgw::refusals(&common.astro_account_ids, &config.astro_vpc_ids, a);
            if refusals.is_empty() {
                found.push(AstroVpc {
                    vpc: VpcRef::new(a.vpc_id.clone(), observation.region.clone()),
                    account: a.vpc_owner_id.clone(),
                    via: a.id.clone(),
                });
            } else {
                refused.push(format!(
                    "{} via {}: {}",
                    a.vpc_id,
                    a.id,
                    refusals.join(", ")
                ));
            }
        }
    }

    found.sort_by(|a, b| (&a.vpc, &a.via).cmp(&(&b.vpc, &b.via)));
    found.dedup_by(|a, b| a.vpc == b.vpc);
    (found, refused)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::decision::Action;
    use crate::peering::{Peering, VpcEnd};
    use crate::tgw::Attachment;
    use crate::zones::model::HostedZone;

    const ZONE: &str = "Z0000000000AAA";
    const RE_ZONE: &str = "Z0000000000EEE";
    const ASTRO: &str = "111111111111";
    const ACCEPTER: &str = "vpc-0000c0c0";
    const ASTRO_VPC: &str = "vpc-0000a5a5";
    const TGW: &str = "tgw-0000abcd";

    fn config(extra: &[(&str, &str)]) -> ZonesConfig {
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&[
            ("ASTRO_ACCOUNT_IDS", ASTRO),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", ACCEPTER),
            ("PRIVATE_HOSTED_ZONE_IDS", ZONE),
            ("TRANSIT_GATEWAY_ID", TGW),
        ]);
        let vars: &[(&str, &str)] = &vars;
        ZonesConfig::read(&vars).unwrap()
    }

    fn peering(id: &str, status: &str, owner: &str, vpc: &str, cidr: &str) -> peering::Observation {
        peering::Observation {
            peering: Peering {
                id: id.into(),
                state: PeeringState::parse(status),
                requester: VpcEnd {
                    owner_id: owner.into(),
                    vpc_id: vpc.into(),
                    region: "us-east-1".into(),
                    cidrs: vec![cidr.into()],
                },
                accepter: VpcEnd {
                    owner_id: "222222222222".into(),
                    vpc_id: ACCEPTER.into(),
                    region: "us-east-1".into(),
                    cidrs: vec!["10.0.0.0/16".into()],
                },
                accepter_dns_resolution: true,
                tags: BTreeMap::new(),
            },
            accepter_vpc_cidrs: vec!["10.0.0.0/16".into()],
            route_tables: vec![],
            surroundings_read: true,
        }
    }

    fn tgw_attachment(tgw: &str, vpc: &str, owner: &str, state: AttachmentState) -> Attachment {
        Attachment {
            id: "tgw-attach-0000abcd".into(),
            transit_gateway_id: tgw.into(),
            transit_gateway_owner_id: "222222222222".into(),
            resource_type: "vpc".into(),
            vpc_id: vpc.into(),
            vpc_owner_id: owner.into(),
            state,
            association: None,
        }
    }

    fn vpc(id: &str) -> VpcRef {
        VpcRef::new(id, "us-east-1")
    }

    fn observation(zone_vpcs: &[&str], authorizations: &[&str]) -> Observation {
        Observation {
            zone_id: ZONE.into(),
            configured: true,
            zone: Some(HostedZone {
                id: ZONE.into(),
                name: "corp.example.".into(),
                private: true,
                vpcs: zone_vpcs.iter().map(|v| vpc(v)).collect(),
            }),
            authorizations: authorizations.iter().map(|v| vpc(v)).collect(),
            peerings: vec![peering(
                "pcx-0000aaaa",
                "active",
                ASTRO,
                ASTRO_VPC,
                "10.100.0.0/16",
            )],
            attachments: vec![],
            region: "us-east-1".into(),
        }
    }

    fn names(d: &Decision<ZonesAction>) -> Vec<String> {
        d.plan
            .iter()
            .map(|a| format!("{} {}", a.name(), a.target()))
            .collect()
    }

    #[test]
    fn allowed_astro_vpc_is_authorized_then_left_waiting() {
        let cfg = config(&[]);
        let d = decide(&cfg, &observation(&[ACCEPTER], &[]));
        assert_eq!(d.verdict, Verdict::Accept);
        assert_eq!(
            names(&d),
            [format!(
                "create-vpc-association-authorization {ZONE}:{ASTRO_VPC}:us-east-1"
            )]
        );
        let d = decide(&cfg, &observation(&[ACCEPTER], &[ASTRO_VPC]));
        assert!(d.plan.is_empty(), "{:?}", d.plan);
        assert!(
            d.reason.contains("waiting for Astro to associate"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn used_authorization_is_deleted_then_in_sync() {
        let cfg = config(&[]);
        let d = decide(&cfg, &observation(&[ACCEPTER, ASTRO_VPC], &[ASTRO_VPC]));
        assert_eq!(
            names(&d),
            [format!(
                "delete-vpc-association-authorization {ZONE}:{ASTRO_VPC}:us-east-1"
            )]
        );
        let d = decide(&cfg, &observation(&[ACCEPTER, ASTRO_VPC], &[]));
        assert!(d.plan.is_empty());
        assert!(d.reason.contains("in sync"), "{}", d.reason);
    }

    #[test]
    fn refused_peerings_are_not_authorized_and_say_why() {
        let cfg = config(&[]);
        let cases = [
            (
                peering(
                    "pcx-0000bbbb",
                    "active",
                    "333333333333",
                    "vpc-0000b0b0",
                    "10.100.0.0/16",
                ),
                "AstroAccountIds",
            ),
            (
                peering(
                    "pcx-0000bbbb",
                    "active",
                    ASTRO,
                    "vpc-0000b0b0",
                    "10.200.0.0/16",
                ),
                "outside AstroCidrs",
            ),
            (
                peering(
                    "pcx-0000bbbb",
                    "active",
                    ASTRO,
                    "vpc-0000b0b0",
                    "10.0.0.0/24",
                ),
                "outside AstroCidrs",
            ),
        ];
        for (p, why) in cases {
            let mut obs = observation(&[ACCEPTER], &[]);
            obs.peerings = vec![p];
            let d = decide(&cfg, &obs);
            assert!(d.plan.is_empty(), "{why}: {:?}", d.plan);
            assert!(
                d.reason.contains(why) && d.reason.contains("pcx-0000bbbb"),
                "{}",
                d.reason
            );
        }
    }

    #[test]
    fn only_active_peerings_into_accepter_vpcs_count() {
        let cfg = config(&[]);
        for status in ["pending-acceptance", "provisioning", "deleted", "rejected"] {
            let mut obs = observation(&[ACCEPTER], &[]);
            obs.peerings = vec![peering(
                "pcx-0000aaaa",
                status,
                ASTRO,
                ASTRO_VPC,
                "10.100.0.0/16",
            )];
            assert!(decide(&cfg, &obs).plan.is_empty(), "{status}");
        }
        let mut obs = observation(&[ACCEPTER], &[]);
        obs.peerings[0].peering.accepter.vpc_id = "vpc-0000ffff".into();
        assert!(decide(&cfg, &obs).plan.is_empty());
    }

    #[test]
    fn astro_vpc_ids_restrict_when_set() {
        let cfg = config(&[("ASTRO_VPC_IDS", "vpc-0000dddd")]);
        let d = decide(&cfg, &observation(&[ACCEPTER], &[]));
        assert!(d.plan.is_empty());
        assert!(d.reason.contains("not in AstroVpcIds"), "{}", d.reason);
        let cfg = config(&[("ASTRO_VPC_IDS", ASTRO_VPC)]);
        assert_eq!(decide(&cfg, &observation(&[ACCEPTER], &[])).plan.len(), 1);
    }

    #[test]
    fn tgw_attachments_count_when_available_allowed_and_on_our_tgw() {
        let cfg = config(&[]);
        let attachment = |tgw: &str, state: &str, owner: &str| {
            tgw_attachment(tgw, "vpc-0000eeee", owner, AttachmentState::parse(state))
        };
        let plan_len = |a: Attachment| {
            let mut obs = observation(&[ACCEPTER], &[]);
            obs.peerings.clear();
            obs.attachments = vec![a];
            decide(&cfg, &obs)
        };
        let d = plan_len(attachment(TGW, "available", ASTRO));
        assert_eq!(
            names(&d),
            [format!(
                "create-vpc-association-authorization {ZONE}:vpc-0000eeee:us-east-1"
            )]
        );
        assert!(plan_len(attachment(TGW, "pendingAcceptance", ASTRO))
            .plan
            .is_empty());
        assert!(plan_len(attachment("tgw-0000ffff", "available", ASTRO))
            .plan
            .is_empty());
        let d = plan_len(attachment(TGW, "available", "333333333333"));
        assert!(
            d.plan.is_empty() && d.reason.contains("AstroAccountIds"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn same_vpc_through_two_paths_is_authorized_once() {
        let cfg = config(&[]);
        let mut obs = observation(&[ACCEPTER], &[]);
        obs.attachments = vec![tgw_attachment(
            TGW,
            ASTRO_VPC,
            ASTRO,
            AttachmentState::Available,
        )];
        assert_eq!(decide(&cfg, &obs).plan.len(), 1);
    }

    #[test]
    fn extra_vpcs_are_associated_and_nothing_is_ever_disassociated() {
        let cfg = config(&[(
            "ZONE_VPC_ASSOCIATIONS",
            &format!("{ZONE}:vpc-00001111,{ZONE}:vpc-00002222"),
        )]);
        // vpc-0000ffff was associated by someone else: no plan touches it.
        let d = decide(
            &cfg,
            &observation(&[ACCEPTER, "vpc-0000ffff", "vpc-00001111", ASTRO_VPC], &[]),
        );
        assert_eq!(
            names(&d),
            [format!(
                "associate-vpc-with-hosted-zone {ZONE}:vpc-00002222:us-east-1"
            )]
        );
        let d = decide(
            &cfg,
            &observation(
                &[
                    ACCEPTER,
                    "vpc-0000ffff",
                    "vpc-00001111",
                    "vpc-00002222",
                    ASTRO_VPC,
                ],
                &[],
            ),
        );
        assert!(d.plan.is_empty(), "{:?}", d.plan);
    }

    #[test]
    fn association_only_zone_reads_no_astro_state() {
        let cfg = config(&[
            ("ZONE_VPC_ASSOCIATIONS", "vpc-00001111"),
            ("REMOTE_EXECUTION_ZONE_ID", RE_ZONE),
        ]);
        let mut obs = observation(&[ACCEPTER], &[]);
        obs.zone_id = RE_ZONE.into();
        let d = decide(&cfg, &obs);
        assert_eq!(
            names(&d),
            [format!(
                "associate-vpc-with-hosted-zone {RE_ZONE}:vpc-00001111:us-east-1"
            )]
        );
    }

    #[test]
    fn other_authorizations_are_left_alone() {
        let cfg = config(&[]);
        let d = decide(
            &cfg,
            &observation(&[ACCEPTER], &[ASTRO_VPC, "vpc-00009999"]),
        );
        assert!(d.plan.is_empty());
        assert!(d.reason.contains("vpc-00009999"), "{}", d.reason);
    }

    #[test]
    fn missing_public_and_unlisted_zones_get_no_writes() {
        let cfg = config(&[]);
        let mut obs = observation(&[], &[]);
        obs.zone = None;
        let d = decide(&cfg, &obs);
        assert_eq!(d.verdict, Verdict::Ignore);
        assert_eq!(d.findings[0].kind, FindingKind::Missing);
        assert!(d.plan.is_empty());
        let mut obs = observation(&[], &[]);
        obs.zone.as_mut().unwrap().private = false;
        let d = decide(&cfg, &obs);
        assert!(
            d.plan.is_empty() && d.reason.contains("public"),
            "{}",
            d.reason
        );
        let mut obs = observation(&[ACCEPTER], &[]);
        obs.configured = false;
        let d = decide(&cfg, &obs);
        assert_eq!(d.verdict, Verdict::Skip);
        assert!(d.plan.is_empty());
    }
}
