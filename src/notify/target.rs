//! Where a notification may go. A server on the open internet must not be made to reach its
//! own network: only globally routable unicast addresses pass (unless the operator allows
//! private ones), and the address judged is the address connected to — reqwest connects to
//! what [`VettedResolver`] returns, so a second DNS answer cannot rebind the target.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::deliver::DeliveryError;

/// A DNS server that does not answer must not hold a delivery slot for long.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// IPv4 ranges that are not globally routable unicast (RFC 6890 and its updates).
const V4_NOT_GLOBAL: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, cloud metadata
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, broadcast
];

fn in_v4(ip: Ipv4Addr, (base, len): (Ipv4Addr, u8)) -> bool {
    let shift = 32 - u32::from(len);
    u32::from(ip) >> shift == u32::from(base) >> shift
}

fn in_v6(ip: Ipv6Addr, base: Ipv6Addr, len: u8) -> bool {
    let shift = 128 - u32::from(len);
    u128::from(ip) >> shift == u128::from(base) >> shift
}

fn v4_at(bits: u128) -> Ipv4Addr {
    // Truncation keeps the low 32 bits: the embedded address.
    Ipv4Addr::from(bits as u32)
}

/// Whether a notification may connect to `ip`: globally routable unicast only. An IPv4
/// address carried inside IPv6 (mapped, compatible, NAT64, 6to4, Teredo) is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !V4_NOT_GLOBAL.iter().any(|range| in_v4(v4, *range)),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    const MAPPED: Ipv6Addr = Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0);
    const NAT64: Ipv6Addr = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);
    const SIX_TO_FOUR: Ipv6Addr = Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0);
    const TEREDO: Ipv6Addr = Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0);
    const GLOBAL_UNICAST: Ipv6Addr = Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0);
    const DOCUMENTATION: [(Ipv6Addr, u8); 2] = [
        (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
        (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
    ];
    let bits = u128::from(ip);
    let public_v4 = |v4: Ipv4Addr| is_public(IpAddr::V4(v4));
    if in_v6(ip, MAPPED, 96) || in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        // IPv4-mapped, and IPv4-compatible (which takes in :: and ::1).
        return public_v4(v4_at(bits));
    }
    if in_v6(ip, NAT64, 96) {
        return public_v4(v4_at(bits));
    }
    if in_v6(ip, SIX_TO_FOUR, 16) {
        return public_v4(v4_at(bits >> 80));
    }
    if in_v6(ip, TEREDO, 32) {
        // Teredo: the server's address, and the client's with its bits inverted.
        return public_v4(v4_at(bits >> 64)) && public_v4(v4_at(!bits));
    }
    // Global unicast is 2000::/3 (so ULA fc00::/7, link-local, site-local fec0::/10,
    // multicast ff00::/8 and NAT64 for local use 64:ff9b:1::/48 are out), less its
    // special-purpose blocks: IETF assignments 2001::/23 and documentation.
    in_v6(ip, GLOBAL_UNICAST, 3)
        && !in_v6(ip, TEREDO, 23)
        && !DOCUMENTATION
            .iter()
            .any(|(base, len)| in_v6(ip, *base, *len))
}

/// A URL as it may be shown in logs and to admins: no user, password, query or fragment
/// (shops put tokens there).
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            // Fails only for URLs that cannot have a user (no host): nothing to remove then.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => {
            let end = url.find(['?', '#']).unwrap_or(url.len());
            let start = url[..end].rfind('@').map_or(0, |at| at + 1);
            url[start..end].to_owned()
        }
    }
}

