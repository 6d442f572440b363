//! Shapes of AWS identifiers, checked before they are used in a call.

fn prefixed_hex(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        (8..=17).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

pub fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_vpc_id(value: &str) -> bool {
    prefixed_hex(value, "vpc-")
}

pub fn is_route_table_id(value: &str) -> bool {
    prefixed_hex(value, "rtb-")
}

pub fn is_peering_id(value: &str) -> bool {
    prefixed_hex(value, "pcx-")
}

pub fn is_tgw_id(value: &str) -> bool {
    prefixed_hex(value, "tgw-")
}

pub fn is_tgw_attachment_id(value: &str) -> bool {
    prefixed_hex(value, "tgw-attach-")
}

pub fn is_tgw_route_table_id(value: &str) -> bool {
    prefixed_hex(value, "tgw-rtb-")
}

/// A VPC endpoint service id (`vpce-svc-` and hex).
pub fn is_endpoint_service_id(value: &str) -> bool {
    prefixed_hex(value, "vpce-svc-")
}

/// A VPC endpoint id (`vpce-` and hex; never a `vpce-svc-` service id).
pub fn is_vpc_endpoint_id(value: &str) -> bool {
    prefixed_hex(value, "vpce-")
}

/// A network interface id (`eni-` and hex).
pub fn is_network_interface_id(value: &str) -> bool {
    prefixed_hex(value, "eni-")
}

/// A hosted zone id as the API gives it (`Z` and letters/digits), without `/hostedzone/`.
pub fn is_zone_id(value: &str) -> bool {
    (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `Z123` from `Z123` or `/hostedzone/Z123`.
pub fn bare_zone_id(value: &str) -> &str {
    value.trim().trim_start_matches("/hostedzone/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_account_id("111111111111"));
        assert!(!is_account_id("11111111111a"));
        assert!(is_vpc_id("vpc-0a1b2c3d"));
        assert!(is_vpc_id("vpc-0a1b2c3d4e5f60718"));
        assert!(!is_vpc_id("vpc-xyz12345"));
        assert!(!is_vpc_id("rtb-0a1b2c3d"));
        assert!(is_peering_id("pcx-1234abcd"));
        assert!(is_tgw_attachment_id("tgw-attach-0123456789abcdef0"));
        assert!(!is_tgw_id("tgw-attach-0123456789abcdef0"));
        assert!(is_tgw_route_table_id("tgw-rtb-0123456789abcdef0"));
        assert!(is_endpoint_service_id("vpce-svc-0123456789abcdef0"));
        assert!(!is_endpoint_service_id("vpce-0123456789abcdef0"));
        assert!(is_vpc_endpoint_id("vpce-0123456789abcdef0"));
        assert!(!is_vpc_endpoint_id("vpce-svc-0123456789abcdef0"));
    }

    #[test]
    fn zone_ids() {
        assert!(is_zone_id("Z1RWWTK7Y8UDDQ"));
        assert!(!is_zone_id("/hostedzone/Z1"));
        assert!(!is_zone_id("z1rww"));
        assert!(!is_zone_id(""));
        assert_eq!(bare_zone_id("/hostedzone/Z1"), "Z1");
    }
}
