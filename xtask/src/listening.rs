//! Which addresses a program under test listens on, read from Linux's `/proc`.
//!
//! The book teaches servers that listen on loopback only (`127.0.0.1`): one bound
//! to `0.0.0.0` or `::` also answers anyone on the same network. The grader only
//! ever connects to 127.0.0.1, so it cannot see the difference on the wire; the
//! kernel's socket tables can. A program's sockets are the `socket:[inode]` links
//! in `/proc/<pid>/fd/`, for every pid of its process group (a program may fork);
//! the tables `/proc/<pid>/net/tcp` and `tcp6` give each inode's local address and
//! state, and `0A` is LISTEN.
//!
//! Only reading: nothing here sends a byte anywhere. On other systems there is no
//! `/proc`, and [`look`] says so with `None`: the check is skipped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The state column of a LISTEN socket in `/proc/net/tcp{,6}`.
const LISTEN: u8 = 0x0A;

/// One row of `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: u8,
    /// Bytes sent and not yet acknowledged by the peer (still on their way).
    pub tx_queue: u64,
    /// Bytes received and not yet read by the socket's owner (fault injection
    /// waits for a learner's client to read each piece: see `faults`).
    pub rx_queue: u64,
    pub inode: u64,
}

/// Parses one socket table (the header line and malformed lines are skipped).
pub fn parse_table(text: &str) -> Vec<Row> {
    text.lines().filter_map(parse_row).collect()
}

/// `  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 12345 …`
fn parse_row(line: &str) -> Option<Row> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // sl, local_address, rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
    if fields.len() < 10 || !fields[0].ends_with(':') {
        return None;
    }
    let (tx_queue, rx_queue) = fields[4].split_once(':')?;
    Some(Row {
        local: parse_address(fields[1])?,
        remote: parse_address(fields[2])?,
        state: u8::from_str_radix(fields[3], 16).ok()?,
        tx_queue: u64::from_str_radix(tx_queue, 16).ok()?,
        rx_queue: u64::from_str_radix(rx_queue, 16).ok()?,
        inode: fields[9].parse().ok()?,
    })
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6). The kernel prints
/// the address as 32-bit words in the machine's byte order, the port as a number.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (host, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for chunk in host.as_bytes().chunks(8) {
        let word = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Whether only this machine can reach an address: 127.0.0.0/8, `::1`, or
/// `::ffff:127.x.x.x`. `0.0.0.0`, `::` and a real interface's address are not.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// How a listening address is named to the learner.
pub fn describe(addr: SocketAddr) -> String {
    let what = match addr.ip() {
        ip if ip.is_unspecified() => "todas as interfaces de rede",
        ip if is_loopback(ip) => "só esta máquina",
        _ => "uma interface de rede de verdade",
    };
    format!("{addr} ({what})")
}

/// The LISTEN rows whose inode is one of `inodes`.
pub fn listening_among(rows: &[Row], inodes: &[u64]) -> Vec<SocketAddr> {
    rows.iter()
        .filter(|row| row.state == LISTEN && inodes.contains(&row.inode))
        .map(|row| row.local)
        .collect()
}

/// The inode in an fd link's target, `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The process group in the text of `/proc/<pid>/stat`: the third field after
/// the command name, which is in parentheses and may itself hold spaces or `)`.
pub fn group_in_stat(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// What one look at the socket tables found for a port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Look {
    /// Some socket (anyone's) listens on the port: a connection can succeed.
    pub port_listened: bool,
    /// Every address the process group listens on (at that port or any
    /// other: a second listener on 0.0.0.0 exposes the program just as well).
    pub group: Vec<SocketAddr>,
}

/// Looks at whether anyone listens on `port` and, once someone does, where the
/// process group `pgid` listens (TCP, IPv4 and IPv6). `None` where there is no
/// `/proc` to read (not Linux): the check is skipped.
///
/// The grader looks right before each connection attempt, and only attempts
/// once something listens: a listener already in the table cannot have been
/// closed because of a connection that does not exist yet, so its fd is still
/// there to be matched (a lab 01 server closes it right after `accept`).
#[cfg(target_os = "linux")]
pub fn look(pgid: u32, port: u16) -> Option<Look> {
    let mut rows = Vec::new();
    for table in ["tcp", "tcp6"] {
        // The leader's own view (its network namespace); the grader's if it is gone.
        let text = listening_head(&format!("/proc/{pgid}/net/{table}"))
            .or_else(|_| listening_head(&format!("/proc/net/{table}")));
        match text {
            Ok(text) => rows.extend(parse_table(&text)),
            // A kernel without IPv6 has no `tcp6`: there is nothing to list there.
            Err(_) if table == "tcp6" => {}
            Err(_) => return None,
        }
    }
    rows.retain(|row| row.state == LISTEN);
    // Nothing listens there yet: no need to walk the processes.
    if !rows.iter().any(|row| row.local.port() == port) {
        return Some(Look::default());
    }
    let mut inodes = Vec::new();
    for pid in group_members(pgid) {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue; // it exited meanwhile
        };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path())
                && let Some(inode) = socket_inode(&link.to_string_lossy())
            {
                inodes.push(inode);
            }
        }
    }
    Some(Look {
        port_listened: true,
        group: listening_among(&rows, &inodes),
    })
}

#[cfg(not(target_os = "linux"))]
pub fn look(_pgid: u32, _port: u16) -> Option<Look> {
    None
}

