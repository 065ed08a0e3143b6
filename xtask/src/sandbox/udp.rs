//! Which datagrams a sandboxed program may send, and the rule the grader
//! applies to each destination (see `supervisor` for how it sees them).
//!
//! Landlock (up to ABI 7) filters TCP only. So, by default, a program may
//! not create a UDP socket at all (the seccomp deny filter); the UDP lab
//! turns [`Udp::Loopback`] on for its programs, and then every destination
//! of every `connect`, `sendto`, `sendmsg` and `sendmmsg` must be loopback:
//! `127.0.0.0/8`, `::1` or `::ffff:127.0.0.0/104`, and, if the grader gave a
//! [`UdpPorts`], one of those ports.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

/// What a program may do with UDP. Default: nothing.
#[derive(Clone, Debug, Default)]
pub enum Udp {
    /// No UDP socket can be created (labs 01–05, builds).
    #[default]
    Denied,
    /// UDP sockets, every datagram to loopback only; with `Some(ports)`,
    /// only to those ports (the grader's sockets, added as it opens them).
    Loopback(Option<UdpPorts>),
}

impl Udp {
    /// UDP to any loopback port.
    pub fn loopback() -> Udp {
        Udp::Loopback(None)
    }

    /// UDP only to the loopback ports in `ports`.
    pub fn loopback_ports(ports: &UdpPorts) -> Udp {
        Udp::Loopback(Some(ports.clone()))
    }

    pub fn allowed(&self) -> bool {
        matches!(self, Udp::Loopback(_))
    }
}

/// A set of UDP ports the grader may add to while the program runs (each
/// copy shares the set).
#[derive(Clone, Debug, Default)]
pub struct UdpPorts(Arc<RwLock<BTreeSet<u16>>>);

impl UdpPorts {
    pub fn new() -> UdpPorts {
        UdpPorts::default()
    }

    /// Lets the program send to `port` on loopback from now on.
    pub fn allow(&self, port: u16) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(port);
    }

    pub fn allows(&self, port: u16) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&port)
    }
}

#[cfg(target_os = "linux")]
/// What a `sockaddr` (the bytes the program passed) names.
#[derive(Debug, PartialEq, Eq)]
pub enum Address {
    /// A loopback address and its port.
    Loopback(u16),
    /// `AF_UNSPEC`: in `connect`, undoes a UDP socket's association.
    Unspecified,
    /// Shorter than its family's `sockaddr`: the kernel would say `EINVAL`.
    Truncated,
    /// Anything else: another host, a UNIX path, another family.
    Elsewhere,
}

#[cfg(target_os = "linux")]
pub fn classify(bytes: &[u8]) -> Address {
    let Some(family) = bytes.get(0..2) else {
        return Address::Truncated;
    };
    let family = i32::from(u16::from_ne_bytes([family[0], family[1]]));
    let port = || u16::from_be_bytes([bytes[2], bytes[3]]);
    match family {
        libc::AF_UNSPEC => Address::Unspecified,
        libc::AF_INET if bytes.len() < 16 => Address::Truncated,
        libc::AF_INET if bytes[4] == 127 => Address::Loopback(port()),
        libc::AF_INET6 if bytes.len() < 24 => Address::Truncated,
        libc::AF_INET6 => {
            let ip = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[8..24]).unwrap());
            let mapped_loopback = ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
            if ip.is_loopback() || mapped_loopback {
                Address::Loopback(port())
            } else {
                Address::Elsewhere
            }
        }
        _ => Address::Elsewhere,
    }
}

#[cfg(target_os = "linux")]
/// The grader's rule for one program allowed UDP.
#[derive(Clone, Debug)]
pub struct Rules {
    /// TCP ports it may connect to (the grader makes the `connect` for it,
    /// so it applies Landlock's TCP rule itself, and loopback only).
    pub tcp_connect: Vec<u16>,
    /// UDP ports it may send to (`None`: any loopback port).
    pub udp_ports: Option<UdpPorts>,
}

#[cfg(target_os = "linux")]
/// Which call the address came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Connect,
    Send,
}

