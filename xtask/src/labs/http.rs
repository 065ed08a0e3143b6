//! Lab 08: an HTTP/1.1 static-file server written by hand, and a client that
//! GETs one URL. The grader first speaks raw HTTP to the server, one rule per
//! step (framing, types, folders, status codes, keep-alive, paths that try to
//! leave the folder, limits, a trickled request, many clients, the idle limit),
//! then lets two clients no one here wrote talk to it: curl and a headless
//! Chromium. Then it plays the server for the learner's client.
//!
//! The served folder (`PASTA`) is one the grader prepares: files whose content
//! it draws at random, a copy of the lab's site for the browser, and a secret
//! file beside the folder, which no request may reach.

use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use crate::lab::{Lab, Role, Step};
use crate::process::Extra;
use crate::session::{Body, Conn, Flow, Session, Stop, Tool, read_response};
use crate::transcript::escape;
use crate::wire::{self, Ending};

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "08",
    dir: "08-http",
    title: "Servidor HTTP",
    chapters: &["08-http/servidor-http.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "get-e-fecha",
            role: Role::Server,
            title: "GET / com `Connection: close`: linha de status, corpo, e a conexão fecha",
            hint: "Leia o pedido até a linha vazia (`\\r\\n\\r\\n`), responda \
                   `HTTP/1.1 200 OK\\r\\n`, os cabeçalhos, uma linha vazia e os bytes do \
                   `index.html` da pasta; o pedido pediu `Connection: close`, então feche.",
            book: "08-http/servidor-http.md#anatomia",
            required: true,
        },
        Step {
            id: "cabecalhos",
            role: Role::Server,
            title: "Content-Length e Content-Type certos para texto, CSS, PNG e binário",
            hint: "`Content-Length` é o tamanho do corpo em bytes (`metadata().len()`); \
                   `Content-Type` vem da extensão (`text/plain; charset=utf-8`, \
                   `text/css; charset=utf-8`, `image/png`, `application/octet-stream`). \
                   Envie os bytes do arquivo como estão, sem passar por `String`.",
            book: "08-http/servidor-http.md#resposta",
            required: true,
        },
        Step {
            id: "pasta-e-index",
            role: Role::Server,
            title: "uma pasta é servida pelo index.html dela",
            hint: "Se o caminho pedido é uma pasta (`is_dir()`), sirva o `index.html` de \
                   dentro dela, com ou sem a barra no fim.",
            book: "08-http/servidor-http.md#caminho",
            required: true,
        },
        Step {
            id: "nao-encontrado",
            role: Role::Server,
            title: "o que não existe recebe 404 Not Found, com uma página HTML",
            hint: "Arquivo que não existe: `HTTP/1.1 404 Not Found`, `Content-Type: \
                   text/html; charset=utf-8`, o `Content-Length` da página e a página.",
            book: "08-http/servidor-http.md#status",
            required: true,
        },
        Step {
            id: "percent-encoding",
            role: Role::Server,
            title: "um nome com espaço e acento chega em percent-encoding (%20, %C3%A7)",
            hint: "O navegador manda `com espaço.txt` como `com%20espa%C3%A7o.txt`: troque \
                   cada `%XX` pelo byte XX (hexadecimal) e só então procure o arquivo.",
            book: "08-http/servidor-http.md#percent",
            required: true,
        },
        Step {
            id: "head",
            role: Role::Server,
            title: "HEAD recebe os mesmos cabeçalhos de um GET, sem corpo",
            hint: "Para `HEAD`, escreva o cabeçalho inteiro, com o `Content-Length` que o \
                   GET teria, e não escreva corpo nenhum.",
            book: "08-http/servidor-http.md#metodos",
            required: true,
        },
        Step {
            id: "metodo-nao-permitido",
            role: Role::Server,
            title: "outro método recebe 405 Method Not Allowed, com o cabeçalho Allow",
            hint: "Um servidor de arquivos só sabe ler: para qualquer método que não seja \
                   GET nem HEAD, responda 405 com `Allow: GET, HEAD` e feche.",
            book: "08-http/servidor-http.md#metodos",
            required: true,
        },
        Step {
            id: "pedido-malformado",
            role: Role::Server,
            title: "uma linha de pedido malformada recebe 400 Bad Request, e a conexão fecha",
            hint: "A linha do pedido tem exatamente três partes separadas por espaço: método, \
                   alvo (começando com `/`) e versão (`HTTP/1.1` ou `HTTP/1.0`). Fora disso, \
                   400 com `Connection: close`, e feche: não dá para saber onde o próximo \
                   pedido começaria.",
            book: "08-http/servidor-http.md#status",
            required: true,
        },
        Step {
            id: "keep-alive",
            role: Role::Server,
            title: "vários pedidos na mesma conexão (keep-alive), dois deles colados",
            hint: "No HTTP/1.1 a conexão continua aberta depois da resposta: leia o próximo \
                   pedido num laço, com o MESMO `BufReader` (os bytes que sobraram nele já são \
                   do pedido seguinte), até o cliente fechar ou pedir `Connection: close`.",
            book: "08-http/servidor-http.md#keep-alive",
            required: true,
        },
        Step {
            id: "fora-da-pasta",
            role: Role::Server,
            title: "`/../`, `%2e%2e` e `..%2f` nunca chegam a um arquivo fora de PASTA",
            hint: "Decodifique o percent-encoding primeiro, depois separe o caminho nos `/` \
                   e recuse (400) qualquer pedaço `..`. `Path::join` não protege: \
                   `pasta.join(\"../segredo\")` sai da pasta.",
            book: "08-http/servidor-http.md#fora-da-pasta",
            required: true,
        },
        Step {
            id: "limites",
            role: Role::Server,
            title: "alvo de mais de 8 KiB recebe 414; cabeçalhos de mais de 8 KiB, 431",
            hint: "Leia cada linha com `take(limite + 1)` antes do `read_until`: a linha do \
                   pedido acima de 8 KiB é um 414 URI Too Long, os cabeçalhos que juntos \
                   passam de 8 KiB, um 431 Request Header Fields Too Large. Depois de \
                   responder, feche com calma (`shutdown(Write)` e leia o que sobrou).",
            book: "08-http/servidor-http.md#limites",
            required: true,
        },
        Step {
            id: "um-byte-por-vez",
            role: Role::Server,
            title: "um pedido que chega um byte por vez é atendido",
            hint: "Uma leitura pode trazer um byte só: junte as linhas com `BufRead` \
                   (`read_until`) em vez de tratar cada `read` como um pedido inteiro.",
            book: "08-http/servidor-http.md#anatomia",
            required: true,
        },
        Step {
            id: "simultaneos",
            role: Role::Server,
            title: "um cliente calado não trava os outros; 20 clientes com keep-alive ao mesmo tempo",
            hint: "Atenda cada conexão numa thread (`thread::spawn`): uma conexão parada no \
                   meio de um pedido não pode impedir o `accept` das próximas.",
            book: "08-http/servidor-http.md#simultaneos",
            required: true,
        },
        Step {
            id: "tempo-limite",
            role: Role::Server,
            title: "uma conexão keep-alive calada fecha depois de TEMPO_LIMITE_MS",
            hint: "`set_read_timeout(Some(tempo_limite()))` na conexão: a leitura do próximo \
                   pedido falha com `WouldBlock`/`TimedOut` quando o prazo passa, e aí o \
                   servidor fecha a conexão.",
            book: "08-http/servidor-http.md#prazo",
            required: true,
        },
        Step {
            id: "curl",
            role: Role::Server,
            title: "o curl baixa dois arquivos numa conexão só",
            hint: "O curl confere o que você mandou: status, `Content-Length`, \
                   `Content-Type` e o corpo, e só reaproveita a conexão se a resposta \
                   anterior terminou onde o `Content-Length` disse. Rode `curl -v` nas duas \
                   URLs e leia o que ele diz.",
            book: "08-http/servidor-http.md#curl",
            required: true,
        },
        Step {
            id: "navegador",
            role: Role::Server,
            title: "um Chromium de verdade carrega a página, o CSS e a imagem, sem erros",
            hint: "O navegador pede `/site/`, depois `estilo.css` e `tomada.png`, na mesma \
                   conexão ou em outras. Abra `http://127.0.0.1:8080/` no seu navegador com \
                   o servidor rodando: a página diz o que chegou.",
            book: "08-http/servidor-http.md#navegador",
            required: true,
        },
        Step {
            id: "cliente-get",
            role: Role::Client,
            title: "o cliente envia um GET com Host e imprime a linha de status e o corpo",
            hint: "Envie `GET <caminho> HTTP/1.1\\r\\nHost: <host>:<porta>\\r\\n` e a linha \
                   vazia; leia a linha de status e os cabeçalhos até a linha vazia; leia \
                   exatamente `Content-Length` bytes de corpo (o servidor não fecha!) e \
                   termine.",
            book: "08-http/servidor-http.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-ate-fechar",
            role: Role::Client,
            title: "sem Content-Length, o cliente lê o corpo até o servidor fechar",
            hint: "Quando a resposta não traz `Content-Length`, o corpo vai até o fim da \
                   conexão: copie tudo o que chegar até o EOF (`io::copy`).",
            book: "08-http/servidor-http.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-corpo-cortado",
            role: Role::Client,
            title: "um corpo mais curto que o Content-Length é um erro (código 4)",
            hint: "Conte os bytes copiados: menos que o `Content-Length` quando a conexão \
                   fecha é uma resposta cortada. Diga `Erro: ...` na saída de erro e saia \
                   com o código 4.",
            book: "08-http/servidor-http.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-sem-servidor",
            role: Role::Client,
            title: "ninguém na porta: `Erro: ...` e código 2, sem pânico",
            hint: "`TcpStream::connect` devolve `ConnectionRefused` quando ninguém escuta: \
                   escreva `Erro: ...` na saída de erro e saia com o código 2.",
            book: "08-http/servidor-http.md#cliente",
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

/// The idle limit the `tempo-limite` step gives the server.
const IDLE_LIMIT: Duration = Duration::from_millis(500);
/// Clients and requests per client in the load part of `simultaneos`.
const CROWD: usize = 20;
const CROWD_REQUESTS: usize = 5;
/// How long curl or Chromium may take: a browser starting on a busy machine
/// takes seconds. A deadline, never a wait: the tool's exit ends it.
const TOOL_LIMIT: Duration = Duration::from_secs(60);

/// What the grader put in the served folder, to compare the bodies with.
struct Scene {
    /// `PASTA`.
    served: PathBuf,
    /// The folder around it, which the server's sandbox may read (the secret
    /// beside `PASTA` included: the sandbox must not hide a traversal, which
    /// is what `fora-da-pasta` exists to catch).
    around: PathBuf,
    png: Vec<u8>,
    binary: Vec<u8>,
    secret: String,
}

/// Writes the grader's files: text with random words (redacted in the
/// transcript), a PNG-named and a binary file of random bytes, a copy of the
/// lab's site for the browser, and `segredo.txt` beside the folder.
async fn prepare(s: &mut Session) -> Result<Scene, Stop> {
    let around = s.grader_folder().await?;
    let served = around.join("publica");
    let index = format!(
        "<!DOCTYPE html>\n<p>página inicial do corretor: {}</p>\n",
        s.random_word()
    );
    let ola = format!("olá {}\n", s.random_word());
    let css = format!("p {{ color: #146e5a; }} /* {} */\n", s.random_word());
    let espaco = format!("com espaço {}\n", s.random_word());
    let docs = format!("<p>índice da pasta docs: {}</p>\n", s.random_word());
    let secret = format!("segredo {}", s.random_word());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..292).map(|_| s.rng.u8(..)));
    // Large enough to need many writes, and full of bytes that are not UTF-8.
    let binary: Vec<u8> = (0..300_000).map(|_| s.rng.u8(..)).collect();
    // The lab's site, for the browser step (a submission graded elsewhere may
    // lack it: that step then says the page did not come).
    let site = crate::check::workbook_root()
        .ok()
        .map(|root| root.join("labs/08-http/site"))
        .filter(|site| site.is_dir());
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(served.join("docs"))?;
        std::fs::write(served.join("index.html"), &index)?;
        std::fs::write(served.join("ola.txt"), &ola)?;
        std::fs::write(served.join("estilo.css"), &css)?;
        std::fs::write(served.join("com espaço.txt"), &espaco)?;
        std::fs::write(served.join("docs/index.html"), &docs)?;
        std::fs::write(served.join("tomada.png"), &png)?;
        std::fs::write(served.join("dados.bin"), &binary)?;
        std::fs::write(around.join("segredo.txt"), format!("{secret}\n"))?;
        if let Some(site) = &site {
            std::fs::create_dir_all(served.join("site"))?;
            for entry in std::fs::read_dir(site)?.flatten() {
                if entry.path().is_file() {
                    std::fs::copy(entry.path(), served.join("site").join(entry.file_name()))?;
                }
            }
        }
        Ok(())
    })();
    if let Err(error) = written {
        s.say(format!(
            "[corretor] não conseguiu preparar a pasta servida: {error}"
        ));
        return Err(s.fail().await);
    }
    Ok(Scene {
        served,
        around,
        png,
        binary,
        secret,
    })
}

