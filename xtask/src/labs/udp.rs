//! Lab 06: a tally service over UDP. `<seq> SOMA <n>` adds to the sender's total
//! (a client is its address), `<seq> ECO <texto>` comes back as it went, anything
//! else gets `ERRO`; a repeated `seq` gets the same reply and is not counted twice.
//! The client retransmits after `TEMPO_RESPOSTA_MS`, ignores duplicates, stale
//! replies and strangers, and gives up with code 3 after four sends.
//!
//! The grader plays the clients of the learner's server, then the server of the
//! learner's client and a bad network at once (it drops, duplicates, delays and
//! forges datagrams on purpose), and last puts its relay (`rede_ruim`) between the
//! learner's two programs.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::Instant;

use crate::lab::{Lab, Role, Step};
use crate::rede_ruim;
use crate::session::{Arrival, Datagrams, Flow, NextPrinted, Session};
use crate::transcript::escape;

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "06",
    dir: "06-udp",
    title: "Contador por UDP: datagramas, perdas e reenvios",
    chapters: &["06-udp/udp.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "soma",
            role: Role::Server,
            title: "\"<seq> SOMA <n>\" recebe \"<seq> TOTAL <t>\", um datagrama por resposta",
            hint: "Num laço, `recv_from` traz um datagrama e o endereço de origem; responda \
                   com `send_to(resposta, origem)`. `SOMA <n>` soma n ao total daquele cliente \
                   e a resposta é `<seq> TOTAL <total>`, sem `\\n`: o datagrama já é a mensagem.",
            book: "06-udp/udp.md#recv-from",
            required: true,
        },
        Step {
            id: "dois-clientes",
            role: Role::Server,
            title: "dois clientes alternados, cada um com o seu total",
            hint: "Um cliente é o seu endereço inteiro, IP e porta (`SocketAddr`): guarde os \
                   totais num `HashMap<SocketAddr, _>` e responda sempre à `origem` do \
                   datagrama que está atendendo.",
            book: "06-udp/udp.md#memoria",
            required: true,
        },
        Step {
            id: "eco-grande",
            role: Role::Server,
            title: "um ECO de 65.000 bytes volta inteiro",
            hint: "Um `recv_from` com buffer menor que o datagrama corta o resto sem avisar \
                   (o `recv(1024)` do tutorial). Use um buffer de 65.535 bytes, o maior \
                   datagrama UDP.",
            book: "06-udp/udp.md#buffer",
            required: true,
        },
        Step {
            id: "invalido",
            role: Role::Server,
            title: "lixo, bytes que não são UTF-8 e comandos desconhecidos recebem ERRO",
            hint: "Tudo o que não é `SOMA` ou `ECO` recebe `<seq ou 0> ERRO <motivo>`. Converta \
                   com `std::str::from_utf8` e trate o `Err`; nada de `unwrap` nem de `?` no \
                   laço: o servidor continua atendendo.",
            book: "06-udp/udp.md#erros",
            required: true,
        },
        Step {
            id: "retransmissao",
            role: Role::Server,
            title: "o mesmo seq de novo recebe a mesma resposta e não soma outra vez",
            hint: "Guarde, por cliente, o último `seq` atendido e a resposta dada. Chegou o \
                   mesmo `seq`? Reenvie a resposta guardada, sem executar o pedido de novo: \
                   foi a resposta que se perdeu, e o cliente repetiu o pedido.",
            book: "06-udp/udp.md#idempotencia",
            required: true,
        },
        Step {
            id: "muitos-clientes",
            role: Role::Server,
            title: "50 clientes ao mesmo tempo: cada resposta no endereço de quem pediu",
            hint: "Com muitos pedidos chegando juntos, cada resposta vai para a `origem` do \
                   seu próprio datagrama: guarde o endereço junto com o pedido, nunca numa \
                   variável só, sobrescrita a cada `recv_from`.",
            book: "06-udp/udp.md#recv-from",
            required: true,
        },
        Step {
            id: "nao-bloqueia",
            role: Role::Server,
            title: "um cliente que envia sem parar e nunca lê não atrasa os outros",
            hint: "Não existe \"a vez\" de um cliente: cada datagrama é atendido assim que \
                   chega, venha de quem vier. Um servidor que atende um cliente até ele se \
                   calar deixa os outros esperando para sempre.",
            book: "06-udp/udp.md#ninguem-espera",
            required: true,
        },
        Step {
            id: "envia",
            role: Role::Client,
            title: "\"soma <n>\" e \"eco <texto>\" viram datagramas e as respostas são impressas",
            hint: "Num socket conectado ao servidor (`bind` na porta 0 e `connect(endereco)`), \
                   envie `<seq> SOMA <n>` ou `<seq> ECO <texto>`, com seq 1, 2, 3..., sem \
                   `\\n`, e imprima `Resposta: <resposta>`.",
            book: "06-udp/udp.md#connect",
            required: true,
        },
        Step {
            id: "perda",
            role: Role::Client,
            title: "um pedido perdido é reenviado depois do prazo, não antes",
            hint: "Ponha um prazo na espera (`set_read_timeout`, de `TEMPO_RESPOSTA_MS`). \
                   Quando ele acaba (`WouldBlock` ou `TimedOut`), reenvie o mesmo pedido, \
                   com o mesmo seq; nunca antes do prazo.",
            book: "06-udp/udp.md#retransmissao",
            required: true,
        },
        Step {
            id: "duplicata",
            role: Role::Client,
            title: "uma resposta que chega duas vezes é impressa uma vez só",
            hint: "Confira o seq de cada datagrama que chega: só a resposta com o seq do \
                   pedido atual é impressa. A cópia repetida do pedido anterior fica na fila \
                   do socket e aparece quando você espera a próxima resposta.",
            book: "06-udp/udp.md#duplicatas",
            required: true,
        },
        Step {
            id: "fora-de-ordem",
            role: Role::Client,
            title: "a resposta atrasada de um pedido anterior é ignorada",
            hint: "Uma resposta com o seq de um pedido já respondido é atrasada, não nova: \
                   ignore-a e continue esperando a do pedido atual (compare o seq, não o \
                   texto da última resposta).",
            book: "06-udp/udp.md#duplicatas",
            required: true,
        },
        Step {
            id: "estranho",
            role: Role::Client,
            title: "um datagrama vindo de outro endereço é ignorado",
            hint: "Com `connect(endereco)`, o sistema descarta datagramas de qualquer outro \
                   endereço. Sem `connect`, `recv_from` entrega o datagrama de qualquer um, e \
                   você teria de conferir a origem.",
            book: "06-udp/udp.md#connect",
            required: true,
        },
        Step {
            id: "sem-resposta",
            role: Role::Client,
            title: "sem resposta: 4 envios, \"Erro: sem resposta do servidor\" e código 3",
            hint: "Depois do envio e de três reenvios sem resposta, escreva `Erro: sem \
                   resposta do servidor` na saída de erro e termine com `ExitCode::from(3)`.",
            book: "06-udp/udp.md#retransmissao",
            required: true,
        },
        Step {
            id: "rede-ruim",
            role: Role::Client,
            title: "o seu cliente e o seu servidor através de uma rede que perde, duplica e \
                    embaralha",
            hint: "Através da rede ruim, tudo junto: o cliente reenvia o que se perdeu e \
                   ignora respostas de outro seq; o servidor não soma de novo um pedido \
                   repetido nem uma cópia atrasada (seq menor que o último). Repita a \
                   execução com a mesma `--seed`.",
            book: "06-udp/udp.md#rede-ruim",
            required: true,
        },
    ],
};

