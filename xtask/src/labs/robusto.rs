//! Lab 04: lab 02's echo server, grown into one that survives the real world
//! (many clients, trickled bytes, half-closed and vanished connections, a restart
//! on the same port, an idle limit, a graceful shutdown on SIGTERM and Ctrl-C),
//! and an echo client that reports network failures with distinct exit codes.
//!
//! Each step reproduces one of the problems of the chapter "Solução de problemas
//! comuns", so a reader can watch it happen with `--step N --verbose`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::lab::{Lab, Role, Step};
use crate::labs::echo::{diagnose_pieces, round_trip, serve_one_line, vanishing_clients};
use crate::process::Signal;
use crate::session::{Conn, Flow, Session, seconds_text};
use crate::transcript::escape;
use crate::wire::{self, Ending};

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "04",
    dir: "04-robusto",
    title: "Servidor robusto: dicas, boas práticas e solução de problemas",
    chapters: &["04-robusto/dicas.md", "04-robusto/problemas.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "eco",
            role: Role::Server,
            title: "o protocolo do laboratório 02 continua: cada linha volta como \"Echo: ...\"",
            hint: "O ponto de partida já é o servidor echo: responda cada linha com \
                   `Echo: <linha>\\n`, numa só escrita.",
            book: "04-robusto/dicas.md#protocolo",
            required: true,
        },
        Step {
            id: "muitos-clientes",
            role: Role::Server,
            title: "50 clientes conectados ao mesmo tempo são todos atendidos",
            hint: "Atenda cada conexão numa thread própria e volte logo ao `accept`; uma fila \
                   de espera (backlog) generosa no `listen` evita recusas numa rajada.",
            book: "04-robusto/dicas.md#muitos-clientes",
            required: true,
        },
        Step {
            id: "um-byte-por-vez",
            role: Role::Server,
            title: "uma linha que chega um byte por vez recebe uma resposta só",
            hint: "Junte os bytes até o `\\n` (`read_until`) antes de responder: uma leitura \
                   não é uma mensagem.",
            book: "04-robusto/problemas.md#dados-incompletos",
            required: true,
        },
        Step {
            id: "meia-conexao",
            role: Role::Server,
            title: "o cliente fecha só a escrita: o servidor responde tudo e fecha",
            hint: "EOF na leitura quer dizer \"não vou enviar mais\", não \"sumi\": responda o \
                   que chegou, inclusive um último pedaço sem `\\n`, e só então feche.",
            book: "04-robusto/dicas.md#meia-conexao",
            required: true,
        },
        Step {
            id: "desconexoes",
            role: Role::Server,
            title: "clientes que somem (reset, broken pipe) não derrubam o servidor",
            hint: "Um erro de leitura ou de escrita encerra só a conversa com aquele cliente: \
                   trate o `Err` (nada de `unwrap`) e volte a atender os outros.",
            book: "04-robusto/problemas.md#broken-pipe",
            required: true,
        },
        Step {
            id: "reinicio-mesma-porta",
            role: Role::Server,
            title: "derrubado com clientes conectados, volta na mesma porta na hora (SO_REUSEADDR)",
            hint: "O servidor derrubado fechou as conexões primeiro, e elas ficam em TIME_WAIT na \
                   porta dele por cerca de um minuto; sem SO_REUSEADDR, o `bind` do servidor \
                   reiniciado falha com \"Address already in use\". O `TcpListener::bind` da \
                   biblioteca padrão liga a opção sozinho no Unix; um socket da socket2, não: \
                   chame `set_reuse_address(true)` antes do `bind`. `ss -tan` mostra as \
                   conexões em TIME-WAIT.",
            book: "04-robusto/dicas.md#reuseaddr",
            required: true,
        },
        Step {
            id: "tempo-limite",
            role: Role::Server,
            title: "quem fica calado além de TEMPO_LIMITE_MS recebe \"Tempo esgotado\" e sai",
            hint: "Leia o limite de `TEMPO_LIMITE_MS` (padrão 30000), aplique-o com \
                   `set_read_timeout` e, quando a leitura desistir (WouldBlock ou TimedOut), \
                   envie `Tempo esgotado\\n` e feche só aquela conexão.",
            book: "04-robusto/dicas.md#tempo-limite",
            required: true,
        },
        Step {
            id: "encerra-no-sigterm",
            role: Role::Server,
            title: "com SIGTERM, avisa \"Servidor encerrando\" a cada cliente e sai com 0 em 2 s",
            hint: "Capture SIGTERM e SIGINT com signal-hook; ao chegar um deles, pare de \
                   aceitar, envie `Servidor encerrando\\n` a cada cliente conectado, feche \
                   as conexões e termine com código 0.",
            book: "04-robusto/dicas.md#encerramento",
            required: true,
        },
        Step {
            id: "encerra-no-ctrl-c",
            role: Role::Server,
            title: "com Ctrl-C (SIGINT), o mesmo encerramento educado",
            hint: "Ctrl-C no terminal envia SIGINT: registre-o junto com SIGTERM e trate os \
                   dois do mesmo jeito.",
            book: "04-robusto/dicas.md#encerramento",
            required: true,
        },
        Step {
            id: "cliente-eco",
            role: Role::Client,
            title: "o cliente echo continua: envia o que se digita e imprime a resposta",
            hint: "O ponto de partida já é o cliente echo: envie cada linha, imprima \
                   `Resposta: ...` e termine com `sair` imprimindo `Conexão encerrada`.",
            book: "04-robusto/dicas.md#erros-do-cliente",
            required: true,
        },
        Step {
            id: "cliente-recusado",
            role: Role::Client,
            title: "sem servidor: \"Erro: ...\" na saída de erro e código de saída 2",
            hint: "Trate o `Err` de `TcpStream::connect` com `ErrorKind::ConnectionRefused`: \
                   uma linha `Erro: ...` em pt-BR no stderr e `ExitCode::from(2)`, sem pânico.",
            book: "04-robusto/problemas.md#connection-refused",
            required: true,
        },
        Step {
            id: "cliente-tempo-esgotado",
            role: Role::Client,
            title: "servidor mudo: desiste após TEMPO_LIMITE_MS com \"Erro: ...\" e código 3",
            hint: "Use `set_read_timeout` com o limite de `TEMPO_LIMITE_MS`; quando a leitura \
                   desistir (WouldBlock ou TimedOut), escreva `Erro: ...` e saia com 3.",
            book: "04-robusto/problemas.md#tempo-esgotado",
            required: true,
        },
        Step {
            id: "cliente-servidor-caiu",
            role: Role::Client,
            title: "o servidor fecha no meio: \"Erro: ...\" e código 4",
            hint: "Uma leitura que devolve 0 bytes antes da resposta (EOF), ou um erro de \
                   conexão reiniciada/broken pipe, quer dizer conexão perdida: `Erro: ...` \
                   e código 4.",
            book: "04-robusto/dicas.md#erros-do-cliente",
            required: true,
        },
    ],
};

