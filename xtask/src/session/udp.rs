//! UDP actions: the grader's datagram sockets, as clients of the learner's server
//! and as the server of the learner's client; sending, expecting a datagram within a
//! deadline (watching the program at the other end), and the bad network between
//! the two (see `rede_ruim`). Every action writes the same transcript lines as the
//! TCP ones: `→` what the grader sent, `←` what it received, one datagram per line,
//! and the same `--verbose` timeline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::{Flow, Session, Stop, slot};
use crate::lab::Role;
use crate::process::describe_status;
use crate::rede_ruim::{self, Decision, Relay};
use crate::sandbox::{Udp, UdpPorts};
use crate::transcript::escape;
use crate::wire::{self, loopback};

/// The largest datagram a UDP socket can deliver.
pub const MAX_DATAGRAM: usize = 65_535;

/// A UDP socket the grader holds, as one actor of the dialogue.
pub struct Datagrams {
    pub actor: String,
    socket: UdpSocket,
    /// Where [`Session::send_datagram`] sends: the learner's server (the socket is
    /// connected to it), or the learner's client once its first datagram came.
    peer: Option<SocketAddr>,
    /// Whether the socket is connected to `peer` (then the kernel drops
    /// datagrams from anyone else, and reports "port unreachable").
    connected: bool,
    /// Whose program is at the other end: a wait watches it, in case it exits.
    peer_role: Role,
}

