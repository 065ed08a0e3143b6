//! `rede-ruim`: a bad network between two loopback UDP ports. Clients send to the
//! relay's port; it forwards each datagram to the server's port, and each reply back
//! to the client that caused it, losing, duplicating and delaying them on the way.
//! Independent delays reorder datagrams too.
//!
//! The same relay serves the grader's end-to-end step of lab 06 (as a library) and
//! the learner (`cargo xtask rede-ruim --perda 20 --duplica 10 --atraso 50`).
//!
//! # Replaying a run
//!
//! Every decision comes from a seeded generator of its own per client and direction,
//! drawn in the order that client's datagrams go that way, always the same number of
//! draws per datagram. The n-th datagram from client 1 to the server meets the same
//! fate under the same seed, whatever the timing between the two directions: `--seed`
//! replays the losses exactly. Each decision is handed to a log callback.
//!
//! # Only loopback
//!
//! The relay binds 127.0.0.1, forwards to 127.0.0.1 only, and ignores datagrams from
//! any other address.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use crate::transcript::escape;
use crate::wire::loopback;

/// The largest datagram a UDP socket can deliver.
const MAX_DATAGRAM: usize = 65_535;
/// Clients the relay keeps a path for (each holds a socket towards the server).
pub const MAX_CLIENTS: usize = 64;
/// Replies waiting for the relay's loop, across all clients.
const BACKLOG: usize = 1024;
/// How much of a datagram a decision's description shows.
const PREVIEW_BYTES: usize = 40;

/// How bad the network is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Chance, in percent, that a datagram is lost.
    pub loss_percent: u8,
    /// Chance, in percent, that a delivered datagram is delivered twice.
    pub duplicate_percent: u8,
    /// Each copy waits a random time from zero to this before going on.
    pub max_delay: Duration,
    pub seed: u64,
    /// At most this many datagrams lost in a row, per client and direction (`None`:
    /// no limit). With 1, a client that tries four times always gets an answer
    /// from a server that answers: no request and no reply is lost twice in a row.
    pub max_consecutive_losses: Option<u32>,
}

/// Which way a datagram goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    ToServer,
    ToClient,
}

/// What the relay did with one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Lost,
    /// Delivered once, after `delay`. `spared`: the draw said lost, but the limit
    /// on losses in a row said no.
    Delivered {
        delay: Duration,
        spared: bool,
    },
    /// Delivered twice, each copy after its own delay.
    Duplicated {
        first: Duration,
        second: Duration,
    },
}

impl Fate {
    /// The delays of the copies that go on (none when lost).
    pub fn delays(&self) -> Vec<Duration> {
        match *self {
            Fate::Lost => Vec::new(),
            Fate::Delivered { delay, .. } => vec![delay],
            Fate::Duplicated { first, second } => vec![first, second],
        }
    }
}

/// One decision, as the log receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// 1, 2, ... in the order the clients first spoke.
    pub client: usize,
    pub direction: Direction,
    /// 1, 2, ...: which datagram of this client in this direction.
    pub index: u64,
    pub len: usize,
    /// The datagram's first bytes, escaped.
    pub preview: String,
    pub fate: Fate,
}

impl Decision {
    /// One line in pt-BR: `cliente 1 → servidor #3 (8 bytes "2 SOMA 5"): perdido`.
    pub fn describe(&self) -> String {
        let way = match self.direction {
            Direction::ToServer => format!("cliente {} → servidor", self.client),
            Direction::ToClient => format!("servidor → cliente {}", self.client),
        };
        let what = match self.fate {
            Fate::Lost => "perdido".to_owned(),
            Fate::Delivered {
                delay,
                spared: false,
            } => format!("entregue em {} ms", delay.as_millis()),
            Fate::Delivered {
                delay,
                spared: true,
            } => format!(
                "entregue em {} ms (sorteado para se perder, mas o limite de perdas seguidas \
                 não deixou)",
                delay.as_millis()
            ),
            Fate::Duplicated { first, second } => format!(
                "duplicado: uma cópia em {} ms e outra em {} ms",
                first.as_millis(),
                second.as_millis()
            ),
        };
        format!(
            "{way} #{} ({} bytes {}): {what}",
            self.index, self.len, self.preview
        )
    }
}

