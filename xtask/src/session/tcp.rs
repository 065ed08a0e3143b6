//! TCP actions: the grader as a client (connect, send, read lines or until close)
//! and as a server (listen, accept, reply with its messages cut by the fault plan).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::programs::looks_like_addr_in_use;
use super::{Flow, Session, Stop, slot};
use crate::lab::Role;
use crate::process::{Program, describe_status};
use crate::transcript::escape;
use crate::wire::{self, Dial, Ending};

/// Cap on what one read-until-close keeps: far more than any lab's reply.
const READ_CAP: usize = 1024 * 1024;

/// A connection the grader holds, as one of the actors of the dialogue.
pub struct Conn {
    pub actor: String,
    pub stream: TcpStream,
    /// How the last read-until-close ended.
    pub ending: Option<Ending>,
    /// Bytes read past the last line handed out (lines are framed here).
    pub(super) pending: Vec<u8>,
    /// A share of the session's count of open connections (see `ByHand::clients`).
    _counted: Option<std::sync::Arc<()>>,
    /// Whether what the grader sends here is cut into pieces (see `faults`):
    /// set on the connections where the grader plays the server.
    faults: bool,
    /// Whose program is at the other end: a read watches it, in case it exits.
    peer: Role,
    /// HTTP responses read whole on it (see `http`): a close after one of them
    /// is a keep-alive defect, before any a missing response.
    pub(super) responses: usize,
}

