//! Who the client is, and whether it connected over HTTPS, when reverse proxies stand in front.
//! Forwarding headers are believed only from a peer listed in `PAYMATCH_TRUSTED_PROXIES` (anyone
//! else could write them), and only the one header named by `PAYMATCH_TRUSTED_PROXY_HEADER`: a
//! proxy passes on the other as the client sent it.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The reverse proxies whose forwarding header is believed (empty: none), and which header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ProxyHeader,
}

/// The one header the trusted proxies write the client's address in. With `X-Forwarded-For`
/// the scheme comes from `X-Forwarded-Proto`; with `Forwarded`, from its `proto=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    #[default]
    XForwardedFor,
    Forwarded,
}

impl ProxyHeader {
    /// `x-forwarded-for` or `forwarded`, in any case.
    pub fn parse(name: &str) -> Result<ProxyHeader, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ProxyHeader::XForwardedFor),
            "forwarded" => Ok(ProxyHeader::Forwarded),
            _ => Err(format!("{name:?} is not x-forwarded-for or forwarded")),
        }
    }
}

/// The forwarding headers of one request, every occurrence in the order received.
#[derive(Debug, Default)]
pub struct Forwarding<'a> {
    pub forwarded: Vec<&'a str>,
    pub x_forwarded_for: Vec<&'a str>,
    pub x_forwarded_proto: Vec<&'a str>,
}

impl TrustedProxies {
    /// Comma-separated addresses (`10.0.0.7`, `::1`) or CIDR ranges (`10.0.0.0/8`), believed
    /// in `X-Forwarded-For` until [`TrustedProxies::believing`] says otherwise.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(|networks| TrustedProxies {
                networks,
                header: ProxyHeader::default(),
            })
    }

    pub fn believing(self, header: ProxyHeader) -> TrustedProxies {
        TrustedProxies { header, ..self }
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.networks.iter().any(|net| net.contains(&address))
    }

    /// The client: starting at the TCP peer, each hop a trusted proxy names is believed, from
    /// the nearest hop outwards, until a hop is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &Forwarding) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in headers.chain(self.header).into_iter().rev() {
            match hop {
                Some(address) if self.trusts(client) => client = address.to_canonical(),
                _ => break,
            }
        }
        client
    }

    /// HTTPS directly, or the scheme the nearest trusted proxy reports.
    pub fn is_https(&self, peer: IpAddr, headers: &Forwarding, direct_tls: bool) -> bool {
        if direct_tls {
            return true;
        }
        if !self.trusts(peer) {
            return false;
        }
        // The last value is the one the proxy in front of us wrote.
        let proto = match self.header {
            ProxyHeader::Forwarded => headers
                .forwarded_elements()
                .next_back()
                .and_then(|element| param(element, "proto")),
            ProxyHeader::XForwardedFor => headers
                .x_forwarded_proto
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .next_back(),
        };
        proto.is_some_and(|p| p.eq_ignore_ascii_case("https"))
    }
}

impl Forwarding<'_> {
    fn forwarded_elements(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.forwarded.iter().flat_map(|v| v.split(','))
    }

    /// The hops in `header`, client first; `None` for a hop that is not an address
    /// (`unknown`, `_hidden`).
    fn chain(&self, header: ProxyHeader) -> Vec<Option<IpAddr>> {
        match header {
            ProxyHeader::Forwarded => self
                .forwarded_elements()
                .map(|element| param(element, "for").and_then(node_address))
                .collect(),
            ProxyHeader::XForwardedFor => self
                .x_forwarded_for
                .iter()
                .flat_map(|v| v.split(','))
                .map(|hop| node_address(hop.trim()))
                .collect(),
        }
    }
}

/// `key=value` in one `Forwarded` element (`for=1.2.3.4;proto=https`), unquoted.
fn param<'a>(element: &'a str, key: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"'))
    })
}