/// Counts of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Copies sent on (a duplicated datagram counts twice).
    pub sent: u64,
}

/// What the relay has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub clients: usize,
    pub to_server: Counts,
    pub to_client: Counts,
    /// Datagrams from new clients ignored because [`MAX_CLIENTS`] were known.
    pub refused_clients: u64,
}

impl Stats {
    fn counts(&mut self, direction: Direction) -> &mut Counts {
        match direction {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        }
    }

    /// A paragraph in pt-BR.
    pub fn describe(&self) -> String {
        let side = |c: &Counts| {
            format!(
                "{} recebidos, {} perdidos, {} duplicados, {} cópias entregues",
                c.received, c.lost, c.duplicated, c.sent
            )
        };
        format!(
            "{} cliente(s). Do cliente ao servidor: {}. Do servidor ao cliente: {}.",
            self.clients,
            side(&self.to_server),
            side(&self.to_client)
        )
    }
}

/// The dice of one client in one direction: a generator of its own, so that the
/// fate of the n-th datagram depends only on the seed, the client's number, the
/// direction and n.
pub struct Dice {
    rng: fastrand::Rng,
    lost_in_a_row: u32,
    drawn: u64,
}

impl Dice {
    pub fn new(seed: u64, client: usize, direction: Direction) -> Dice {
        let lane = ((client as u64) << 1) | u64::from(direction == Direction::ToClient);
        Dice {
            rng: fastrand::Rng::with_seed(mix(seed ^ mix(lane.wrapping_add(1)))),
            lost_in_a_row: 0,
            drawn: 0,
        }
    }

    /// The fate of the next datagram. Always four draws, whatever comes out, so
    /// that one fate never shifts the next ones.
    pub fn roll(&mut self, config: &Config) -> Fate {
        let max_ms = config.max_delay.as_millis().min(u128::from(u32::MAX)) as u64;
        let loss = self.rng.u8(0..100);
        let duplicate = self.rng.u8(0..100);
        let first = Duration::from_millis(self.rng.u64(0..=max_ms));
        let second = Duration::from_millis(self.rng.u64(0..=max_ms));
        self.drawn += 1;
        let lost = loss < config.loss_percent;
        let limit_reached = config
            .max_consecutive_losses
            .is_some_and(|max| self.lost_in_a_row >= max);
        if lost && !limit_reached {
            self.lost_in_a_row += 1;
            return Fate::Lost;
        }
        self.lost_in_a_row = 0;
        if duplicate < config.duplicate_percent {
            Fate::Duplicated { first, second }
        } else {
            Fate::Delivered {
                delay: first,
                spared: lost,
            }
        }
    }

    /// How many datagrams this die has decided.
    pub fn drawn(&self) -> u64 {
        self.drawn
    }
}

/// splitmix64's finaliser: nearby seeds give unrelated generators.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Receives every decision, as it is made.
pub type Log = Arc<dyn Fn(&Decision) + Send + Sync>;

/// Told the port of each socket the relay opens towards the server, before
/// the first datagram leaves it (the grader lets a sandboxed server reply there).
pub type Announce = Arc<dyn Fn(u16) + Send + Sync>;

/// A running relay. Dropping it (or [`Relay::stop`]) ends it and every datagram
/// still waiting in it.
pub struct Relay {
    /// Where clients send: `127.0.0.1:<port>`.
    pub port: u16,
    stats: Arc<Mutex<Stats>>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Listens on `127.0.0.1:<listen_port>` (0: any free port) and relays to
    /// `127.0.0.1:<server_port>`. Must be called inside a tokio runtime.
    pub async fn start(
        config: Config,
        listen_port: u16,
        server_port: u16,
        log: Log,
    ) -> io::Result<Relay> {
        Relay::start_announcing(config, listen_port, server_port, log, Arc::new(|_| {})).await
    }

