//! The zones function's configuration, read once at start-up.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Reader, Source};
use crate::engine::Settings;
use crate::error::{Error, Result};
use crate::ids;
use crate::peering::PeeringConfig;

/// The zones function's configuration.
#[derive(Debug, Clone)]
pub struct ZonesConfig {
    /// Astro accounts and CIDRs, accepter VPCs: the peering validation, reused as is.
    pub peering: PeeringConfig,
    /// When set, only these VPCs are authorized.
    pub astro_vpc_ids: BTreeSet<String>,
    pub transit_gateway_id: Option<String>,
    /// Zones the Astro VPCs are authorized on.
    pub private_hosted_zone_ids: BTreeSet<String>,
    /// Zone -> customer VPCs to associate with it.
    pub associations: BTreeMap<String, BTreeSet<String>>,
    /// The Remote Execution zone (`external.astronomer.run`): where a bare VPC id goes.
    pub remote_execution_zone_id: Option<String>,
}

impl ZonesConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let peering = PeeringConfig::read(source)?;
        let astro_vpc_ids = r.checked_list("ASTRO_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        let transit_gateway_id = r.optional("TRANSIT_GATEWAY_ID");
        if let Some(bad) = transit_gateway_id.as_deref().filter(|t| !ids::is_tgw_id(t)) {
            return Err(Error::Config(format!(
                "TRANSIT_GATEWAY_ID: `{bad}` is not a tgw- id"
            )));
        }
        let zone = |name: &str, text: &str| -> Result<String> {
            let id = ids::bare_zone_id(text);
            if ids::is_zone_id(id) {
                Ok(id.to_string())
            } else {
                Err(Error::Config(format!(
                    "{name}: `{text}` is not a hosted zone id"
                )))
            }
        };
        let private_hosted_zone_ids = r
            .list("PRIVATE_HOSTED_ZONE_IDS")
            .iter()
            .map(|z| zone("PRIVATE_HOSTED_ZONE_IDS", z))
            .collect::<Result<_>>()?;
        let remote_execution_zone_id = r
            .optional("REMOTE_EXECUTION_ZONE_ID")
            .map(|z| zone("REMOTE_EXECUTION_ZONE_ID", &z))
            .transpose()?;
        let mut associations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in r.list("ZONE_VPC_ASSOCIATIONS") {
            let (zone_id, vpc_id) = match entry.split_once(':') {
                Some((z, v)) => (zone("ZONE_VPC_ASSOCIATIONS", z)?, v.trim()),
                None => {
                    let z = remote_execution_zone_id.clone().ok_or_else(|| {
                        Error::Config(format!(
                            "ZONE_VPC_ASSOCIATIONS: `{entry}` names no zone and REMOTE_EXECUTION_ZONE_ID is unset \
                             (write ZONE_ID:VPC_ID, or set AstroEndpointServiceName)"
                        ))
                    })?;
                    (z, entry.trim())
                }
            };
            if !ids::is_vpc_id(vpc_id) {
                return Err(Error::Config(format!(
                    "ZONE_VPC_ASSOCIATIONS: `{vpc_id}` in `{entry}` is not a vpc- id"
                )));
            }
            associations
                .entry(zone_id)
                .or_default()
                .insert(vpc_id.to_string());
        }
        Ok(Self {
            peering,
            astro_vpc_ids,
            transit_gateway_id,
            private_hosted_zone_ids,
            associations,
            remote_execution_zone_id,
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.peering.common.dry_run,
            metrics_namespace: self.peering.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }

    /// Every zone the configuration names, in a stable order.
    pub fn zones(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self
            .private_hosted_zone_ids
            .iter()
            .chain(self.associations.keys())
            .collect();
        all.into_iter().cloned().collect()
    }

    pub fn is_configured(&self, zone_id: &str) -> bool {
        self.private_hosted_zone_ids.contains(zone_id) || self.associations.contains_key(zone_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(extra: &[(&str, &str)]) -> Result<ZonesConfig> {
        let mut vars = extra.to_vec();
        vars.extend_from_slice(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
            ("ACCEPTER_VPC_IDS", "vpc-0000c0c0"),
        ]);
        let vars: &[(&str, &str)] = &vars;
        ZonesConfig::read(&vars)
    }

    #[test]
    fn reads_zones_and_associations() {
        let c = read(&[
            ("PRIVATE_HOSTED_ZONE_IDS", "Z0AAAA,/hostedzone/Z0BBBB"),
            (
                "ZONE_VPC_ASSOCIATIONS",
                "Z0BBBB:vpc-00001111, vpc-00002222,Z0BBBB:vpc-00003333",
            ),
            ("REMOTE_EXECUTION_ZONE_ID", "Z0EEEE"),
            ("TRANSIT_GATEWAY_ID", "tgw-0000abcd"),
            ("ASTRO_VPC_IDS", "vpc-0000a5a5"),
        ])
        .unwrap();
        assert_eq!(c.zones(), ["Z0AAAA", "Z0BBBB", "Z0EEEE"]);
        assert_eq!(c.associations["Z0BBBB"].len(), 2);
        assert!(c.associations["Z0EEEE"].contains("vpc-00002222"));
        assert_eq!(c.transit_gateway_id.as_deref(), Some("tgw-0000abcd"));
        assert!(c.is_configured("Z0AAAA") && !c.is_configured("Z0FFFF"));
        let c = read(&[]).unwrap();
        assert!(c.zones().is_empty());
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let err = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(err(&[("PRIVATE_HOSTED_ZONE_IDS", "z-lower")]).contains("PRIVATE_HOSTED_ZONE_IDS"));
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "vpc-00002222")]).contains("REMOTE_EXECUTION_ZONE_ID")
        );
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "Z0AAAA:subnet-1234abcd")]).contains("not a vpc- id")
        );
        assert!(
            err(&[("ZONE_VPC_ASSOCIATIONS", "bad:vpc-00002222")]).contains("not a hosted zone id")
        );
        assert!(err(&[("TRANSIT_GATEWAY_ID", "vpc-00002222")]).contains("TRANSIT_GATEWAY_ID"));
        assert!(err(&[("ASTRO_VPC_IDS", "vpc-nothex!")]).contains("ASTRO_VPC_IDS"));
    }
}
