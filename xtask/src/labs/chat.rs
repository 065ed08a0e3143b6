//! Lab 03: the chat server (nicknames, broadcast, join and leave notices) and the
//! chat client (two threads: keyboard and network).
//!
//! The small steps follow each line exactly. The load steps (twenty clients, a
//! client that never reads) check counts and order, and record a summary line:
//! the same on every run when the server is right, and a precise one when not.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use crate::lab::{Lab, Role, Step, join_steps};
use crate::session::{Conn, Flow, Session};
use crate::wire::Ending;

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "03",
    dir: "03-chat",
    title: "Servidor de chat com threads e cliente de chat",
    chapters: &["03-chat/servidor-chat.md", "03-chat/cliente-chat.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &join_steps::<16>(&[&ROOM_STEPS, &CLIENT_STEPS]),
};

/// The chat's server steps, shared by lab 03 (threads) and lab 05 (tokio): the
/// protocol is the same, so the hints point to where lab 03 teaches it.
pub const ROOM_STEPS: [Step; 11] = [
    Step {
        id: "entrar",
        role: Role::Server,
        title: "o servidor pede APELIDO e responde \"Conectado ao servidor!\"",
        hint: "Ao aceitar, envie `APELIDO\\n`, leia a resposta e, se o apelido servir, \
                   envie `Conectado ao servidor!\\n` a quem chegou.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "entrada-anunciada",
        role: Role::Server,
        title: "quem já está na sala recebe \"<apelido> entrou no chat!\"",
        hint: "Os clientes conectados ficam numa sala compartilhada \
                   (`Arc<Mutex<Sala>>`); ao entrar alguém, difunda `<apelido> entrou no \
                   chat!\\n` para todos os outros.",
        book: "03-chat/servidor-chat.md#estado-compartilhado",
        required: true,
    },
    Step {
        id: "mensagem",
        role: Role::Server,
        title: "uma linha chega aos outros como \"<apelido>: <texto>\", não ao remetente",
        hint: "Cada linha recebida vira `<apelido>: <texto>\\n` na fila de todos os \
                   outros membros; quem enviou não recebe a própria linha de volta.",
        book: "03-chat/servidor-chat.md#difusao",
        required: true,
    },
    Step {
        id: "nome-pelo-servidor",
        role: Role::Server,
        title: "o nome é posto pelo servidor: ninguém fala em nome de outro",
        hint: "Não confie no texto do cliente para saber quem fala: use o apelido que o \
                   servidor guardou para aquela conexão (bia enviando `ana: oi` aparece \
                   como `bia: ana: oi`).",
        book: "03-chat/servidor-chat.md#difusao",
        required: true,
    },
    Step {
        id: "saida-limpa",
        role: Role::Server,
        title: "quem fecha a conexão gera \"<apelido> saiu do chat!\" para os outros",
        hint: "Quando a leitura chega ao fim (EOF), tire o cliente da sala e difunda \
                   `<apelido> saiu do chat!\\n`.",
        book: "03-chat/servidor-chat.md#saida",
        required: true,
    },
    Step {
        id: "saida-abrupta",
        role: Role::Server,
        title: "quem cai sem se despedir (reset) também gera o aviso de saída",
        hint: "Uma conexão derrubada faz a leitura devolver um erro, não EOF. Trate os \
                   dois do mesmo jeito: a saída acontece depois do laço, seja qual for o \
                   motivo.",
        book: "03-chat/servidor-chat.md#saida",
        required: true,
    },
    Step {
        id: "apelido-em-uso",
        role: Role::Server,
        title: "um apelido em uso recebe \"ERRO: <motivo>\" e a pergunta de novo",
        hint: "Confira se o apelido está em uso com o cadeado da sala na mão, no mesmo \
                   momento em que o insere; se estiver, envie `ERRO: <motivo>\\n` e \
                   pergunte `APELIDO\\n` de novo.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "apelido-invalido",
        role: Role::Server,
        title: "apelido vazio, com espaço ou com mais de 32 caracteres é recusado",
        hint: "O apelido tem de 1 a 32 caracteres, sem espaços. Recuse os outros com \
                   `ERRO: <motivo>\\n` e pergunte de novo.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "vinte-clientes",
        role: Role::Server,
        title: "20 clientes: cada linha chega a cada outro uma vez, em ordem",
        hint: "Cada cliente precisa da sua thread, e cada linha deve entrar na fila de \
                   todos os outros exatamente uma vez, na ordem em que foi lida.",
        book: "03-chat/servidor-chat.md#threads",
        required: true,
    },
    Step {
        id: "cliente-lento",
        role: Role::Server,
        title: "um cliente que nunca lê não impede os outros de receber",
        hint: "Em `difundir`, use `try_send`, nunca `send`: numa fila cheia, `send` \
                   espera com o cadeado na mão. Quem der `Err` ficou para trás: \
                   desconecte-o. E nunca escreva no socket de um cliente com o cadeado na \
                   mão: para isso existem a fila e a thread escritora.",
        book: "03-chat/servidor-chat.md#cliente-lento",
        required: true,
    },
    Step {
        id: "linha-grande-demais",
        role: Role::Server,
        title: "uma linha de mais de 64 KiB fecha a conexão de quem a enviou",
        hint: "Leia cada linha com limite (`take(64 KiB + 1)` antes de `read_until`); \
                   se passar, encerre a conexão daquele cliente, que sai da sala.",
        book: "03-chat/servidor-chat.md#limite-de-linha",
        required: true,
    },
];

