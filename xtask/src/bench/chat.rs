//! The chat measurement: N clients join one server (lab 03's threads or lab 05's
//! tasks), then the bench measures the broadcast.
//!
//! 1. **Entrada**: every client connects and gives its nickname, at most
//!    [`JOINING_AT_ONCE`] at a time. By the protocol, each arrival is announced to
//!    everyone already there: N(N−1)/2 notices in all. The phase ends when every
//!    client has joined and every notice has arrived; its duration is the "time to
//!    connect them all", and the server's memory is read right after.
//! 2. **Latência**: one client sends [`LATENCY_SAMPLES`] lines, one at a time; each
//!    sample is the time from the send to the moment the *last* of the other N−1
//!    clients has it.
//! 3. **Vazão**: [`SENDERS`] clients send rounds of one line each, with at most
//!    [`WINDOW`] rounds in flight (below the servers' 256-line queues, so no
//!    honest reader is dropped); lines delivered per second, over about
//!    [`DELIVERIES`] deliveries.
//!
//! Every wait has a deadline; whatever does not finish is reported as such.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::servidor::{Memory, Running};
use crate::wire::loopback;

/// Joins in flight at once: a crowd arriving, not a single queue.
const JOINING_AT_ONCE: usize = 64;
/// Broadcast latency samples per configuration.
pub const LATENCY_SAMPLES: usize = 50;
/// Clients that talk in the throughput phase.
const SENDERS: usize = 10;
/// Rounds of lines in flight: 16 × 10 senders = 160 lines, below the queue of 256.
const WINDOW: usize = 16;
/// About how many deliveries the throughput phase aims for.
const DELIVERIES: usize = 1_000_000;
/// Read buffer per client: ten thousand clients × 8 KiB stays small.
const READ_BUFFER: usize = 8 * 1024;

/// What one configuration (server × number of clients) measured.
#[derive(Clone, Debug, Default)]
pub struct ChatResult {
    pub clients: usize,
    pub joined: usize,
    /// Until every client joined and every join notice arrived.
    pub connect_time: Option<Duration>,
    pub memory: Option<Memory>,
    pub latency_p50: Option<Duration>,
    pub latency_p99: Option<Duration>,
    pub lines_per_second: Option<f64>,
    /// What went wrong, in pt-BR, if anything did.
    pub problem: Option<String>,
}

/// Counters the client tasks update and the coordinator waits on.
struct Shared {
    clients: usize,
    senders: usize,
    joined: AtomicUsize,
    notices: AtomicU64,
    /// Clients announced as having left: the server dropped someone.
    departures: AtomicU64,
    latency_seen: Vec<AtomicUsize>,
    latency_done: Mutex<Vec<Option<Instant>>>,
    round_seen: Vec<AtomicUsize>,
    rounds_done: AtomicUsize,
    changed: Notify,
}

impl Shared {
    fn notices_expected(&self) -> u64 {
        let n = self.clients as u64;
        n * (n - 1) / 2
    }

    /// Handles one line a client received.
    fn saw(&self, line: &[u8]) {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if text.ends_with(b" entrou no chat!") {
            if self.notices.fetch_add(1, Ordering::Relaxed) + 1 == self.notices_expected() {
                self.changed.notify_waiters();
            }
            return;
        }
        if text.ends_with(b" saiu do chat!") {
            self.departures.fetch_add(1, Ordering::Relaxed);
            self.changed.notify_waiters();
            return;
        }
        let Some(at) = text.windows(2).position(|w| w == b": ") else {
            return;
        };
        let body = &text[at + 2..];
        let number = |digits: &[u8]| std::str::from_utf8(digits).ok()?.parse::<usize>().ok();
        match body.split_first() {
            Some((b'L', rest)) => {
                let Some(k) = number(rest).filter(|&k| k < self.latency_seen.len()) else {
                    return;
                };
                if self.latency_seen[k].fetch_add(1, Ordering::AcqRel) + 1 == self.clients - 1 {
                    let mut done = self.latency_done.lock().unwrap_or_else(|p| p.into_inner());
                    done[k] = Some(Instant::now());
                    drop(done);
                    self.changed.notify_waiters();
                }
            }
            Some((b'R', rest)) => {
                let Some(r) = number(rest).filter(|&r| r < self.round_seen.len()) else {
                    return;
                };
                let full = self.senders * (self.clients - 1);
                if self.round_seen[r].fetch_add(1, Ordering::AcqRel) + 1 == full {
                    self.rounds_done.fetch_add(1, Ordering::AcqRel);
                    self.changed.notify_waiters();
                }
            }
            _ => {}
        }
    }