/// `TEMPO_RESPOSTA_MS` the grader gives the client: short, so that the steps
/// that wait for a timeout stay short, and far above loopback's round trip.
const CLIENT_TIMEOUT_MS: u64 = 500;
/// Through the bad network: its delays (up to 50 ms each way) stay well inside.
const RELAY_CLIENT_TIMEOUT_MS: u64 = 300;
/// A retransmission before this fraction of the timeout is too early.
const EARLIEST_RETRANSMISSION: f64 = 0.9;
/// `muitos-clientes`: clients, and rounds of one request from each.
const MANY_CLIENTS: usize = 50;
const ROUNDS: usize = 4;
/// `eco-grande`: the text, a little under 65,000 bytes with the `<seq> ECO ` prefix.
const BIG_ECHO: usize = 64_990;
/// `rede-ruim`: requests typed, every `ECHO_EVERY`-th an `eco`.
const RELAY_REQUESTS: usize = 12;
const ECHO_EVERY: usize = 4;

pub fn server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor(s))
}

pub fn client(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(cliente(s))
}

/// What the grader keeps of one of its own clients: its last seq and its total.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    seq: u64,
    total: u64,
}

// ---- the server's steps ---------------------------------------------------------

async fn servidor(s: &mut Session) -> Flow {
    s.use_udp();
    s.begin("soma")?;
    s.start(Role::Server).await?;
    let mut primeiro = s.udp_client("cliente 1").await?;
    let mut conta1 = Tally::default();
    for _ in 0..3 {
        add(s, &mut primeiro, &mut conta1, None).await?;
    }
    s.end().await?;

    s.begin("dois-clientes")?;
    let mut segundo = s.udp_client("cliente 2").await?;
    let mut conta2 = Tally::default();
    for _ in 0..2 {
        let answered = add_once(s, &mut segundo, &mut conta2, Some(&mut primeiro)).await
            && add_once(s, &mut primeiro, &mut conta1, Some(&mut segundo)).await;
        if !answered {
            one_client_for_two(s);
            return Err(s.fail().await);
        }
    }
    if !s.matches_so_far() {
        one_client_for_two(s);
    }
    s.end().await?;

    s.begin("eco-grande")?;
    big_echo(s, &mut primeiro, &mut conta1).await?;
    s.end().await?;

    s.begin("invalido")?;
    invalid(s).await?;
    s.end().await?;

    s.begin("retransmissao")?;
    retransmission(s).await?;
    s.end().await?;

    s.begin("muitos-clientes")?;
    many_clients(s).await;
    s.end().await?;

    s.begin("nao-bloqueia")?;
    never_reads(s).await?;
    s.end().await?;
    s.stop(Role::Server).await;
    Ok(())
}

/// One `SOMA` of a random number from `d`, checked against the grader's own
/// tally; `beside` is watched for a reply that went to it instead. Without a
/// reply the step fails at once: the conversation cannot go on.
async fn add(
    s: &mut Session,
    d: &mut Datagrams,
    tally: &mut Tally,
    beside: Option<&mut Datagrams>,
) -> Flow {
    if add_once(s, d, tally, beside).await {
        Ok(())
    } else {
        Err(s.fail().await)
    }
}

/// Like [`add`]; whether a reply came.
async fn add_once(
    s: &mut Session,
    d: &mut Datagrams,
    tally: &mut Tally,
    beside: Option<&mut Datagrams>,
) -> bool {
    let n = s.random_number();
    tally.seq += 1;
    tally.total += n;
    s.name_value(&tally.total.to_string(), "total");
    let request = format!("{} SOMA {n}", tally.seq);
    let reply = s
        .ask_shown_as(d, request.as_bytes(), beside, |r| r.to_vec())
        .await;
    match reply {
        Some(reply) => {
            diagnose_reply(s, &reply);
            s.expect_no_more_datagrams(d);
            true
        }
        None => false,
    }
}