pub fn server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor(s))
}

pub fn client(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(cliente(s))
}

/// How many clients the crowd step keeps connected at once.
const CROWD: usize = 50;

/// The idle limit the grader asks for, through `TEMPO_LIMITE_MS`: short enough
/// for a quick step, long enough that a loaded machine still meets it.
const IDLE_LIMIT: Duration = Duration::from_millis(1000);

/// How often the talkative client speaks while the other one stays silent: well
/// inside the idle limit, so only the silent one may be timed out.
const TALK_PACE: Duration = Duration::from_millis(250);

/// How late the idle notice may come: timers on a busy machine run a little late.
const IDLE_SLACK: Duration = Duration::from_millis(1500);

/// The graceful shutdown must end the program within this time (the 2 s).
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(2);

fn idle_env() -> [(&'static str, String); 1] {
    [("TEMPO_LIMITE_MS", IDLE_LIMIT.as_millis().to_string())]
}

async fn servidor(s: &mut Session) -> Flow {
    s.begin("eco")?;
    s.start(Role::Server).await?;
    let mut primeiro = s.connect("cliente 1").await?;
    for _ in 0..2 {
        let linha = format!("olá {}", s.random_word());
        round_trip(s, &mut primeiro, &linha).await?;
    }
    s.close(primeiro).await;
    s.end().await?;

    s.begin("muitos-clientes")?;
    crowd(s).await?;
    s.end().await?;

    s.begin("um-byte-por-vez")?;
    let mut lento = s.connect("cliente 2").await?;
    let linha = format!("pão de queijo {}\n", s.random_word());
    s.send_bytewise(&mut lento, linha.as_bytes()).await?;
    let reply = s.receive_line(&mut lento).await;
    diagnose_pieces(s, &reply);
    s.close(lento).await;
    s.end().await?;

    // The client says all it has to say, then shuts its writing side: the server
    // reads EOF, answers everything (even the last line without `\n`) and closes.
    s.begin("meia-conexao")?;
    let mut meia = s.connect("cliente 3").await?;
    let texto = format!(
        "primeira {}\nsegunda {}\nsem quebra no fim",
        s.random_word(),
        s.random_word()
    );
    s.send(&mut meia, texto.as_bytes()).await?;
    if meia.stream.shutdown().await.is_err() {
        s.say("[cliente 3] não conseguiu fechar o lado de escrita");
        return Err(s.fail().await);
    }
    s.say("[cliente 3] fecha só o lado de escrita (shutdown Write): o servidor lê EOF");
    s.expect_close(&mut meia).await;
    s.end().await?;

    s.begin("desconexoes")?;
    vanishing_clients(s, 4, 200_000, "ainda de pé?").await?;
    s.end().await?;

    s.begin("reinicio-mesma-porta")?;
    restart_with_clients(s).await?;
    s.end().await?;

    s.begin("tempo-limite")?;
    s.restart_server_with_env(&idle_env()).await?;
    idle_client(s).await?;
    s.end().await?;

    s.begin("encerra-no-sigterm")?;
    s.restart_server().await?;
    shutdown_on(s, Signal::Term, 2).await?;
    s.end().await?;

    s.begin("encerra-no-ctrl-c")?;
    s.restart_server().await?;
    shutdown_on(s, Signal::Interrupt, 1).await?;
    s.end().await?;
    s.stop(Role::Server).await;
    Ok(())
}

/// Fifty clients connect and stay; then each speaks, the last one first. A
/// server that serves one client at a time never answers the last one.
async fn crowd(s: &mut Session) -> Flow {
    let marca = s.random_word();
    let mut conns = Vec::with_capacity(CROWD);
    for i in 1..=CROWD {
        match s.connect_quietly(&format!("cliente {i}")).await {
            Ok(conn) => conns.push(conn),
            Err(why) => {
                s.say(format!("[cliente {i}] não conseguiu conectar: {why}"));
                return Err(s.fail().await);
            }
        }
    }
    s.say(format!("[{CROWD} clientes] conectam e ficam conectados"));
    let mut all_ok = true;
    for (i, conn) in conns.iter_mut().enumerate().rev() {
        let linha = format!("sou o cliente {} {marca}\n", i + 1);
        let esperado = format!("Echo: {linha}");
        let sent = tokio::time::timeout_at(s.deadline(), conn.stream.write_all(linha.as_bytes()));
        let problem = match sent.await {
            Err(_) => Some("não conseguiu enviar: o servidor não lê".to_owned()),
            Ok(Err(error)) => Some(format!(
                "não conseguiu enviar: {}",
                wire::describe_error(&error)
            )),
            Ok(Ok(())) => match s.read_lines_quietly(conn, 1).await {
                Ok(lines) if lines[0] == esperado.as_bytes() => None,
                Ok(lines) => Some(format!(
                    "esperava {} e recebeu {}",
                    escape(esperado.as_bytes()),
                    escape(&lines[0])
                )),
                Err(why) => Some(why),
            },
        };
        if let Some(problem) = problem {
            all_ok = false;
            s.say(format!("[cliente {}] {problem}", i + 1));
            // The crowd's lines are not recorded as `←`, so no diff names the
            // cause: a client left waiting is the one-client-at-a-time server.
            if !problem.starts_with("esperava") {
                s.note(
                    "E-SEM-RESPOSTA",
                    format!(
                        "Com {CROWD} clientes conectados ao mesmo tempo, o cliente {} ficou \
                         sem resposta: o servidor atende um cliente de cada vez e só volta ao \
                         `accept` quando o anterior sai. Atenda cada conexão numa thread \
                         própria.",
                        i + 1
                    ),
                );
            }
            break;
        }
    }
    if all_ok {
        s.say(format!(
            "[{CROWD} clientes] cada um, do último ao primeiro, recebeu o eco da sua linha"
        ));
    }
    // Closed without a line each: the transcript already said what matters.
    for mut conn in conns {
        let _ = conn.stream.shutdown().await;
    }
    Ok(())
}

/// The server dies with two clients connected, and comes back at once on the
/// same port. The clients close normally after it, so the server's side of those
/// connections waits in TIME_WAIT: without SO_REUSEADDR, `bind` fails with
/// "Address already in use" for about a minute.
async fn restart_with_clients(s: &mut Session) -> Flow {
    let mut conns = Vec::new();
    for actor in ["cliente 7", "cliente 8"] {
        let mut conn = s.connect(actor).await?;
        let linha = format!("antes da queda {}", s.random_word());
        round_trip(s, &mut conn, &linha).await?;
        conns.push(conn);
    }
    s.stop(Role::Server).await;
    s.by_hand_also(Signal::Kill);
    s.say("[corretor] derruba o servidor (SIGKILL) com os 2 clientes conectados");
    for mut conn in conns {
        s.expect_close(&mut conn).await;
        s.close_politely(conn).await;
    }
    // At once, on the same port: `start` says so with the port in the line.
    s.start(Role::Server).await?;
    let mut depois = s.connect("cliente 9").await?;
    let linha = format!("voltou? {}", s.random_word());
    round_trip(s, &mut depois, &linha).await?;
    s.close(depois).await;
    Ok(())
}

/// One client goes silent; another keeps talking. Only the silent one gets
/// `Tempo esgotado` and is closed, after the idle limit and not much later.
async fn idle_client(s: &mut Session) -> Flow {
    let mut calado = s.connect("cliente 1").await?;
    let linha = format!("vou ficar quieto {}", s.random_word());
    round_trip(s, &mut calado, &linha).await?;
    let silent_since = Instant::now();
    s.say("[cliente 1] fica calado");
    let mut falante = s.connect("cliente 2").await?;
    s.say(format!(
        "[cliente 2] envia uma linha a cada {} ms enquanto isso",
        TALK_PACE.as_millis()
    ));

    let deadline = silent_since + IDLE_LIMIT + s.opts.timeout;
    let reply_limit = s.opts.timeout;
    let notice_came = Cell::new(false);
    let first_byte_at = Cell::new(None);
    let listen = async {
        let outcome = wire::read_until_close(&mut calado.stream, 1 << 20, deadline, |_| {
            if first_byte_at.get().is_none() {
                first_byte_at.set(Some(Instant::now()));
            }
        })
        .await;
        notice_came.set(true);
        outcome
    };
    let talk = keep_talking(&mut falante, &notice_came, reply_limit);
    let ((data, ending), talked) = tokio::join!(listen, talk);

    match ending {
        Ending::StillOpen if data.is_empty() => {
            let silence = seconds_text(IDLE_LIMIT + s.opts.timeout);
            s.say(format!(
                "[cliente 1] continua conectado depois de {silence} calado"
            ));
            s.note(
                "E-SEM-TEMPO-LIMITE",
                format!(
                    "O servidor não desconectou um cliente calado. Com TEMPO_LIMITE_MS={}, \
                     quem fica esse tempo sem enviar nada deve receber \"Tempo esgotado\\n\" \
                     e ser desconectado: `set_read_timeout` faz a leitura desistir. Confira \
                     também a unidade: o valor está em milissegundos.",
                    IDLE_LIMIT.as_millis()
                ),
            );
        }
        ending => {
            s.say(format!("[cliente 1] ← {}", escape(&data)));
            calado.ending = Some(ending);
            s.say_how_it_ended(&calado);
            let silence = first_byte_at
                .get()
                .unwrap_or_else(Instant::now)
                .duration_since(silent_since);
            say_when_notice_came(s, silence);
        }
    }
    match talked {
        Ok(()) => s.say("[cliente 2] recebeu todas as respostas e continua conectado"),
        Err(problem) => s.say(format!("[cliente 2] {problem}")),
    }
    let linha = format!("ainda estou aqui {}", s.random_word());
    round_trip(s, &mut falante, &linha).await?;
    s.close(falante).await;
    Ok(())
}

/// Records whether the idle notice came at the limit: not before (the server
/// would drop clients that are merely slow), not much after.
fn say_when_notice_came(s: &mut Session, silence: Duration) {
    let limit = seconds_text(IDLE_LIMIT);
    let ms = silence.as_millis();
    let wrong = if silence < IDLE_LIMIT.mul_f64(0.9) {
        "cedo"
    } else if silence > IDLE_LIMIT + IDLE_SLACK {
        "tarde"
    } else {
        s.say(format!(
            "[corretor] o aviso veio depois de {limit} de silêncio, como pedido"
        ));
        return;
    };
    s.say(format!(
        "[corretor] o aviso veio {wrong} demais: depois de {ms} ms de silêncio (o limite é {limit})"
    ));
    s.note(
        "E-TEMPO-LIMITE-ERRADO",
        "O limite de silêncio é o de TEMPO_LIMITE_MS, em milissegundos, contado desde o \
         último byte recebido daquele cliente.",
    );
}

/// The talkative client: a line every [`TALK_PACE`], each echo checked, until
/// `stop` is set. The pace is part of the scenario (a person typing), not a wait
/// for a result. Errs with what went wrong, in the transcript's words.
async fn keep_talking(
    conn: &mut Conn,
    stop: &Cell<bool>,
    reply_limit: Duration,
) -> Result<(), String> {
    let mut pace = tokio::time::interval(TALK_PACE);
    let mut count = 0;
    while !stop.get() {
        pace.tick().await;
        if stop.get() {
            break;
        }
        count += 1;
        let linha = format!("falando {count}\n");
        match tokio::time::timeout(reply_limit, conn.stream.write_all(linha.as_bytes())).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                return Err(format!(
                    "não conseguiu enviar a linha {count}: {}",
                    wire::describe_error(&error)
                ));
            }
            Err(_) => {
                return Err(format!(
                    "não conseguiu enviar a linha {count}: o servidor não lê"
                ));
            }
        }
        let esperado = format!("Echo: {linha}");
        let mut reply = vec![0u8; esperado.len()];
        match tokio::time::timeout(reply_limit, conn.stream.read_exact(&mut reply)).await {
            Ok(Ok(_)) if reply == esperado.as_bytes() => {}
            Ok(Ok(_)) => {
                return Err(format!(
                    "esperava {} e recebeu {}",
                    escape(esperado.as_bytes()),
                    escape(&reply)
                ));
            }
            Ok(Err(_)) => return Err("foi desconectado junto, sem ter ficado calado".to_owned()),
            Err(_) => return Err(format!("ficou sem resposta para a linha {count}")),
        }
    }
    Ok(())
}