    /// Waits until `ready()` holds or the deadline passes.
    async fn wait_for(&self, deadline: Instant, ready: impl Fn() -> bool) -> bool {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if ready() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return ready();
            }
        }
    }
}

/// Measures one server with `clients` clients; `budget` bounds the join phase.
pub async fn measure(server: &mut Running, clients: usize, budget: Duration) -> ChatResult {
    let mut result = ChatResult {
        clients,
        ..ChatResult::default()
    };
    let senders = SENDERS.min(clients);
    let rounds = (DELIVERIES / (senders * (clients - 1)).max(1)).clamp(5, 2000);
    let shared = Arc::new(Shared {
        clients,
        senders,
        joined: AtomicUsize::new(0),
        notices: AtomicU64::new(0),
        departures: AtomicU64::new(0),
        latency_seen: (0..LATENCY_SAMPLES).map(|_| AtomicUsize::new(0)).collect(),
        latency_done: Mutex::new(vec![None; LATENCY_SAMPLES]),
        round_seen: (0..rounds).map(|_| AtomicUsize::new(0)).collect(),
        rounds_done: AtomicUsize::new(0),
        changed: Notify::new(),
    });

    // ---- 1. everyone joins ----------------------------------------------------
    let started = Instant::now();
    let deadline = started + budget;
    let gate = Arc::new(Semaphore::new(JOINING_AT_ONCE));
    // Each client task joins, hands its writing half over, and goes on reading at
    // once: a client that stopped reading would be dropped by the server.
    let (handover, mut handed) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    for i in 0..clients {
        let Ok(permit) = tokio::time::timeout_at(deadline, gate.clone().acquire_owned()).await
        else {
            break;
        };
        let shared = Arc::clone(&shared);
        let handover = handover.clone();
        let port = server.port;
        tasks.spawn(async move {
            let joined = join(port, i).await;
            drop(permit);
            match joined {
                Ok((reader, writer)) => {
                    shared.joined.fetch_add(1, Ordering::AcqRel);
                    let _ = handover.send((i, Ok(writer)));
                    read_lines(reader, shared).await;
                }
                Err(e) => {
                    let _ = handover.send((i, Err(e)));
                }
            }
        });
    }
    drop(handover);
    let mut writers: Vec<Option<OwnedWriteHalf>> = (0..clients).map(|_| None).collect();
    let mut join_error = None;
    let mut answered = 0;
    while answered < clients {
        match tokio::time::timeout_at(deadline, handed.recv()).await {
            Ok(Some((i, Ok(writer)))) => writers[i] = Some(writer),
            Ok(Some((i, Err(e)))) => {
                join_error.get_or_insert(format!("o cliente {i} não entrou: {e}"));
            }
            Ok(None) | Err(_) => break,
        }
        answered += 1;
    }
    result.joined = shared.joined.load(Ordering::Acquire);
    let storm_over = shared
        .wait_for(deadline, || {
            shared.notices.load(Ordering::Relaxed) >= shared.notices_expected()
        })
        .await;
    if result.joined < clients || !storm_over {
        let notices = shared.notices.load(Ordering::Relaxed);
        result.problem = Some(join_error.unwrap_or_else(|| {
            let alive = if server.alive() {
                ""
            } else {
                "; o servidor caiu"
            };
            format!(
                "a entrada não terminou em {} s: {} de {clients} entraram, {notices} de {} \
                 avisos de entrada chegaram{alive}",
                budget.as_secs(),
                result.joined,
                shared.notices_expected()
            )
        }));
        result.memory = server.memory();
        tasks.abort_all();
        return result;
    }
    result.connect_time = Some(started.elapsed());
    result.memory = server.memory();

    // ---- 2. broadcast latency ---------------------------------------------------
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    let Some(first) = writers[0].as_mut() else {
        return result;
    };
    for k in 0..LATENCY_SAMPLES {
        let sent = Instant::now();
        let line = format!("L{k}\n");
        let write = first.write_all(line.as_bytes());
        if !matches!(
            tokio::time::timeout(Duration::from_secs(10), write).await,
            Ok(Ok(()))
        ) {
            result.problem = Some("o cliente 0 não conseguiu enviar".to_owned());
            break;
        }
        let done = |k: usize| {
            shared
                .latency_done
                .lock()
                .unwrap_or_else(|p| p.into_inner())[k]
        };
        let arrived = shared
            .wait_for(sent + Duration::from_secs(10), || done(k).is_some())
            .await;
        match done(k) {
            Some(at) if arrived => samples.push(at.duration_since(sent)),
            _ => {
                result.problem = Some(format!(
                    "a linha {k} não chegou a todos em 10 s ({} de {})",
                    shared.latency_seen[k].load(Ordering::Relaxed),
                    clients - 1
                ));
                break;
            }
        }
    }
    if samples.len() == LATENCY_SAMPLES {
        samples.sort();
        result.latency_p50 = Some(percentile(&samples, 50));
        result.latency_p99 = Some(percentile(&samples, 99));
    }

    // ---- 3. throughput ------------------------------------------------------------
    if result.problem.is_none() {
        result.lines_per_second = throughput(&shared, &mut writers, rounds).await;
        if result.lines_per_second.is_none() {
            result.problem = Some(format!(
                "a vazão não terminou em 60 s ({} de {rounds} rodadas entregues)",
                shared.rounds_done.load(Ordering::Relaxed)
            ));
        }
    }
    let departures = shared.departures.load(Ordering::Relaxed);
    if departures > 0 && result.problem.is_none() {
        result.problem = Some(format!(
            "o servidor desconectou {departures} cliente(s) durante a medição"
        ));
    }
    tasks.abort_all();
    result
}