/// `dois-clientes` failed while the server runs: the likely cause is one
/// client where there are two (the same IP, two ports).
fn one_client_for_two(s: &mut Session) {
    if s.is_running(Role::Server) && !s.noted("E-UDP-ENDERECO-ERRADO") {
        s.note(
            "E-UDP-MESMO-CLIENTE",
            "Os dois clientes têm o mesmo IP (127.0.0.1) e portas diferentes. Se o servidor \
             separa os clientes só pelo IP, os dois viram um: os totais se misturam, e o \
             pedido 1 do cliente 2 parece uma cópia atrasada do cliente 1. A chave é o \
             endereço inteiro, `SocketAddr` (IP e porta).",
        );
    }
}

/// What any reply can get wrong beyond its text.
fn diagnose_reply(s: &mut Session, reply: &[u8]) {
    if reply.ends_with(b"\n") {
        s.note(
            "E-UDP-QUEBRA-DE-LINHA",
            "A resposta termina com \\n. No TCP, o \\n marcava o fim da mensagem; em UDP, o \
             próprio datagrama é a mensagem, inteiro, e o protocolo não leva \\n no fim.",
        );
    }
}

/// A 65,000-byte `ECO` must come back whole: a 1024-byte buffer cuts it.
async fn big_echo(s: &mut Session, d: &mut Datagrams, tally: &mut Tally) -> Flow {
    tally.seq += 1;
    let text = s.random_text(BIG_ECHO);
    let request = format!("{} ECO {text}", tally.seq);
    let Some(reply) = s.ask(d, request.as_bytes()).await else {
        return Err(s.fail().await);
    };
    s.expect_no_more_datagrams(d);
    if reply.len() < request.len() {
        let errored = reply.starts_with(format!("{} ERRO", tally.seq).as_bytes());
        let how = if errored {
            "respondeu ERRO a um ECO válido: ele leu só o começo do datagrama, e o corte \
             deixou bytes que não formam UTF-8 (ou um pedido incompleto)"
                .to_owned()
        } else {
            format!(
                "devolveu {} dos {} bytes: ele leu só o começo do datagrama",
                reply.len(),
                request.len()
            )
        };
        s.note(
            "E-UDP-TRUNCADO",
            format!(
                "O servidor {how}. Um `recv_from` com buffer menor que o datagrama copia o \
                 que cabe e joga o resto fora, sem erro (o `recv(1024)` do tutorial). O buffer \
                 precisa de 65.535 bytes."
            ),
        );
    }
    Ok(())
}

/// Shows an `ERRO` reply with its free reason as `<motivo>`.
fn with_reason(reply: &[u8]) -> Vec<u8> {
    match find(reply, b" ERRO ") {
        Some(at) if reply.len() > at + 6 => [&reply[..at + 6], b"<motivo>"].concat(),
        _ => reply.to_vec(),
    }
}