/// An address with or without a port: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `[::1]:80`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse().ok().or_else(|| {
        let (host, port) = node.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn xff(value: &str) -> Forwarding<'_> {
        Forwarding {
            x_forwarded_for: vec![value],
            ..Forwarding::default()
        }
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,::1,2001:db8::/32,").unwrap();
        for inside in [
            "10.1.2.3",
            "127.0.0.1",
            "::1",
            "2001:db8::7",
            "::ffff:10.9.9.9",
        ] {
            assert!(proxies.trusts(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "127.0.0.2", "::2", "2001:db9::1"] {
            assert!(!proxies.trusts(ip(outside)), "{outside}");
        }
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        for bad in ["10.0.0.0/33", "localhost", "10.0.0", "1.2.3.4/x", "::1/129"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let none = TrustedProxies::default();
        let local = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let headers = xff("203.0.113.5");
        assert_eq!(none.client(ip("127.0.0.1"), &headers), ip("127.0.0.1"));
        assert_eq!(local.client(ip("127.0.0.1"), &headers), ip("203.0.113.5"));
        assert_eq!(
            local.client(ip("198.51.100.1"), &headers),
            ip("198.51.100.1")
        );
        assert_eq!(
            local.client(ip("::ffff:127.0.0.1"), &headers),
            ip("203.0.113.5")
        );
        assert_eq!(local.client(ip("127.0.0.1"), &xff("")), ip("127.0.0.1"));
    }

    #[test]
    fn a_spoofed_hop_left_of_the_first_untrusted_one_is_ignored() {
        let local = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The client wrote 1.1.1.1 itself; the proxies appended the rest.
        let headers = xff("1.1.1.1, 203.0.113.5, 10.0.0.2");
        assert_eq!(local.client(ip("127.0.0.1"), &headers), ip("203.0.113.5"));
        let two = Forwarding {
            x_forwarded_for: vec!["1.1.1.1", "203.0.113.5:4711"],
            ..Forwarding::default()
        };
        assert_eq!(local.client(ip("10.0.0.1"), &two), ip("203.0.113.5"));
        // Every hop a proxy: the outermost is the client.
        assert_eq!(
            local.client(ip("127.0.0.1"), &xff("10.0.0.3, 10.0.0.2")),
            ip("10.0.0.3")
        );
        // Garbage stops the walk at the proxy that passed it on.
        assert_eq!(
            local.client(ip("127.0.0.1"), &xff("203.0.113.5, nonsense")),
            ip("127.0.0.1")
        );
    }

    /// What a client sends beside what the proxy writes: both headers, both schemes.
    fn both_headers() -> Forwarding<'static> {
        Forwarding {
            forwarded: vec![r#"for=1.1.1.1, For="[2001:db8:cafe::17]:4711";proto=https"#],
            x_forwarded_for: vec!["203.0.113.5"],
            x_forwarded_proto: vec!["http"],
        }
    }

    #[test]
    fn only_x_forwarded_for_is_believed_by_default() {
        let local = TrustedProxies::parse("127.0.0.1").unwrap();
        let headers = both_headers();
        assert_eq!(local.client(ip("127.0.0.1"), &headers), ip("203.0.113.5"));
        assert!(!local.is_https(ip("127.0.0.1"), &headers, false));
        // A client's own `Forwarded` alone changes nothing either.
        let spoofed = Forwarding {
            forwarded: vec!["for=1.1.1.1;proto=https"],
            ..Forwarding::default()
        };
        assert_eq!(local.client(ip("127.0.0.1"), &spoofed), ip("127.0.0.1"));
        assert!(!local.is_https(ip("127.0.0.1"), &spoofed, false));
    }

    #[test]
    fn only_forwarded_is_believed_when_chosen() {
        let local = TrustedProxies::parse("127.0.0.1")
            .unwrap()
            .believing(ProxyHeader::Forwarded);
        let headers = both_headers();
        assert_eq!(
            local.client(ip("127.0.0.1"), &headers),
            ip("2001:db8:cafe::17")
        );
        assert!(local.is_https(ip("127.0.0.1"), &headers, false));
        let spoofed = Forwarding {
            x_forwarded_for: vec!["1.1.1.1"],
            x_forwarded_proto: vec!["https"],
            ..Forwarding::default()
        };
        assert_eq!(local.client(ip("127.0.0.1"), &spoofed), ip("127.0.0.1"));
        assert!(!local.is_https(ip("127.0.0.1"), &spoofed, false));
        // The scheme is the nearest proxy's, not one a client put further left.
        let hidden = Forwarding {
            forwarded: vec!["for=1.1.1.1;proto=https", "for=_hidden"],
            ..Forwarding::default()
        };
        assert_eq!(local.client(ip("127.0.0.1"), &hidden), ip("127.0.0.1"));
        assert!(!local.is_https(ip("127.0.0.1"), &hidden, false));
    }

    #[test]
    fn the_header_is_named_in_any_case() {
        assert_eq!(
            ProxyHeader::parse(" X-Forwarded-For"),
            Ok(ProxyHeader::XForwardedFor)
        );
        assert_eq!(ProxyHeader::parse("Forwarded"), Ok(ProxyHeader::Forwarded));
        for bad in ["", "x-real-ip", "both"] {
            assert!(ProxyHeader::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn https_from_a_trusted_proxy_or_directly() {
        let local = TrustedProxies::parse("127.0.0.1").unwrap();
        let proto = |v| Forwarding {
            x_forwarded_proto: vec![v],
            ..Forwarding::default()
        };
        assert!(local.is_https(ip("127.0.0.1"), &proto("https"), false));
        assert!(local.is_https(ip("127.0.0.1"), &proto("http, HTTPS"), false));
        assert!(!local.is_https(ip("127.0.0.1"), &proto("https, http"), false));
        assert!(!local.is_https(ip("192.0.2.1"), &proto("https"), false));
        assert!(!TrustedProxies::default().is_https(ip("127.0.0.1"), &proto("https"), false));
        assert!(TrustedProxies::default().is_https(ip("192.0.2.1"), &proto("http"), true));
    }
}