fn server_env(scene: &Scene) -> [(&'static str, String); 1] {
    [("PASTA", scene.served.display().to_string())]
}

fn server_extra(scene: &Scene) -> Extra {
    Extra {
        args: Vec::new(),
        read: vec![scene.around.clone()],
    }
}

/// A GET (or another method) for `target`, with `extra` header lines.
fn request(s: &Session, method: &str, target: &str, extra: &str) -> Vec<u8> {
    let port = s.port().unwrap_or_default();
    format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n").into_bytes()
}

const CLOSE: &str = "Connection: close\r\n";

/// One request on a fresh connection, the response recorded, then the close
/// the request asked for.
async fn one_shot(
    s: &mut Session,
    actor: &str,
    bytes: &[u8],
    body: Body<'_>,
    headers: bool,
) -> Flow {
    let mut conn = s.connect(actor).await?;
    s.send(&mut conn, bytes).await?;
    if s.receive_response(&mut conn, body, headers).await.is_some() {
        s.expect_http_close(&mut conn).await;
    }
    Ok(())
}

async fn servidor(s: &mut Session) -> Flow {
    s.begin("get-e-fecha")?;
    let scene = prepare(s).await?;
    s.start_with(Role::Server, &server_env(&scene), server_extra(&scene))
        .await?;
    let pedido = request(s, "GET", "/", CLOSE);
    one_shot(s, "cliente 1", &pedido, Body::Text, false).await?;
    s.end().await?;

    s.begin("cabecalhos")?;
    for (i, target) in ["/ola.txt", "/estilo.css"].into_iter().enumerate() {
        let pedido = request(s, "GET", target, CLOSE);
        one_shot(s, &format!("cliente {}", i + 2), &pedido, Body::Text, true).await?;
    }
    let files: [(&str, &[u8]); 2] = [("tomada.png", &scene.png), ("dados.bin", &scene.binary)];
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        let pedido = request(s, "GET", &format!("/{name}"), CLOSE);
        let body = Body::File { name, bytes };
        one_shot(s, &format!("cliente {}", i + 4), &pedido, body, true).await?;
    }
    s.end().await?;

    s.begin("pasta-e-index")?;
    for (i, target) in ["/docs/", "/docs"].into_iter().enumerate() {
        let pedido = request(s, "GET", target, CLOSE);
        one_shot(s, &format!("cliente {}", i + 6), &pedido, Body::Text, true).await?;
    }
    s.end().await?;

    s.begin("nao-encontrado")?;
    for (i, target) in ["/nada.html", "/docs/nada.txt"].into_iter().enumerate() {
        let pedido = request(s, "GET", target, CLOSE);
        one_shot(
            s,
            &format!("cliente {}", i + 8),
            &pedido,
            Body::ErrorPage,
            true,
        )
        .await?;
    }
    s.end().await?;

    s.begin("percent-encoding")?;
    for (i, target) in ["/com%20espa%C3%A7o.txt", "/%6Fla.txt"]
        .into_iter()
        .enumerate()
    {
        let pedido = request(s, "GET", target, CLOSE);
        one_shot(s, &format!("cliente {}", i + 10), &pedido, Body::Text, true).await?;
    }
    s.end().await?;

    s.begin("head")?;
    for (i, target) in ["/ola.txt", "/nada.html"].into_iter().enumerate() {
        let pedido = request(s, "HEAD", target, CLOSE);
        one_shot(s, &format!("cliente {}", i + 12), &pedido, Body::Head, true).await?;
    }
    s.end().await?;

    s.begin("metodo-nao-permitido")?;
    let pedido = request(s, "DELETE", "/ola.txt", CLOSE);
    one_shot(s, "cliente 14", &pedido, Body::ErrorPage, true).await?;
    s.end().await?;

    s.begin("pedido-malformado")?;
    one_shot(s, "cliente 15", b"oi\r\n\r\n", Body::ErrorPage, true).await?;
    let pedido = request(s, "GET", "ola.txt", "");
    one_shot(s, "cliente 16", &pedido, Body::ErrorPage, true).await?;
    s.end().await?;

    s.begin("keep-alive")?;
    keep_alive(s).await?;
    s.end().await?;

    s.begin("fora-da-pasta")?;
    outside(s, &scene).await?;
    s.end().await?;

    s.begin("limites")?;
    let longo = format!("/{}", "a".repeat(9 * 1024));
    let pedido = request(s, "GET", &longo, CLOSE);
    one_shot(s, "cliente 22", &pedido, Body::ErrorPage, true).await?;
    let enchimento: String = (1..=10)
        .map(|i| format!("X-Enchimento-{i}: {}\r\n", "x".repeat(1000)))
        .collect();
    let pedido = request(s, "GET", "/ola.txt", &format!("{enchimento}{CLOSE}"));
    one_shot(s, "cliente 23", &pedido, Body::ErrorPage, true).await?;
    s.end().await?;

    s.begin("um-byte-por-vez")?;
    let mut lento = s.connect("cliente 24").await?;
    let pedido = request(s, "GET", "/ola.txt", CLOSE);
    s.send_bytewise(&mut lento, &pedido).await?;
    if s.receive_response(&mut lento, Body::Text, true)
        .await
        .is_some()
    {
        s.expect_http_close(&mut lento).await;
    }
    s.end().await?;

    s.begin("simultaneos")?;
    simultaneos(s, &scene).await?;
    s.end().await?;

    s.begin("tempo-limite")?;
    let idle = [
        server_env(&scene)[0].clone(),
        ("TEMPO_LIMITE_MS", IDLE_LIMIT.as_millis().to_string()),
    ];
    s.restart_server_with(&idle, server_extra(&scene)).await?;
    idle_connection(s).await?;
    s.end().await?;

    // The idle limit off again: a browser may leave a connection idle a moment.
    s.begin("curl")?;
    s.restart_server_with(&server_env(&scene), server_extra(&scene))
        .await?;
    // curl tries once: the grader's own connection waits for the listener first.
    let sonda = s.connect("sonda do corretor").await?;
    s.close(sonda).await;
    if let Err(flow) = curl(s, &scene).await {
        flow?;
    } else {
        s.end().await?;
    }

    s.begin("navegador")?;
    if let Err(flow) = chromium(s).await {
        flow?;
    } else {
        s.end().await?;
    }
    s.stop(Role::Server).await;
    Ok(())
}