/// Like [`with_reason`], also leaving the seq free between `seq` and 0: bytes
/// that are not UTF-8 after a valid seq may be answered either way.
fn with_reason_any_seq(seq: u64) -> impl Fn(&[u8]) -> Vec<u8> {
    move |reply: &[u8]| {
        let shown = with_reason(reply);
        for prefix in [format!("{seq} ERRO "), "0 ERRO ".to_owned()] {
            if let Some(rest) = shown.strip_prefix(prefix.as_bytes()) {
                return [&b"<seq ou 0> ERRO "[..], rest].concat();
            }
        }
        shown
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Garbage, bytes that are not UTF-8, an empty datagram and unknown commands all
/// get `ERRO`; then a `SOMA` shows the server still counts. A fresh client, so
/// that no earlier seq is in the way.
async fn invalid(s: &mut Session) -> Flow {
    let mut d = s.udp_client("cliente 3").await?;
    let cases: [(&[u8], Option<u64>); 6] = [
        (b"isto nem tem numero", None),
        (b"\xff\xfe\xfd lixo", None),
        (b"", None),
        (b"1 MULTIPLICA 2", None),
        (b"2 SOMA muitos", None),
        (b"3 ECO caf\xc3", Some(3)),
    ];
    for (request, free_seq) in cases {
        let reply = match free_seq {
            Some(seq) => {
                s.ask_shown_as(&mut d, request, None, with_reason_any_seq(seq))
                    .await
            }
            None => s.ask_shown_as(&mut d, request, None, with_reason).await,
        };
        match reply {
            Some(_) => s.expect_no_more_datagrams(&mut d),
            None => {
                if s.is_running(Role::Server) {
                    s.note(
                        "E-UDP-SEM-RESPOSTA",
                        "O servidor não respondeu a um pedido inválido. O protocolo responde \
                         tudo: o que não é `SOMA` nem `ECO` recebe `<seq ou 0> ERRO <motivo>`.",
                    );
                }
                return Err(s.fail().await);
            }
        }
    }
    let mut tally = Tally { seq: 3, total: 0 };
    add(s, &mut d, &mut tally, None).await
}

/// The same request twice: the same reply, counted once.
async fn retransmission(s: &mut Session) -> Flow {
    let mut d = s.udp_client("cliente 4").await?;
    let mut tally = Tally::default();
    let n = s.random_number();
    tally.seq = 1;
    tally.total = n;
    let request = format!("1 SOMA {n}");
    let Some(first) = s.ask(&mut d, request.as_bytes()).await else {
        return Err(s.fail().await);
    };
    s.say("[cliente 4] envia o mesmo pedido de novo, como se a resposta tivesse se perdido");
    let Some(again) = s.ask(&mut d, request.as_bytes()).await else {
        return Err(s.fail().await);
    };
    if again != first {
        let twice = format!("1 TOTAL {}", 2 * n);
        let text = if again == twice.as_bytes() {
            "A retransmissão somou de novo: o total dobrou.".to_owned()
        } else {
            format!(
                "A retransmissão recebeu {} em vez da mesma resposta de antes.",
                escape(&again)
            )
        };
        s.note(
            "E-UDP-CONTOU-DUAS-VEZES",
            format!(
                "{text} Um pedido repetido (mesmo seq, mesmo endereço) é uma retransmissão: \
                 o servidor guarda a última resposta de cada cliente e a reenvia, sem \
                 executar o pedido outra vez."
            ),
        );
        return Err(s.fail().await);
    }
    add(s, &mut d, &mut tally, None).await?;
    // A copy of request 1 that the network held back arrives now, after request 2:
    // it must not count. Whether it gets an answer is the server's choice.
    s.send_datagram_as(
        &mut d,
        request.as_bytes(),
        1,
        " (uma cópia atrasada pela rede, depois do pedido 2)",
    )
    .await?;
    let n3 = s.random_number();
    tally.seq = 3;
    tally.total += n3;
    s.name_value(&tally.total.to_string(), "total");
    let third = format!("3 SOMA {n3}");
    let reply = s
        .ask_skipping(&mut d, third.as_bytes(), |r| !r.starts_with(b"3 "))
        .await;
    let Some(reply) = reply else {
        return Err(s.fail().await);
    };
    if reply != format!("3 TOTAL {}", tally.total).as_bytes() {
        s.note(
            "E-UDP-CONTOU-DUAS-VEZES",
            "O total depois da cópia atrasada não é a soma dos três números: o servidor \
             executou de novo o pedido 1, que chegou depois do pedido 2. Um seq menor que o \
             último atendido é uma cópia atrasada, cuja resposta o cliente já recebeu: \
             ignore-a.",
        );
    }
    s.expect_no_more_datagrams(&mut d);
    Ok(())
}

/// Fifty clients, each sending one request per round, all fifty at once; every
/// reply must come to its own sender with its own total. Recorded as a summary.
async fn many_clients(s: &mut Session) {
    s.say(format!(
        "[corretor] abre {MANY_CLIENTS} sockets UDP: {MANY_CLIENTS} clientes, {ROUNDS} rodadas, \
         os {MANY_CLIENTS} pedidos de cada rodada enviados juntos"
    ));
    let mut clients = Vec::with_capacity(MANY_CLIENTS);
    for i in 0..MANY_CLIENTS {
        match s.udp_client_quietly(&format!("cliente {}", 10 + i)).await {
            Ok(d) => clients.push(d),
            Err(why) => {
                s.say(format!("[corretor] não conseguiu abrir os sockets: {why}"));
                return;
            }
        }
    }
    let mut totals = vec![0u64; MANY_CLIENTS];
    let (mut right, mut elsewhere, mut missing, mut wrong) = (0, 0, 0, 0);
    for round in 1..=ROUNDS {
        let mut expected = Vec::with_capacity(MANY_CLIENTS);
        for (i, d) in clients.iter().enumerate() {
            let n = s.rng.u64(1..1_000_000);
            totals[i] += n;
            expected.push(format!("{round} TOTAL {}", totals[i]).into_bytes());
            let _ = d.send_quietly(format!("{round} SOMA {n}").as_bytes()).await;
        }
        let deadline = s.wait_deadline();
        let mut arrived = Vec::with_capacity(MANY_CLIENTS);
        for d in &clients {
            arrived.push(d.receive_quietly(deadline).await);
        }
        let mut extra = Vec::new();
        for d in clients.iter_mut() {
            extra.extend(d.take_waiting().into_iter().map(|(bytes, _)| bytes));
        }
        for (i, got) in arrived.iter().enumerate() {
            match got {
                Some(bytes) if *bytes == expected[i] => right += 1,
                Some(bytes) if expected.contains(bytes) => elsewhere += 1,
                Some(_) => wrong += 1,
                None => missing += 1,
            }
        }
        elsewhere += extra.iter().filter(|b| expected.contains(b)).count();
        if missing > 0 {
            // A server that lost replies will not find them in the next round.
            break;
        }
    }
    let total = MANY_CLIENTS * ROUNDS;
    if right == total && elsewhere == 0 && wrong == 0 {
        s.say(format!(
            "[corretor] {total} respostas certas, cada uma no endereço de quem pediu"
        ));
        return;
    }
    s.say(format!(
        "[corretor] {right} de {total} respostas certas; {elsewhere} foram para o endereço de \
         outro cliente, {wrong} vieram com outro texto e {missing} não chegaram"
    ));
    if elsewhere > 0 {
        s.note(
            "E-UDP-ENDERECO-ERRADO",
            format!(
                "{elsewhere} resposta(s) chegaram a outro cliente. Com muitos pedidos chegando \
                 juntos, o servidor respondeu a um endereço que não era o da origem de cada \
                 pedido: guarde o endereço junto com o pedido (a `origem` de cada \
                 `recv_from`), nunca numa variável só."
            ),
        );
    }
    if missing > 0 && elsewhere == 0 {
        s.note(
            "E-UDP-SEM-RESPOSTA",
            format!(
                "{missing} cliente(s) ficaram sem resposta em {}. Com {MANY_CLIENTS} clientes ao \
                 mesmo tempo, o servidor atende cada datagrama na hora em que ele chega?",
                s.timeout_text()
            ),
        );
    }
}

/// A client sends without pause and never reads; another one must still be
/// answered at once.
async fn never_reads(s: &mut Session) -> Flow {
    let flooder = match s.udp_client_quietly("cliente 60").await {
        Ok(d) => d,
        Err(why) => {
            s.say(format!("[corretor] não conseguiu abrir o socket: {why}"));
            return Err(s.fail().await);
        }
    };
    s.say("[cliente 60] envia pedidos sem parar e nunca lê as respostas");
    // A head start, so the server has seen it before the other client speaks.
    for seq in 1..=20u64 {
        let _ = flooder
            .send_quietly(format!("{seq} SOMA 1").as_bytes())
            .await;
    }
    let flood = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let mut seq = 21u64;
        loop {
            tick.tick().await;
            let _ = flooder
                .send_quietly(format!("{seq} SOMA 1").as_bytes())
                .await;
            seq += 1;
        }
    });
    let mut d = s.udp_client("cliente 61").await?;
    let mut tally = Tally::default();
    let mut answered = true;
    for _ in 0..3 {
        answered = add_once(s, &mut d, &mut tally, None).await;
        if !answered {
            s.note(
                "E-UDP-TRAVOU",
                "Enquanto o cliente 60 enviava sem parar, o cliente 61 ficou sem resposta. Em \
                 UDP não há a vez de um cliente: cada datagrama é atendido assim que chega, \
                 venha de quem vier. Um servidor que atende um cliente até ele se calar, ou \
                 que espera algo de um cliente, deixa os outros esperando.",
            );
            break;
        }
    }
    flood.abort();
    s.say("[cliente 60] para de enviar");
    if answered {
        Ok(())
    } else {
        Err(s.fail().await)
    }
}