impl Conn {
    /// Wraps a connection the grader made itself (bulk steps dial directly).
    pub fn new(actor: &str, stream: TcpStream) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn {
            actor: actor.to_owned(),
            stream,
            ending: None,
            pending: Vec::new(),
            _counted: None,
            faults: false,
            peer: Role::Server,
            responses: 0,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // When the learner's server closed first, a normal close from us would
        // leave its side in TIME_WAIT for a minute, and a server without
        // SO_REUSEADDR (like the tutorial's) could not bind the port again.
        // Closing with a reset (zero linger) after its FIN frees the port at once.
        if matches!(self.ending, Some(Ending::Closed)) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl Session {
    // ---- the grader as a client (server steps) ------------------------------

    /// Connects to the learner's server as `actor`, retrying while it starts.
    pub async fn connect(&mut self, actor: &str) -> Result<Conn, Stop> {
        self.connect_with_buffer(actor, None).await
    }

    /// Connects without a transcript line, for load steps that record a summary.
    /// `Err` carries the last error, already worded for the transcript.
    pub async fn connect_quietly(&self, actor: &str) -> Result<Conn, String> {
        let port = self.port.expect("connect_quietly() depois de start()");
        match wire::dial(port, self.deadline()).await {
            Dial::Connected(stream) => Ok(Conn::new(actor, stream)),
            Dial::GaveUp(error) => Err(wire::describe_error(&error)),
        }
    }

    /// Connects as a client that will never read: with a tiny receive buffer, the
    /// server's writes to it stall after kilobytes.
    pub async fn connect_non_reader(&mut self, actor: &str) -> Result<Conn, Stop> {
        self.connect_with_buffer(actor, Some(4096)).await
    }

    async fn connect_with_buffer(
        &mut self,
        actor: &str,
        recv_buffer: Option<u32>,
    ) -> Result<Conn, Stop> {
        let port = self.port.expect("connect() depois de start()");
        let deadline = self.deadline();
        // The server's listeners, looked at right before each attempt: once the
        // connection is made, a lab 01 server may close its listener and exit
        // before the grader could look again.
        let group = self.programs[slot(Role::Server)]
            .as_ref()
            .and_then(Program::group)
            .filter(|_| self.listen_unchecked);
        // `None`: not looked (not the first connection) or no `/proc` here.
        let mut seen: Option<crate::listening::Look> = None;
        let mut observe = || match group {
            Some(pgid) => {
                if !seen.as_ref().is_some_and(|look| look.port_listened) {
                    seen = crate::listening::look(pgid, port);
                }
                // Connect only once a listener shows in the tables (or when they
                // cannot be read), so the server's is seen before it can go.
                seen.as_ref().is_none_or(|look| look.port_listened)
            }
            None => true,
        };
        let outcome = {
            let dialing = wire::dial_observing(port, deadline, recv_buffer, &mut observe);
            tokio::pin!(dialing);
            // Watch the server while dialing: if it dies, say so at once.
            match self.programs[slot(Role::Server)].as_mut() {
                Some(server) => tokio::select! {
                    // A fast server may accept, answer and exit before we look: a
                    // finished dial wins over the exit.
                    biased;
                    dial = &mut dialing => Ok(dial),
                    status = server.wait() => Err(status.ok()),
                },
                None => Ok(dialing.await),
            }
        };
        let exited = match outcome {
            Ok(Dial::Connected(stream)) => {
                self.say(format!("[{actor}] conecta em 127.0.0.1:{port}"));
                let mut conn = Conn::new(actor, stream);
                conn._counted = Some(std::sync::Arc::clone(&self.open_conns));
                let open = std::sync::Arc::strong_count(&self.open_conns) - 1;
                if let Some(current) = self.current.as_mut() {
                    current.most_clients = current.most_clients.max(open);
                }
                if group.is_some() {
                    self.listen_unchecked = false;
                    self.judge_listeners(seen).await?;
                }
                return Ok(conn);
            }
            // The server died while the last attempt (or a look at its
            // listeners, which a program thrashing memory slows down) was on its
            // way: its exit is the cause, not the port.
            Ok(Dial::GaveUp(_))
                if self.programs[slot(Role::Server)]
                    .as_mut()
                    .is_some_and(|p| p.try_status().is_some()) =>
            {
                self.programs[slot(Role::Server)]
                    .as_mut()
                    .and_then(Program::try_status)
            }
            Ok(Dial::GaveUp(error)) => {
                self.say(format!(
                    "[{actor}] não conseguiu conectar em 127.0.0.1:{port}: {}",
                    wire::describe_error(&error)
                ));
                self.note(
                    "E-SEM-CONEXAO",
                    format!(
                        "Ninguém aceitou conexões em 127.0.0.1:{port} durante {}. O servidor \
                         chegou a criar o TcpListener nessa porta? Ele lê a porta de PORTA?",
                        self.timeout_text()
                    ),
                );
                return Err(self.fail().await);
            }
            Err(status) => status,
        };
        let how = exited.map_or("terminou".to_owned(), |s| {
            format!("terminou com {}", describe_status(s))
        });
        self.say(format!("[servidor] {how} antes de aceitar a conexão"));
        // A panic, or a port it could not bind, is not "it stopped waiting":
        // `explain_programs` names those (`panic_of` has read its stderr out).
        let panicked = self.panic_of(Role::Server).await.is_some();
        let port_in_use = self
            .program(Role::Server)
            .is_some_and(|program| looks_like_addr_in_use(&program.stderr.text()));
        if !panicked && !port_in_use {
            self.note(
                "E-SAIU-CEDO",
                "O servidor terminou antes de aceitar a conexão do corretor: enquanto houver \
                 clientes a atender, ele precisa continuar esperando em accept().",
            );
        }
        Err(self.fail().await)
    }

    /// Fails the step when the server listens beyond loopback: the grader only
    /// ever talks over 127.0.0.1, so only the kernel's tables show it.
    async fn judge_listeners(&mut self, seen: Option<crate::listening::Look>) -> Result<(), Stop> {
        let Some(crate::listening::Look {
            group: addresses, ..
        }) = seen
        else {
            self.trace("sem /proc neste sistema: o endereço de escuta não foi verificado");
            return Ok(());
        };
        let exposed: Vec<_> = addresses
            .into_iter()
            .filter(|a| !crate::listening::is_loopback(a.ip()))
            .collect();
        let Some(first) = exposed.first() else {
            return Ok(());
        };
        let shown = crate::listening::describe(*first);
        self.say(format!(
            "[corretor] o servidor escuta em {shown}, não só em 127.0.0.1"
        ));
        self.note(
            "E-ESCUTA-EXPOSTA",
            format!(
                "O servidor escuta em {shown}. Assim qualquer pessoa na mesma rede (o Wi-Fi \
                 do café, a rede da escola) pode conectar nele e mandar o que quiser a um \
                 programa que não foi feito para estranhos. Escute só nesta máquina: \
                 `TcpListener::bind((\"127.0.0.1\", porta))`, como faz `endereco()`. (O \
                 corretor conversa só por 127.0.0.1; o endereço vem das tabelas do sistema, \
                 /proc/net/tcp.)"
            ),
        );
        Err(self.fail().await)
    }

    /// Reads everything until the peer closes (or the deadline) and records it as
    /// one `←` line; the way it ended is kept in `conn.ending`.
    pub async fn receive_until_close(&mut self, conn: &mut Conn) {
        let deadline = self.deadline();
        let verbose = self.opts.verbose;
        let started = self.step_started();
        let actor = conn.actor.clone();
        // What was already read past the last line belongs to this read too.
        let earlier = std::mem::take(&mut conn.pending);
        let (data, ending) =
            wire::read_until_close(&mut conn.stream, READ_CAP, deadline, |chunk| {
                if verbose {
                    let t = started.elapsed().as_secs_f64();
                    eprintln!(
                        "    +{t:.3}s  [{actor}] ← {} ({} bytes)",
                        escape(chunk),
                        chunk.len()
                    );
                }
            })
            .await;
        let data = [earlier, data].concat();
        self.give_up_if(matches!(ending, Ending::StillOpen));
        self.record(&format!("[{actor}] ← {}", escape(&data)));
        if matches!(ending, Ending::TooMuch) {
            self.note(
                "E-BYTES-DEMAIS",
                format!("Chegaram mais de {READ_CAP} bytes; parei de ler."),
            );
        }
        conn.ending = Some(ending);
    }

    /// Reads until the peer closes and records what came and how it ended.
    pub async fn expect_close(&mut self, conn: &mut Conn) {
        self.receive_until_close(conn).await;
        self.say_how_it_ended(conn);
    }

    /// Records how the last read ended: closed by the peer, still open, broken.
    pub fn say_how_it_ended(&mut self, conn: &Conn) {
        let actor = &conn.actor;
        let line = match &conn.ending {
            Some(Ending::Closed) => format!("[{actor}] o outro lado fechou a conexão (EOF)"),
            Some(Ending::StillOpen) => {
                let after = self.timeout_text();
                self.note(
                    "E-NAO-FECHOU",
                    format!(
                        "Os dados chegaram, mas a conexão continuou aberta por {after}. Quem lê \
                         até o fim espera o EOF, que só vem quando o outro lado fecha o socket \
                         (em Rust, quando ele sai de escopo ou com drop)."
                    ),
                );
                format!("[{actor}] a conexão continua aberta depois de {after}")
            }
            Some(Ending::Broken(error)) => {
                format!(
                    "[{actor}] a conexão falhou: {}",
                    wire::describe_error(error)
                )
            }
            Some(Ending::TooMuch) => format!("[{actor}] parou de ler: bytes demais"),
            None => format!("[{actor}] nada foi lido"),
        };
        self.say(line);
    }

    /// Sends bytes one per write (with Nagle off), so the server sees them
    /// trickle in: a line, or even one UTF-8 character, spread over many reads.
    /// Written back to back, the bytes would pile up in the server's receive
    /// buffer and one read would take them all; so after each byte the grader
    /// waits (bounded, see `faults`) until the server has read it.
    pub async fn send_bytewise(&mut self, conn: &mut Conn, bytes: &[u8]) -> Flow {
        self.write_bytewise(conn, bytes).await?;
        self.say(format!(
            "[{}] → {} (um byte por escrita)",
            conn.actor,
            escape(bytes)
        ));
        Ok(())
    }

    /// The writing of [`Session::send_bytewise`], without its transcript line
    /// (the caller describes what it sent); fails the step if the peer goes.
    pub(super) async fn write_bytewise(&mut self, conn: &mut Conn, bytes: &[u8]) -> Flow {
        for byte in bytes {
            let written =
                tokio::time::timeout(self.opts.timeout, conn.stream.write_all(&[*byte])).await;
            if !matches!(written, Ok(Ok(()))) {
                let actor = &conn.actor;
                self.say(format!(
                    "[{actor}] não conseguiu enviar: a conexão caiu no meio"
                ));
                return Err(self.fail().await);
            }
            crate::faults::wait_until_read(&conn.stream, crate::faults::PIECE_PACING).await;
        }
        Ok(())
    }

    /// Reads one line (up to and including `\n`), however many reads it takes,
    /// and records it. Returns what arrived (for lab-specific diagnoses).
    pub async fn receive_line(&mut self, conn: &mut Conn) -> Vec<u8> {
        self.receive_line_shown_as(conn, |line| line.to_vec()).await
    }

    /// Like [`Session::receive_line`], recording `shown(line)` instead of the line
    /// itself: for parts the protocol leaves free (the reason after `ERRO: `).
    pub async fn receive_line_shown_as(
        &mut self,
        conn: &mut Conn,
        shown: impl Fn(&[u8]) -> Vec<u8>,
    ) -> Vec<u8> {
        let deadline = self.deadline();
        let actor = conn.actor.clone();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            if let Some(end) = conn.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = conn.pending.drain(..=end).collect();
                self.record(&format!("[{actor}] ← {}", escape(&shown(&line))));
                return line;
            }
            let outcome = if conn.pending.len() > READ_CAP {
                None
            } else {
                match self.read_watching_peer(conn, &mut chunk, deadline).await {
                    Ok(read) => Some(read),
                    Err(exited) => {
                        let partial = std::mem::take(&mut conn.pending);
                        if !partial.is_empty() {
                            self.record(&format!("[{actor}] ← {}", escape(&partial)));
                        }
                        self.say(format!("[{actor}] {exited}"));
                        return partial;
                    }
                }
            };
            let partial = std::mem::take(&mut conn.pending);
            let ended = match outcome {
                Some(Ok(Ok(n))) if n > 0 => {
                    conn.pending = partial;
                    conn.pending.extend_from_slice(&chunk[..n]);
                    self.trace(&format!("[{actor}] ← {} ({n} bytes)", escape(&chunk[..n])));
                    continue;
                }
                Some(Ok(Ok(_))) => {
                    conn.ending = Some(Ending::Closed);
                    self.note(
                        "E-CONEXAO-FECHADA",
                        "A conexão foi fechada do outro lado antes de chegar uma linha completa \
                         (terminada em \\n): a conversa acabou cedo demais.",
                    );
                    "o outro lado fechou a conexão (EOF) antes do fim da linha".to_owned()
                }
                Some(Ok(Err(error))) => {
                    format!("a conexão falhou: {}", wire::describe_error(&error))
                }
                Some(Err(_)) => {
                    let after = self.timeout_text();
                    self.note(
                        "E-SEM-RESPOSTA",
                        format!("Esperei {after} por uma linha terminada em \\n, e ela não veio."),
                    );
                    format!("esperava uma linha terminada em \\n; nada mais chegou em {after}")
                }
                None => {
                    self.note(
                        "E-BYTES-DEMAIS",
                        format!("Chegaram mais de {READ_CAP} bytes sem um \\n."),
                    );
                    "parou de ler: bytes demais sem \\n".to_owned()
                }
            };
            if !partial.is_empty() {
                self.record(&format!("[{actor}] ← {}", escape(&partial)));
            }
            self.say(format!("[{actor}] {ended}"));
            return partial;
        }
    }