/// Three requests on one connection, then two sent in one write (the server
/// must keep what it read past the first), then one asking to close.
async fn keep_alive(s: &mut Session) -> Flow {
    let mut conn = s.connect("cliente 17").await?;
    for target in ["/", "/ola.txt", "/docs/"] {
        let pedido = request(s, "GET", target, "");
        s.send(&mut conn, &pedido).await?;
        if s.receive_response(&mut conn, Body::Text, false)
            .await
            .is_none()
        {
            return Ok(());
        }
    }
    let primeiro = request(s, "GET", "/estilo.css", "");
    let segundo = request(s, "GET", "/com%20espa%C3%A7o.txt", "");
    s.say("[cliente 17] envia dois pedidos colados, numa escrita só");
    s.send_together(&mut conn, &[&primeiro, &segundo]).await?;
    for _ in 0..2 {
        if s.receive_response(&mut conn, Body::Text, false)
            .await
            .is_none()
        {
            return Ok(());
        }
    }
    let ultimo = request(s, "GET", "/ola.txt", CLOSE);
    s.send(&mut conn, &ultimo).await?;
    if s.receive_response(&mut conn, Body::Text, true)
        .await
        .is_some()
    {
        s.expect_http_close(&mut conn).await;
    }
    Ok(())
}

/// Targets that try to leave the folder for `segredo.txt`, beside it. Any
/// refusal (400, 403, 404) passes, as long as the secret does not come.
async fn outside(s: &mut Session, scene: &Scene) -> Flow {
    let targets = [
        "/../segredo.txt",
        "/%2e%2e/segredo.txt",
        "/docs/..%2f..%2fsegredo.txt",
        "/%2E%2E%2F%2E%2E%2Fpublica%2F..%2Fsegredo.txt",
    ];
    for (i, target) in targets.into_iter().enumerate() {
        let actor = format!("cliente {}", i + 18);
        let mut conn = s.connect(&actor).await?;
        let pedido = request(s, "GET", target, CLOSE);
        s.send(&mut conn, &pedido).await?;
        let outcome = read_response(&mut conn, s.deadline(), false).await;
        match outcome {
            Ok(r) => {
                let leaked = r
                    .body
                    .windows(scene.secret.len())
                    .any(|w| w == scene.secret.as_bytes());
                let refused = matches!(r.code, Some(400 | 403 | 404));
                if refused && !leaked {
                    s.say(format!(
                        "[{actor}] ← recusado (400, 403 ou 404), sem o segredo"
                    ));
                } else {
                    s.say(format!("[{actor}] ← {}", r.status_line));
                    s.say(format!("[{actor}] ← corpo: {}", escape(&r.body)));
                    if leaked {
                        s.note(
                            "E-HTTP-FORA-DA-PASTA",
                            format!(
                                "O pedido de {target} recebeu o conteúdo de segredo.txt, que \
                                 fica FORA da pasta servida: qualquer um leria qualquer \
                                 arquivo do seu computador assim (`/../../.ssh/id_ed25519`). \
                                 Decodifique o percent-encoding, separe o caminho nos `/` e \
                                 recuse com 400 qualquer pedaço `..`."
                            ),
                        );
                    }
                }
            }
            Err(_) => {
                s.say(format!("[{actor}] não recebeu uma resposta inteira"));
                s.note(
                    "E-HTTP-SEM-RESPOSTA",
                    format!(
                        "O pedido de {target} ficou sem resposta. Um caminho que tenta sair da \
                         pasta merece uma resposta de erro (400), não o silêncio nem um pânico."
                    ),
                );
            }
        }
        s.close(conn).await;
    }
    Ok(())
}