impl Datagrams {
    /// The address the learner's program sees this actor at.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.local_addr().ok()
    }

    /// The address of the other end, once known.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The datagrams already waiting, taken without waiting for more.
    pub fn take_waiting(&mut self) -> Vec<(Vec<u8>, SocketAddr)> {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        let mut taken = Vec::new();
        // A pending "port unreachable" is not a datagram: skip it and look again.
        for _ in 0..1024 {
            match self.socket.try_recv_from(&mut buffer) {
                Ok((len, from)) => taken.push((buffer[..len].to_vec(), from)),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(_) => break,
            }
        }
        taken
    }

    /// Sends without recording (bulk steps record a summary).
    pub async fn send_quietly(&self, bytes: &[u8]) -> std::io::Result<()> {
        match (self.connected, self.peer) {
            (true, _) => self.socket.send(bytes).await.map(|_| ()),
            (false, Some(peer)) => self.socket.send_to(bytes, peer).await.map(|_| ()),
            (false, None) => Err(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "ninguém para quem enviar ainda",
            )),
        }
    }

    /// Waits for one datagram until `deadline`, without recording and without
    /// watching any program (bulk steps).
    pub async fn receive_quietly(&self, deadline: Instant) -> Option<Vec<u8>> {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        loop {
            match tokio::time::timeout_at(deadline, self.socket.recv_from(&mut buffer)).await {
                Ok(Ok((len, _))) => return Some(buffer[..len].to_vec()),
                // "Port unreachable" for an earlier datagram: nothing to read yet.
                Ok(Err(_)) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// What one wait for a datagram gave.
#[derive(Debug)]
pub enum Arrival {
    Datagram {
        bytes: Vec<u8>,
        from: SocketAddr,
        at: Instant,
    },
    /// The kernel said nobody receives datagrams at the peer's port (ICMP "port
    /// unreachable", seen on a connected socket).
    Refused,
    TimedOut,
    /// The program at the other end exited: how, in words.
    PeerExited(String),
}

impl Session {
    // ---- the sandbox's rule --------------------------------------------------

    /// Declares that this lab's programs use UDP: from now on they start allowed
    /// UDP sockets, sending only to loopback and only to the ports the grader
    /// opens (its sockets, its bad network, the program's `PORTA`). Other labs'
    /// programs cannot create a UDP socket at all (see `sandbox::udp`).
    pub fn use_udp(&mut self) {
        self.udp_ports.get_or_insert_with(UdpPorts::new);
    }

    /// The UDP rule for a program started now with `PORTA=<port>`.
    pub(super) fn udp_rule(&self, port: u16) -> Udp {
        match &self.udp_ports {
            Some(ports) => {
                ports.allow(port);
                Udp::loopback_ports(ports)
            }
            None => Udp::Denied,
        }
    }

    /// Lets the programs send to the grader's socket `d` (a UDP lab's rule).
    fn allow_udp(&self, d: &Datagrams) {
        if let (Some(ports), Some(local)) = (&self.udp_ports, d.local_addr()) {
            ports.allow(local.port());
        }
    }

    // ---- the grader as clients (server steps) --------------------------------

    /// A UDP socket for `actor`, connected to the learner's server: its own
    /// address (its own port), so the server sees another client.
    pub async fn udp_client(&mut self, actor: &str) -> Result<Datagrams, Stop> {
        self.speaks_udp = true;
        match self.udp_client_quietly(actor).await {
            Ok(d) => {
                let port = self.port.unwrap_or_default();
                self.say(format!(
                    "[{actor}] abre um socket UDP e o conecta a 127.0.0.1:{port}"
                ));
                if let Some(local) = d.local_addr() {
                    self.trace(&format!("[{actor}] endereço de origem {local}"));
                }
                Ok(d)
            }
            Err(why) => {
                self.say(format!(
                    "[{actor}] não conseguiu abrir um socket UDP: {why}"
                ));
                Err(self.fail().await)
            }
        }
    }

    /// Like [`Session::udp_client`], without a transcript line (bulk steps).
    pub async fn udp_client_quietly(&self, actor: &str) -> Result<Datagrams, String> {
        let port = self.port.expect("udp_client() depois de start()");
        let socket = UdpSocket::bind(loopback(0))
            .await
            .map_err(|e| wire::describe_error(&e))?;
        socket
            .connect(loopback(port))
            .await
            .map_err(|e| wire::describe_error(&e))?;
        let d = Datagrams {
            actor: actor.to_owned(),
            socket,
            peer: Some(loopback(port)),
            connected: true,
            peer_role: Role::Server,
        };
        // The server replies to this socket's port.
        self.allow_udp(&d);
        Ok(d)
    }

    /// Sends `request` and waits for the reply, recording both. While the
    /// server is still starting (nobody bound to the port yet), the kernel
    /// answers "port unreachable" and the datagram is gone: it is sent again,
    /// with a backoff, as `wire::dial` retries a TCP connect. `None`: no reply
    /// (the transcript says why).
    pub async fn ask(&mut self, d: &mut Datagrams, request: &[u8]) -> Option<Vec<u8>> {
        self.ask_shown_as(d, request, None, |reply| reply.to_vec())
            .await
    }

    /// Like [`Session::ask`], recording the reply as `shown(reply)` (for the
    /// parts the protocol leaves free: the reason after `ERRO`), and watching
    /// `beside` too: a reply that reaches that socket instead ends the wait at
    /// once, recorded on its line.
    pub async fn ask_shown_as(
        &mut self,
        d: &mut Datagrams,
        request: &[u8],
        beside: Option<&mut Datagrams>,
        shown: impl Fn(&[u8]) -> Vec<u8>,
    ) -> Option<Vec<u8>> {
        self.ask_inner(d, request, beside, &shown, &|_| false).await
    }

    /// Like [`Session::ask`], passing over the datagrams `skip` says are not the
    /// reply (a reply to an earlier request, which a server may send or not):
    /// they show only in the `--verbose` timeline.
    pub async fn ask_skipping(
        &mut self,
        d: &mut Datagrams,
        request: &[u8],
        skip: impl Fn(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        self.ask_inner(d, request, None, &|r: &[u8]| r.to_vec(), &skip)
            .await
    }

    async fn ask_inner(
        &mut self,
        d: &mut Datagrams,
        request: &[u8],
        mut beside: Option<&mut Datagrams>,
        shown: &dyn Fn(&[u8]) -> Vec<u8>,
        skip: &dyn Fn(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        let actor = d.actor.clone();
        if let Err(error) = d.send_quietly(request).await {
            self.say(format!(
                "[{actor}] não conseguiu enviar {}: {}",
                escape(request),
                wire::describe_error(&error)
            ));
            return None;
        }
        let remark = if request.is_empty() {
            " (um datagrama vazio)"
        } else {
            ""
        };
        // A 65 KB datagram would fill the timeline: it shows abbreviated there.
        let line = format!("[{actor}] → {}{remark}", escape(request));
        self.trace(&super::step::abbreviate(&line));
        self.record(&line);
        let deadline = self.wait_deadline();
        let mut backoff = Duration::from_millis(5);
        loop {
            match self
                .wait_datagram_beside(d, beside.as_deref_mut(), deadline)
                .await
            {
                (Some(who), Arrival::Datagram { bytes, .. }) if who == actor && skip(&bytes) => {
                    self.trace(&format!(
                        "[{who}] ← {} (não é a resposta deste pedido: ignorado)",
                        escape(&bytes)
                    ));
                }
                (Some(who), Arrival::Datagram { bytes, .. }) if who == actor => {
                    self.record(&format!("[{who}] ← {}", escape(&shown(&bytes))));
                    return Some(bytes);
                }
                (Some(who), Arrival::Datagram { bytes, .. }) => {
                    self.record(&format!(
                        "[{who}] ← {} (a resposta ao pedido do {actor})",
                        escape(&shown(&bytes))
                    ));
                    self.note(
                        "E-UDP-ENDERECO-ERRADO",
                        format!(
                            "A resposta ao pedido do {actor} chegou ao {who}, outro endereço. O \
                             servidor responde sempre ao mesmo endereço (o do primeiro cliente? \
                             um socket com `connect`?) em vez de à `origem` que o `recv_from` \
                             devolveu junto com cada datagrama."
                        ),
                    );
                    return None;
                }
                (_, Arrival::Refused) if !self.is_running(d.peer_role) => {
                    let how = self
                        .program(d.peer_role)
                        .and_then(|p| p.try_status())
                        .map_or("terminou".to_owned(), |s| {
                            format!("terminou com {}", describe_status(s))
                        });
                    self.say(format!("[servidor] {how} sem responder"));
                    return None;
                }
                (_, Arrival::Refused) if Instant::now() + backoff < deadline => {
                    // Nobody bound to the port yet: the datagram was not delivered.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(100));
                    self.trace(&format!(
                        "[{actor}] ninguém recebe datagramas na porta ainda: envia de novo"
                    ));
                    let _ = d.send_quietly(request).await;
                }
                (_, Arrival::Refused) => {
                    let port = self.port.unwrap_or_default();
                    self.say(format!(
                        "[{actor}] ninguém recebe datagramas UDP em 127.0.0.1:{port}"
                    ));
                    self.note(
                        "E-UDP-NINGUEM-ESCUTA",
                        format!(
                            "Durante {}, o sistema respondeu a cada datagrama que ninguém recebe \
                             UDP em 127.0.0.1:{port} (\"porta inalcançável\"). O servidor faz \
                             `UdpSocket::bind(endereco)` com o endereço de `endereco()`, que lê \
                             a PORTA? Um `TcpListener` na mesma porta não recebe datagramas.",
                            self.timeout_text()
                        ),
                    );
                    self.give_up_if(true);
                    return None;
                }
                (_, Arrival::TimedOut) => {
                    let after = self.timeout_text();
                    self.say(format!("[{actor}] nenhuma resposta chegou no prazo"));
                    self.note(
                        "E-UDP-SEM-RESPOSTA",
                        format!(
                            "Esperei {after} pela resposta ao datagrama {} e ela não veio. Em \
                             UDP, nada avisa: ou o servidor não respondeu, ou respondeu a \
                             outro endereço. A resposta vai para a `origem` que o `recv_from` \
                             devolveu, com `send_to`.",
                            escape(&request[..request.len().min(60)])
                        ),
                    );
                    self.give_up_if(true);
                    return None;
                }
                (_, Arrival::PeerExited(how)) => {
                    self.say(format!("[servidor] {how} sem responder"));
                    return None;
                }
                (None, Arrival::Datagram { .. }) => unreachable!("um datagrama tem dono"),
            }
        }
    }

    /// After a reply: datagrams that came to `d` beyond it, taken without
    /// waiting (a correct server sends one reply per request). Any are
    /// recorded and named, so that an extra one fails this step, not the next.
    pub fn expect_no_more_datagrams(&mut self, d: &mut Datagrams) {
        let extra = d.take_waiting();
        if extra.is_empty() {
            return;
        }
        let actor = d.actor.clone();
        for (bytes, _) in &extra {
            self.record(&format!("[{actor}] ← {} (a mais)", escape(bytes)));
        }
        self.note(
            "E-UDP-DATAGRAMA-A-MAIS",
            format!(
                "Depois da resposta, chegaram mais {} datagrama(s) ao {actor}. Para cada pedido \
                 vai exatamente um datagrama de resposta.",
                extra.len()
            ),
        );
    }

    // ---- the grader as the server (client steps) -----------------------------

    /// A UDP socket on the run's port, to play the server for the learner's client.
    pub async fn udp_listen(&mut self) -> Result<Datagrams, Stop> {
        self.speaks_udp = true;
        let port = match self.choose_port() {
            Ok(port) => port,
            Err(why) => {
                self.note("E-SEM-PORTA", why);
                return Err(self.fail().await);
            }
        };
        match UdpSocket::bind(loopback(port)).await {
            Ok(socket) => {
                self.say(format!("[corretor] abre um socket UDP em 127.0.0.1:{port}"));
                Ok(Datagrams {
                    actor: "corretor".to_owned(),
                    socket,
                    peer: None,
                    connected: false,
                    peer_role: Role::Client,
                })
            }
            Err(error) => {
                self.say(format!(
                    "[corretor] não conseguiu abrir um socket UDP em 127.0.0.1:{port}: {}",
                    wire::describe_error(&error)
                ));
                self.note(
                    "E-PORTA-EM-USO",
                    format!(
                        "O corretor precisa da porta UDP {port} para fazer o papel do servidor, \
                         mas ela está ocupada. Feche o programa que a usa ou rode sem --port."
                    ),
                );
                Err(self.fail().await)
            }
        }
    }

    /// A socket of another address, for an actor that is neither side (a
    /// stranger that sends the learner's client a datagram of its own).
    pub async fn udp_stranger(&mut self, actor: &str) -> Result<Datagrams, Stop> {
        match UdpSocket::bind(loopback(0)).await {
            Ok(socket) => Ok(Datagrams {
                actor: actor.to_owned(),
                socket,
                peer: None,
                connected: false,
                peer_role: Role::Client,
            }),
            Err(error) => {
                self.say(format!(
                    "[{actor}] não conseguiu abrir um socket UDP: {}",
                    wire::describe_error(&error)
                ));
                Err(self.fail().await)
            }
        }
    }

    /// Waits for the learner's client's next datagram and records it; the first
    /// one tells the grader the client's address. `None`: nothing came (the
    /// transcript and a diagnosis say so).
    pub async fn receive_datagram(&mut self, d: &mut Datagrams) -> Option<(Vec<u8>, Instant)> {
        let deadline = self.wait_deadline();
        self.receive_datagram_until(d, deadline).await
    }

    /// Like [`Session::receive_datagram`], with a deadline of its own.
    pub async fn receive_datagram_until(
        &mut self,
        d: &mut Datagrams,
        deadline: Instant,
    ) -> Option<(Vec<u8>, Instant)> {
        let actor = d.actor.clone();
        let started = Instant::now();
        match self.wait_datagram(d, deadline).await {
            Arrival::Datagram { bytes, from, at } => {
                d.peer.get_or_insert(from);
                self.record(&format!("[{actor}] ← {}", escape(&bytes)));
                Some((bytes, at))
            }
            Arrival::TimedOut | Arrival::Refused => {
                let after = super::seconds_text(deadline.saturating_duration_since(started));
                self.say(format!("[{actor}] nenhum datagrama chegou no prazo"));
                self.note(
                    "E-UDP-SEM-PEDIDO",
                    format!(
                        "O corretor digitou um pedido e esperou {after}, mas o cliente não \
                         enviou nenhum datagrama à porta de PORTA. Ele envia com `send` num \
                         socket conectado (`connect(endereco)`) ao endereço de `endereco()`?"
                    ),
                );
                self.give_up_if(true);
                None
            }
            Arrival::PeerExited(how) => {
                self.say(format!("[cliente] {how} sem enviar o datagrama"));
                None
            }
        }
    }

    /// Sends `bytes` to the other end of `d`, recording `→`.
    pub async fn send_datagram(&mut self, d: &mut Datagrams, bytes: &[u8]) -> Flow {
        self.send_datagram_as(d, bytes, 1, "").await
    }

    /// Sends `bytes` `times` times in a row, recording one `→` line with
    /// `remark` after it (" (duas vezes: a rede duplicou)").
    pub async fn send_datagram_as(
        &mut self,
        d: &mut Datagrams,
        bytes: &[u8],
        times: usize,
        remark: &str,
    ) -> Flow {
        let actor = d.actor.clone();
        for _ in 0..times {
            if let Err(error) = d.send_quietly(bytes).await {
                self.say(format!(
                    "[{actor}] não conseguiu enviar {}: {}",
                    escape(bytes),
                    wire::describe_error(&error)
                ));
                return Err(self.fail().await);
            }
        }
        self.say(format!("[{actor}] → {}{remark}", escape(bytes)));
        Ok(())
    }

    /// Sends `bytes` from `from` to the address `to` (a stranger writing to the
    /// learner's client), recording `→`.
    pub async fn send_datagram_to(
        &mut self,
        from: &mut Datagrams,
        to: SocketAddr,
        bytes: &[u8],
        remark: &str,
    ) -> Flow {
        from.peer = Some(to);
        self.send_datagram_as(from, bytes, 1, remark).await
    }

    // ---- waiting -------------------------------------------------------------

    /// The deadline of a wait that starts now: the run's, unless a wait of this
    /// step already ran out (then only what is already there counts).
    pub fn wait_deadline(&self) -> Instant {
        if self.gave_up() {
            Instant::now()
        } else {
            self.deadline()
        }
    }

    /// One datagram on `d` until `deadline`, watching the program at the other
    /// end: if it exits, no datagram can come, and waiting would only hide that.
    pub async fn wait_datagram(&mut self, d: &mut Datagrams, deadline: Instant) -> Arrival {
        self.wait_datagram_beside(d, None, deadline).await.1
    }

    /// Like [`Session::wait_datagram`], watching `beside` too; says which actor's
    /// socket the datagram came to.
    async fn wait_datagram_beside(
        &mut self,
        d: &mut Datagrams,
        beside: Option<&mut Datagrams>,
        deadline: Instant,
    ) -> (Option<String>, Arrival) {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        let mut other = vec![0u8; MAX_DATAGRAM];
        let peer_role = d.peer_role;
        let other_socket = beside.as_ref().map(|b| &b.socket);
        let received = async {
            match other_socket {
                None => (true, d.socket.recv_from(&mut buffer).await),
                Some(o) => tokio::select! {
                    biased;
                    r = d.socket.recv_from(&mut buffer) => (true, r),
                    r = o.recv_from(&mut other) => (false, r),
                },
            }
        };
        let timed = tokio::time::timeout_at(deadline, received);
        let outcome = match self.programs[slot(peer_role)].as_mut() {
            None => Ok(timed.await),
            Some(program) => tokio::select! {
                // A datagram already there is the answer, even from a program
                // that exited right after sending it.
                biased;
                got = timed => Ok(got),
                status = program.wait() => Err(status.ok()),
            },
        };
        let at = Instant::now();
        let (mine, result) = match outcome {
            Ok(Ok(pair)) => pair,
            Ok(Err(_)) => return (None, Arrival::TimedOut),
            Err(status) => {
                // What it sent before exiting is already in our socket.
                if let Ok((len, from)) = d.socket.try_recv_from(&mut buffer) {
                    return (
                        Some(d.actor.clone()),
                        Arrival::Datagram {
                            bytes: buffer[..len].to_vec(),
                            from,
                            at,
                        },
                    );
                }
                let how = status.map_or("terminou".to_owned(), |s| {
                    format!("terminou com {}", describe_status(s))
                });
                return (None, Arrival::PeerExited(how));
            }
        };
        let who = if mine {
            d.actor.clone()
        } else {
            beside.map(|b| b.actor.clone()).unwrap_or_default()
        };
        match result {
            Ok((len, from)) => {
                let bytes = if mine {
                    buffer[..len].to_vec()
                } else {
                    other[..len].to_vec()
                };
                self.trace(&format!(
                    "[{who}] ← {} ({len} bytes, de {from})",
                    super::step::abbreviate(&escape(&bytes))
                ));
                (Some(who), Arrival::Datagram { bytes, from, at })
            }
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                (Some(who), Arrival::Refused)
            }
            // Any other error of a loopback UDP socket: nothing arrived.
            Err(error) => {
                self.trace(&format!(
                    "[{who}] recv falhou: {}",
                    wire::describe_error(&error)
                ));
                (Some(who), Arrival::TimedOut)
            }
        }
    }

    // ---- the bad network -----------------------------------------------------

    /// Starts the bad network in front of `127.0.0.1:<server_port>` (see
    /// `rede_ruim`). Its port is shown as `<porta-rede-ruim>`, and with
    /// `--verbose` every decision shows in the timeline, as it is made.
    pub async fn bad_network(
        &mut self,
        config: rede_ruim::Config,
        server_port: u16,
    ) -> Result<Relay, Stop> {
        let verbose = self.opts.verbose;
        let started = self.step_started();
        let log: rede_ruim::Log = Arc::new(move |decision: &Decision| {
            if verbose {
                let t = started.elapsed().as_secs_f64();
                eprintln!("    +{t:.3}s  [rede ruim] {}", decision.describe());
            }
        });
        // The server replies to each of the network's sockets towards it.
        let ports = self.udp_ports.clone();
        let announce: rede_ruim::Announce = Arc::new(move |port: u16| {
            if let Some(ports) = &ports {
                ports.allow(port);
            }
        });
        match Relay::start_announcing(config, 0, server_port, log, announce).await {
            Ok(relay) => {
                self.redactions
                    .push((relay.port.to_string(), "<porta-rede-ruim>".to_owned()));
                self.redactions
                    .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
                let limit = match config.max_consecutive_losses {
                    None => String::new(),
                    Some(1) => ", nunca duas perdas seguidas no mesmo sentido".to_owned(),
                    Some(n) => format!(", nunca mais de {n} perdas seguidas no mesmo sentido"),
                };
                self.say(format!(
                    "[corretor] rede ruim em 127.0.0.1:{} → 127.0.0.1:{server_port}: perde {} %, \
                     duplica {} %, atrasa até {} ms{limit}",
                    relay.port,
                    config.loss_percent,
                    config.duplicate_percent,
                    config.max_delay.as_millis()
                ));
                self.trace(&format!(
                    "[rede ruim] semente {} (a mesma com --seed {})",
                    config.seed, self.opts.seed
                ));
                Ok(relay)
            }
            Err(error) => {
                self.say(format!(
                    "[corretor] não conseguiu abrir a rede ruim: {}",
                    wire::describe_error(&error)
                ));
                Err(self.fail().await)
            }
        }
    }
}