    /// After a reply: the bytes the peer has already sent beyond it, taken
    /// without waiting (a correct program sends nothing unasked, so no event
    /// is due). Any are recorded as a `←` line and named, so that an extra
    /// `\n` fails the step of the reply it follows, instead of passing for the
    /// next reply. What is still on its way is for the next read to see.
    pub fn expect_nothing_more(&mut self, conn: &mut Conn) {
        let mut extra = std::mem::take(&mut conn.pending);
        let mut chunk = [0u8; 4096];
        // An EOF or an error stays for the next read, which will report it.
        while extra.len() < READ_CAP
            && let Ok(n) = conn.stream.try_read(&mut chunk)
            && n > 0
        {
            extra.extend_from_slice(&chunk[..n]);
        }
        if extra.is_empty() {
            return;
        }
        let actor = conn.actor.clone();
        self.record(&format!(
            "[{actor}] ← {} (depois da resposta)",
            escape(&extra)
        ));
        self.note(
            "E-BYTES-A-MAIS",
            format!(
                "A resposta chegou inteira, mas vieram {} byte(s) a mais depois dela: {}. \
                 Para cada linha recebida vai exatamente uma linha de resposta.",
                extra.len(),
                escape(&extra[..extra.len().min(40)])
            ),
        );
    }

