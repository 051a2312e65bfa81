//! The SSRF guard: which IP addresses a did:web fetch may connect to.
//!
//! Pure classification of one address; the connector applies it to every DNS answer (or host override) and again to
//! the connected peer. Covered, IPv4: this-network 0/8, RFC 1918, CGNAT 100.64/10, loopback, link-local,
//! IETF 192.0.0/24, the three documentation /24s, 6to4 relay anycast 192.88.99/24, benchmarking 198.18/15,
//! Azure's wireserver/metadata address 168.63.129.16, multicast, reserved 240/4 and broadcast. IPv6: unspecified,
//! loopback, IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96, RFC 2765), IPv4-compatible, NAT64
//! (64:ff9b::/96 judged by the embedded IPv4; local-use 64:ff9b:1::/48 refused), discard 100::/64, the IETF block
//! 2001::/23 (Teredo, benchmarking, ORCHID), documentation 2001:db8::/32 and 3fff::/20, 6to4 2002::/16 (judged by the
//! embedded IPv4), ULA fc00::/7, link-local fe80::/10, site-local fec0::/10 and multicast ff00::/8.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 networks no did:web fetch may reach: (network, prefix length, why).
const FORBIDDEN_V4: [(u32, u8, &str); 17] = [
    (0x0000_0000, 8, "the \"this network\" block 0.0.0.0/8"),
    (0x0a00_0000, 8, "a private (RFC 1918) address"),
    (0x6440_0000, 10, "a carrier-grade NAT (100.64.0.0/10) address"),
    (0x7f00_0000, 8, "a loopback address"),
    (0xa83f_8110, 32, "a cloud platform's host service address (Azure wireserver and metadata)"),
    (0xa9fe_0000, 16, "a link-local address"),
    (0xac10_0000, 12, "a private (RFC 1918) address"),
    (0xc000_0000, 24, "an IETF protocol assignment (192.0.0.0/24)"),
    (0xc000_0200, 24, "a documentation address"),
    (0xc058_6300, 24, "the 6to4 relay anycast block"),
    (0xc0a8_0000, 16, "a private (RFC 1918) address"),
    (0xc612_0000, 15, "a benchmarking (198.18.0.0/15) address"),
    (0xc633_6400, 24, "a documentation address"),
    (0xcb00_7100, 24, "a documentation address"),
    (0xe000_0000, 4, "a multicast address"),
    (0xf000_0000, 4, "a reserved (240.0.0.0/4) or broadcast address"),
    (0xffff_ffff, 32, "the broadcast address"),
];

/// IPv6 networks refused outright: (network, prefix length, why). Forms embedding IPv4 are handled separately.
const FORBIDDEN_V6: [(u128, u8, &str); 11] = [
    (0, 128, "the unspecified address"),
    (1, 128, "a loopback address"),
    (0x0064_ff9b_0001 << 80, 48, "a local-use NAT64 address"),
    (0x0100 << 112, 64, "a discard-only address"),
    (0x2001 << 112, 23, "an IETF protocol assignment (2001::/23: Teredo, benchmarking, ORCHID)"),
    (0x2001_0db8 << 96, 32, "a documentation address"),
    (0x3fff << 112, 20, "a documentation address"),
    (0xfc00 << 112, 7, "a unique local (fc00::/7) address"),
    (0xfe80 << 112, 10, "a link-local address"),
    (0xfec0 << 112, 10, "a site-local address"),
    (0xff00 << 112, 8, "a multicast address"),
];

/// Why `ip` must not be fetched from, or `None` when it is a public unicast address.
pub(crate) fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let bits = u32::from(ip);
    FORBIDDEN_V4.iter().find(|(network, prefix, _)| in_prefix_v4(bits, *network, *prefix)).map(|(_, _, why)| *why)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    if let Some((_, _, why)) = FORBIDDEN_V6.iter().find(|(network, prefix, _)| in_prefix_v6(bits, *network, *prefix)) {
        return Some(why);
    }
    embedded_v4(bits).and_then(forbidden_v4)
}

/// IPv6 /96 prefixes whose low 32 bits are an IPv4 address: IPv4-mapped (::ffff:0:0/96), IPv4-translated
/// (::ffff:0:0:0/96), IPv4-compatible (::/96) and NAT64 (64:ff9b::/96).
const EMBEDDING_V4: [u128; 4] = [0xffff << 32, 0xffff << 48, 0, 0x0064_ff9b << 96];

/// The IPv4 address carried by the [`EMBEDDING_V4`] forms and by 6to4 (2002::/16) addresses; a forbidden embedded
/// address makes the IPv6 form forbidden too.
fn embedded_v4(bits: u128) -> Option<Ipv4Addr> {
    if EMBEDDING_V4.iter().any(|network| in_prefix_v6(bits, *network, 96)) {
        return Some(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
    }
    if in_prefix_v6(bits, 0x2002 << 112, 16) {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

fn in_prefix_v4(bits: u32, network: u32, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    bits & mask == network & mask
}

fn in_prefix_v6(bits: u128, network: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    bits & mask == network & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        forbidden_reason(text.parse().unwrap()).is_some()
    }

    #[test]
    fn refuses_non_public_ipv4() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "168.63.129.16",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn refuses_non_public_ipv6_and_embedded_forms() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.1.2.3",
            "::ffff:0:169.254.169.254",
            "::ffff:168.63.129.16",
            "::127.0.0.1",
            "64:ff9b::192.168.0.1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn passes_public_addresses() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "::ffff:0:8.8.8.8",
            "168.63.129.15",
            "168.63.129.17",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }
}