/// A client stuck halfway through its request line while another is served;
/// then a crowd, each client with several requests on its own connection.
async fn simultaneos(s: &mut Session, scene: &Scene) -> Flow {
    let mut calado = s.connect("cliente 25").await?;
    s.send(&mut calado, b"GET /ola").await?;
    s.say("[cliente 25] para no meio da linha do pedido");
    let pedido = request(s, "GET", "/docs/", CLOSE);
    one_shot(s, "cliente 26", &pedido, Body::Text, false).await?;
    let port = s.port().unwrap_or_default();
    let resto = format!(".txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{CLOSE}\r\n");
    s.send(&mut calado, resto.as_bytes()).await?;
    if s.receive_response(&mut calado, Body::Text, false)
        .await
        .is_some()
    {
        s.expect_http_close(&mut calado).await;
    }

    let expected = std::fs::read(scene.served.join("ola.txt")).unwrap_or_default();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CROWD {
        let conn = match s.connect_quietly(&format!("cliente {}", 27 + i)).await {
            Ok(conn) => conn,
            Err(why) => {
                s.say(format!(
                    "[cliente {}] não conseguiu conectar: {why}",
                    27 + i
                ));
                return Err(s.fail().await);
            }
        };
        let pedido = request(s, "GET", "/ola.txt", "");
        let expected = expected.clone();
        let deadline = s.deadline();
        tasks.spawn(crowd_client(conn, pedido, expected, deadline));
    }
    let mut right = 0;
    let mut problems = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(n)) => right += n,
            Ok(Err((n, why))) => {
                right += n;
                problems.push(why);
            }
            Err(error) => problems.push(error.to_string()),
        }
    }
    let total = CROWD * CROWD_REQUESTS;
    s.say(format!(
        "[{CROWD} clientes ao mesmo tempo, {CROWD_REQUESTS} pedidos cada, keep-alive] {right} de {total} respostas certas"
    ));
    if let Some(first) = problems.first() {
        s.say(format!("[corretor] primeiro problema: {first}"));
        s.note(
            "E-HTTP-MUITOS-CLIENTES",
            format!(
                "Com {CROWD} clientes ao mesmo tempo, {} de {total} respostas não vieram certas \
                 ({first}). Cada conexão numa thread própria, e cada uma com o seu laço de \
                 keep-alive.",
                total - right
            ),
        );
    }
    Ok(())
}