    /// Like [`Relay::start`], announcing each socket it opens towards the server.
    pub async fn start_announcing(
        config: Config,
        listen_port: u16,
        server_port: u16,
        log: Log,
        announce: Announce,
    ) -> io::Result<Relay> {
        let socket = UdpSocket::bind(loopback(listen_port)).await?;
        let port = socket.local_addr()?.port();
        let stats = Arc::new(Mutex::new(Stats::default()));
        let relay = Running {
            config,
            listen: Arc::new(socket),
            server: loopback(server_port),
            log,
            announce,
            stats: Arc::clone(&stats),
            clients: HashMap::new(),
        };
        let task = tokio::spawn(relay.run());
        Ok(Relay { port, stats, task })
    }

    pub fn stats(&self) -> Stats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the relay (datagrams still delayed in it are dropped) and returns its counts.
    pub async fn stop(self) -> Stats {
        self.task.abort();
        let stats = self.stats();
        drop(self);
        stats
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Aborting the loop drops its JoinSet, which aborts every task it spawned.
        self.task.abort();
    }
}

/// One client's path through the relay.
struct Path {
    number: usize,
    /// Connected to the server: the server sees one address per client.
    upstream: Arc<UdpSocket>,
    to_server: Dice,
    to_client: Dice,
}

/// Where a copy goes.
#[derive(Clone)]
enum Sink {
    Server(Arc<UdpSocket>),
    Client(Arc<UdpSocket>, SocketAddr),
}

impl Sink {
    async fn send(&self, bytes: &[u8]) {
        // A send that fails is one more loss: the network promised nothing.
        let _ = match self {
            Sink::Server(socket) => socket.send(bytes).await,
            Sink::Client(socket, to) => socket.send_to(bytes, to).await,
        };
    }
}

struct Running {
    config: Config,
    listen: Arc<UdpSocket>,
    server: SocketAddr,
    log: Log,
    announce: Announce,
    stats: Arc<Mutex<Stats>>,
    clients: HashMap<SocketAddr, Path>,
}