#[cfg(target_os = "linux")]
impl Rules {
    /// `Ok` or the errno the program gets. `kind` is the socket's type.
    pub fn check(&self, call: Call, kind: i32, address: &[u8]) -> Result<(), i32> {
        match classify(address) {
            // A UDP or TCP "disconnect". In `sendto`, AF_UNSPEC is read as
            // AF_INET by UDP (for old programs): never let it through there.
            Address::Unspecified if call == Call::Connect => Ok(()),
            Address::Truncated => Err(libc::EINVAL),
            Address::Loopback(port) if kind == libc::SOCK_STREAM => self
                .tcp_connect
                .contains(&port)
                .then_some(())
                .ok_or(libc::EACCES),
            Address::Loopback(port) if kind == libc::SOCK_DGRAM => match &self.udp_ports {
                Some(ports) if !ports.allows(port) => Err(libc::EACCES),
                _ => Ok(()),
            },
            _ => Err(libc::EACCES),
        }
    }
}

#[cfg(target_os = "linux")]
#[cfg(test)]
mod tests {
    use super::*;

    fn v4(ip: [u8; 4], port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        b[0..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&ip);
        b
    }

    fn v6(ip: std::net::Ipv6Addr, port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 28];
        b[0..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&ip.octets());
        b
    }

    #[test]
    fn so_o_loopback_passa() {
        assert_eq!(classify(&v4([127, 0, 0, 1], 7)), Address::Loopback(7));
        assert_eq!(classify(&v4([127, 9, 8, 7], 7)), Address::Loopback(7));
        assert_eq!(classify(&v4([192, 0, 2, 1], 7)), Address::Elsewhere);
        assert_eq!(classify(&v4([0, 0, 0, 0], 7)), Address::Elsewhere);
        assert_eq!(
            classify(&v6(std::net::Ipv6Addr::LOCALHOST, 9)),
            Address::Loopback(9)
        );
        let mapped = std::net::Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped();
        assert_eq!(classify(&v6(mapped, 9)), Address::Loopback(9));
        let outside = std::net::Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped();
        assert_eq!(classify(&v6(outside, 9)), Address::Elsewhere);
        let doc: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(classify(&v6(doc, 9)), Address::Elsewhere);
        assert_eq!(classify(&v4([127, 0, 0, 1], 7)[..8]), Address::Truncated);
        assert_eq!(classify(&[1, 0, b'/', b't']), Address::Elsewhere); // AF_UNIX
    }

    #[test]
    fn regras_por_tipo_de_socket() {
        let ports = UdpPorts::new();
        let rules = Rules {
            tcp_connect: vec![5000],
            udp_ports: Some(ports.clone()),
        };
        let lo = |port| v4([127, 0, 0, 1], port);
        let dgram = libc::SOCK_DGRAM;
        assert_eq!(rules.check(Call::Send, dgram, &lo(6000)), Err(libc::EACCES));
        ports.allow(6000);
        assert_eq!(rules.check(Call::Send, dgram, &lo(6000)), Ok(()));
        let stream = libc::SOCK_STREAM;
        assert_eq!(rules.check(Call::Connect, stream, &lo(5000)), Ok(()));
        assert_eq!(
            rules.check(Call::Connect, stream, &lo(6000)),
            Err(libc::EACCES)
        );
        let unspec = (libc::AF_UNSPEC as u16).to_ne_bytes();
        assert_eq!(rules.check(Call::Connect, dgram, &unspec), Ok(()));
        assert_eq!(rules.check(Call::Send, dgram, &unspec), Err(libc::EACCES));
        let any = Rules {
            tcp_connect: vec![],
            udp_ports: None,
        };
        assert_eq!(any.check(Call::Send, dgram, &lo(1)), Ok(()));
        let out = v4([192, 0, 2, 1], 9);
        assert_eq!(any.check(Call::Send, dgram, &out), Err(libc::EACCES));
        assert_eq!(any.check(Call::Connect, dgram, &out), Err(libc::EACCES));
    }
}
