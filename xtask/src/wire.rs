//! Loopback TCP helpers with deadlines: free ports, connecting with retries, reading
//! until the peer closes. Everything here talks to 127.0.0.1 only.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// The only host the grader ever talks to.
pub const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((HOST, port))
}

/// Where [`free_port`] draws from: below the kernel's ephemeral range, so that
/// the grader's own outgoing connections never take the port.
const PORT_RANGE: std::ops::Range<u16> = 20_000..32_000;

/// A port that was free a moment ago, drawn at random. The kernel's pick for
/// port 0 tends to be sequential, and then a program that wrongly binds "its
/// port plus one" would take the port of another run graded at the same time.
pub fn free_port() -> io::Result<u16> {
    for _ in 0..64 {
        let port = fastrand::u16(PORT_RANGE);
        if std::net::TcpListener::bind(loopback(port)).is_ok() {
            return Ok(port);
        }
    }
    let probe = std::net::TcpListener::bind(loopback(0))?;
    Ok(probe.local_addr()?.port())
}

/// A port free for both UDP and TCP a moment ago (lab 06's server binds UDP; the
/// sandbox's rules name the port either way).
pub fn free_udp_port() -> io::Result<u16> {
    for _ in 0..64 {
        let port = free_port()?;
        if std::net::UdpSocket::bind(loopback(port)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "nenhuma porta livre para UDP e TCP",
    ))
}

/// Whether some process already listens on (or holds) `port`.
pub fn port_in_use(port: u16) -> bool {
    std::net::TcpListener::bind(loopback(port)).is_err()
}

/// Binds the grader's own listener (when it plays the server).
pub async fn listen(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(loopback(port)).await
}

/// The result of trying to connect until a deadline.
pub enum Dial {
    Connected(TcpStream),
    /// Still refused (or failing) when the deadline passed; the last error.
    GaveUp(io::Error),
}

/// Connects to `port`, retrying while the server is still starting. The first
/// connection that succeeds is returned: no connection is spent on a probe,
/// since a server may accept exactly one.
pub async fn dial(port: u16, deadline: Instant) -> Dial {
    dial_with_buffer(port, deadline, None).await
}

/// Like [`dial`], with a small receive buffer when `recv_buffer` is set: a peer
/// that never reads then fills up after kilobytes instead of megabytes.
pub async fn dial_with_buffer(port: u16, deadline: Instant, recv_buffer: Option<u32>) -> Dial {
    dial_observing(port, deadline, recv_buffer, &mut || true).await
}

/// Like [`dial_with_buffer`], asking `before_each_attempt` right before each
/// connection attempt whether to make it: the one moment the grader can look at
/// the server's listener (in `/proc`) before its connection lets the server go
/// on and perhaps close the listener and exit. A "not yet" counts as refused.
pub async fn dial_observing(
    port: u16,
    deadline: Instant,
    recv_buffer: Option<u32>,
    before_each_attempt: &mut dyn FnMut() -> bool,
) -> Dial {
    let mut backoff = Duration::from_millis(5);
    let connect = || async move {
        let socket = tokio::net::TcpSocket::new_v4()?;
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        socket.connect(loopback(port)).await
    };
    loop {
        let attempt = async {
            if before_each_attempt() {
                connect().await
            } else {
                Err(io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "ninguém escuta nessa porta (tabelas de /proc/net/tcp)",
                ))
            }
        };
        match tokio::time::timeout_at(deadline, attempt).await {
            Ok(Ok(stream)) => return Dial::Connected(stream),
            Ok(Err(error)) if Instant::now() + backoff >= deadline => return Dial::GaveUp(error),
            Ok(Err(_)) => {
                // Retry backoff while the program binds: it is not listening yet.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(100));
            }
            Err(_) => {
                return Dial::GaveUp(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "tempo esgotado ao conectar",
                ));
            }
        }
    }
}

/// Waits until nothing listens on `port` any more (a connection is refused):
/// a killed server's sockets close a moment after the kill. True if it happened
/// before the deadline.
pub async fn wait_until_closed(port: u16, deadline: Instant) -> bool {
    let mut backoff = Duration::from_millis(2);
    loop {
        match tokio::time::timeout_at(deadline, TcpStream::connect(loopback(port))).await {
            Ok(Err(_)) => return true,
            Err(_) => return false,
            // Still the old listener: drop the connection, retry after a backoff.
            Ok(Ok(_)) if Instant::now() + backoff < deadline => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(50));
            }
            Ok(Ok(_)) => return false,
        }
    }
}

/// How a read until close ended.
#[derive(Debug)]
pub enum Ending {
    /// The peer closed its side (EOF).
    Closed,
    /// The deadline passed with the connection still open.
    StillOpen,
    /// The connection was reset or failed.
    Broken(io::Error),
    /// More than the cap arrived; reading stopped.
    TooMuch,
}

/// Reads until EOF, the deadline, an error or `cap` bytes. Each chunk is passed to
/// `on_chunk` as it arrives (for `--verbose`).
pub async fn read_until_close(
    stream: &mut TcpStream,
    cap: usize,
    deadline: Instant,
    mut on_chunk: impl FnMut(&[u8]),
) -> (Vec<u8>, Ending) {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (data, Ending::StillOpen),
            Ok(Err(error)) => return (data, Ending::Broken(error)),
            Ok(Ok(0)) => return (data, Ending::Closed),
            Ok(Ok(n)) => {
                on_chunk(&buf[..n]);
                data.extend_from_slice(&buf[..n]);
                if data.len() > cap {
                    return (data, Ending::TooMuch);
                }
            }
        }
    }
}

/// Describes a socket error in pt-BR, keeping the system's own words after it.
pub fn describe_error(error: &io::Error) -> String {
    let what = match error.kind() {
        io::ErrorKind::ConnectionRefused => "conexão recusada",
        io::ErrorKind::ConnectionReset => "conexão reiniciada pelo outro lado (RST)",
        io::ErrorKind::ConnectionAborted => "conexão abortada",
        io::ErrorKind::BrokenPipe => "conexão já fechada pelo outro lado (broken pipe)",
        io::ErrorKind::TimedOut => "tempo esgotado",
        io::ErrorKind::AddrInUse => "endereço já em uso",
        _ => "erro de rede",
    };
    format!("{what} ({error})")
}