impl Running {
    async fn run(mut self) {
        let (replies_tx, mut replies) = mpsc::channel::<(SocketAddr, Vec<u8>)>(BACKLOG);
        // Everything spawned lives here: aborting `run` aborts it all.
        let mut tasks = JoinSet::new();
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        loop {
            tokio::select! {
                received = self.listen.recv_from(&mut buffer) => {
                    // An error here is an ICMP notice about a client that left.
                    let Ok((len, from)) = received else { continue };
                    if !from.ip().is_loopback() {
                        continue;
                    }
                    let Some(path) = self.path(from, &replies_tx, &mut tasks).await else {
                        continue;
                    };
                    let sink = Sink::Server(Arc::clone(&path.upstream));
                    let number = path.number;
                    let bytes = buffer[..len].to_vec();
                    self.forward(number, from, Direction::ToServer, bytes, sink, &mut tasks).await;
                }
                Some((client, bytes)) = replies.recv() => {
                    let Some(number) = self.clients.get(&client).map(|p| p.number) else {
                        continue;
                    };
                    let sink = Sink::Client(Arc::clone(&self.listen), client);
                    self.forward(number, client, Direction::ToClient, bytes, sink, &mut tasks).await;
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
    }

    /// The path of `from`, opened on its first datagram.
    async fn path(
        &mut self,
        from: SocketAddr,
        replies: &mpsc::Sender<(SocketAddr, Vec<u8>)>,
        tasks: &mut JoinSet<()>,
    ) -> Option<&mut Path> {
        if !self.clients.contains_key(&from) {
            if self.clients.len() >= MAX_CLIENTS {
                self.stats().refused_clients += 1;
                return None;
            }
            let upstream = UdpSocket::bind(loopback(0)).await.ok()?;
            upstream.connect(self.server).await.ok()?;
            if let Ok(local) = upstream.local_addr() {
                (self.announce)(local.port());
            }
            let upstream = Arc::new(upstream);
            tasks.spawn(read_replies(Arc::clone(&upstream), from, replies.clone()));
            let number = self.clients.len() + 1;
            let seed = self.config.seed;
            self.clients.insert(
                from,
                Path {
                    number,
                    upstream,
                    to_server: Dice::new(seed, number, Direction::ToServer),
                    to_client: Dice::new(seed, number, Direction::ToClient),
                },
            );
            self.stats().clients = number;
        }
        self.clients.get_mut(&from)
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rolls the dice for one datagram, logs the decision and sends the copies.
    async fn forward(
        &mut self,
        number: usize,
        client: SocketAddr,
        direction: Direction,
        bytes: Vec<u8>,
        sink: Sink,
        tasks: &mut JoinSet<()>,
    ) {
        let Some(path) = self.clients.get_mut(&client) else {
            return;
        };
        let dice = match direction {
            Direction::ToServer => &mut path.to_server,
            Direction::ToClient => &mut path.to_client,
        };
        let fate = dice.roll(&self.config);
        let decision = Decision {
            client: number,
            direction,
            index: dice.drawn(),
            len: bytes.len(),
            preview: preview(&bytes),
            fate,
        };
        {
            let mut stats = self.stats();
            let counts = stats.counts(direction);
            counts.received += 1;
            match fate {
                Fate::Lost => counts.lost += 1,
                Fate::Delivered { .. } => counts.sent += 1,
                Fate::Duplicated { .. } => {
                    counts.duplicated += 1;
                    counts.sent += 2;
                }
            }
        }
        (self.log)(&decision);
        let bytes: Arc<[u8]> = bytes.into();
        for delay in fate.delays() {
            if delay.is_zero() {
                // No delay: in order, now.
                sink.send(&bytes).await;
            } else {
                let (sink, bytes) = (sink.clone(), Arc::clone(&bytes));
                tasks.spawn(async move {
                    tokio::time::sleep(delay).await;
                    sink.send(&bytes).await;
                });
            }
        }
    }
}

/// Hands every reply the server sends to one client's path over to the relay's loop.
async fn read_replies(
    upstream: Arc<UdpSocket>,
    client: SocketAddr,
    replies: mpsc::Sender<(SocketAddr, Vec<u8>)>,
) {
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        match upstream.recv(&mut buffer).await {
            Ok(len) => {
                if replies
                    .send((client, buffer[..len].to_vec()))
                    .await
                    .is_err()
                {
                    return; // the relay ended
                }
            }
            // The server's port was closed (ICMP): one notice per datagram, not a loop.
            Err(_) => continue,
        }
    }
}

fn preview(bytes: &[u8]) -> String {
    if bytes.len() <= PREVIEW_BYTES {
        return escape(bytes);
    }
    let mut cut = PREVIEW_BYTES;
    // Whole characters only (an invalid byte counts as one).
    while cut > 0 && std::str::from_utf8(&bytes[..cut]).is_err_and(|e| e.error_len().is_none()) {
        cut -= 1;
    }
    let shown = escape(&bytes[..cut]);
    format!("{}…\"", &shown[..shown.len() - 1])
}

/// `cargo xtask rede-ruim`: what the command line asked for.
pub struct CommandOptions {
    pub config: Config,
    pub listen_port: u16,
    pub server_port: u16,
    /// Print every decision (otherwise only the counts at the end).
    pub quiet: bool,
}

/// Runs the relay until Ctrl-C, printing each decision, then the counts.
pub fn run_command(options: CommandOptions) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("não consegui criar o runtime do tokio: {e}"))?;
    runtime.block_on(async {
        let log: Log = if options.quiet {
            Arc::new(|_: &Decision| {})
        } else {
            Arc::new(|d: &Decision| println!("{}", d.describe()))
        };
        let relay = Relay::start(
            options.config,
            options.listen_port,
            options.server_port,
            log,
        )
        .await
        .map_err(|e| {
            format!(
                "não consegui escutar em 127.0.0.1:{} (UDP): {e}",
                options.listen_port
            )
        })?;
        let c = options.config;
        let limit = c.max_consecutive_losses.map_or(String::new(), |n| {
            format!(", no máximo {n} perda(s) seguida(s)")
        });
        println!(
            "Rede ruim em 127.0.0.1:{} → 127.0.0.1:{} (UDP): perde {} %, duplica {} %, atrasa \
             até {} ms{limit}. Semente {} (repita esta execução com --seed {}).",
            relay.port,
            options.server_port,
            c.loss_percent,
            c.duplicate_percent,
            c.max_delay.as_millis(),
            c.seed,
            c.seed
        );
        println!(
            "Aponte o cliente para a porta {} (PORTA={} cargo run --bin cliente); Ctrl-C encerra.",
            relay.port, relay.port
        );
        let _ = tokio::signal::ctrl_c().await;
        let stats = relay.stop().await;
        println!("\n{}", stats.describe());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(loss: u8, duplicate: u8, delay_ms: u64, seed: u64) -> Config {
        Config {
            loss_percent: loss,
            duplicate_percent: duplicate,
            max_delay: Duration::from_millis(delay_ms),
            seed,
            max_consecutive_losses: None,
        }
    }

    fn fates(config: &Config, client: usize, direction: Direction, n: usize) -> Vec<Fate> {
        let mut dice = Dice::new(config.seed, client, direction);
        (0..n).map(|_| dice.roll(config)).collect()
    }

    /// Same seed, same fates; another seed, another client or the other
    /// direction, other fates.
    #[test]
    fn a_semente_repete_as_decisoes() {
        let c = config(20, 10, 50, 7);
        let first = fates(&c, 1, Direction::ToServer, 200);
        assert_eq!(first, fates(&c, 1, Direction::ToServer, 200));
        assert_ne!(
            first,
            fates(&config(20, 10, 50, 8), 1, Direction::ToServer, 200)
        );
        assert_ne!(first, fates(&c, 2, Direction::ToServer, 200));
        assert_ne!(first, fates(&c, 1, Direction::ToClient, 200));
    }

    /// The percentages are what was asked, within what 10,000 draws allow.
    #[test]
    fn as_porcentagens_sao_as_pedidas() {
        let c = config(20, 10, 50, 1);
        let all = fates(&c, 1, Direction::ToServer, 10_000);
        let lost = all.iter().filter(|f| **f == Fate::Lost).count();
        let duplicated = all
            .iter()
            .filter(|f| matches!(f, Fate::Duplicated { .. }))
            .count();
        assert!((1_800..2_200).contains(&lost), "{lost} perdidos");
        // Of the 80 % delivered, 10 % twice.
        assert!((650..950).contains(&duplicated), "{duplicated} duplicados");
        assert!(
            all.iter()
                .all(|f| f.delays().iter().all(|d| d.as_millis() <= 50))
        );
        assert_eq!(
            fates(&config(0, 0, 0, 1), 1, Direction::ToServer, 100)
                .iter()
                .filter(|f| **f
                    != Fate::Delivered {
                        delay: Duration::ZERO,
                        spared: false
                    })
                .count(),
            0
        );
    }

    /// With a limit of one, never two losses in a row, even at 90 %.
    #[test]
    fn o_limite_de_perdas_seguidas_vale() {
        let mut c = config(90, 0, 0, 3);
        c.max_consecutive_losses = Some(1);
        let all = fates(&c, 1, Direction::ToClient, 1_000);
        assert!(
            all.windows(2)
                .all(|w| !(w[0] == Fate::Lost && w[1] == Fate::Lost)),
            "duas perdas seguidas"
        );
        assert!(
            all.iter()
                .any(|f| matches!(f, Fate::Delivered { spared: true, .. }))
        );
    }

    #[test]
    fn descricao_em_portugues() {
        let d = Decision {
            client: 1,
            direction: Direction::ToServer,
            index: 3,
            len: 8,
            preview: preview(b"2 SOMA 5"),
            fate: Fate::Lost,
        };
        assert_eq!(
            d.describe(),
            r#"cliente 1 → servidor #3 (8 bytes "2 SOMA 5"): perdido"#
        );
        let long = preview("ç".repeat(30).as_bytes());
        assert!(long.ends_with("…\"") && long.chars().filter(|&c| c == 'ç').count() == 20);
    }

    /// A UDP echo server on loopback, for the relay to stand in front of.
    async fn echo_server() -> (u16, JoinHandle<()>) {
        let socket = UdpSocket::bind(loopback(0)).await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut buffer = vec![0u8; MAX_DATAGRAM];
            while let Ok((len, from)) = socket.recv_from(&mut buffer).await {
                let _ = socket.send_to(&buffer[..len], from).await;
            }
        });
        (port, task)
    }

    /// Sends `n` numbered datagrams through a relay one at a time, each waiting
    /// a bounded time for its echo; returns which came back, and the decisions.
    async fn through_relay(config: Config, n: usize) -> (Vec<bool>, Vec<Decision>) {
        let (server_port, server) = echo_server().await;
        let decisions = Arc::new(Mutex::new(Vec::new()));
        let log_into = Arc::clone(&decisions);
        let log: Log = Arc::new(move |d: &Decision| log_into.lock().unwrap().push(d.clone()));
        let relay = Relay::start(config, 0, server_port, log).await.unwrap();
        let client = UdpSocket::bind(loopback(0)).await.unwrap();
        client.connect(loopback(relay.port)).await.unwrap();
        let mut back = Vec::new();
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        for i in 0..n {
            let sent = format!("{i} ECO oi");
            client.send(sent.as_bytes()).await.unwrap();
            // Lost datagrams never come: the wait is bounded, and a late or
            // duplicated echo of an earlier one is skipped.
            let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
            let mut came = false;
            while let Ok(Ok(len)) =
                tokio::time::timeout_at(deadline, client.recv(&mut buffer)).await
            {
                if buffer[..len] == *sent.as_bytes() {
                    came = true;
                    break;
                }
            }
            back.push(came);
        }
        relay.stop().await;
        server.abort();
        let decisions = decisions.lock().unwrap().clone();
        (back, decisions)
    }

    /// Over real sockets: the same seed loses the same datagrams, and what the
    /// log says is what happened. No delays here, so that the replies reach the
    /// relay in the order of the log (delays are the dice's business, tested above).
    #[tokio::test]
    async fn a_semente_repete_as_perdas_de_verdade() {
        let c = config(30, 10, 0, 42);
        let (first, decisions) = through_relay(c, 30).await;
        let (second, _) = through_relay(c, 30).await;
        assert_eq!(
            first, second,
            "a mesma semente perdeu datagramas diferentes"
        );
        assert!(
            first.iter().any(|&b| b) && first.iter().any(|&b| !b),
            "{first:?}"
        );
        // A datagram came back exactly when neither way lost it.
        let fate = |direction, index| {
            decisions
                .iter()
                .find(|d| d.direction == direction && d.index == index)
                .map(|d| d.fate)
        };
        let mut replies = 0;
        for (i, &came) in first.iter().enumerate() {
            let request = fate(Direction::ToServer, i as u64 + 1).unwrap();
            if request == Fate::Lost {
                assert!(!came, "o pedido {i} se perdeu e a resposta veio");
                continue;
            }
            // Each copy of the request that arrived made one reply.
            let copies = request.delays().len();
            let reply_fates: Vec<Fate> = (0..copies)
                .map(|k| fate(Direction::ToClient, replies + k as u64 + 1).unwrap())
                .collect();
            replies += copies as u64;
            let any_back = reply_fates.iter().any(|f| *f != Fate::Lost);
            assert_eq!(came, any_back, "datagrama {i}: {request:?} {reply_fates:?}");
        }
        let other = config(30, 10, 0, 43);
        let (third, _) = through_relay(other, 30).await;
        assert_ne!(first, third, "outra semente, as mesmas perdas");
    }
}
