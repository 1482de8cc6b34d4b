//! Keeping discovered articles out of the private network. A feed can
//! list any link, including `http://169.254.169.254/…` (a cloud metadata
//! service) or `http://localhost:6379/` (a database on the daemon's own
//! machine); a target found by discovery must not make Redline fetch them.
//!
//! The check is made on the addresses a connection will actually use: the
//! public-only client resolves names through [`PublicResolver`], which
//! drops every address that is not public, so a name that resolves to a
//! public address once and a private one later (DNS rebinding) cannot get
//! round it. Addresses written in the URL itself, which no resolver sees,
//! are checked before the request and at every redirect. Targets a person
//! added (by hand or in the config) are fetched wherever they point: the
//! user asked for them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses a fetch may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Anywhere (targets and sources a person added).
    #[default]
    Any,
    /// Public addresses only (targets found by discovery, unless
    /// `[discovery] allow_private`).
    Public,
}

/// Whether an address is on the public internet: not loopback, link-local,
/// private (RFC 1918, IPv6 unique local), shared (RFC 6598),
/// unspecified, broadcast, multicast or reserved for documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), RFC 6598.
        || (a == 100 && (64..128).contains(&b))
        // Reserved for future use, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// Why a fetch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{host} is on a private or local address ({address}); articles found by discovery may not reach the private network ([discovery] allow_private)"
)]
pub struct PrivateAddress {
    /// The name or address of the URL.
    pub host: String,
    /// The address it stands for.
    pub address: IpAddr,
}

/// The address a URL names literally, when it is not public.
pub fn private_literal(url: &url::Url) -> Option<PrivateAddress> {
    let address = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    (!is_public(address)).then(|| PrivateAddress {
        host: url.host_str().unwrap_or_default().to_string(),
        address,
    })
}

/// Resolves names with the system resolver and keeps public addresses
/// only; a name with none left is an error naming the first one dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                all.iter().copied().filter(|a| is_public(a.ip())).collect();
            match (public.is_empty(), all.first()) {
                (true, Some(first)) => Err(Box::new(PrivateAddress {
                    host,
                    address: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_local_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00::1",
            "fc12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_addresses_in_urls_are_caught() {
        let private = |u: &str| private_literal(&url::Url::parse(u).unwrap());
        assert!(private("http://169.254.169.254/latest/meta-data/").is_some());
        assert!(private("http://[::1]:6379/").is_some());
        assert!(
            private("http://2130706433/").is_some(),
            "127.0.0.1 as one number"
        );
        assert!(
            private("http://example.com/").is_none(),
            "names go to the resolver"
        );
        assert!(private("http://93.184.216.34/").is_none());
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses() {
        let err = PublicResolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(err.to_string().contains("localhost"), "{err}");
    }
}