    /// One read on `conn`, watching the program at the other end: if it exits
    /// while the connection stays open (a child it forked still holds it), no
    /// line can come any more, and waiting for the deadline would only hide
    /// that. `Err` says so, once what it wrote before exiting has been read.
    pub(super) async fn read_watching_peer(
        &mut self,
        conn: &mut Conn,
        buf: &mut [u8],
        deadline: Instant,
    ) -> Result<Result<std::io::Result<usize>, tokio::time::error::Elapsed>, String> {
        if self.gave_up() {
            return match conn.stream.try_read(buf) {
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => Err(
                    "nada mais tinha chegado (o passo já tinha falhado por tempo: não esperei de novo)"
                        .to_owned(),
                ),
                other => Ok(Ok(other)),
            };
        }
        let read = tokio::time::timeout_at(deadline, conn.stream.read(buf));
        let outcome = match self.programs[slot(conn.peer)].as_mut() {
            None => Ok(read.await),
            Some(program) => tokio::select! {
                // Bytes or an EOF already there come first: they are the answer.
                biased;
                read = read => Ok(read),
                status = program.wait() => Err(status.ok()),
            },
        };
        let status = match outcome {
            Ok(read) => {
                self.give_up_if(read.is_err());
                return Ok(read);
            }
            Err(status) => status,
        };
        // Everything it wrote before exiting is already in our socket.
        match conn.stream.try_read(buf) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            other => return Ok(Ok(other)),
        }
        let how = status.map_or("terminou".to_owned(), |s| {
            format!("terminou com {}", describe_status(s))
        });
        Err(format!(
            "o {} {how} sem enviar uma linha completa (a conexão continua aberta: outro \
             processo, um filho dele, ainda a segura)",
            conn.peer.label()
        ))
    }

    /// Reads `count` lines without recording them (bulk steps record a summary).
    /// Each line must arrive within the deadline of the one before it.
    pub async fn read_lines_quietly(
        &self,
        conn: &mut Conn,
        count: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        let mut lines = Vec::with_capacity(count);
        let mut chunk = vec![0u8; 64 * 1024];
        while lines.len() < count {
            if let Some(end) = conn.pending.iter().position(|&b| b == b'\n') {
                lines.push(conn.pending.drain(..=end).collect());
                continue;
            }
            if conn.pending.len() > READ_CAP {
                return Err(format!("mais de {READ_CAP} bytes sem \\n"));
            }
            let deadline = self.deadline();
            match tokio::time::timeout_at(deadline, conn.stream.read(&mut chunk)).await {
                Ok(Ok(0)) => return Err(format!("a conexão fechou{}", after_lines(lines.len()))),
                Ok(Ok(n)) => conn.pending.extend_from_slice(&chunk[..n]),
                Ok(Err(error)) => return Err(wire::describe_error(&error)),
                Err(_) => {
                    let waited = self.timeout_text();
                    return Err(format!(
                        "nada chegou em {waited}{}",
                        after_lines(lines.len())
                    ));
                }
            }
        }
        Ok(lines)
    }

    /// Closes a connection with a normal FIN even if the peer closed first:
    /// its side then stays in TIME_WAIT, as it would with any real client.
    /// Lab 04 needs that to show why a server sets SO_REUSEADDR.
    pub async fn close_politely(&mut self, mut conn: Conn) {
        conn.ending = None;
        self.close(conn).await;
    }

    /// Drops a connection abruptly: the peer gets a reset (RST), not an EOF.
    pub async fn reset(&mut self, conn: Conn) {
        let _ = conn.stream.set_zero_linger();
        let actor = conn.actor.clone();
        drop(conn);
        self.say(format!(
            "[{actor}] derruba a conexão (RST, sem se despedir)"
        ));
    }

    // ---- the grader as a server (client steps) -------------------------------

    /// Listens on the run's port, to play the server for the learner's client.
    pub async fn listen(&mut self) -> Result<TcpListener, Stop> {
        let port = match self.choose_port() {
            Ok(port) => port,
            Err(why) => {
                self.note("E-SEM-PORTA", why);
                return Err(self.fail().await);
            }
        };
        match wire::listen(port).await {
            Ok(listener) => {
                self.say(format!("[corretor] escuta em 127.0.0.1:{port}"));
                Ok(listener)
            }
            Err(error) => {
                self.say(format!(
                    "[corretor] não conseguiu escutar em 127.0.0.1:{port}: {}",
                    wire::describe_error(&error)
                ));
                self.note(
                    "E-PORTA-EM-USO",
                    format!(
                        "O corretor precisa da porta {port} para fazer o papel do servidor, mas \
                         ela está ocupada. Feche o programa que a usa ou rode sem --port."
                    ),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Waits for the learner's client to connect, watching it in case it exits.
    /// The grader's end of the connection is the actor `corretor`.
    pub async fn accept(&mut self, listener: &TcpListener) -> Result<Conn, Stop> {
        let deadline = self.deadline();
        let outcome = {
            let client = self.programs[slot(Role::Client)].as_mut();
            match client {
                None => tokio::time::timeout_at(deadline, listener.accept())
                    .await
                    .map(Ok),
                Some(client) => {
                    tokio::select! {
                        // A client that connects and exits at once still connected.
                        biased;
                        accepted = tokio::time::timeout_at(deadline, listener.accept()) => accepted.map(Ok),
                        status = client.wait() => Ok(Err(status.ok())),
                    }
                }
            }
        };
        match outcome {
            Ok(Ok(Ok((stream, _)))) => {
                self.say("[cliente] conectou ao corretor");
                let mut conn = Conn::new("corretor", stream);
                conn.faults = true;
                conn.peer = Role::Client;
                Ok(conn)
            }
            Ok(Ok(Err(error))) => {
                self.say(format!(
                    "[corretor] accept falhou: {}",
                    wire::describe_error(&error)
                ));
                Err(self.fail().await)
            }
            Ok(Err(status)) => {
                let how = status.map_or("terminou".to_owned(), |s| {
                    format!("terminou com {}", describe_status(s))
                });
                self.say(format!("[cliente] {how} sem conectar"));
                // A panic is named by `explain_programs`, with its own line.
                if self.panic_of(Role::Client).await.is_none() {
                    self.note(
                        "E-CLIENTE-SAIU-CEDO",
                        "O cliente terminou sem conectar ao servidor do corretor. Ele chama \
                         TcpStream::connect no endereço 127.0.0.1 e na porta de PORTA?",
                    );
                }
                Err(self.fail().await)
            }
            Err(_) => {
                let after = self.timeout_text();
                self.say(format!("[cliente] não conectou em {after}"));
                self.note(
                    "E-CLIENTE-NAO-CONECTOU",
                    format!(
                        "O cliente está rodando, mas não conectou em {after}. Ele usa a porta \
                         de PORTA? Está esperando algo do teclado antes de conectar?"
                    ),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Sends bytes on a connection the grader holds, recording `→`. Where the
    /// grader plays the server, they go in pieces cut at random (see `faults`).
    pub async fn send(&mut self, conn: &mut Conn, bytes: &[u8]) -> Flow {
        self.send_together(conn, &[bytes]).await
    }

    /// Sends messages that the protocol puts one right after the other. Where the
    /// grader plays the server they form one stream cut at random points, so two
    /// may arrive in one read; elsewhere, one write.
    pub async fn send_together(&mut self, conn: &mut Conn, messages: &[&[u8]]) -> Flow {
        let actor = conn.actor.clone();
        let bytes = messages.concat();
        let cuts = if conn.faults {
            let boundaries: Vec<usize> = messages
                .iter()
                .scan(0, |end, m| {
                    *end += m.len();
                    Some(*end)
                })
                .collect();
            crate::faults::cuts(&mut self.fault_rng, bytes.len(), &boundaries)
        } else {
            Vec::new()
        };
        let pieces = crate::faults::pieces(bytes.len(), &cuts);
        let shown: Vec<String> = messages.iter().map(|m| escape(m)).collect();
        let mut shown = shown.join(" + ");
        match (cuts.is_empty(), messages.len()) {
            (true, _) => {}
            (false, 1) => shown.push_str(" (em pedaços sorteados)"),
            (false, _) => shown.push_str(" (juntas, em pedaços sorteados)"),
        }
        if !cuts.is_empty() {
            let each: Vec<String> = pieces.iter().map(|r| escape(&bytes[r.clone()])).collect();
            self.trace(&format!("[{actor}] pedaços: {}", each.join(" + ")));
        }
        for (index, range) in pieces.iter().enumerate() {
            let piece = &bytes[range.clone()];
            let written =
                tokio::time::timeout(self.opts.timeout, conn.stream.write_all(piece)).await;
            let problem = match written {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(wire::describe_error(&error)),
                Err(_) => Some("o outro lado não lê".to_owned()),
            };
            if let Some(problem) = problem {
                if index == 0 {
                    self.say(format!("[{actor}] não conseguiu enviar: {problem}"));
                    return Err(self.fail().await);
                }
                // The client left after a first piece: what it printed tells why.
                self.say(format!(
                    "[{actor}] → {shown}: a conexão caiu depois de {index} de {} pedaços ({problem})",
                    pieces.len()
                ));
                return Ok(());
            }
            if index + 1 < pieces.len() {
                crate::faults::wait_until_read(&conn.stream, crate::faults::PIECE_PACING).await;
            }
        }
        self.say(format!("[{actor}] → {shown}"));
        Ok(())
    }

    /// Closes a connection the grader holds (the peer sees EOF).
    pub async fn close(&mut self, mut conn: Conn) {
        let _ = conn.stream.shutdown().await;
        let actor = conn.actor.clone();
        drop(conn);
        self.say(format!("[{actor}] fecha a conexão"));
    }

    /// The client leaves: the grader sees its connection close, the program
    /// exits, and it printed `farewell`.
    pub async fn expect_client_to_leave(&mut self, conn: &mut Conn, farewell: &str) -> Flow {
        self.expect_close(conn).await;
        self.wait_exit(Role::Client).await?;
        self.expect_printed(farewell).await;
        Ok(())
    }
}

/// " depois de N linhas", or nothing when none had come in this read (the
/// caller then says what it had received before).
fn after_lines(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " depois de 1 linha".to_owned(),
        n => format!(" depois de {n} linhas"),
    }
}
