//! The client's address, for rate limits and the audit log. A header can be written by anyone,
//! so `X-Forwarded-For` is believed only when the TCP peer is one of the site's own reverse
//! proxies (`server.trusted_proxies`), and then read from the right: the first address that is
//! not a trusted proxy is the client (docs/security.md, "Client address").

use std::net::IpAddr;

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| format!("`{s}`: not an IP address or CIDR network"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}`: bad prefix length"))?,
            None => max,
        };
        Ok(Self { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client address: the peer itself, unless the peer is a trusted proxy; then the
/// rightmost address of `X-Forwarded-For` that is not a trusted proxy (an unparsable entry
/// stops the walk: what lies left of it is the client's own claim).
pub fn client_addr(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = forwarded_for.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty());
    for hop in hops.rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(ip("10.1.200.3")) && !c.contains(ip("10.2.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("127.0.0.1/32").unwrap().contains(ip("::ffff:127.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "proxy", "10.0.0/8", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_first_untrusted_address_from_the_right_and_only_behind_a_trusted_peer() {
        let proxies = [Cidr::parse("10.0.0.0/8").unwrap()];
        // No trusted proxy: the header is ignored, whatever it says.
        assert_eq!(client_addr(ip("198.51.100.7"), Some("1.2.3.4"), &proxies), ip("198.51.100.7"));
        assert_eq!(client_addr(ip("198.51.100.7"), Some("1.2.3.4"), &[]), ip("198.51.100.7"));
        // Behind our proxy: the address it appended, not the one the client wrote on the left.
        assert_eq!(client_addr(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7"), &proxies), ip("198.51.100.7"));
        // Through two of our proxies.
        assert_eq!(client_addr(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.7, 10.0.0.9"), &proxies), ip("198.51.100.7"));
        // Garbage on the right stops the walk at the last trusted hop.
        assert_eq!(client_addr(ip("10.0.0.2"), Some("198.51.100.7, bogus"), &proxies), ip("10.0.0.2"));
        assert_eq!(client_addr(ip("10.0.0.2"), None, &proxies), ip("10.0.0.2"));
    }
}
