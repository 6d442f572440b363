//! Reading configuration from the environment, once, at start-up.
//!
//! Every template parameter reaches the functions as an environment variable of the same
//! name in SCREAMING_SNAKE_CASE (`AstroAccountIds` -> `ASTRO_ACCOUNT_IDS`).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use ipnet::Ipv4Net;

use crate::error::{Error, Result};
use crate::{cidr, ids};

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl Source for &[(&str, &str)] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A typed reader over a [`Source`] whose errors name the variable.
pub struct Reader<'a>(pub &'a dyn Source);

impl Reader<'_> {
    /// The trimmed value, or `None` when unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<String> {
        self.optional(name)
            .ok_or_else(|| Error::Config(format!("{name} is required and is empty or unset")))
    }

    /// A comma-separated list; blank entries are dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A list whose every entry must pass `valid`, described as `what` in the error.
    pub fn checked_list(
        &self,
        name: &str,
        what: &str,
        valid: fn(&str) -> bool,
    ) -> Result<BTreeSet<String>> {
        let items = self.list(name);
        if let Some(bad) = items.iter().find(|v| !valid(v)) {
            return Err(Error::Config(format!("{name}: `{bad}` is not {what}")));
        }
        Ok(items.into_iter().collect())
    }

    pub fn flag(&self, name: &str, default: bool) -> Result<bool> {
        match self.optional(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(Error::Config(format!("{name}: `{v}` is not true or false"))),
        }
    }

    pub fn seconds(&self, name: &str, default: u64, max: u64) -> Result<Duration> {
        let value = match self.optional(name) {
            None => default,
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| Error::Config(format!("{name}: `{v}` is not a number of seconds")))?,
        };
        if value > max {
            return Err(Error::Config(format!(
                "{name}: {value} is above the maximum of {max}"
            )));
        }
        Ok(Duration::from_secs(value))
    }
}

/// What to do with a request that fails validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownRequests {
    /// Leave it pending, record it, alarm.
    Ignore,
    /// Reject it (only while it is still pending acceptance).
    Reject,
}

/// Settings every handshake function shares.
#[derive(Debug, Clone)]
pub struct Common {
    pub astro_account_ids: BTreeSet<String>,
    pub astro_cidrs: Vec<Ipv4Net>,
    pub unknown_requests: UnknownRequests,
    pub dry_run: bool,
    pub metrics_namespace: String,
}

impl Common {
    pub fn read(r: &Reader) -> Result<Self> {
        let astro_account_ids = r.checked_list(
            "ASTRO_ACCOUNT_IDS",
            "a 12-digit account id",
            ids::is_account_id,
        )?;
        if astro_account_ids.is_empty() {
            return Err(Error::Config(
                "ASTRO_ACCOUNT_IDS is required and is empty or unset".into(),
            ));
        }
        let astro_cidrs = astro_cidrs(r)?;
        let unknown_requests = match r.optional("UNKNOWN_REQUESTS").as_deref() {
            None | Some("ignore") => UnknownRequests::Ignore,
            Some("reject") => UnknownRequests::Reject,
            Some(other) => {
                return Err(Error::Config(format!(
                    "UNKNOWN_REQUESTS: `{other}` is not ignore or reject"
                )))
            }
        };
        Ok(Self {
            astro_account_ids,
            astro_cidrs,
            unknown_requests,
            dry_run: r.flag("DRY_RUN", false)?,
            metrics_namespace: r
                .optional("METRICS_NAMESPACE")
                .unwrap_or_else(|| "AstroHandshake".into()),
        })
    }
}

/// `ASTRO_CIDRS`: required, each a CIDR no broader than /8 (never a default route).
fn astro_cidrs(r: &Reader) -> Result<Vec<Ipv4Net>> {
    let items = r.list("ASTRO_CIDRS");
    if items.is_empty() {
        return Err(Error::Config(
            "ASTRO_CIDRS is required and is empty or unset".into(),
        ));
    }
    items
        .iter()
        .map(|text| {
            let net = cidr::parse(text).map_err(|e| Error::Config(format!("ASTRO_CIDRS: {e}")))?;
            if net.prefix_len() < 8 {
                return Err(Error::Config(format!(
                    "ASTRO_CIDRS: {net} is broader than /8; list the Astro VPC CIDRs themselves"
                )));
            }
            Ok(net)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(vars: &[(&str, &str)]) -> Result<Common> {
        Common::read(&Reader(&vars))
    }

    #[test]
    fn reads_common_settings() {
        let c = common(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111, 333333333333"),
            ("ASTRO_CIDRS", "10.100.0.0/16,10.101.0.0/16"),
            ("UNKNOWN_REQUESTS", "reject"),
            ("DRY_RUN", "TRUE"),
        ])
        .unwrap();
        assert_eq!(c.astro_account_ids.len(), 2);
        assert_eq!(c.astro_cidrs.len(), 2);
        assert_eq!(c.unknown_requests, UnknownRequests::Reject);
        assert!(c.dry_run);
        assert_eq!(c.metrics_namespace, "AstroHandshake");
    }

    #[test]
    fn refuses_bad_settings_with_the_variable_named() {
        let err = |vars: &[(&str, &str)]| common(vars).unwrap_err().to_string();
        assert!(err(&[("ASTRO_CIDRS", "10.0.0.0/16")]).contains("ASTRO_ACCOUNT_IDS"));
        assert!(err(&[
            ("ASTRO_ACCOUNT_IDS", "1234"),
            ("ASTRO_CIDRS", "10.0.0.0/16")
        ])
        .contains("`1234`"));
        assert!(err(&[("ASTRO_ACCOUNT_IDS", "111111111111")]).contains("ASTRO_CIDRS"));
        assert!(err(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "0.0.0.0/0")
        ])
        .contains("broader"));
        assert!(err(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.0.0.0/16"),
            ("UNKNOWN_REQUESTS", "maybe")
        ])
        .contains("UNKNOWN_REQUESTS"));
        assert!(err(&[
            ("ASTRO_ACCOUNT_IDS", "111111111111"),
            ("ASTRO_CIDRS", "10.0.0.0/16"),
            ("DRY_RUN", "yes")
        ])
        .contains("DRY_RUN"));
    }
}
