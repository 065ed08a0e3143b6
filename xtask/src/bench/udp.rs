//! UDP request-reply (lab 06's server, `ECO`) against TCP request-reply (lab 02's
//! echo server, one line), side by side in one run, over loopback.
//!
//! Two ways of asking:
//!
//! - **conversation**: each client keeps its socket (or connection) and asks one
//!   question after the other, waiting for each answer (stop and wait). With 1 and
//!   with 8 clients at once.
//! - **single question**: a new socket (or connection) per question, closed after
//!   the answer: DNS's case. TCP pays its handshake (and its goodbye) each time.
//!
//! Lab 06's server is measured twice: as the learner runs it, and in the
//! grader's sandbox, where every datagram it sends with an address waits for the
//! grader to check the destination (`sandbox::supervisor`): that cost is the
//! sandbox's, not UDP's, and the table says so.
//!
//! Each answer must be exactly the question's echo. A UDP question left without an
//! answer for [`LOST_AFTER`] counts as lost and is not asked again: the bench
//! measures the network, not a retransmission policy. Results are printed and
//! written as the table the UDP chapter includes (`book/src/06-udp/medicoes.md`).

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::chat::percentile;
use super::rede::{Machine, millis};
use super::servidor::{self, Running, Subject};
use super::svg;
use crate::wire::loopback;

const UDP_SERVER: Subject = Subject {
    label: "UDP (lab 06)",
    package: "udp-solucao",
    binary: "servidor",
    example: false,
};
const TCP_SERVER: Subject = Subject {
    label: "TCP (lab 02)",
    package: "echo-solucao",
    binary: "servidor",
    example: false,
};

/// Questions per conversation configuration, split among the clients.
const CONVERSATION_QUESTIONS: usize = 20_000;
/// Numbers of clients asking at once in a conversation.
const CONVERSATION_CLIENTS: [usize; 2] = [1, 8];
/// Single questions, one after the other.
const SINGLE_QUESTIONS: usize = 2_000;
/// What each question carries.
const PAYLOAD: &str = "quanto custa uma pergunta pela rede?";
/// A UDP answer later than this is a lost one.
const LOST_AFTER: Duration = Duration::from_millis(500);
/// No configuration may take longer than this.
const LIMIT: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// Lab 06's server as the learner runs it.
    Udp,
    /// Lab 06's server in the grader's sandbox, where each datagram sent with an
    /// address (its replies, with `send_to`) is checked by the grader first.
    UdpIsolated,
    Tcp,
}

impl Protocol {
    fn label(self) -> &'static str {
        match self {
            Protocol::Udp => UDP_SERVER.label,
            Protocol::UdpIsolated => "UDP (lab 06), isolado como no corretor",
            Protocol::Tcp => TCP_SERVER.label,
        }
    }
}

/// How the questions were asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    Conversation { clients: usize },
    Single,
}

impl Way {
    fn describe(self) -> String {
        match self {
            Way::Conversation { clients: 1 } => "conversa, 1 cliente".to_owned(),
            Way::Conversation { clients } => format!("conversa, {clients} clientes"),
            Way::Single => "pergunta avulsa (socket novo a cada uma)".to_owned(),
        }
    }
}

/// What one configuration measured.
#[derive(Clone, Debug, Default)]
pub struct RoundTrips {
    pub asked: usize,
    pub right: usize,
    pub lost: usize,
    pub per_second: Option<f64>,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub problem: Option<String>,
}

/// What each client brings back: latencies of right answers, lost, wrong.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    lost: usize,
    wrong: usize,
}

/// `cargo xtask bench udp`: builds both servers, measures, prints the table and
/// writes it to `<book_src>/06-udp/medicoes.md`.
pub fn run(root: &Path, book_src: &Path, machine: &Machine) -> Result<(), String> {
    println!("Compilando os servidores UDP e TCP em modo release…");
    let udp_path = servidor::build(root, &UDP_SERVER)?;
    let tcp_path = servidor::build(root, &TCP_SERVER)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("não consegui criar o runtime do tokio: {e}"))?;
    let ways: Vec<Way> = CONVERSATION_CLIENTS
        .iter()
        .map(|&clients| Way::Conversation { clients })
        .chain([Way::Single])
        .collect();
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        for &way in &ways {
            // The two protocols one after the other for each way: side by side,
            // under the same conditions of the machine.
            for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::UdpIsolated] {
                eprintln!("  {}: {}…", protocol.label(), way.describe());
                let started = match protocol {
                    Protocol::Udp => Running::start_udp(&udp_path, false).await,
                    Protocol::UdpIsolated => Running::start_udp(&udp_path, true).await,
                    Protocol::Tcp => Running::start(&tcp_path).await,
                };
                let result = match started {
                    Ok(server) => {
                        let result =
                            tokio::time::timeout(LIMIT, measure(protocol, way, server.port))
                                .await
                                .unwrap_or_else(|_| RoundTrips {
                                    problem: Some(format!("não terminou em {} s", LIMIT.as_secs())),
                                    ..RoundTrips::default()
                                });
                        server.stop().await;
                        result
                    }
                    Err(problem) => RoundTrips {
                        problem: Some(problem),
                        ..RoundTrips::default()
                    },
                };
                rows.push((protocol, way, result));
            }
        }
        rows
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    let page = page(machine, &rows);
    println!("\n{page}");
    let path = book_src.join("06-udp").join("medicoes.md");
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("não consegui criar {}: {e}", folder.display()))?;
    }
    std::fs::write(&path, &page)
        .map_err(|e| format!("não consegui escrever {}: {e}", path.display()))?;
    println!("Tabela em {}.", path.display());
    Ok(())
}