/// Lab 03's client steps (two threads).
pub const CLIENT_STEPS: [Step; 5] = [
    Step {
        id: "cliente-apelido",
        role: Role::Client,
        title: "o cliente pede o apelido, responde APELIDO e mostra a confirmação",
        hint: "Leia o apelido do teclado antes de conectar; quando o servidor enviar \
                   `APELIDO`, responda com ele; imprima `Conectado ao servidor!`.",
        book: "03-chat/cliente-chat.md#apelido",
        required: true,
    },
    Step {
        id: "cliente-recebe",
        role: Role::Client,
        title: "o que chega é impresso na hora, mesmo sem nada digitado",
        hint: "Uma thread fica só recebendo e imprimindo, enquanto a principal espera o \
                   teclado. Com uma thread só, nada aparece até a pessoa digitar.",
        book: "03-chat/cliente-chat.md#duas-threads",
        required: true,
    },
    Step {
        id: "cliente-envia",
        role: Role::Client,
        title: "o que se digita é enviado como está (o servidor põe o nome)",
        hint: "Envie a linha digitada com `\\n` e sem o apelido na frente: quem escreve \
                   o nome é o servidor.",
        book: "03-chat/cliente-chat.md#enviar",
        required: true,
    },
    Step {
        id: "cliente-sair",
        role: Role::Client,
        title: "o fim da entrada fecha a conexão e imprime \"Conexão encerrada\"",
        hint: "Quando a leitura do teclado devolver 0 bytes (Ctrl-D), feche a conexão \
                   (`shutdown`), imprima `Conexão encerrada` e termine.",
        book: "03-chat/cliente-chat.md#sair",
        required: true,
    },
    Step {
        id: "cliente-apelido-em-uso",
        role: Role::Client,
        title: "diante de \"ERRO: ...\", o cliente mostra o erro e pede outro apelido",
        hint: "Se o servidor responder `ERRO: ...`, imprima a linha, leia outro apelido \
                   do teclado e envie-o quando vier `APELIDO` de novo.",
        book: "03-chat/cliente-chat.md#apelido",
        required: true,
    },
];

pub fn server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor(s))
}

/// Lab 05: the same room, then a thousand clients at once.
pub fn async_server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor_async(s))
}

pub fn client(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(cliente(s))
}

/// Shows `ERRO: <anything>` as `ERRO: <motivo>`: the reason is the server's to word.
fn reason_hidden(line: &[u8]) -> Vec<u8> {
    if line.starts_with(b"ERRO: ") && line.ends_with(b"\n") {
        b"ERRO: <motivo>\n".to_vec()
    } else {
        line.to_vec()
    }
}

/// Connects `actor` and goes through the nickname handshake as `apelido`.
async fn join(s: &mut Session, actor: &str, apelido: &str) -> Result<Conn, crate::session::Stop> {
    let mut conn = s.connect(actor).await?;
    s.receive_line(&mut conn).await;
    s.send(&mut conn, format!("{apelido}\n").as_bytes()).await?;
    s.receive_line(&mut conn).await;
    Ok(conn)
}

