//! IPv4 CIDR rules shared by every handshake.

use ipnet::Ipv4Net;

/// AWS VPC CIDR blocks are between /16 and /28: anything broader cannot be a VPC
/// block and is refused as a default or over-broad route.
pub const BROADEST_VPC_PREFIX: u8 = 16;

/// Parses a CIDR, normalising host bits away (`10.1.2.3/16` -> `10.1.0.0/16`).
pub fn parse(text: &str) -> Result<Ipv4Net, String> {
    text.trim()
        .parse::<Ipv4Net>()
        .map(|net| net.trunc())
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR"))
}

/// Whether `inner` lies entirely inside `outer`.
pub fn within(inner: &Ipv4Net, outer: &Ipv4Net) -> bool {
    outer.contains(inner)
}

/// Whether two blocks share at least one address.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A default route or a block broader than any VPC can have.
pub fn over_broad(net: &Ipv4Net) -> bool {
    net.prefix_len() < BROADEST_VPC_PREFIX
}

/// Why a requester CIDR may not be routed, if it may not.
pub fn refusal(candidate: &Ipv4Net, allowed: &[Ipv4Net], local: &[Ipv4Net]) -> Option<String> {
    if over_broad(candidate) {
        return Some(format!(
            "CIDR {candidate} is a default or over-broad route (broader than /{BROADEST_VPC_PREFIX})"
        ));
    }
    if !allowed.iter().any(|outer| within(candidate, outer)) {
        return Some(format!("CIDR {candidate} is outside AstroCidrs"));
    }
    if let Some(clash) = local.iter().find(|own| overlaps(candidate, own)) {
        return Some(format!("CIDR {candidate} overlaps the local CIDR {clash}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        parse(s).unwrap()
    }

    #[test]
    fn parse_normalises_host_bits_and_rejects_garbage() {
        assert_eq!(net("10.1.2.3/16").to_string(), "10.1.0.0/16");
        assert!(parse("10.1.0.0").is_err());
        assert!(parse("fd00::/8").is_err());
        assert!(parse("banana").is_err());
    }

    #[test]
    fn containment_and_overlap() {
        assert!(within(&net("10.1.4.0/24"), &net("10.1.0.0/16")));
        assert!(!within(&net("10.0.0.0/8"), &net("10.1.0.0/16")));
        assert!(overlaps(&net("10.0.0.0/8"), &net("10.1.0.0/16")));
        assert!(overlaps(&net("10.1.0.0/16"), &net("10.1.255.0/24")));
        assert!(!overlaps(&net("10.1.0.0/16"), &net("10.2.0.0/16")));
    }

    #[test]
    fn refusal_reasons() {
        let allowed = [net("10.100.0.0/16")];
        let local = [net("10.100.128.0/20")];
        assert!(refusal(&net("0.0.0.0/0"), &allowed, &local)
            .unwrap()
            .contains("over-broad"));
        assert!(refusal(&net("10.0.0.0/8"), &allowed, &local)
            .unwrap()
            .contains("over-broad"));
        assert!(refusal(&net("10.200.0.0/16"), &allowed, &local)
            .unwrap()
            .contains("outside AstroCidrs"));
        assert!(refusal(&net("10.100.128.0/24"), &allowed, &local)
            .unwrap()
            .contains("overlaps"));
        assert_eq!(refusal(&net("10.100.0.0/20"), &allowed, &local), None);
    }
}