async fn measure(protocol: Protocol, way: Way, port: u16) -> RoundTrips {
    let (clients, questions) = match way {
        Way::Conversation { clients } => (clients, CONVERSATION_QUESTIONS / clients),
        Way::Single => (1, SINGLE_QUESTIONS),
    };
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..clients {
        tasks.spawn(async move {
            match (protocol, way) {
                (Protocol::Tcp, Way::Conversation { .. }) => {
                    tcp_conversation(port, questions).await
                }
                (Protocol::Tcp, Way::Single) => tcp_singles(port, questions).await,
                (_, Way::Conversation { .. }) => udp_conversation(port, questions).await,
                (_, Way::Single) => udp_singles(port, questions).await,
            }
        });
    }
    let mut tally = Tally::default();
    let mut problem = None;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(t)) => {
                tally.latencies.extend(t.latencies);
                tally.lost += t.lost;
                tally.wrong += t.wrong;
            }
            Ok(Err(e)) => problem = Some(e),
            Err(e) => problem = Some(e.to_string()),
        }
    }
    let elapsed = started.elapsed();
    let mut result = RoundTrips {
        asked: clients * questions,
        right: tally.latencies.len(),
        lost: tally.lost,
        problem,
        ..RoundTrips::default()
    };
    if tally.wrong > 0 && result.problem.is_none() {
        result.problem = Some(format!("{} respostas erradas", tally.wrong));
    }
    if !tally.latencies.is_empty() {
        tally.latencies.sort();
        result.p50 = Some(percentile(&tally.latencies, 50));
        result.p99 = Some(percentile(&tally.latencies, 99));
        result.per_second = Some(tally.latencies.len() as f64 / elapsed.as_secs_f64());
    }
    result
}

/// One UDP question on `socket` (connected): `<seq> ECO <payload>` and its echo.
async fn udp_ask(socket: &UdpSocket, seq: usize, buffer: &mut [u8], tally: &mut Tally) {
    let question = format!("{seq} ECO {PAYLOAD}");
    let sent = Instant::now();
    if socket.send(question.as_bytes()).await.is_err() {
        tally.lost += 1;
        return;
    }
    let until = sent + LOST_AFTER;
    loop {
        match tokio::time::timeout_at(until, socket.recv(buffer)).await {
            Ok(Ok(len)) if buffer[..len] == *question.as_bytes() => {
                tally.latencies.push(sent.elapsed());
                return;
            }
            // A late answer to an earlier question: not this one.
            Ok(Ok(_)) => continue,
            Ok(Err(_)) | Err(_) => {
                tally.lost += 1;
                return;
            }
        }
    }
}

async fn udp_socket(port: u16) -> Result<UdpSocket, String> {
    let socket = UdpSocket::bind(loopback(0))
        .await
        .map_err(|e| format!("bind UDP: {e}"))?;
    socket
        .connect(loopback(port))
        .await
        .map_err(|e| format!("connect UDP: {e}"))?;
    Ok(socket)
}

async fn udp_conversation(port: u16, questions: usize) -> Result<Tally, String> {
    let socket = udp_socket(port).await?;
    let mut buffer = vec![0u8; 65_535];
    let mut tally = Tally::default();
    for seq in 1..=questions {
        udp_ask(&socket, seq, &mut buffer, &mut tally).await;
    }
    Ok(tally)
}

