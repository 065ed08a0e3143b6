//! Fault injection when the grader plays the server (client steps): its messages
//! reach the learner's client cut at random points, across separate reads, and
//! where the protocol sends two in a row, as one stream cut anywhere (so they
//! may arrive together in one read, or one message's end with the next one's
//! start). A client that takes one `read` as one whole message then fails, as it
//! would on a real network.
//!
//! The cuts come from the run's seed (`--seed` replays them); the transcript
//! only says "em pedaços sorteados", so that the golden file does not depend on
//! where they fell, and `--verbose` shows the exact pieces.
//!
//! Separate writes are not enough for separate reads: a client scheduled late
//! finds both pieces in its socket and reads them at once. So after each piece
//! the grader waits until the client has *read* it: until the receive queue of
//! the client's socket, which the kernel shows in `/proc/net/tcp`, is empty.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

/// The longest the grader waits for the client to read one piece before it sends
/// the next one anyway. A client busy elsewhere (waiting on its keyboard) is not
/// at fault; the pieces then simply arrive together. This is fault pacing, not a
/// condition of the step: a correct client passes either way.
pub const PIECE_PACING: Duration = Duration::from_millis(100);

/// Where to cut `len` bytes, the messages in them ending at `boundaries`: one
/// or two cuts, sorted, each strictly inside. The first falls in the middle
/// half of the first message, so that what a careless client prints is a
/// recognisable beginning of it, not a single letter. No cut falls on a
/// boundary between messages: there it would only deliver whole messages, and
/// test nothing.
pub fn cuts(rng: &mut fastrand::Rng, len: usize, boundaries: &[usize]) -> Vec<usize> {
    if len < 2 {
        return Vec::new();
    }
    let first = boundaries
        .first()
        .copied()
        .filter(|&end| (2..=len).contains(&end))
        .unwrap_or(len);
    let low = (first / 4).max(1);
    let high = (first * 3 / 4).clamp(low, first - 1);
    let mut cuts = vec![rng.usize(low..=high)];
    if len >= 3 && rng.bool() {
        cuts.push(rng.usize(1..len));
    }
    for cut in &mut cuts {
        if boundaries.contains(cut) {
            *cut = if *cut + 1 < len { *cut + 1 } else { *cut - 1 };
        }
    }
    cuts.retain(|&c| c > 0 && c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// The byte ranges between the cuts.
pub fn pieces(len: usize, cuts: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&len)) {
        out.push(start..cut);
        start = cut;
    }
    out
}

/// Waits until the peer of `stream` has read everything sent so far, at most
/// `limit`. Where the kernel's table cannot tell (no `/proc`, the peer gone),
/// returns at once.
pub async fn wait_until_read(stream: &TcpStream, limit: Duration) {
    let (Ok(ours), Ok(theirs)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    let deadline = Instant::now() + limit;
    let mut backoff = Duration::from_micros(200);
    // Polled with a short backoff: no event says "the other process read it".
    // Both ends count: bytes still in our send queue (the peer's receive buffer
    // was full) have not been read either.
    while not_yet_read(ours, theirs).is_some_and(|n| n > 0) && Instant::now() < deadline {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_millis(5));
    }
}

/// Bytes sent from `ours` to `theirs` and not yet read there: still in our
/// send queue or waiting in their receive queue; `None` if the peer's socket
/// is not listed (gone, or no `/proc`).
fn not_yet_read(ours: SocketAddr, theirs: SocketAddr) -> Option<u64> {
    let table = match ours {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = std::fs::read_to_string(table).ok()?;
    let rows = crate::listening::parse_table(&text);
    let unread = rows
        .iter()
        .find(|row| row.local == theirs && row.remote == ours)?
        .rx_queue;
    let unsent = rows
        .iter()
        .find(|row| row.local == ours && row.remote == theirs)
        .map_or(0, |row| row.tx_queue);
    Some(unread + unsent)
}

/// Bytes waiting in the receive queue of the socket `local` → `remote` (the
/// client's), from `/proc/net/tcp` or `/proc/net/tcp6`; `None` if not listed.
pub fn unread_by(local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    let table = match local {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = std::fs::read_to_string(table).ok()?;
    crate::listening::parse_table(&text)
        .into_iter()
        .find(|row| row.local == local && row.remote == remote)
        .map(|row| row.rx_queue)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cuts stay inside the message, the first in its middle half, never on a
    /// boundary between messages; the same seed gives the same cuts.
    #[test]
    fn cuts_are_inside_and_replayable() {
        for seed in 0..200 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let cuts = cuts(&mut rng, 40, &[40]);
            assert!(!cuts.is_empty() && cuts.len() <= 2, "{cuts:?}");
            assert!(cuts.iter().all(|&c| (1..40).contains(&c)), "{cuts:?}");
            assert!(cuts.iter().any(|&c| (10..=30).contains(&c)), "{cuts:?}");
            let again = super::cuts(&mut fastrand::Rng::with_seed(seed), 40, &[40]);
            assert_eq!(cuts, again);
            // Two messages of 20 bytes: the first cut inside the first one, none between.
            let two = super::cuts(&mut fastrand::Rng::with_seed(seed), 40, &[20, 40]);
            assert!(two.iter().any(|c| (5..=15).contains(c)), "{two:?}");
            assert!(!two.contains(&20), "{two:?}");
        }
        assert_eq!(cuts(&mut fastrand::Rng::with_seed(1), 2, &[]), vec![1]);
        assert!(cuts(&mut fastrand::Rng::with_seed(1), 1, &[]).is_empty());
        assert_eq!(pieces(10, &[3, 7]), vec![0..3, 3..7, 7..10]);
    }

    /// The receive queue of a real connection, before and after its owner reads.
    #[test]
    fn the_receive_queue_of_a_real_socket_is_found() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut sender = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (receiver, _) = listener.accept().unwrap();
        std::io::Write::write_all(&mut sender, b"12345").unwrap();
        let unread = || {
            unread_by(
                receiver.local_addr().unwrap(),
                receiver.peer_addr().unwrap(),
            )
        };
        // Delivery on loopback is immediate, but give the kernel a bounded moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while unread() != Some(5) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(unread(), Some(5));
        let mut buf = [0u8; 16];
        let n = std::io::Read::read(&mut &receiver, &mut buf).unwrap();
        assert_eq!(n, 5);
        assert_eq!(unread(), Some(0));
    }
}