/// Every connection in `others` reads one line (a notice or a message).
async fn each_receives(s: &mut Session, others: &mut [&mut Conn]) {
    for conn in others.iter_mut() {
        s.receive_line(conn).await;
    }
}

/// How a visitor leaves the room.
enum Leaving {
    /// Closes its connection (the server reads EOF).
    Cleanly,
    /// Drops it with a reset (the server's read fails).
    Abruptly,
}

/// A visitor joins and leaves; everyone in `room` hears both notices.
async fn visit(s: &mut Session, actor: &str, leaving: Leaving, room: &mut [&mut Conn]) -> Flow {
    let apelido = s.random_word();
    let visitor = join(s, actor, &apelido).await?;
    each_receives(s, room).await;
    match leaving {
        Leaving::Cleanly => s.close(visitor).await,
        Leaving::Abruptly => s.reset(visitor).await,
    }
    each_receives(s, room).await;
    Ok(())
}

async fn servidor(s: &mut Session) -> Flow {
    room_steps(s).await?;
    s.stop(Role::Server).await;
    Ok(())
}

async fn servidor_async(s: &mut Session) -> Flow {
    room_steps(s).await?;
    s.begin("mil-clientes")?;
    s.restart_server().await?;
    crowd(s, THOUSAND, THOUSAND_SPEAKERS, 1).await?;
    s.end().await?;
    s.stop(Role::Server).await;
    Ok(())
}

/// The steps of lab 03's protocol, which lab 05 repeats.
async fn room_steps(s: &mut Session) -> Flow {
    let ana = s.random_word();
    let bia = s.random_word();

    s.begin("entrar")?;
    s.start(Role::Server).await?;
    let mut c1 = join(s, "cliente 1", &ana).await?;
    s.end().await?;

    s.begin("entrada-anunciada")?;
    let mut c2 = join(s, "cliente 2", &bia).await?;
    s.receive_line(&mut c1).await;
    s.end().await?;

    // The sender must not get its own line back. Rather than wait for silence, the
    // other side answers: the sender's next line must be that answer.
    s.begin("mensagem")?;
    let oi = format!("oi {}", s.random_word());
    s.send(&mut c1, format!("{oi}\n").as_bytes()).await?;
    s.receive_line(&mut c2).await;
    let resposta = format!("tudo bem? {}", s.random_word());
    s.send(&mut c2, format!("{resposta}\n").as_bytes()).await?;
    let got = s.receive_line(&mut c1).await;
    if got.ends_with(format!(": {oi}\n").as_bytes()) {
        s.note(
            "E-ECO-AO-REMETENTE",
            "Quem enviou a linha recebeu-a de volta: na difusão, pule o remetente.",
        );
    }
    s.end().await?;

    // bia writes "ana: ..." and still shows up as bia: the server sets the name.
    s.begin("nome-pelo-servidor")?;
    s.send(&mut c2, format!("{ana}: sou eu, juro\n").as_bytes())
        .await?;
    s.receive_line(&mut c1).await;
    s.end().await?;

    s.begin("saida-limpa")?;
    visit(s, "cliente 3", Leaving::Cleanly, &mut [&mut c1, &mut c2]).await?;
    s.end().await?;

    s.begin("saida-abrupta")?;
    visit(s, "cliente 4", Leaving::Abruptly, &mut [&mut c1, &mut c2]).await?;
    s.end().await?;

    s.begin("apelido-em-uso")?;
    let mut c5 = s.connect("cliente 5").await?;
    s.receive_line(&mut c5).await;
    s.send(&mut c5, format!("{ana}\n").as_bytes()).await?;
    s.receive_line_shown_as(&mut c5, reason_hidden).await;
    s.receive_line(&mut c5).await;
    let eva = s.random_word();
    s.send(&mut c5, format!("{eva}\n").as_bytes()).await?;
    s.receive_line(&mut c5).await;
    each_receives(s, &mut [&mut c1, &mut c2]).await;
    s.end().await?;

    s.begin("apelido-invalido")?;
    let mut c6 = s.connect("cliente 6").await?;
    s.receive_line(&mut c6).await;
    let longo = "x".repeat(33);
    for invalido in ["", "com espaço", longo.as_str()] {
        s.send(&mut c6, format!("{invalido}\n").as_bytes()).await?;
        s.receive_line_shown_as(&mut c6, reason_hidden).await;
        s.receive_line(&mut c6).await;
    }
    let fabi = s.random_word();
    s.send(&mut c6, format!("{fabi}\n").as_bytes()).await?;
    s.receive_line(&mut c6).await;
    each_receives(s, &mut [&mut c1, &mut c2, &mut c5]).await;
    s.end().await?;

    // The load steps start from an empty room. Resetting our connections first
    // leaves no TIME_WAIT on the server's port, so it can bind again at once.
    for conn in [c1, c2, c5, c6] {
        let _ = conn.stream.set_zero_linger();
    }

    s.begin("vinte-clientes")?;
    s.restart_server().await?;
    crowd(s, CLIENTS, CLIENTS, LINES_EACH).await?;
    s.end().await?;

    s.begin("cliente-lento")?;
    s.restart_server().await?;
    slow_reader(s).await?;
    s.end().await?;

    s.begin("linha-grande-demais")?;
    s.restart_server().await?;
    let xavi = s.random_word();
    let zeca = s.random_word();
    let mut x = join(s, "cliente x", &xavi).await?;
    let mut z = join(s, "cliente z", &zeca).await?;
    s.receive_line(&mut x).await;
    let enorme = format!("{}\n", s.random_text(70 * 1024));
    s.send(&mut z, enorme.as_bytes()).await?;
    s.receive_line(&mut x).await;
    s.receive_until_close(&mut z).await;
    // The server may close with a FIN or, with our unread bytes in its buffer, a
    // reset: both are "closed by the server" here.
    let closed = matches!(z.ending, Some(Ending::Closed | Ending::Broken(_)));
    if closed {
        s.say("[cliente z] o servidor fechou a conexão");
    } else {
        s.say_how_it_ended(&z);
    }
    s.end().await
}