async fn udp_singles(port: u16, questions: usize) -> Result<Tally, String> {
    let mut buffer = vec![0u8; 65_535];
    let mut tally = Tally::default();
    for _ in 0..questions {
        // The clock starts before the socket exists: setting it up is part of the cost.
        let started = Instant::now();
        let socket = udp_socket(port).await?;
        let mut one = Tally::default();
        udp_ask(&socket, 1, &mut buffer, &mut one).await;
        if one.latencies.is_empty() {
            tally.lost += 1;
        } else {
            tally.latencies.push(started.elapsed());
        }
    }
    Ok(tally)
}

/// One TCP question on an open connection: a line and its `Echo: ` line.
async fn tcp_ask(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    line: &mut String,
    tally: &mut Tally,
) -> Result<(), String> {
    let sent = Instant::now();
    writer
        .write_all(format!("{PAYLOAD}\n").as_bytes())
        .await
        .map_err(|e| format!("write TCP: {e}"))?;
    line.clear();
    reader
        .read_line(line)
        .await
        .map_err(|e| format!("read TCP: {e}"))?;
    if line
        .strip_prefix("Echo: ")
        .and_then(|l| l.strip_suffix('\n'))
        == Some(PAYLOAD)
    {
        tally.latencies.push(sent.elapsed());
    } else {
        tally.wrong += 1;
    }
    Ok(())
}

async fn tcp_connection(
    port: u16,
) -> Result<
    (
        BufReader<tokio::net::tcp::OwnedReadHalf>,
        tokio::net::tcp::OwnedWriteHalf,
    ),
    String,
> {
    let stream = TcpStream::connect(loopback(port))
        .await
        .map_err(|e| format!("connect TCP: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    Ok((BufReader::new(reader), writer))
}

async fn tcp_conversation(port: u16, questions: usize) -> Result<Tally, String> {
    let (mut reader, mut writer) = tcp_connection(port).await?;
    let mut tally = Tally::default();
    let mut line = String::new();
    for _ in 0..questions {
        tcp_ask(&mut reader, &mut writer, &mut line, &mut tally).await?;
    }
    Ok(tally)
}

async fn tcp_singles(port: u16, questions: usize) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let mut line = String::new();
    for _ in 0..questions {
        let started = Instant::now();
        let (mut reader, mut writer) = tcp_connection(port).await?;
        let mut one = Tally::default();
        tcp_ask(&mut reader, &mut writer, &mut line, &mut one).await?;
        // The goodbye is part of a single question too: FIN, and the server's FIN.
        let _ = writer.shutdown().await;
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut rest).await;
        if one.latencies.is_empty() {
            tally.wrong += 1;
        } else {
            tally.latencies.push(started.elapsed());
        }
    }
    Ok(tally)
}

/// The Markdown table the chapter includes.
fn page(machine: &Machine, rows: &[(Protocol, Way, RoundTrips)]) -> String {
    let mut page = format!(
        "<!-- Gerado por `cargo xtask bench udp` (ou `cargo xtask bench`); não edite à mão: \
         rode de novo. -->\n\n\
         Medido em **{}** com `cargo xtask bench udp`, numa máquina com {}.\n\n\
         | Servidor | Como | Perguntas | Respostas por segundo | p50 | p99 | Perdidas | Observação |\n\
         |---|---|---:|---:|---:|---:|---:|---|\n",
        machine.date,
        machine.describe_short()
    );
    for (protocol, way, r) in rows {
        let label = protocol.label();
        page.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |\n",
            way.describe(),
            svg::number(r.asked as f64),
            r.per_second.map_or("—".into(), |v| svg::number(v.round())),
            r.p50.map_or("—".into(), millis),
            r.p99.map_or("—".into(), millis),
            svg::number(r.lost as f64),
            r.problem.clone().unwrap_or_default().replace('|', "/"),
        ));
    }
    page.push_str(&format!(
        "\n*Conversa*: cada cliente mantém o seu socket (ou a sua conexão) e faz uma pergunta \
         depois da outra, esperando cada resposta; {} perguntas ao todo, divididas entre os \
         clientes. *Pergunta avulsa*: {} perguntas, uma de cada vez, cada uma com um socket \
         novo (no TCP, conectar, perguntar, despedir-se); o tempo conta desde a criação do \
         socket. *p50* e *p99*: do envio até a resposta. *Perdidas*: perguntas UDP sem \
         resposta em {} ms (o bench não reenvia). *Isolado como no corretor*: o mesmo \
         servidor UDP dentro do isolamento do corretor, em que cada datagrama enviado com \
         endereço (as respostas, com `send_to`) espera o corretor conferir o destino; os \
         servidores TCP rodam sempre isolados, e o isolamento deles não custa nada por \
         mensagem.\n",
        svg::number(CONVERSATION_QUESTIONS as f64),
        svg::number(SINGLE_QUESTIONS as f64),
        LOST_AFTER.as_millis()
    ));
    page
}