/// One client of the crowd: its requests, one after the other, on one connection.
async fn crowd_client(
    mut conn: Conn,
    pedido: Vec<u8>,
    expected: Vec<u8>,
    deadline: Instant,
) -> Result<usize, (usize, String)> {
    let mut right = 0;
    for i in 0..CROWD_REQUESTS {
        if let Err(error) = conn.stream.write_all(&pedido).await {
            return Err((
                right,
                format!(
                    "{}: pedido {}: {}",
                    conn.actor,
                    i + 1,
                    wire::describe_error(&error)
                ),
            ));
        }
        match read_response(&mut conn, deadline, false).await {
            Ok(r) if r.code == Some(200) && r.body == expected => right += 1,
            Ok(r) => {
                return Err((
                    right,
                    format!("{}: pedido {}: {}", conn.actor, i + 1, r.status_line),
                ));
            }
            Err(_) => {
                return Err((
                    right,
                    format!("{}: pedido {}: sem resposta inteira", conn.actor, i + 1),
                ));
            }
        }
    }
    Ok(right)
}

/// One request kept alive, then silence: the server must close the idle
/// connection after its limit, not at once and not never; and still serve.
async fn idle_connection(s: &mut Session) -> Flow {
    let mut calado = s.connect("cliente 47").await?;
    let pedido = request(s, "GET", "/ola.txt", "");
    s.send(&mut calado, &pedido).await?;
    if s.receive_response(&mut calado, Body::Text, false)
        .await
        .is_none()
    {
        return Ok(());
    }
    let since = Instant::now();
    s.say(format!(
        "[cliente 47] fica calado, com a conexão aberta (TEMPO_LIMITE_MS={})",
        IDLE_LIMIT.as_millis()
    ));
    let deadline = since + IDLE_LIMIT + s.opts.timeout;
    let (data, ending) =
        wire::read_until_close(&mut calado.stream, 1 << 16, deadline, |_| {}).await;
    let waited = since.elapsed();
    if !data.is_empty() {
        s.say(format!("[cliente 47] ← {}", escape(&data)));
    }
    match ending {
        Ending::Closed | Ending::Broken(_) if waited >= IDLE_LIMIT / 2 => {
            s.say("[cliente 47] o servidor fechou a conexão ociosa");
        }
        Ending::Closed | Ending::Broken(_) => {
            s.say("[cliente 47] o servidor fechou a conexão logo depois da resposta");
            s.note(
                "E-HTTP-FECHOU-CEDO",
                format!(
                    "A conexão fechou {} ms depois da resposta, muito antes do prazo de {} ms. \
                     Sem `Connection: close`, ela continua aberta à espera do próximo pedido.",
                    waited.as_millis(),
                    IDLE_LIMIT.as_millis()
                ),
            );
        }
        _ => {
            let after = crate::session::seconds_text(waited);
            s.say(format!(
                "[cliente 47] a conexão ociosa continua aberta depois de {after}"
            ));
            s.note(
                "E-HTTP-SEM-PRAZO",
                format!(
                    "Com TEMPO_LIMITE_MS={}, a conexão calada continuou aberta por {after}. \
                     Cada conexão ociosa é uma thread parada e um descritor ocupado: ponha \
                     `set_read_timeout(Some(tempo_limite()))` na conexão e feche quando a \
                     leitura do próximo pedido esgotar o prazo.",
                    IDLE_LIMIT.as_millis()
                ),
            );
        }
    }
    calado.ending = Some(Ending::Closed);
    drop(calado);
    let pedido = request(s, "GET", "/ola.txt", CLOSE);
    one_shot(s, "cliente 48", &pedido, Body::Text, false).await
}