/// How many clients the load step connects, and how many lines each sends.
const CLIENTS: usize = 20;
const LINES_EACH: usize = 5;

/// Lab 05's load step: far more clients than the grader lets a server have
/// threads (see `limits::PROCESSES`), each sending one line.
const THOUSAND: usize = 1000;
/// How many of the thousand talk at once: a burst below the servers' queue of
/// 256 lines per client, so a server that keeps up never has to drop anyone.
const THOUSAND_SPEAKERS: usize = 100;

/// Failing clients listed one by one before the rest are only counted.
const SHOWN_PROBLEMS: usize = 5;

/// `count` clients at once, `speakers` of them talking: every line reaches every
/// other client exactly once,
/// in the order its sender sent it, and never its sender.
async fn crowd(s: &mut Session, count: usize, speakers: usize, lines_each: usize) -> Flow {
    let names: Vec<String> = (0..count).map(|i| format!("pessoa{i:02}")).collect();
    s.say(format!(
        "[corretor] conecta {count} clientes, um depois do outro"
    ));
    let mut conns = Vec::with_capacity(count);
    for (i, name) in names.iter().enumerate() {
        let conn = match quiet_join(s, &format!("cliente {}", i + 1), name).await {
            Ok(conn) => conn,
            Err(failure) => {
                s.say(format!(
                    "[cliente {}] não conseguiu entrar como {name}: {}",
                    i + 1,
                    failure.what
                ));
                // The summary lines carry no bytes to compare: the code is ours to give.
                s.note(failure.code, failure.explanation(i));
                return Err(s.fail().await);
            }
        };
        conns.push(conn);
    }
    // Client i hears about everyone who came after it.
    let mut notices_ok = true;
    for (i, conn) in conns.iter_mut().enumerate() {
        let expected: Vec<Vec<u8>> = names[i + 1..]
            .iter()
            .map(|n| format!("{n} entrou no chat!\n").into_bytes())
            .collect();
        match s.read_lines_quietly(conn, expected.len()).await {
            Ok(got) if got == expected => {}
            Ok(got) => {
                notices_ok = false;
                let first = got
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                s.say(format!(
                    "[cliente {}] esperava {} e recebeu {}",
                    i + 1,
                    crate::transcript::escape(&expected[first]),
                    crate::transcript::escape(&got[first])
                ));
            }
            Err(why) => {
                notices_ok = false;
                s.say(format!("[cliente {}] avisos de entrada: {why}", i + 1));
            }
        }
    }
    if notices_ok {
        s.say(format!(
            "[{count} clientes] cada um recebeu o aviso de entrada de quem chegou depois"
        ));
    }

    // The speakers speak, in turns; then everyone listens.
    for round in 0..lines_each {
        for (i, conn) in conns.iter_mut().enumerate().take(speakers) {
            let line = format!("linha {round} de {}\n", names[i]);
            if conn.stream.write_all(line.as_bytes()).await.is_err() {
                s.say(format!("[cliente {}] não conseguiu enviar", i + 1));
                return Err(s.fail().await);
            }
        }
    }
    let each = if lines_each == 1 {
        "1 linha".to_owned()
    } else {
        format!("{lines_each} linhas")
    };
    if speakers == count {
        s.say(format!(
            "[{count} clientes] cada um envia {each}, alternando"
        ));
    } else {
        s.say(format!(
            "[{speakers} dos {count} clientes] enviam {each} cada, ao mesmo tempo"
        ));
    }
    let mut problems = 0;
    for (i, conn) in conns.iter_mut().enumerate() {
        let own = usize::from(i < speakers);
        let wanted = (speakers - own) * lines_each;
        let problem = match s.read_lines_quietly(conn, wanted).await {
            Ok(lines) => check_delivery(&names, i, &lines),
            Err(why) => Some(why),
        };
        if let Some(problem) = problem {
            problems += 1;
            // A handful shows the pattern; a thousand lines would hide it.
            if problems <= SHOWN_PROBLEMS {
                s.say(format!("[cliente {}] {problem}", i + 1));
            }
        }
    }
    if problems > SHOWN_PROBLEMS {
        s.say(format!(
            "[corretor] e mais {} clientes com problema",
            problems - SHOWN_PROBLEMS
        ));
    }
    if problems == 0 && speakers == count {
        let wanted = (count - 1) * lines_each;
        s.say(format!(
            "[{count} clientes] cada um recebeu as {wanted} linhas dos outros, uma vez cada, na ordem de cada remetente"
        ));
    } else if problems == 0 {
        s.say(format!(
            "[{count} clientes] cada um recebeu as linhas de quem falou (menos as suas), uma vez cada, em ordem"
        ));
    }
    for conn in conns {
        let _ = conn.stream.set_zero_linger();
    }
    Ok(())
}

