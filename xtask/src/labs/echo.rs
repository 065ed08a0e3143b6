//! Lab 02: the echo server answers each line with `Echo: <line>\n`, one client
//! after another, surviving clients that misbehave; the echo client sends what is
//! typed and prints the replies.
//!
//! Steps 4–7 are the traps of a server that treats each read as one message (the
//! tutorial's `recv(1024)`): a long line, a line that trickles in byte by byte,
//! invalid UTF-8, and clients that vanish.

use std::future::Future;
use std::pin::Pin;

use crate::lab::{Lab, Role, Step};
use crate::session::{Conn, Flow, Session};

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "02",
    dir: "02-echo",
    title: "Servidor echo e cliente echo",
    chapters: &["02-echo/servidor-echo.md", "02-echo/cliente-echo.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "uma-linha",
            role: Role::Server,
            title: "uma linha é respondida com \"Echo: <linha>\"",
            hint: "Para cada linha recebida (terminada em `\\n`), responda `Echo: ` + a \
                   linha + `\\n`, numa única chamada a `write_all`.",
            book: "02-echo/servidor-echo.md#protocolo",
            required: true,
        },
        Step {
            id: "varias-linhas",
            role: Role::Server,
            title: "várias linhas na mesma conexão, respondidas em ordem",
            hint: "Depois de responder uma linha, continue lendo a mesma conexão: um laço \
                   sobre `leitor.lines()` atende todas, na ordem em que chegam.",
            book: "02-echo/servidor-echo.md#linhas",
            required: true,
        },
        Step {
            id: "segundo-cliente",
            role: Role::Server,
            title: "um segundo cliente é atendido depois que o primeiro sai",
            hint: "Quando um cliente fecha a conexão, `lines()` termina: volte ao `accept` \
                   (o laço `for conexao in servidor.incoming()`) em vez de encerrar o \
                   programa.",
            book: "02-echo/servidor-echo.md#varios-clientes",
            required: true,
        },
        Step {
            id: "linha-longa",
            role: Role::Server,
            title: "uma linha de mais de 64 KiB volta inteira, numa resposta só",
            hint: "Uma leitura traz no máximo o tamanho do buffer: a linha longa chega em \
                   muitos pedaços. Junte os bytes até o `\\n` (`BufRead::lines` ou \
                   `read_line`) antes de responder.",
            book: "02-echo/servidor-echo.md#linha-longa",
            required: true,
        },
        Step {
            id: "um-byte-por-vez",
            role: Role::Server,
            title: "uma linha enviada um byte por vez, com um caractere UTF-8 cortado",
            hint: "Os bytes podem chegar um a um, e um caractere como `ç` (2 bytes) pode vir \
                   partido entre duas leituras. Só converta para texto a linha inteira, \
                   depois do `\\n`.",
            book: "02-echo/servidor-echo.md#um-byte-por-vez",
            required: true,
        },
        Step {
            id: "utf8-invalido",
            role: Role::Server,
            title: "bytes que não são UTF-8 não derrubam o servidor",
            hint: "Um cliente que envia bytes inválidos gera um erro na leitura daquela \
                   conexão. Trate o erro de `atender` (mostre e siga em frente) em vez de \
                   deixá-lo encerrar o `main`.",
            book: "02-echo/servidor-echo.md#utf8",
            required: true,
        },
        Step {
            id: "desconexao-abrupta",
            role: Role::Server,
            title: "clientes que somem no meio (reset, broken pipe) não derrubam o servidor",
            hint: "Ler de uma conexão derrubada dá `ConnectionReset`; escrever nela dá \
                   `BrokenPipe`. São erros daquele cliente: encerre só a conversa com ele e \
                   volte ao `accept`.",
            book: "02-echo/servidor-echo.md#desconexoes",
            required: true,
        },
        Step {
            id: "simultaneos",
            role: Role::Server,
            title: "dois clientes conectados ao mesmo tempo",
            hint: "Enquanto o servidor conversa com um cliente, o outro espera na fila do \
                   `accept`. Atenda cada conexão numa thread (`std::thread::spawn`) e o laço \
                   volta logo a aceitar.",
            book: "02-echo/servidor-echo.md#simultaneos",
            required: false,
        },
        Step {
            id: "cliente-envia",
            role: Role::Client,
            title: "o cliente envia a linha digitada e imprime \"Resposta: Echo: ...\"",
            hint: "Leia uma linha do teclado, envie-a terminada em `\\n`, leia a resposta até \
                   o `\\n` (`read_line`) e imprima `Resposta: ` + a resposta.",
            book: "02-echo/cliente-echo.md#laco",
            required: true,
        },
        Step {
            id: "cliente-varias",
            role: Role::Client,
            title: "o cliente continua: várias linhas, várias respostas",
            hint: "O envio e a leitura da resposta ficam dentro de um laço, que só termina \
                   com `sair` ou com o fim da entrada.",
            book: "02-echo/cliente-echo.md#laco",
            required: true,
        },
        Step {
            id: "cliente-sair",
            role: Role::Client,
            title: "\"sair\" fecha a conexão, imprime \"Conexão encerrada\" e termina",
            hint: "Ao ler `sair`, saia do laço sem enviar a palavra, feche a conexão e \
                   imprima `Conexão encerrada`.",
            book: "02-echo/cliente-echo.md#sair",
            required: true,
        },
        Step {
            id: "cliente-fim-da-entrada",
            role: Role::Client,
            title: "o fim da entrada (Ctrl-D) também encerra",
            hint: "`read_line` devolve 0 bytes quando a entrada acaba (Ctrl-D no terminal, ou \
                   o fim de um arquivo): trate isso como `sair`.",
            book: "02-echo/cliente-echo.md#sair",
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

/// Sends one line and reads the reply, diagnosing a reply that came in pieces.
pub(crate) async fn round_trip(s: &mut Session, conn: &mut Conn, line: &str) -> Flow {
    s.send(conn, format!("{line}\n").as_bytes()).await?;
    let reply = s.receive_line(conn).await;
    diagnose_pieces(s, &reply);
    diagnose_waiting_for_eof(s, &reply);
    if reply == b"\n" {
        // An empty line where a reply should be: the end of the previous reply.
        s.note(
            "E-BYTES-A-MAIS",
            "Chegou uma linha vazia no lugar da resposta: é um \\n a mais no fim da resposta \
             anterior. A linha lida com read_line já traz o seu \\n; writeln! acrescenta outro.",
        );
    }
    Ok(())
}

/// The first line of the run got no reply at all, the server is alive and the
/// grader has not closed: the likely server reads the whole stream before
/// answering (`read_to_string`/`read_to_end`), and EOF only comes when the
/// client leaves. Later steps have other likely causes (a server that serves
/// one client at a time), so only the first step says this.
fn diagnose_waiting_for_eof(s: &mut Session, reply: &[u8]) {
    if reply.is_empty()
        && s.step_number() == Some(1)
        && s.noted("E-SEM-RESPOSTA")
        && s.is_running(Role::Server)
    {
        s.note(
            "E-ESPERA-EOF",
            "O servidor está rodando, recebeu a linha e não respondeu nada, e o corretor \
             não tinha fechado a conexão. Causa provável: ele lê com `read_to_string` ou \
             `read_to_end`, que só voltam no fim da conexão (EOF), e o EOF só vem quando \
             o cliente vai embora. Leia uma linha por vez (`BufRead::read_line` ou \
             `lines()`) e responda cada uma assim que ela chegar.",
        );
    }
}

/// A server that answers each read separately sends several `Echo: ` for one
/// line: say so in plain words, since the diff alone looks like noise.
pub(crate) fn diagnose_pieces(s: &mut Session, reply: &[u8]) {
    let prefixes = reply.windows(6).filter(|w| w == b"Echo: ").count();
    if prefixes > 1 {
        s.note(
            "E-ECO-FRAGMENTADO",
            format!(
                "A resposta chegou em pedaços: o servidor tratou cada leitura como uma \
                 mensagem inteira ({prefixes} respostas \"Echo: \" para uma linha só). O TCP \
                 entrega bytes, não mensagens: junte-os até o \\n, com BufRead::lines ou \
                 read_line."
            ),
        );
    }
}

async fn servidor(s: &mut Session) -> Flow {
    s.begin("uma-linha")?;
    s.start(Role::Server).await?;
    let mut primeiro = s.connect("cliente 1").await?;
    let linha = format!("olá {}", s.random_word());
    round_trip(s, &mut primeiro, &linha).await?;
    // An extra `\n` after the reply belongs to this step, not to the next one's reply.
    s.expect_nothing_more(&mut primeiro);
    s.end().await?;

    s.begin("varias-linhas")?;
    for _ in 0..3 {
        let linha = format!("mais uma: {}", s.random_word());
        round_trip(s, &mut primeiro, &linha).await?;
    }
    s.end().await?;

    s.begin("segundo-cliente")?;
    s.close(primeiro).await;
    let mut segundo = s.connect("cliente 2").await?;
    let linha = format!("sou o segundo: {}", s.random_word());
    round_trip(s, &mut segundo, &linha).await?;
    s.end().await?;

    // Far larger than one read (the tutorial reads 1024 bytes at a time).
    s.begin("linha-longa")?;
    let longa = s.random_text(70_000);
    round_trip(s, &mut segundo, &longa).await?;
    s.end().await?;

    // "ç" and "ã" are two bytes each in UTF-8: one write per byte cuts them in half.
    s.begin("um-byte-por-vez")?;
    let linha = format!("maçã {}\n", s.random_word());
    s.send_bytewise(&mut segundo, linha.as_bytes()).await?;
    let reply = s.receive_line(&mut segundo).await;
    diagnose_pieces(s, &reply);
    s.close(segundo).await;
    s.end().await?;

    s.begin("utf8-invalido")?;
    let mut invalido = s.connect("cliente 3").await?;
    s.send(&mut invalido, b"bytes \xff\xfe inv\xc3lidos\n")
        .await?;
    s.close(invalido).await;
    let mut depois = s.connect("cliente 4").await?;
    let linha = format!("ainda está aí? {}", s.random_word());
    round_trip(s, &mut depois, &linha).await?;
    s.close(depois).await;
    s.end().await?;

    s.begin("desconexao-abrupta")?;
    vanishing_clients(s, 5, 100_000, "sobreviveu?").await?;
    s.end().await?;

    // A bonus step: its failure is reported, and the run goes on.
    let _ = simultaneos(s).await;
    s.stop(Role::Server).await;
    Ok(())
}

/// Clients that vanish, numbered from `first`: half a line then a reset (the
/// server's read fails mid-line), and a line of `big` bytes then a reset before
/// the reply (the server's write fails: broken pipe or connection reset). The
/// next client, asking `question`, must still be served.
pub(crate) async fn vanishing_clients(
    s: &mut Session,
    first: usize,
    big: usize,
    question: &str,
) -> Flow {
    let mut meia = s.connect(&format!("cliente {first}")).await?;
    s.send(&mut meia, b"meia li").await?;
    s.reset(meia).await;
    let mut apressado = s.connect(&format!("cliente {}", first + 1)).await?;
    let enorme = format!("{}\n", s.random_text(big));
    s.send(&mut apressado, enorme.as_bytes()).await?;
    s.reset(apressado).await;
    let mut depois = s.connect(&format!("cliente {}", first + 2)).await?;
    let linha = format!("{question} {}", s.random_word());
    round_trip(s, &mut depois, &linha).await?;
    s.close(depois).await;
    Ok(())
}

/// Two clients at once: the first stays connected and silent while the second
/// talks. A server that serves one client at a time never answers the second.
async fn simultaneos(s: &mut Session) -> Flow {
    s.begin("simultaneos")?;
    let mut calado = s.connect("cliente 8").await?;
    let mut falante = s.connect("cliente 9").await?;
    let linha = format!("tem alguém aí? {}", s.random_word());
    round_trip(s, &mut falante, &linha).await?;
    let linha = format!("agora eu: {}", s.random_word());
    round_trip(s, &mut calado, &linha).await?;
    s.end().await
}

async fn cliente(s: &mut Session) -> Flow {
    s.begin("cliente-envia")?;
    let listener = s.listen().await?;
    s.start(Role::Client).await?;
    let mut conn = s.accept(&listener).await?;
    serve_one_line(s, &mut conn).await?;
    s.end().await?;

    s.begin("cliente-varias")?;
    for _ in 0..3 {
        serve_one_line(s, &mut conn).await?;
    }
    s.end().await?;

    s.begin("cliente-sair")?;
    s.type_line("sair").await?;
    s.expect_client_to_leave(&mut conn, "Conexão encerrada")
        .await?;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-fim-da-entrada")?;
    s.start(Role::Client).await?;
    let mut conn = s.accept(&listener).await?;
    serve_one_line(s, &mut conn).await?;
    s.close_input();
    s.expect_client_to_leave(&mut conn, "Conexão encerrada")
        .await?;
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}

/// The grader, as the server: a line is typed into the client, arrives on the
/// socket, is answered, and the client must print the answer.
pub(crate) async fn serve_one_line(s: &mut Session, conn: &mut Conn) -> Flow {
    let linha = format!("oi {}", s.random_word());
    s.type_line(&linha).await?;
    let chegou = s.receive_line(conn).await;
    let resposta = format!(
        "Echo: {}",
        String::from_utf8_lossy(&chegou).trim_end_matches('\n')
    );
    s.send(conn, format!("{resposta}\n").as_bytes()).await?;
    s.expect_printed(&format!("Resposta: {resposta}")).await;
    Ok(())
}