/// curl fetches two files in one run: it must reuse the connection for the
/// second (it only does when the first response ended where it said).
async fn curl(s: &mut Session, scene: &Scene) -> Result<(), Flow> {
    let program = s
        .need_tool(Tool::find(
            "TOMADA_CURL",
            &["curl"],
            "instale com `sudo apt-get install curl` (Debian/Ubuntu) ou `brew install curl` (macOS)",
        ))
        .await?;
    let port = s.port().unwrap_or_default();
    let out = |name: &str| scene.around.join(name);
    let urls = [
        format!("http://127.0.0.1:{port}/ola.txt"),
        format!("http://127.0.0.1:{port}/tomada.png"),
    ];
    let mut args: Vec<OsString> = ["-sS", "-v", "--max-time", "10", "-w"]
        .map(OsString::from)
        .to_vec();
    args.push("%{http_code}|%{content_type}|%{size_download}|%{num_connects}\n".into());
    for (i, url) in urls.iter().enumerate() {
        args.push("-o".into());
        args.push(out(&format!("curl-{i}")).into());
        args.push(url.into());
    }
    s.say(format!("[corretor] roda curl -v {} {}", urls[0], urls[1]));
    let run = s.run_tool(&program, &args, TOOL_LIMIT).await;
    let verbose = String::from_utf8_lossy(&run.stderr).into_owned();
    if !run.status.is_some_and(|st| st.success()) {
        let last = verbose
            .lines()
            .rfind(|l| l.starts_with("curl:"))
            .unwrap_or("");
        s.say(format!("[curl] falhou: {last}"));
        s.note(
            "E-HTTP-CURL",
            format!("O curl não completou as duas transferências: {last}. Rode o mesmo comando e leia o que o -v mostra."),
        );
    }
    let ola = std::fs::read(scene.served.join("ola.txt")).unwrap_or_default();
    let files: [(&str, &[u8]); 2] = [("ola.txt", &ola), ("tomada.png", &scene.png)];
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    for (i, line) in report.lines().enumerate().take(2) {
        let fields: Vec<&str> = line.split('|').collect();
        let [code, kind, size, connects] = fields[..] else {
            continue;
        };
        let (name, bytes) = files[i];
        let got = std::fs::read(out(&format!("curl-{i}"))).unwrap_or_default();
        let same = if got == bytes {
            format!("os {size} bytes de {name}")
        } else {
            format!("{size} bytes, diferentes dos de {name}")
        };
        let conn = if connects == "0" {
            "conexão reaproveitada"
        } else {
            "conexão nova"
        };
        s.say(format!("[curl] {code} {kind}: {same}; {conn}"));
    }
    // curl's own words for the reuse, which `-v` prints (7.x: "Re-using
    // existing connection", 8.x: "Reusing existing http: connection").
    let lower = verbose.to_lowercase();
    if lower.contains("re-using existing") || lower.contains("reusing existing") {
        s.say("[curl] o -v diz que a segunda transferência reaproveitou a conexão");
    } else {
        s.say("[curl] o -v não mostra a conexão reaproveitada");
        s.note(
            "E-HTTP-CURL-SEM-REUSO",
            "O curl abriu uma conexão nova para a segunda URL. Ele só reaproveita a conexão \
             se a primeira resposta terminou exatamente onde o Content-Length disse e o \
             servidor não pediu para fechar. Rode `curl -v` nas duas URLs e procure \
             \"Re-using existing connection\" (ou \"Closing connection\").",
        );
    }
    Ok(())
}