/// Why a client of a load step could not join: a diagnosis code and what happened.
struct JoinFailure {
    code: &'static str,
    what: String,
}

impl JoinFailure {
    /// The note for the client after `already_in` others had joined.
    fn explanation(&self, already_in: usize) -> String {
        match self.code {
            "E-SEM-RESPOSTA" => format!(
                "Com {already_in} clientes na sala, o servidor aceitou mais uma conexão mas não \
                 a atendeu no prazo. Cada cliente precisa de quem o \
                 atenda enquanto estiver conectado (uma thread no laboratório 03, uma tarefa no \
                 05): um pool fixo de N threads só atende N clientes de cada vez."
            ),
            "E-SEM-CONEXAO" => format!(
                "Com {already_in} clientes na sala, o servidor não aceitou mais uma conexão."
            ),
            _ => format!(
                "Com {already_in} clientes na sala, o próximo não conseguiu entrar: {}.",
                self.what
            ),
        }
    }
}

/// Joins without recording each line (the load step records a summary).
async fn quiet_join(s: &mut Session, actor: &str, apelido: &str) -> Result<Conn, JoinFailure> {
    let mut conn = s.connect_quietly(actor).await.map_err(|what| JoinFailure {
        code: "E-SEM-CONEXAO",
        what,
    })?;
    quiet_expect(s, &mut conn, b"APELIDO\n").await?;
    if let Err(error) = conn
        .stream
        .write_all(format!("{apelido}\n").as_bytes())
        .await
    {
        return Err(JoinFailure {
            code: "E-CONEXAO-FECHADA",
            what: crate::wire::describe_error(&error),
        });
    }
    quiet_expect(s, &mut conn, b"Conectado ao servidor!\n").await?;
    Ok(conn)
}

