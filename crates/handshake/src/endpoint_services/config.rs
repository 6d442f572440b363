//! The endpoint-services function's configuration, read once at start-up.

use std::collections::BTreeSet;

use crate::config::{Common, Reader, Source};
use crate::engine::Settings;
use crate::error::{Error, Result};
use crate::ids;

/// The role Astro connects to customer endpoint services with, in each Astro account
/// (Astro's "Custom VPC Endpoint" instructions).
pub const ASTRO_PRINCIPAL_ROLE: &str = "astronomer-remote-management";

/// The endpoint-services function's configuration.
#[derive(Debug, Clone)]
pub struct EndpointServicesConfig {
    /// Astro accounts (whose principal is allowed and whose connections are accepted), what
    /// to do with other requests, dry run, metrics.
    pub common: Common,
    /// The customer's endpoint services Astro connects to (`ENDPOINT_SERVICE_IDS`).
    pub service_ids: BTreeSet<String>,
    /// The partition of this account (`PARTITION`, `aws` when unset): the principal ARNs'.
    pub partition: String,
}

fn is_partition(value: &str) -> bool {
    value.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || (rest.starts_with('-')
                && rest[1..]
                    .split('-')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())))
    })
}

impl EndpointServicesConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let common = Common::read(&r)?;
        let service_ids = r.checked_list(
            "ENDPOINT_SERVICE_IDS",
            "a vpce-svc- id",
            ids::is_endpoint_service_id,
        )?;
        if service_ids.is_empty() {
            return Err(Error::Config(
                "ENDPOINT_SERVICE_IDS is required and is empty or unset".into(),
            ));
        }
        let partition = r.optional("PARTITION").unwrap_or_else(|| "aws".into());
        if !is_partition(&partition) {
            return Err(Error::Config(format!(
                "PARTITION: `{partition}` is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"
            )));
        }
        Ok(Self {
            common,
            service_ids,
            partition,
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.common.dry_run,
            metrics_namespace: self.common.metrics_namespace.clone(),
            ..Settings::default()
        }
    }

    /// `arn:<partition>:iam::<account>:role/astronomer-remote-management` for an account.
    pub fn astro_principal(&self, account: &str) -> String {
        format!(
            "arn:{}:iam::{account}:role/{ASTRO_PRINCIPAL_ROLE}",
            self.partition
        )
    }

    /// The principal of every Astro account, in a stable order.
    pub fn astro_principals(&self) -> Vec<String> {
        self.common
            .astro_account_ids
            .iter()
            .map(|a| self.astro_principal(a))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(extra: &[(&str, &str)]) -> Result<EndpointServicesConfig> {
        let mut vars = vec![
            ("ASTRO_ACCOUNT_IDS", "111111111111,444444444444"),
            ("ASTRO_CIDRS", "10.100.0.0/16"),
        ];
        vars.extend_from_slice(extra);
        let vars: &[(&str, &str)] = &vars;
        EndpointServicesConfig::read(&vars)
    }

    #[test]
    fn reads_services_and_names_each_astro_principal() {
        let c = read(&[(
            "ENDPOINT_SERVICE_IDS",
            "vpce-svc-0123456789abcdef0, vpce-svc-0fedcba9876543210",
        )])
        .unwrap();
        assert_eq!(c.service_ids.len(), 2);
        assert_eq!(c.partition, "aws");
        assert_eq!(
            c.astro_principals(),
            [
                "arn:aws:iam::111111111111:role/astronomer-remote-management",
                "arn:aws:iam::444444444444:role/astronomer-remote-management",
            ]
        );
        let c = read(&[
            ("ENDPOINT_SERVICE_IDS", "vpce-svc-0123456789abcdef0"),
            ("PARTITION", "aws-us-gov"),
        ])
        .unwrap();
        assert!(c
            .astro_principal("111111111111")
            .starts_with("arn:aws-us-gov:iam::"));
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let err = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(err(&[]).contains("ENDPOINT_SERVICE_IDS is required"));
        assert!(err(&[("ENDPOINT_SERVICE_IDS", "vpce-0123456789abcdef0")])
            .contains("ENDPOINT_SERVICE_IDS: `vpce-0123456789abcdef0` is not a vpce-svc- id"));
        for bad in ["azure", "aws-", "aws--cn", "aws-CN", "aws:cn"] {
            assert!(
                err(&[
                    ("ENDPOINT_SERVICE_IDS", "vpce-svc-0123456789abcdef0"),
                    ("PARTITION", bad)
                ])
                .contains("PARTITION"),
                "{bad}"
            );
        }
    }
}