/// `clients` clients are talking when the signal comes: each must get
/// `Servidor encerrando` and be closed, and the server must exit 0 within 2 s.
async fn shutdown_on(s: &mut Session, signal: Signal, clients: usize) -> Flow {
    let mut conns = Vec::new();
    for i in 1..=clients {
        let mut conn = s.connect(&format!("cliente {i}")).await?;
        let linha = format!("até logo {}", s.random_word());
        round_trip(s, &mut conn, &linha).await?;
        conns.push(conn);
    }
    s.signal(Role::Server, signal);
    for conn in &mut conns {
        s.expect_close(conn).await;
    }
    let exited = s.wait_exit_within(Role::Server, SHUTDOWN_LIMIT).await;
    let killed_by_signal = s
        .program(Role::Server)
        .and_then(|p| p.try_status())
        .is_some_and(|status| status.code().is_none());
    if killed_by_signal {
        s.note(
            "E-SEM-ENCERRAMENTO",
            format!(
                "O servidor morreu com o {} em vez de se despedir. Capture o sinal \
                 (signal-hook), avise cada cliente com \"Servidor encerrando\\n\", feche as \
                 conexões e termine com código 0.",
                signal.name()
            ),
        );
    }
    exited
}

async fn cliente(s: &mut Session) -> Flow {
    s.begin("cliente-eco")?;
    let listener = s.listen().await?;
    s.start(Role::Client).await?;
    let mut conn = s.accept(&listener).await?;
    serve_one_line(s, &mut conn).await?;
    s.type_line("sair").await?;
    s.expect_client_to_leave(&mut conn, "Conexão encerrada")
        .await?;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-recusado")?;
    drop(listener);
    s.say("[corretor] não escuta na porta: ninguém vai aceitar a conexão");
    s.start(Role::Client).await?;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    diagnose_exit_code(s, 2, "o servidor recusou a conexão");
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-tempo-esgotado")?;
    let listener = s.listen().await?;
    s.start_with_env(Role::Client, &idle_env()).await?;
    let mut conn = s.accept(&listener).await?;
    let linha = format!("alguém aí? {}", s.random_word());
    s.type_line(&linha).await?;
    s.receive_line(&mut conn).await;
    s.say("[corretor] recebe a linha e não responde nada");
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    diagnose_exit_code(s, 3, "o servidor não respondeu a tempo");
    s.end().await?;
    s.stop(Role::Client).await;
    drop(conn);

    s.begin("cliente-servidor-caiu")?;
    s.start(Role::Client).await?;
    let mut conn = s.accept(&listener).await?;
    serve_one_line(s, &mut conn).await?;
    let linha = format!("e agora? {}", s.random_word());
    s.type_line(&linha).await?;
    s.receive_line(&mut conn).await;
    s.close(conn).await;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    diagnose_exit_code(s, 4, "a conexão caiu no meio da conversa");
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}

/// The exit code is in the transcript line, not in a `←` payload, so no diff
/// names it: say which code the failure called for. A panic (101) has its own
/// diagnosis.
fn diagnose_exit_code(s: &mut Session, expected: i32, failure: &str) {
    let code = s
        .program(Role::Client)
        .and_then(|p| p.try_status())
        .and_then(|status| status.code());
    let Some(code) = code else { return };
    if code == expected || code == 101 {
        return;
    }
    s.note(
        "E-CODIGO-DE-SAIDA",
        format!(
            "O cliente terminou com código {code}, mas quando {failure} o combinado é o \
             código {expected}: quem chamou o programa (um script, outro programa) sabe o \
             que houve pelo código. Escreva `Erro: ...` na saída de erro e termine com \
             `ExitCode::from({expected})`."
        ),
    );
}