/// A headless Chromium loads `/site/` and the page's own script writes into
/// the page what arrived (the image's natural size, whether the CSS applied,
/// any resource that failed); `--dump-dom` hands the page back, and
/// `--enable-logging=stderr` the console's messages.
async fn chromium(s: &mut Session) -> Result<(), Flow> {
    let program = s
        .need_tool(Tool::find(
            "TOMADA_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
            "instale com `sudo apt-get install chromium` (Debian/Ubuntu)",
        ))
        .await?;
    let profile = match s.grader_folder().await {
        Ok(folder) => folder,
        Err(stop) => return Err(Err(stop)),
    };
    let port = s.port().unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}/site/");
    let mut args: Vec<OsString> = [
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        // Otherwise it keeps trying to reach Google's hosts on a closed network.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        // Virtual time runs ahead while the page is idle: the load event and its
        // script have run before the dump, with no wall-clock wait.
        "--virtual-time-budget=5000",
        "--dump-dom",
    ]
    .map(OsString::from)
    .to_vec();
    // Chromium's own sandbox needs an unprivileged user (namespaces, a setuid
    // helper) and refuses to start as root; as root, --no-sandbox is the only
    // way it runs. The page it loads is our own site from 127.0.0.1.
    if is_root() {
        args.push("--no-sandbox".into());
    }
    args.push(format!("--user-data-dir={}", profile.display()).into());
    args.push(url.clone().into());
    s.say(format!("[corretor] abre {url} num Chromium sem janela"));
    let run = s.run_tool(&program, &args, TOOL_LIMIT).await;
    let dom = String::from_utf8_lossy(&run.stdout).into_owned();
    let log = String::from_utf8_lossy(&run.stderr).into_owned();
    match page_report(&dom) {
        Some(report) => {
            for item in report.split("; ") {
                let shown = match item.strip_prefix("imagem: ") {
                    Some(size) if !size.starts_with('0') => "imagem: carregou".to_owned(),
                    Some(size) => format!("imagem: não carregou ({size})"),
                    None => item.to_owned(),
                };
                s.say(format!("[chromium] {shown}"));
            }
        }
        None => {
            let status = if run.status.is_none() {
                format!("não terminou em {} s", TOOL_LIMIT.as_secs())
            } else {
                "terminou".to_owned()
            };
            s.say(format!(
                "[chromium] {status} sem a página de verificação do site"
            ));
            s.note(
                "E-HTTP-NAVEGADOR",
                format!(
                    "O Chromium não mostrou a linha que o site escreve ao carregar (o elemento \
                     `#estado` do index.html). Ou a página não chegou (abra {url} no seu \
                     navegador com o servidor rodando), ou o script dela não rodou: não \
                     apague o script do index.html do site."
                ),
            );
        }
    }
    for message in console_messages(&log) {
        s.say(format!("[chromium] console: {message}"));
        s.note(
            "E-HTTP-NAVEGADOR",
            "O console do navegador registrou uma mensagem: um recurso que falhou ou um \
             erro da página. O texto está no relatório.",
        );
    }
    Ok(())
}

