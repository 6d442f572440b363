//! The peer-role function's configuration, read once at start-up.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_smithy_types::DateTime;

use super::model::parse_time;
use crate::config::{Reader, Source};
use crate::engine::Settings;
use crate::error::{Error, Result};
use crate::ids;

/// The peer-role function's configuration.
#[derive(Debug, Clone)]
pub struct PeerRoleConfig {
    /// The stack holding the PeerRole: this project's own stack.
    pub stack_name: String,
    /// End of the time box (`PEER_ROLE_EXPIRES_AT`); none when empty.
    pub expires_at: Option<DateTime>,
    /// Astro Hybrid cluster accounts allowed to assume the role (`PEER_OWNER_IDS`).
    pub peer_owner_ids: BTreeSet<String>,
    pub accepter_vpc_ids: BTreeSet<String>,
    pub dry_run: bool,
    pub metrics_namespace: String,
    /// How long one invocation waits for a provisioning Astro peering to become active.
    pub settle_wait: Duration,
}

fn is_stack_name(value: &str) -> bool {
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok && value.len() <= 128 && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl PeerRoleConfig {
    pub fn read(source: &dyn Source) -> Result<Self> {
        let r = Reader(source);
        let stack_name = r.required("STACK_NAME")?;
        if !is_stack_name(&stack_name) {
            return Err(Error::Config(format!(
                "STACK_NAME: `{stack_name}` is not a CloudFormation stack name"
            )));
        }
        let expires_at = r
            .optional("PEER_ROLE_EXPIRES_AT")
            .map(|t| {
                parse_time(&t).map_err(|e| Error::Config(format!("PEER_ROLE_EXPIRES_AT: {e}")))
            })
            .transpose()?;
        let peer_owner_ids = r.checked_list(
            "PEER_OWNER_IDS",
            "a 12-digit account id",
            ids::is_account_id,
        )?;
        let accepter_vpc_ids = r.checked_list("ACCEPTER_VPC_IDS", "a vpc- id", ids::is_vpc_id)?;
        if accepter_vpc_ids.is_empty() {
            return Err(Error::Config(
                "ACCEPTER_VPC_IDS is required and is empty or unset".into(),
            ));
        }
        Ok(Self {
            stack_name,
            expires_at,
            peer_owner_ids,
            accepter_vpc_ids,
            dry_run: r.flag("DRY_RUN", false)?,
            metrics_namespace: r
                .optional("METRICS_NAMESPACE")
                .unwrap_or_else(|| "AstroHandshake".into()),
            settle_wait: Duration::from_secs(20),
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            dry_run: self.dry_run,
            settle_timeout: self.settle_wait,
            metrics_namespace: self.metrics_namespace.clone(),
            concurrency: 1,
            ..Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer_role::model::format_time;

    fn read(vars: &[(&str, &str)]) -> Result<PeerRoleConfig> {
        PeerRoleConfig::read(&vars)
    }

    #[test]
    fn reads_the_configuration() {
        let c = read(&[
            ("STACK_NAME", "astro-handshake"),
            ("PEER_ROLE_EXPIRES_AT", "2026-12-01T00:00:00Z"),
            ("PEER_OWNER_IDS", "111111111111,333333333333"),
            ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0"),
            ("DRY_RUN", "true"),
        ])
        .unwrap();
        assert_eq!(c.stack_name, "astro-handshake");
        assert_eq!(c.expires_at, Some(DateTime::from_secs(1_796_083_200)));
        assert_eq!(c.peer_owner_ids.len(), 2);
        assert!(c.dry_run);
        assert_eq!(c.metrics_namespace, "AstroHandshake");
        assert_eq!(format_time(&c.expires_at.unwrap()), "2026-12-01T00:00:00Z");
    }

    #[test]
    fn empty_time_box_and_owners_are_allowed() {
        // The template passes "" when CreatePeerRole=false; the function still runs its sweep.
        let c = read(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", ""),
            ("PEER_OWNER_IDS", ""),
            ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0"),
        ])
        .unwrap();
        assert_eq!(c.expires_at, None);
        assert!(c.peer_owner_ids.is_empty());
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let vpc = ("ACCEPTER_VPC_IDS", "vpc-0123456789abcdef0");
        let err = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(err(&[vpc]).contains("STACK_NAME"));
        assert!(err(&[("STACK_NAME", "1bad"), vpc]).contains("STACK_NAME"));
        assert!(err(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", "next tuesday"),
            vpc
        ])
        .contains("PEER_ROLE_EXPIRES_AT"));
        assert!(err(&[
            ("STACK_NAME", "s"),
            ("PEER_ROLE_EXPIRES_AT", "2026-12-01"),
            vpc
        ])
        .contains("PEER_ROLE_EXPIRES_AT"));
        assert!(
            err(&[("STACK_NAME", "s"), ("PEER_OWNER_IDS", "1234"), vpc]).contains("PEER_OWNER_IDS")
        );
        assert!(err(&[("STACK_NAME", "s")]).contains("ACCEPTER_VPC_IDS"));
        assert!(err(&[("STACK_NAME", "s"), ("DRY_RUN", "yes"), vpc]).contains("DRY_RUN"));
    }

    #[test]
    fn times_are_utc_as_the_template_pattern_requires() {
        assert_eq!(
            parse_time(" 2026-12-01T00:00:00Z ").unwrap(),
            DateTime::from_secs(1_796_083_200)
        );
        assert_eq!(
            parse_time("2026-12-01T00:00:00.5Z").unwrap().secs(),
            1_796_083_200
        );
        assert!(parse_time("2026-12-01T01:00:00+01:00").is_err());
    }
}