/// Reads one line without recording it; it must be `wanted`.
async fn quiet_expect(s: &Session, conn: &mut Conn, wanted: &[u8]) -> Result<(), JoinFailure> {
    let deadline = s.deadline();
    let (code, what) = match s.read_lines_quietly(conn, 1).await {
        Ok(lines) if lines == [wanted.to_vec()] => return Ok(()),
        Ok(lines) => (
            "E-BYTES-DIFERENTES",
            format!(
                "esperava {} e recebeu {}",
                crate::transcript::escape(wanted),
                crate::transcript::escape(&lines.concat())
            ),
        ),
        // Only the deadline running out is a server that did not answer.
        Err(why) if Instant::now() >= deadline => (
            "E-SEM-RESPOSTA",
            format!("esperava {}; {why}", crate::transcript::escape(wanted)),
        ),
        Err(why) => ("E-CONEXAO-FECHADA", why),
    };
    Err(JoinFailure { code, what })
}

/// What is wrong with what receiver `me` got, if anything.
fn check_delivery(names: &[String], me: usize, lines: &[Vec<u8>]) -> Option<String> {
    let mut next: HashMap<&str, usize> = HashMap::new();
    for line in lines {
        let text = String::from_utf8_lossy(line);
        let Some((sender, rest)) = text.trim_end_matches('\n').split_once(": ") else {
            return Some(format!(
                "recebeu uma linha fora do formato: {}",
                crate::transcript::escape(line)
            ));
        };
        if sender == names[me] {
            return Some("recebeu de volta a própria linha".to_owned());
        }
        let Some(from) = names.iter().position(|n| n == sender) else {
            return Some(format!(
                "recebeu uma linha de quem não existe: {}",
                crate::transcript::escape(line)
            ));
        };
        let round = next.entry(&names[from]).or_insert(0);
        let expected = format!("linha {round} de {}", names[from]);
        if rest != expected {
            return Some(format!(
                "linhas de {} fora de ordem, repetidas ou perdidas: esperava {:?}, recebeu {:?}",
                names[from], expected, rest
            ));
        }
        *round += 1;
    }
    None
}

/// Lines the talking client sends while another never reads, and their size.
const FLOOD_LINES: usize = 1000;
const FLOOD_LINE_BYTES: usize = 16 * 1024;

/// One client never reads; another talks a lot; a third must still hear it all.
/// A server that writes to every client while holding the lock gets stuck on
/// the silent one, and the third hears nothing more.
async fn slow_reader(s: &mut Session) -> Flow {
    let lento = s.random_word();
    let fala = s.random_word();
    let ouve = s.random_word();
    let mut calado = s.connect_non_reader("cliente lento").await?;
    s.receive_line(&mut calado).await;
    s.send(&mut calado, format!("{lento}\n").as_bytes()).await?;
    s.receive_line(&mut calado).await;
    let mut falante = join(s, "cliente 2", &fala).await?;
    let mut ouvinte = join(s, "cliente 3", &ouve).await?;
    s.receive_line(&mut falante).await;
    s.say(format!(
        "[cliente lento] para de ler; [cliente 2] envia {FLOOD_LINES} linhas de {} KiB",
        FLOOD_LINE_BYTES / 1024
    ));

    let filler: String = (0..FLOOD_LINE_BYTES)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let lines: Vec<String> = (0..FLOOD_LINES)
        .map(|i| format!("{i:05} {filler}\n"))
        .collect();
    let heard = flood(s, &mut falante, &mut ouvinte, &lines).await;
    let _ = calado.stream.set_zero_linger();
    match heard {
        Ok(got) => {
            let in_order = got
                .iter()
                .zip(&lines)
                .filter(|(g, l)| g.as_slice() == format!("{fala}: {}", l).as_bytes())
                .count();
            if in_order >= FLOOD_LINES {
                s.say(format!(
                    "[cliente 3] recebeu as {FLOOD_LINES} linhas, em ordem"
                ));
            } else {
                s.say(format!(
                    "[cliente 3] recebeu {in_order} de {FLOOD_LINES} linhas na ordem certa"
                ));
            }
        }
        Err(why) => {
            s.note(
                "E-CHAT-BLOQUEADO",
                // The starter already has the queue and the writer: a learner who
                // follows its TODOs most likely blocks on the queue, not the socket.
                "Um cliente que não lê travou os outros. Causa mais provável: a difusão \
                 coloca a linha na fila com `send` (`send(...).await` no laboratório 05) em \
                 vez de `try_send`; com a fila de quem não lê cheia, `send` espera com o \
                 cadeado da sala na mão, e ninguém mais recebe. Use `try_send` e desconecte \
                 quem der `Err` (ficou para trás). Outra causa: escrever direto no socket \
                 de cada cliente com o cadeado na mão, sem fila e sem escritora.",
            );
            s.say(format!("[cliente 3] {why}"));
        }
    }
    Ok(())
}