/// The `data-verificacao` attribute the site's script writes on load.
fn page_report(dom: &str) -> Option<String> {
    let start = dom.find("data-verificacao=\"")? + "data-verificacao=\"".len();
    let end = dom[start..].find('"')? + start;
    Some(
        dom[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The page's console messages in Chromium's log: `…:CONSOLE:12] "texto", source: …`.
fn console_messages(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split_once(":CONSOLE").map(|(_, rest)| rest))
        .map(|rest| {
            let text = rest.split_once("] ").map_or(rest, |(_, t)| t);
            text.split(", source:")
                .next()
                .unwrap_or(text)
                .trim()
                .to_owned()
        })
        .take(10)
        .collect()
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid never fails.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

// ---- the learner's client ------------------------------------------------------

async fn cliente(s: &mut Session) -> Flow {
    s.begin("cliente-get")?;
    let listener = s.listen().await?;
    let port = s.port().unwrap_or_default();
    let url = |path: &str| Extra {
        args: vec![format!("http://127.0.0.1:{port}{path}")],
        read: Vec::new(),
    };
    s.start_with(Role::Client, &[], url("/ola.txt")).await?;
    let mut conn = s.accept(&listener).await?;
    if s.receive_request(&mut conn).await.is_some() {
        let corpo = format!("olá {}\n", s.random_word());
        let resposta = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{corpo}",
            corpo.len()
        );
        s.send(&mut conn, resposta.as_bytes()).await?;
        // The connection stays open: the client must stop at Content-Length.
        s.say("[corretor] deixa a conexão aberta");
        s.expect_printed("HTTP/1.1 200 OK").await;
        s.expect_printed(corpo.trim_end()).await;
    }
    s.wait_exit(Role::Client).await?;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-ate-fechar")?;
    s.start_with(Role::Client, &[], url("/docs/")).await?;
    let mut conn = s.accept(&listener).await?;
    if s.receive_request(&mut conn).await.is_some() {
        let corpo = format!(
            "primeira {}\nsegunda {}\n",
            s.random_word(),
            s.random_word()
        );
        let resposta = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{corpo}"
        );
        s.send(&mut conn, resposta.as_bytes()).await?;
        s.close(conn).await;
        s.expect_printed("HTTP/1.1 200 OK").await;
        for line in corpo.lines() {
            s.expect_printed(line).await;
        }
    }
    s.wait_exit(Role::Client).await?;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-corpo-cortado")?;
    s.start_with(Role::Client, &[], url("/grande.bin")).await?;
    let mut conn = s.accept(&listener).await?;
    if s.receive_request(&mut conn).await.is_some() {
        let corpo = format!("só o começo {}\n", s.random_word());
        let resposta = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1000\r\n\r\n{corpo}"
        );
        s.send(&mut conn, resposta.as_bytes()).await?;
        s.close(conn).await;
    }
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    s.end().await?;
    s.stop(Role::Client).await;

    s.begin("cliente-sem-servidor")?;
    drop(listener);
    s.say("[corretor] não escuta mais na porta");
    s.start_with(Role::Client, &[], url("/")).await?;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{console_messages, page_report};

    #[test]
    fn reads_what_the_page_wrote_and_the_console() {
        let dom = "<p id=\"estado\" data-verificacao=\"imagem: 64x40 px; estilo: carregado; \
                   falhas: nenhuma\">…</p>";
        assert_eq!(
            page_report(dom).as_deref(),
            Some("imagem: 64x40 px; estilo: carregado; falhas: nenhuma")
        );
        assert_eq!(page_report("<html></html>"), None);
        let log = "[1:1:1203/085355.529129:INFO:CONSOLE:1] \"falhou aqui\", source: \
                   http://127.0.0.1:1/e.html (1)\n[1:1:x:ERROR:dbus/bus.cc:405] outra coisa\n";
        assert_eq!(console_messages(log), vec!["\"falhou aqui\"".to_owned()]);
    }
}