// ---- the client's steps ---------------------------------------------------------

async fn cliente(s: &mut Session) -> Flow {
    s.use_udp();
    let timeout = Duration::from_millis(CLIENT_TIMEOUT_MS);
    let env = [("TEMPO_RESPOSTA_MS", CLIENT_TIMEOUT_MS.to_string())];

    s.begin("envia")?;
    let mut rede = s.udp_listen().await?;
    s.start_with_env(Role::Client, &env).await?;
    let mut conta = Tally::default();
    serve_add(s, &mut rede, &mut conta).await?;
    serve_echo(s, &mut rede, &mut conta).await?;
    s.end().await?;

    s.begin("perda")?;
    lost_request(s, &mut rede, &mut conta, timeout).await?;
    s.end().await?;

    s.begin("duplicata")?;
    let seq = conta.seq + 1;
    let (_, reply) = take_request(s, &mut rede, &mut conta).await?;
    s.send_datagram_as(
        &mut rede,
        reply.as_bytes(),
        2,
        " (duas vezes: a rede duplicou)",
    )
    .await?;
    expect_reply(s, &reply, seq, None).await;
    // The copy waits in the client's socket: it shows when the client waits again.
    serve_echo(s, &mut rede, &mut conta).await?;
    s.end().await?;

    s.begin("fora-de-ordem")?;
    serve_add(s, &mut rede, &mut conta).await?;
    let stale_seq = conta.seq - 1;
    let stale = format!("{stale_seq} TOTAL {}", s.random_number());
    s.send_datagram_as(
        &mut rede,
        stale.as_bytes(),
        1,
        " (atrasada: a resposta de um pedido anterior)",
    )
    .await?;
    serve_add(s, &mut rede, &mut conta).await?;
    s.end().await?;

    s.begin("estranho")?;
    let mut estranho = s.udp_stranger("estranho").await?;
    let seq = conta.seq + 1;
    let (_, reply) = take_request(s, &mut rede, &mut conta).await?;
    let forged = format!("{seq} TOTAL {}", s.random_number());
    let client_at = rede.peer().expect("o cliente já enviou um datagrama");
    s.send_datagram_to(
        &mut estranho,
        client_at,
        forged.as_bytes(),
        " (de outro endereço, para o cliente)",
    )
    .await?;
    s.send_datagram(&mut rede, reply.as_bytes()).await?;
    expect_reply(s, &reply, seq, Some(&forged)).await;
    s.end().await?;

    s.begin("sem-resposta")?;
    no_reply(s, &mut rede, &mut conta, timeout).await?;
    s.end().await?;
    s.stop(Role::Client).await;
    // The learner's server takes the port next.
    drop(rede);

    s.begin("rede-ruim")?;
    bad_network(s).await?;
    s.end().await?;
    Ok(())
}

/// Types `soma <n>`, takes the request, answers it and expects it printed.
async fn serve_add(s: &mut Session, rede: &mut Datagrams, tally: &mut Tally) -> Flow {
    let seq = tally.seq + 1;
    let (_, reply) = take_request(s, rede, tally).await?;
    s.send_datagram(rede, reply.as_bytes()).await?;
    expect_reply(s, &reply, seq, None).await;
    Ok(())
}

/// Types `eco <palavra>`, takes the request, answers it and expects it printed.
async fn serve_echo(s: &mut Session, rede: &mut Datagrams, tally: &mut Tally) -> Flow {
    let word = s.random_word();
    tally.seq += 1;
    let seq = tally.seq;
    s.type_line(&format!("eco {word}")).await?;
    let Some((request, _)) = s.receive_datagram(rede).await else {
        return Err(s.fail().await);
    };
    diagnose_request(s, &request, &format!("{seq} ECO {word}"));
    let reply = format!("{seq} ECO {word}");
    s.send_datagram(rede, reply.as_bytes()).await?;
    expect_reply(s, &reply, seq, None).await;
    Ok(())
}