/// Rounds of one line per sender, at most [`WINDOW`] rounds ahead of delivery.
async fn throughput(
    shared: &Shared,
    writers: &mut [Option<OwnedWriteHalf>],
    rounds: usize,
) -> Option<f64> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    for round in 0..rounds {
        let ahead = |r: usize| r.saturating_sub(shared.rounds_done.load(Ordering::Acquire));
        if ahead(round) >= WINDOW && !shared.wait_for(deadline, || ahead(round) < WINDOW).await {
            return None;
        }
        let line = format!("R{round}\n");
        for writer in writers.iter_mut().take(shared.senders).flatten() {
            let write = writer.write_all(line.as_bytes());
            if !matches!(tokio::time::timeout_at(deadline, write).await, Ok(Ok(()))) {
                return None;
            }
        }
    }
    let all = || shared.rounds_done.load(Ordering::Acquire) >= rounds;
    if !shared.wait_for(deadline, all).await {
        return None;
    }
    let deliveries = (rounds * shared.senders * (shared.clients - 1)) as f64;
    Some(deliveries / started.elapsed().as_secs_f64())
}

/// Connects client `i` and goes through the nickname handshake.
async fn join(port: u16, i: usize) -> std::io::Result<(BufReader<OwnedReadHalf>, OwnedWriteHalf)> {
    let stream = TcpStream::connect(loopback(port)).await?;
    stream.set_nodelay(true)?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
    let mut line = Vec::new();
    let limit = Duration::from_secs(30);
    let next = async |reader: &mut BufReader<OwnedReadHalf>, line: &mut Vec<u8>| {
        line.clear();
        match tokio::time::timeout(limit, reader.read_until(b'\n', line)).await {
            Ok(Ok(n)) if n > 0 => Ok(()),
            Ok(Err(e)) => Err(e),
            _ => Err(std::io::Error::other("nada chegou")),
        }
    };
    next(&mut reader, &mut line).await?;
    writer.write_all(format!("b{i}\n").as_bytes()).await?;
    next(&mut reader, &mut line).await?;
    if line != b"Conectado ao servidor!\n" {
        return Err(std::io::Error::other(format!(
            "esperava \"Conectado ao servidor!\", veio {:?}",
            String::from_utf8_lossy(&line)
        )));
    }
    Ok((reader, writer))
}

/// A client's reading side: every line it receives, counted, until the end.
async fn read_lines(mut reader: BufReader<OwnedReadHalf>, shared: Arc<Shared>) {
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => shared.saw(&line),
        }
    }
}

/// The `p`-th percentile of sorted samples (nearest rank).
pub(super) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=50).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 50), Duration::from_millis(25));
        assert_eq!(percentile(&samples, 99), Duration::from_millis(50));
    }
}
