//! The doctor's answer: a verdict per hop, per path, and overall; as JSON and as lines.

use serde::{Deserialize, Serialize};

/// How a hop, a path or the whole target fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Reachable,
    Unknown,
    Blocked,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Reachable => "reachable",
            Self::Unknown => "unknown",
            Self::Blocked => "blocked",
        }
    }
}

/// One hop's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    /// `route`, `network-acl`, `security-group`, `dns`.
    pub hop: String,
    pub verdict: Verdict,
    pub detail: String,
    /// The rule that decides: `rtb-..:10.100.0.0/16`, `acl-..:ingress:90`, `sg-..`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Hop {
    pub fn pass(hop: &str, detail: impl Into<String>, rule: Option<String>) -> Self {
        Self {
            hop: hop.to_string(),
            verdict: Verdict::Reachable,
            detail: detail.into(),
            rule,
        }
    }

    pub fn blocked(hop: &str, detail: impl Into<String>, rule: Option<String>) -> Self {
        Self {
            hop: hop.to_string(),
            verdict: Verdict::Blocked,
            detail: detail.into(),
            rule,
        }
    }

    pub fn unknown(hop: &str, detail: impl Into<String>) -> Self {
        Self {
            hop: hop.to_string(),
            verdict: Verdict::Unknown,
            detail: detail.into(),
            rule: None,
        }
    }
}

/// One path (a peering or a TGW attachment) for one Astro CIDR.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathReport {
    pub handshake: String,
    pub id: String,
    pub astro_cidr: String,
    pub verdict: Verdict,
    pub hops: Vec<Hop>,
}

impl PathReport {
    pub fn new(handshake: &str, id: &str, astro_cidr: &str, hops: Vec<Hop>) -> Self {
        let verdict = hops
            .iter()
            .map(|h| h.verdict)
            .max()
            .unwrap_or(Verdict::Unknown);
        Self {
            handshake: handshake.to_string(),
            id: id.to_string(),
            astro_cidr: astro_cidr.to_string(),
            verdict,
            hops,
        }
    }

    /// The first hop that is not passed.
    pub fn first_problem(&self) -> Option<&Hop> {
        self.hops.iter().find(|h| h.verdict != Verdict::Reachable)
    }
}

/// The whole answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub target: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Other interfaces holding the same address, in VPCs Astro does not reach (or reaches
    /// after the chosen one): `eni-.. (vpc-..)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_interfaces: Vec<String>,
    pub verdict: Verdict,
    pub summary: String,
    pub paths: Vec<PathReport>,
}

impl Report {
    /// Reachable when one path is; otherwise unknown when one path is; otherwise blocked
    /// (no path at all is blocked).
    pub fn overall(paths: &[PathReport]) -> Verdict {
        paths
            .iter()
            .map(|p| p.verdict)
            .min()
            .unwrap_or(Verdict::Blocked)
    }

    /// The report as readable lines, for a shell.
    pub fn lines(&self) -> Vec<String> {
        let mut where_ = Vec::new();
        for part in [&self.interface_id, &self.subnet_id, &self.vpc_id]
            .into_iter()
            .flatten()
        {
            where_.push(part.as_str());
        }
        let mut lines = vec![format!(
            "{}:{}{}{}: {}",
            self.target,
            self.port,
            self.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            if where_.is_empty() {
                String::new()
            } else {
                format!(" [{}]", where_.join(" "))
            },
            self.verdict.as_str().to_uppercase()
        )];
        lines.push(format!("  {}", self.summary));
        if !self.other_interfaces.is_empty() {
            lines.push(format!(
                "  also at this address, not diagnosed: {}",
                self.other_interfaces.join(", ")
            ));
        }
        for p in &self.paths {
            lines.push(format!(
                "  {} {} from {}: {}",
                p.handshake,
                p.id,
                p.astro_cidr,
                p.verdict.as_str()
            ));
            for h in &p.hops {
                let mark = match h.verdict {
                    Verdict::Reachable => "ok     ",
                    Verdict::Unknown => "UNKNOWN",
                    Verdict::Blocked => "BLOCKED",
                };
                lines.push(format!("    {mark} {:<14} {}", h.hop, h.detail));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(verdicts: &[Verdict]) -> PathReport {
        let hops = verdicts
            .iter()
            .map(|v| Hop {
                hop: "route".into(),
                verdict: *v,
                detail: String::new(),
                rule: None,
            })
            .collect();
        PathReport::new("vpc-peering", "pcx-1", "10.100.0.0/16", hops)
    }

    #[test]
    fn a_path_is_as_bad_as_its_worst_hop_and_the_target_as_good_as_its_best_path() {
        use Verdict::*;
        assert_eq!(path(&[Reachable, Reachable]).verdict, Reachable);
        assert_eq!(path(&[Reachable, Unknown]).verdict, Unknown);
        assert_eq!(path(&[Unknown, Blocked, Reachable]).verdict, Blocked);
        assert_eq!(Report::overall(&[]), Blocked);
        assert_eq!(
            Report::overall(&[path(&[Blocked]), path(&[Reachable])]),
            Reachable
        );
        assert_eq!(
            Report::overall(&[path(&[Blocked]), path(&[Unknown])]),
            Unknown
        );
        assert_eq!(
            path(&[Reachable, Blocked, Unknown])
                .first_problem()
                .map(|h| h.verdict),
            Some(Blocked)
        );
    }
}