/// Types `soma <n>` and takes the client's request; returns it, with the time
/// it came, and the reply a correct server gives (the grader's tally grows).
async fn take_request(
    s: &mut Session,
    rede: &mut Datagrams,
    tally: &mut Tally,
) -> Result<((Vec<u8>, Instant), String), crate::session::Stop> {
    let n = s.random_number();
    tally.seq += 1;
    tally.total += n;
    s.name_value(&tally.total.to_string(), "total");
    s.type_line(&format!("soma {n}")).await?;
    let Some(request) = s.receive_datagram(rede).await else {
        return Err(s.fail().await);
    };
    diagnose_request(s, &request.0, &format!("{} SOMA {n}", tally.seq));
    Ok((request, format!("{} TOTAL {}", tally.seq, tally.total)))
}

/// What a request from the learner's client can get wrong beyond its text.
fn diagnose_request(s: &mut Session, request: &[u8], expected: &str) {
    if request.ends_with(b"\n") {
        s.note(
            "E-UDP-QUEBRA-DE-LINHA",
            "O pedido termina com \\n. Em UDP, o próprio datagrama é a mensagem, inteiro: o \
             protocolo não leva \\n no fim (tire o \\n da linha lida do teclado).",
        );
    } else if request != expected.as_bytes()
        && let Some(seq) = std::str::from_utf8(request)
            .ok()
            .and_then(|r| r.split(' ').next())
    {
        let wanted = expected.split(' ').next().unwrap_or_default();
        if seq != wanted {
            s.note(
                "E-BYTES-DIFERENTES",
                format!(
                    "O pedido veio com o seq {seq:?}, e o corretor esperava {wanted}: o \
                     primeiro pedido tem seq 1, e cada pedido novo (não um reenvio) o seguinte."
                ),
            );
        }
    }
}

/// The client must print `Resposta: <reply>` as its next reply line. A line
/// with another seq is a duplicate or a stale reply printed; `forged` is the
/// stranger's datagram, if one was sent.
async fn expect_reply(s: &mut Session, reply: &str, seq: u64, forged: Option<&str>) {
    let deadline = s.deadline();
    expect_reply_until(s, reply, seq, forged, deadline).await;
}