/// The head of a socket table: the header and the rows up to the first one that
/// is neither LISTEN nor SYN_RECV. The kernel lists the listening sockets first
/// (old kernels put half-open connections among them); the connections after
/// them can be thousands while other programs run (lab 05's load step): with
/// ~5,000 rows, reading all of `tcp` took 49 ms per look, its head 0.2 ms.
#[cfg(target_os = "linux")]
fn listening_head(path: &str) -> std::io::Result<String> {
    use std::io::BufRead;
    const SYN_RECV: u8 = 0x03;
    let mut head = String::new();
    for (number, line) in std::io::BufReader::new(std::fs::File::open(path)?)
        .lines()
        .enumerate()
    {
        let line = line?;
        let state = parse_row(&line).map(|row| row.state);
        if number > 0 && !matches!(state, Some(LISTEN | SYN_RECV)) {
            break;
        }
        head.push_str(&line);
        head.push('\n');
    }
    Ok(head)
}

/// Every pid whose process group is `pgid`, the leader first: its descendants
/// (from `/proc/<pid>/task/<tid>/children`, a short walk) that stayed in the
/// group, or, where the kernel does not offer that file, every process.
#[cfg(target_os = "linux")]
fn group_members(pgid: u32) -> Vec<u32> {
    let in_group = |pid: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        group_in_stat(&stat) == Some(pgid)
    };
    let mut members = vec![pgid];
    let mut next = 0;
    let mut walked = false;
    while let Some(&pid) = members.get(next) {
        next += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            walked = true;
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !members.contains(&child) && in_group(child) {
                    members.push(child);
                }
            }
        }
    }
    if walked {
        return members;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        if let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
            && pid != pgid
            && in_group(pid)
        {
            members.push(pid);
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:5DC0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:5DC0 0100007F:A1B2 01 00000000:0000000A 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0501A8C0:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0
";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 666 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0
";

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn reads_ipv4_rows() {
        let rows = parse_table(TCP);
        assert_eq!(rows.len(), 4, "the header is skipped");
        assert_eq!(rows[0].local, addr("127.0.0.1:24000"));
        assert_eq!(rows[0].state, LISTEN);
        assert_eq!(rows[0].inode, 111);
        assert_eq!(rows[1].local, addr("0.0.0.0:8080"));
        assert_eq!(rows[2].state, 0x01, "ESTABLISHED");
        assert_eq!(rows[2].remote, addr("127.0.0.1:41394"));
        assert_eq!(rows[2].rx_queue, 10, "bytes not yet read");
        assert_eq!(rows[3].local, addr("192.168.1.5:22"));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn reads_ipv6_rows() {
        let rows = parse_table(TCP6);
        assert_eq!(rows[0].local, addr("[::]:8080"));
        assert_eq!(rows[1].local, addr("[::1]:8081"));
        assert_eq!(rows[2].local, addr("[::ffff:127.0.0.1]:8082"));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn keeps_only_the_programs_listeners() {
        let rows = parse_table(TCP);
        // 333 is the program's accepted connection, not a listener; 444 is not its own.
        assert_eq!(
            listening_among(&rows, &[111, 222, 333]),
            vec![addr("127.0.0.1:24000"), addr("0.0.0.0:8080")]
        );
    }

    #[test]
    fn loopback_is_only_this_machine() {
        for yes in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(yes.parse().unwrap()), "{yes}");
        }
        for no in ["0.0.0.0", "::", "192.168.1.5", "::ffff:10.0.0.1", "fe80::1"] {
            assert!(!is_loopback(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn malformed_lines_are_skipped() {
        assert!(parse_table("lixo\n  0: zz:1 00:0 0A 0 0 0 0 0 1\n").is_empty());
    }

    #[test]
    fn reads_fd_links_and_stat() {
        assert_eq!(socket_inode("socket:[98765]"), Some(98765));
        assert_eq!(socket_inode("pipe:[98765]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
        // A command name with spaces and a parenthesis does not shift the fields.
        let stat = "4321 (meu servidor) x) S 4000 4100 4100 34816 4321 4194304";
        assert_eq!(group_in_stat(stat), Some(4100));
    }

    #[test]
    fn names_what_an_address_exposes() {
        assert!(describe(addr("0.0.0.0:5000")).contains("todas as interfaces"));
        assert!(describe(addr("[::]:5000")).contains("todas as interfaces"));
        assert!(describe(addr("192.168.1.5:5000")).contains("interface de rede de verdade"));
    }

    /// The real tables of this machine: a listener the test opens is found with
    /// its address (the test process is its own group's member here).
    #[cfg(target_os = "linux")]
    #[test]
    fn finds_a_real_listener_of_this_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let rows: Vec<Row> = ["tcp", "tcp6"]
            .iter()
            .flat_map(|t| parse_table(&std::fs::read_to_string(format!("/proc/net/{t}")).unwrap()))
            .collect();
        let mut inodes = Vec::new();
        for fd in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            if let Ok(link) = std::fs::read_link(fd.path())
                && let Some(inode) = socket_inode(&link.to_string_lossy())
            {
                inodes.push(inode);
            }
        }
        let found = listening_among(&rows, &inodes);
        assert!(
            found.contains(&addr(&format!("127.0.0.1:{port}"))),
            "{found:?}"
        );
    }

    /// `look` finds this process's listener from the head of the tables, with
    /// established connections after it, and says when a port has none.
    #[cfg(target_os = "linux")]
    #[test]
    fn looks_at_a_real_listener_among_connections() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _connections: Vec<_> = (0..20)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        let me = std::process::id();
        let found = look(me, port).expect("há /proc no Linux");
        assert!(found.port_listened);
        assert!(
            found.group.contains(&addr(&format!("127.0.0.1:{port}"))),
            "{found:?}"
        );
        drop(listener);
        assert!(!look(me, port).unwrap().port_listened);
    }
}
