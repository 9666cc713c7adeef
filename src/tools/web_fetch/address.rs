//! Which addresses `web_fetch` may connect to. A fetched URL is the model's choice, so without
//! this check a page (or a prompt injected into one) could make reins read the cloud metadata
//! service (169.254.169.254), a router's admin page or a service on localhost. Only globally
//! routable addresses are reached, unless the user named the host in `[web_fetch] private_hosts`.
//!
//! The check is made on the addresses the connection really uses: the client resolves names
//! through [`GuardedResolver`], which refuses the whole answer when any address is private, so
//! a name that resolves to a public address for a check and a private one for the connection
//! (DNS rebinding) cannot get through. IP literals never reach a resolver; [`check_literal`]
//! covers them before each request.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address was refused.
#[derive(Debug, thiserror::Error)]
#[error("`{host}` resolves to {addr}, a {class} address; web_fetch reaches only public addresses unless the user lists the host in [web_fetch] private_hosts")]
pub struct PrivateAddress {
    pub host: String,
    pub addr: IpAddr,
    pub class: &'static str,
}

/// The hosts the user allowed to resolve to non-public addresses, lowercased.
#[derive(Debug, Clone, Default)]
pub struct PrivateHosts(Vec<String>);

impl PrivateHosts {
    pub fn new(hosts: &[String]) -> Self {
        PrivateHosts(hosts.iter().map(|h| bare(h).to_ascii_lowercase()).collect())
    }

    fn allows(&self, host: &str) -> bool {
        let host = bare(host).to_ascii_lowercase();
        self.0.contains(&host)
    }

    /// Refuses `addr` for `host` unless it is public or the host is listed.
    pub fn check(&self, host: &str, addr: IpAddr) -> Result<(), PrivateAddress> {
        match class(addr) {
            Some(class) if !self.allows(host) => Err(PrivateAddress {
                host: host.to_string(),
                addr,
                class,
            }),
            _ => Ok(()),
        }
    }
}

/// A host without the brackets of an IPv6 literal.
fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// An IP literal host is checked here: the client connects to it without resolving.
pub fn check_literal(hosts: &PrivateHosts, host: &str) -> Result<(), PrivateAddress> {
    match bare(host).parse::<IpAddr>() {
        Ok(addr) => hosts.check(host, addr),
        Err(_) => Ok(()),
    }
}

/// What kind of non-public address `addr` is, or `None` for a globally routable one.
pub fn class(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => class_v6(v6),
    }
}

fn class_v4(a: Ipv4Addr) -> Option<&'static str> {
    let [o1, o2, ..] = a.octets();
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_private() {
        Some("private")
    } else if a.is_link_local() {
        Some("link-local")
    } else if a.is_unspecified() || o1 == 0 {
        Some("unspecified")
    } else if o1 == 100 && (64..128).contains(&o2) {
        Some("shared (carrier-grade NAT)")
    } else if a.is_multicast() || a.is_broadcast() || o1 >= 240 {
        Some("multicast or reserved")
    } else if a.is_documentation()
        || (o1 == 198 && (18..20).contains(&o2))
        || (o1 == 192 && o2 == 0 && a.octets()[2] == 0)
    {
        Some("reserved")
    } else {
        None
    }
}

fn class_v6(a: Ipv6Addr) -> Option<&'static str> {
    // IPv4 carried inside IPv6 (mapped ::ffff:a.b.c.d, or NAT64 64:ff9b::/96) reaches the
    // IPv4 address: judge that one.
    if let Some(v4) = a.to_ipv4_mapped() {
        return class_v4(v4);
    }
    let s = a.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return class_v4(v4);
    }
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_unspecified() {
        Some("unspecified")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Some("private (unique local)")
    } else if (s[0] & 0xffc0) == 0xfe80 || (s[0] & 0xffc0) == 0xfec0 {
        Some("link-local")
    } else if a.is_multicast() {
        Some("multicast or reserved")
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Some("reserved")
    } else if s[..6] == [0, 0, 0, 0, 0, 0] {
        // Deprecated IPv4-compatible addresses (::a.b.c.d).
        Some("reserved")
    } else {
        None
    }
}

/// The client's resolver: the system's answer, refused whole when any address is not allowed,
/// so the connection can only use addresses that passed the check.
pub struct GuardedResolver {
    pub hosts: PrivateHosts,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let hosts = self.hosts.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                hosts.check(&host, a.ip())?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(hosts: PrivateHosts) -> Arc<Self> {
        Arc::new(GuardedResolver { hosts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_addresses_are_classed() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "ff02::1",
        ] {
            assert!(class(ip(a)).is_some(), "{a} should be refused");
        }
        for a in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(class(ip(a)), None, "{a} is public");
        }
    }

    #[test]
    fn a_listed_host_may_be_private_and_no_other() {
        let hosts =
            PrivateHosts::new(&["127.0.0.1".into(), "Intranet.Local".into(), "[::1]".into()]);
        assert!(hosts.check("127.0.0.1", ip("127.0.0.1")).is_ok());
        assert!(hosts.check("intranet.local", ip("10.0.0.5")).is_ok());
        assert!(check_literal(&hosts, "[::1]").is_ok());
        let err = hosts.check("localhost", ip("127.0.0.1")).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(check_literal(&hosts, "169.254.169.254").is_err());
        assert!(check_literal(&hosts, "example.com").is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        let resolver = GuardedResolver::shared(PrivateHosts::default());
        let name: Name = "localhost".parse().unwrap();
        let err = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("loopback"), "{err}");
        let allowed = GuardedResolver::shared(PrivateHosts::new(&["localhost".into()]));
        let name: Name = "localhost".parse().unwrap();
        assert!(allowed.resolve(name).await.is_ok());
    }
}