async fn expect_reply_until(
    s: &mut Session,
    reply: &str,
    seq: u64,
    forged: Option<&str>,
    deadline: Instant,
) {
    let wanted = format!("Resposta: {reply}");
    let NextPrinted::Other(line) = s.expect_next_printed("Resposta: ", &wanted, deadline).await
    else {
        return;
    };
    let line = String::from_utf8_lossy(&line).into_owned();
    if forged.is_some_and(|f| line.ends_with(f)) {
        s.note(
            "E-UDP-ACEITOU-ESTRANHO",
            "O cliente imprimiu o datagrama de um estranho, enviado de outro endereço com o \
             seq certo. Um socket com `connect(endereco)` só recebe datagramas do servidor; \
             sem ele, `recv_from` entrega o de qualquer um.",
        );
        return;
    }
    let printed_seq = line
        .split("Resposta: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    let printed_total = line
        .rsplit(" TOTAL ")
        .next()
        .filter(|_| line.contains(" TOTAL "))
        .and_then(|t| t.parse::<u64>().ok());
    let wanted_total = reply
        .split_once(" TOTAL ")
        .and_then(|(_, t)| t.parse::<u64>().ok());
    match printed_seq {
        Some(same) if same == seq && printed_total > wanted_total && wanted_total.is_some() => s
            .note(
                "E-UDP-CONTOU-DUAS-VEZES",
                "O total impresso é maior que a soma dos números: o servidor somou de novo um \
                 pedido repetido, ou uma cópia atrasada de um pedido já atendido (um seq menor \
                 que o último desse cliente). Guarde o último seq e a última resposta de cada \
                 cliente; um seq igual recebe a mesma resposta, e um menor é ignorado.",
            ),
        Some(old) if old < seq => s.note(
            "E-UDP-IMPRIMIU-REPETIDA",
            format!(
                "O cliente imprimiu uma resposta ao pedido {old}, já respondido, enquanto \
                 esperava a do pedido {seq}: uma cópia repetida ou atrasada. Só a resposta \
                 com o seq do pedido atual vale; as outras são ignoradas (compare o seq)."
            ),
        ),
        _ => {}
    }
}

/// The first request is dropped; the retransmission must come after 90% of
/// `TEMPO_RESPOSTA_MS`, the same datagram; then it is answered.
async fn lost_request(
    s: &mut Session,
    rede: &mut Datagrams,
    tally: &mut Tally,
    timeout: Duration,
) -> Flow {
    let seq = tally.seq + 1;
    let ((first, first_at), reply) = take_request(s, rede, tally).await?;
    s.say("[corretor] não responde: a rede perdeu este pedido");
    let deadline = first_at + timeout + s.opts.timeout;
    match s.wait_datagram(rede, deadline).await {
        Arrival::Datagram { bytes, at, .. } => {
            let after = at.duration_since(first_at);
            let earliest = timeout.mul_f64(EARLIEST_RETRANSMISSION);
            let when = if after < earliest {
                s.note(
                    "E-UDP-REENVIO-CEDO",
                    format!(
                        "O cliente reenviou {} ms depois do primeiro envio, antes de {} ms (90% \
                         do prazo de TEMPO_RESPOSTA_MS={}). Reenviar antes do prazo enche a rede \
                         de cópias justamente quando ela está lenta: espere o prazo inteiro.",
                        after.as_millis(),
                        earliest.as_millis(),
                        timeout.as_millis()
                    ),
                );
                "antes do prazo"
            } else {
                "depois do prazo"
            };
            s.say(format!(
                "[corretor] ← {} (reenviado {when})",
                escape(&bytes)
            ));
            if bytes != first {
                s.note(
                    "E-UDP-REENVIO-DIFERENTE",
                    "O reenvio não é o mesmo datagrama do primeiro envio. Uma retransmissão \
                     repete o pedido com o mesmo seq: é assim que o servidor sabe que é o mesmo \
                     pedido, e não um novo.",
                );
            }
        }
        Arrival::PeerExited(how) => {
            s.say(format!("[cliente] {how} sem reenviar o pedido"));
            s.note(
                "E-UDP-SEM-REENVIO",
                "O cliente desistiu depois de um único envio. Sem resposta no prazo, ele \
                 reenvia o mesmo pedido, até 3 vezes, antes de desistir.",
            );
            return Err(s.fail().await);
        }
        Arrival::TimedOut | Arrival::Refused => {
            s.say("[corretor] o cliente não reenviou o pedido");
            s.note(
                "E-UDP-SEM-REENVIO",
                format!(
                    "O corretor não respondeu o pedido e esperou {} ms, e o cliente não o \
                     reenviou. Ele espera a resposta sem prazo? Ponha um com \
                     `set_read_timeout` (de TEMPO_RESPOSTA_MS) e, quando ele acabar, reenvie.",
                    deadline.duration_since(first_at).as_millis()
                ),
            );
            return Err(s.fail().await);
        }
    }
    s.send_datagram(rede, reply.as_bytes()).await?;
    expect_reply(s, &reply, seq, None).await;
    Ok(())
}

/// Nothing is ever answered: four sends, each after the timeout, then
/// `Erro: sem resposta do servidor` on stderr and exit code 3.
async fn no_reply(
    s: &mut Session,
    rede: &mut Datagrams,
    tally: &mut Tally,
    timeout: Duration,
) -> Flow {
    let ((first, first_at), _) = take_request(s, rede, tally).await?;
    let deadline = first_at + timeout * 4 + s.opts.timeout;
    let mut sends = 1;
    let mut last = first_at;
    let mut early = false;
    let mut different = false;
    let exited = loop {
        match s.wait_datagram(rede, deadline).await {
            Arrival::Datagram { bytes, at, .. } => {
                sends += 1;
                early |= at.duration_since(last) < timeout.mul_f64(EARLIEST_RETRANSMISSION);
                different |= bytes != first;
                last = at;
                if sends > 4 {
                    break None;
                }
            }
            Arrival::PeerExited(_) => break Some(Instant::now()),
            Arrival::TimedOut | Arrival::Refused => break None,
        }
    };
    s.say(format!(
        "[corretor] não responde; o cliente enviou o pedido {} vez(es)",
        if sends > 4 {
            "mais de 4".to_owned()
        } else {
            sends.to_string()
        }
    ));
    if sends != 4 {
        s.note(
            "E-UDP-ENVIOS",
            format!(
                "Sem resposta, o cliente enviou o pedido {} vez(es); o combinado é o envio e \
                 três reenvios, quatro ao todo, e então desistir.",
                if sends > 4 {
                    "mais de 4".to_owned()
                } else {
                    sends.to_string()
                }
            ),
        );
    }
    if early {
        s.note(
            "E-UDP-REENVIO-CEDO",
            format!(
                "Um reenvio veio antes de 90% do prazo de TEMPO_RESPOSTA_MS={} depois do \
                 anterior: espere o prazo inteiro a cada tentativa.",
                timeout.as_millis()
            ),
        );
    }
    if different {
        s.note(
            "E-UDP-REENVIO-DIFERENTE",
            "Um reenvio não é o mesmo datagrama do primeiro envio: a retransmissão repete o \
             pedido com o mesmo seq.",
        );
    }
    // The last try waits its whole timeout too, before giving up.
    if let Some(exited) = exited
        && sends == 4
        && exited.duration_since(last) < timeout.mul_f64(EARLIEST_RETRANSMISSION)
    {
        s.say("[cliente] desistiu logo depois do último envio, sem esperar o prazo dele");
        s.note(
            "E-UDP-DESISTIU-CEDO",
            format!(
                "O cliente desistiu {} ms depois do quarto envio, antes do prazo de \
                 TEMPO_RESPOSTA_MS={}: a resposta ao último envio ainda podia chegar. Espere o \
                 prazo da última tentativa também.",
                exited.duration_since(last).as_millis(),
                timeout.as_millis()
            ),
        );
    }
    s.wait_exit(Role::Client).await?;
    let code = s
        .program(Role::Client)
        .and_then(|p| p.try_status())
        .and_then(|status| status.code());
    if code != Some(3) {
        s.note(
            "E-CODIGO-DE-SAIDA",
            "Depois de quatro envios sem resposta, o cliente termina com o código 3 \
             (`ExitCode::from(3)`): é assim que um script sabe que o servidor não respondeu.",
        );
    }
    s.expect_stderr_line(Role::Client, "Erro: sem resposta do servidor")
        .await;
    Ok(())
}

/// The learner's client and server through the grader's bad network. Without
/// the learner's server (`--client-cmd` alone), the grader serves, correctly.
async fn bad_network(s: &mut Session) -> Flow {
    let port = s.port().expect("a porta da execução já foi escolhida");
    let own_server = if s.wants(Role::Server) {
        s.start(Role::Server).await?;
        None
    } else {
        // The same line as a learner's server: the golden transcript is one. The
        // server is the grader's own here, and the timeline says so.
        s.say(format!("[corretor] inicia o servidor com PORTA={port}"));
        s.trace("o servidor é o do corretor: só o cliente está sendo avaliado");
        match reference_server(port).await {
            Ok(task) => Some(task),
            Err(why) => {
                s.say(format!("[corretor] não conseguiu abrir a porta UDP: {why}"));
                return Err(s.fail().await);
            }
        }
    };
    // The server must be receiving before the client's first request, or the
    // network's losses would not be the only ones.
    let mut probe = match s.udp_client_quietly("sonda").await {
        Ok(probe) => probe,
        Err(why) => {
            s.say(format!(
                "[corretor] não conseguiu abrir um socket UDP: {why}"
            ));
            return Err(s.fail().await);
        }
    };
    let word = s.random_word();
    let ready = probe_ready(s, &mut probe, &word).await;
    drop(probe);
    if !ready {
        s.say("[servidor] não respondeu antes da rede ruim começar");
        return Err(s.fail().await);
    }
    let config = rede_ruim::Config {
        loss_percent: 20,
        duplicate_percent: 10,
        max_delay: Duration::from_millis(50),
        seed: s.opts.seed ^ 0x0606_0606_0606_0606,
        max_consecutive_losses: Some(1),
    };
    let relay = s.bad_network(config, port).await?;
    let env = [("TEMPO_RESPOSTA_MS", RELAY_CLIENT_TIMEOUT_MS.to_string())];
    s.start_on_port(Role::Client, relay.port, &env).await?;
    let timeout = Duration::from_millis(RELAY_CLIENT_TIMEOUT_MS);
    let mut tally = Tally::default();
    for i in 1..=RELAY_REQUESTS {
        tally.seq += 1;
        let reply = if i % ECHO_EVERY == 0 {
            let word = s.random_word();
            s.type_line(&format!("eco {word}")).await?;
            format!("{} ECO {word}", tally.seq)
        } else {
            let n = s.random_number();
            tally.total += n;
            s.name_value(&tally.total.to_string(), "total");
            s.type_line(&format!("soma {n}")).await?;
            format!("{} TOTAL {}", tally.seq, tally.total)
        };
        // Four tries and the network's delays, with room for a busy machine.
        let deadline = Instant::now() + timeout * 4 + s.opts.timeout;
        expect_reply_until(s, &reply, tally.seq, None, deadline).await;
        if s.gave_up() {
            break;
        }
    }
    diagnose_bad_network(s);
    if !s.gave_up() {
        s.type_line("sair").await?;
        s.wait_exit(Role::Client).await?;
    }
    let stats = relay.stop().await;
    let summary = stats.describe();
    s.trace(&format!("[rede ruim] {summary}"));
    if let Some(task) = own_server {
        task.abort();
    }
    s.stop(Role::Client).await;
    s.stop(Role::Server).await;
    Ok(())
}

/// A client that gave up through the bad network: four tries always suffice there.
fn diagnose_bad_network(s: &mut Session) {
    let gave_up = s
        .program(Role::Client)
        .and_then(|p| p.try_status())
        .is_some_and(|status| status.code() == Some(3));
    if gave_up {
        s.note(
            "E-UDP-DESISTIU",
            "O cliente desistiu (código 3) através da rede ruim. Ela nunca perde dois \
             datagramas seguidos no mesmo sentido, então quatro tentativas sempre bastam: \
             confira se o cliente reenvia o mesmo pedido ao fim de cada prazo, e se o \
             servidor responde de novo a um pedido repetido.",
        );
    }
}

/// Sends `0 ECO <word>` until the server answers it (resending while nobody
/// is bound to the port), within the run's deadline.
async fn probe_ready(s: &mut Session, probe: &mut Datagrams, word: &str) -> bool {
    let request = format!("0 ECO {word}");
    let deadline = s.deadline();
    let mut backoff = Duration::from_millis(5);
    while Instant::now() < deadline {
        let _ = probe.send_quietly(request.as_bytes()).await;
        let this_try = (Instant::now() + Duration::from_millis(200)).min(deadline);
        match s.wait_datagram(probe, this_try).await {
            Arrival::Datagram { bytes, .. } if bytes == request.as_bytes() => return true,
            Arrival::PeerExited(_) => return false,
            Arrival::Refused => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(100));
            }
            _ => {}
        }
    }
    false
}