/// The target a notification's delivery slot is counted against: the host and port of its
/// URL, or `default` for orders that use `PAYMATCH_NOTIFY_URL`.
pub fn fairness_key(notify_url: Option<&str>) -> String {
    let Some(url) = notify_url else {
        return "default".to_owned();
    };
    match reqwest::Url::parse(url) {
        Ok(parsed) => format!(
            "{}:{}",
            parsed.host_str().unwrap_or_default(),
            parsed.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => redacted(url),
    }
}

/// Keeps the addresses a notification may reach; an error when none is left.
pub fn vet(
    host: &str,
    found: impl IntoIterator<Item = SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, DeliveryError> {
    let found: Vec<SocketAddr> = found.into_iter().collect();
    let Some(first) = found.first() else {
        return Err(DeliveryError::Resolve(format!("{host} has no address")));
    };
    let first = first.ip();
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| allow_private || is_public(a.ip()))
        .collect();
    if kept.is_empty() {
        return Err(DeliveryError::PrivateAddress(format!("{host} ({first})")));
    }
    Ok(kept)
}

/// The notification client's resolver: a time limit, then [`vet`].
#[derive(Debug, Clone, Copy)]
pub struct VettedResolver {
    pub allow_private: bool,
}

impl Resolve for VettedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str();
            let found = tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host, 0)))
                .await
                .map_err(|_| DeliveryError::Resolve(format!("{host}: no answer in 5 s")))?
                .map_err(|e| DeliveryError::Resolve(format!("{host}: {e}")))?;
            let addrs: Addrs = Box::new(vet(host, found, allow_private)?.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_globally_routable_unicast_is_public() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "ff0e::1",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            "2001:2::1",
            // IPv4 inside IPv6, judged as IPv4.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::7f00:1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "64:ff9b:1::808:808",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            // Teredo: server 65.54.227.120, client 127.0.0.1 (inverted: 80ff:fffe).
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            // Teredo with a private server address.
            "2001:0:a00:1::1",
        ] {
            let ip: IpAddr = refused.parse().expect("an address");
            assert!(!is_public(ip), "{refused} passed");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            // Teredo: server 65.54.227.120, client 8.8.8.8 (inverted: f7f7:f7f7).
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
        ] {
            let ip: IpAddr = public.parse().expect("an address");
            assert!(is_public(ip), "{public} refused");
        }
    }

    #[test]
    fn the_resolver_keeps_only_public_addresses() {
        let addr = |text: &str| SocketAddr::new(text.parse().expect("an address"), 0);
        let kept = vet(
            "shop.example",
            [addr("127.0.0.1"), addr("8.8.8.8"), addr("::ffff:10.0.0.1")],
            false,
        )
        .expect("one public address");
        assert_eq!(kept, [addr("8.8.8.8")]);
        assert!(matches!(
            vet("shop.example", [addr("::7f00:1"), addr("10.0.0.1")], false),
            Err(DeliveryError::PrivateAddress(_))
        ));
        assert_eq!(
            vet("shop.example", [addr("10.0.0.1")], true).expect("allowed"),
            [addr("10.0.0.1")]
        );
        assert!(matches!(
            vet("shop.example", [], true),
            Err(DeliveryError::Resolve(_))
        ));
    }

    #[tokio::test]
    async fn localhost_resolves_to_nothing_usable_unless_private_is_allowed() {
        let name = || "localhost".parse::<Name>().expect("a host name");
        let refused = VettedResolver {
            allow_private: false,
        }
        .resolve(name())
        .await;
        let error = refused.err().expect("localhost is refused");
        assert!(error.downcast_ref::<DeliveryError>().is_some(), "{error}");
        let allowed = VettedResolver {
            allow_private: true,
        }
        .resolve(name())
        .await
        .map_err(|e| e.to_string())
        .expect("localhost resolves");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn targets_are_host_and_port() {
        assert_eq!(
            fairness_key(Some("https://u:p@Shop.Example/hook?t=1")),
            "shop.example:443"
        );
        assert_eq!(
            fairness_key(Some("http://127.0.0.1:8081/a")),
            "127.0.0.1:8081"
        );
        assert_eq!(fairness_key(None), "default");
    }

    #[test]
    fn shown_urls_lose_credentials_and_queries() {
        assert_eq!(
            redacted("https://user:pw@shop.example:8443/hook?token=s3cret#frag"),
            "https://shop.example:8443/hook"
        );
        assert_eq!(redacted("not a url?token=x"), "not a url");
        assert_eq!(redacted("ftp//u:p@x?token=x"), "x");
    }
}