/// How many lines the talker may be ahead of the listener. Below the server's
/// queue bound, so the listener itself never falls behind; far below what the
/// silent client's buffers and queue hold, so the server must deal with it.
const FLOOD_WINDOW: usize = 64;

/// The talker sends `lines`, never more than [`FLOOD_WINDOW`] ahead of what the
/// listener has heard; returns what the listener heard (leave notices of the
/// silent client, which the server may drop, are skipped).
async fn flood(
    s: &Session,
    talker: &mut Conn,
    listener: &mut Conn,
    lines: &[String],
) -> Result<Vec<Vec<u8>>, String> {
    let mut sent = 0;
    let mut heard = Vec::with_capacity(lines.len());
    while heard.len() < lines.len() {
        while sent < lines.len() && sent - heard.len() < FLOOD_WINDOW {
            let write = talker.stream.write_all(lines[sent].as_bytes());
            match tokio::time::timeout_at(s.deadline(), write).await {
                Ok(Ok(())) => sent += 1,
                Ok(Err(error)) => {
                    let why = crate::wire::describe_error(&error);
                    return Err(format!("o [cliente 2] não conseguiu enviar: {why}"));
                }
                Err(_) => {
                    return Err(format!(
                        "o servidor parou de ler o [cliente 2] depois de {sent} linhas"
                    ));
                }
            }
        }
        let mut line = s.read_lines_quietly(listener, 1).await.map_err(|why| {
            format!(
                "{why}; tinha recebido {} de {} linhas",
                heard.len(),
                lines.len()
            )
        })?;
        if let Some(line) = line.pop().filter(|l| !l.ends_with(b" saiu do chat!\n")) {
            heard.push(line);
        }
    }
    Ok(heard)
}

async fn cliente(s: &mut Session) -> Flow {
    let apelido = s.random_word();

    s.begin("cliente-apelido")?;
    let listener = s.listen().await?;
    s.start(Role::Client).await?;
    s.type_line(&apelido).await?;
    let mut conn = s.accept(&listener).await?;
    s.send(&mut conn, b"APELIDO\n").await?;
    s.receive_line(&mut conn).await;
    s.send(&mut conn, b"Conectado ao servidor!\n").await?;
    s.expect_printed("Conectado ao servidor!").await;
    s.end().await?;

    // The client is waiting on the keyboard: only a second thread can print this.
    // Two lines in a row, as a busy room sends them: they may share one read.
    s.begin("cliente-recebe")?;
    let outra = s.random_word();
    let fala = format!("{outra}: olá, {}", s.random_word());
    let aviso = format!("{} entrou no chat!", s.random_word());
    let (fala_n, aviso_n) = (format!("{fala}\n"), format!("{aviso}\n"));
    s.send_together(&mut conn, &[fala_n.as_bytes(), aviso_n.as_bytes()])
        .await?;
    s.expect_printed(&fala).await;
    s.expect_printed(&aviso).await;
    s.end().await?;

    s.begin("cliente-envia")?;
    let linha = format!("bom dia {}", s.random_word());
    s.type_line(&linha).await?;
    s.receive_line(&mut conn).await;
    s.end().await?;

    s.begin("cliente-sair")?;
    s.close_input();
    s.expect_client_to_leave(&mut conn, "Conexão encerrada")
        .await?;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-apelido-em-uso")?;
    s.start(Role::Client).await?;
    let primeiro = s.random_word();
    s.type_line(&primeiro).await?;
    let mut conn = s.accept(&listener).await?;
    s.send(&mut conn, b"APELIDO\n").await?;
    s.receive_line(&mut conn).await;
    let erro = format!("ERRO: o apelido {primeiro} já está em uso");
    let erro_n = format!("{erro}\n");
    s.send_together(&mut conn, &[erro_n.as_bytes(), b"APELIDO\n"])
        .await?;
    s.expect_printed(&erro).await;
    let segundo = s.random_word();
    s.type_line(&segundo).await?;
    s.receive_line(&mut conn).await;
    s.send(&mut conn, b"Conectado ao servidor!\n").await?;
    s.expect_printed("Conectado ao servidor!").await;
    s.close_input();
    s.wait_exit(Role::Client).await?;
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}