/// The grader's own server for `rede-ruim` when only the client is graded: the
/// protocol, correct, with the memory of the last reply per address.
async fn reference_server(port: u16) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let socket = tokio::net::UdpSocket::bind(crate::wire::loopback(port)).await?;
    Ok(tokio::spawn(async move {
        let mut last: std::collections::HashMap<std::net::SocketAddr, (u64, u64, Vec<u8>)> =
            std::collections::HashMap::new();
        let mut buffer = vec![0u8; crate::session::MAX_DATAGRAM];
        loop {
            let Ok((len, from)) = socket.recv_from(&mut buffer).await else {
                continue;
            };
            let text = String::from_utf8_lossy(&buffer[..len]).into_owned();
            let mut parts = text.splitn(3, ' ');
            let (Some(Ok(seq)), Some(command), argument) = (
                parts.next().map(str::parse::<u64>),
                parts.next(),
                parts.next().unwrap_or(""),
            ) else {
                let _ = socket.send_to(b"0 ERRO pedido sem seq", from).await;
                continue;
            };
            let entry = last.entry(from).or_insert((0, 0, Vec::new()));
            if seq == entry.0 && !entry.2.is_empty() {
                let _ = socket.send_to(&entry.2, from).await;
                continue;
            }
            if seq < entry.0 {
                continue;
            }
            let reply = match (command, argument.trim().parse::<u64>()) {
                ("SOMA", Ok(n)) => {
                    entry.1 += n;
                    format!("{seq} TOTAL {}", entry.1)
                }
                ("ECO", _) => format!("{seq} ECO {argument}"),
                _ => format!("{seq} ERRO pedido desconhecido"),
            };
            *entry = (seq, entry.1, reply.clone().into_bytes());
            let _ = socket.send_to(reply.as_bytes(), from).await;
        }
    }))
}
