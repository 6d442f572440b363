//! Which route tables of a VPC receive routes to the Astro CIDRs.

use crate::ids;
use crate::model::RouteTable;

/// The `RouteTableSelector` parameter: `all`, `main`, `tag:Key=Value`, or `rtb-` ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTableSelector {
    All,
    Main,
    Tag { key: String, value: String },
    Ids(Vec<String>),
}

impl RouteTableSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "" | "all" => Ok(Self::All),
            "main" => Ok(Self::Main),
            _ => {
                if let Some(rest) = text.strip_prefix("tag:") {
                    let (key, value) = rest.split_once('=').ok_or_else(|| {
                        format!("route table selector `{text}`: expected tag:Key=Value")
                    })?;
                    if key.is_empty() {
                        return Err(format!("route table selector `{text}`: empty tag key"));
                    }
                    return Ok(Self::Tag {
                        key: key.to_string(),
                        value: value.to_string(),
                    });
                }
                let ids: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = ids.iter().find(|id| !ids::is_route_table_id(id)) {
                    return Err(format!(
                        "route table selector `{text}`: `{bad}` is not all, main, tag:Key=Value or an rtb- id"
                    ));
                }
                Ok(Self::Ids(ids))
            }
        }
    }

    pub fn matches(&self, table: &RouteTable) -> bool {
        match self {
            Self::All => true,
            Self::Main => table.main,
            Self::Tag { key, value } => table.tags.get(key) == Some(value),
            Self::Ids(ids) => ids.iter().any(|id| id == &table.id),
        }
    }

    /// The tables of one VPC that this selector picks, in a stable order.
    pub fn select<'a>(&self, tables: &'a [RouteTable]) -> Vec<&'a RouteTable> {
        let mut chosen: Vec<&RouteTable> = tables.iter().filter(|t| self.matches(t)).collect();
        chosen.sort_by(|a, b| a.id.cmp(&b.id));
        chosen
    }
}

impl std::fmt::Display for RouteTableSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Main => f.write_str("main"),
            Self::Tag { key, value } => write!(f, "tag:{key}={value}"),
            Self::Ids(ids) => f.write_str(&ids.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn table(id: &str, main: bool, tags: &[(&str, &str)]) -> RouteTable {
        RouteTable {
            id: id.into(),
            main,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            routes: vec![],
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            RouteTableSelector::parse("").unwrap(),
            RouteTableSelector::All
        );
        assert_eq!(
            RouteTableSelector::parse("all").unwrap(),
            RouteTableSelector::All
        );
        assert_eq!(
            RouteTableSelector::parse("main").unwrap(),
            RouteTableSelector::Main
        );
        assert_eq!(
            RouteTableSelector::parse("tag:astro=yes").unwrap(),
            RouteTableSelector::Tag {
                key: "astro".into(),
                value: "yes".into()
            }
        );
        assert_eq!(
            RouteTableSelector::parse("rtb-0123abcd, rtb-4567ef01").unwrap(),
            RouteTableSelector::Ids(vec!["rtb-0123abcd".into(), "rtb-4567ef01".into()])
        );
        assert!(RouteTableSelector::parse("tag:novalue").is_err());
        assert!(RouteTableSelector::parse("tag:=x").is_err());
        assert!(RouteTableSelector::parse("rtb-0123abcd,subnet-1234abcd").is_err());
        assert!(RouteTableSelector::parse("everything").is_err());
    }

    #[test]
    fn selects_tables() {
        let tables = vec![
            table("rtb-000000b2", false, &[("astro", "yes")]),
            table("rtb-000000a1", true, &[]),
            table("rtb-000000c3", false, &[("astro", "no")]),
        ];
        let ids = |sel: RouteTableSelector| -> Vec<String> {
            sel.select(&tables).iter().map(|t| t.id.clone()).collect()
        };
        assert_eq!(
            ids(RouteTableSelector::All),
            ["rtb-000000a1", "rtb-000000b2", "rtb-000000c3"]
        );
        assert_eq!(ids(RouteTableSelector::Main), ["rtb-000000a1"]);
        assert_eq!(
            ids(RouteTableSelector::Tag {
                key: "astro".into(),
                value: "yes".into()
            }),
            ["rtb-000000b2"]
        );
        assert_eq!(
            ids(RouteTableSelector::Ids(vec![
                "rtb-000000c3".into(),
                "rtb-ffffffff".into()
            ])),
            ["rtb-000000c3"]
        );
    }
}
