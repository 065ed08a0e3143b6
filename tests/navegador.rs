//! The rendered book in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the pages served by a tiny HTTP server on 127.0.0.1.
//!
//! `livro.rs` already checks the HTML that mdbook writes; this test checks what a
//! reader actually sees once the JavaScript has run: every chapter opens with no
//! console error, every diagram (a ```mermaid block) is drawn as an SVG, also in
//! the dark navy theme, the search finds "socket", the code is highlighted and each
//! lab link leads to its lab page. With `TOMADA_CAPTURAS=1` it also takes the README's
//! screenshots (`book/src/imagens/`).
//!
//! Without Chromium (a learner's machine with only Rust) the test says it was
//! skipped and passes; in CI (`CI` set) a missing browser is an error, since
//! `.ci/run` installs it. `TOMADA_CHROMIUM` and `TOMADA_CHROMEDRIVER` override the
//! executables' paths.

// Killing chromedriver's process group (and with it Chromium) needs Unix, and the
// browser lives at /usr/bin anyway.
#![cfg(unix)]

mod comum;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The longest any single wait may take: a page, an element, a process starting.
const ESPERA: Duration = Duration::from_secs(5);
/// A ceiling for the whole browser session, so a hung chromedriver cannot hang `cargo test`.
const PRAZO_TOTAL: Duration = Duration::from_secs(120);
/// Flags Chromium needs on these machines: as root it needs --no-sandbox, and without the
/// background-networking ones it keeps trying to reach Google's hosts on a closed network.
const ARGS_DO_CHROMIUM: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
];

#[test]
fn livro_no_navegador() {
    let Some((chromium, chromedriver)) = navegador_instalado() else {
        return;
    };
    let root = comum::root();
    gerar_livro(&root);
    let capitulos = capitulos(&root);
    assert!(
        !capitulos.is_empty(),
        "nenhum capítulo em book/src/SUMMARY.md"
    );
    let capturas = std::env::var("TOMADA_CAPTURAS").is_ok_and(|v| v == "1");

    // The grader's report is rendered as a page of the same server, so the screenshot
    // is taken by the same browser as the chapter's.
    let mut extras = HashMap::new();
    if capturas {
        extras.insert(PAGINA_DO_CORRETOR.to_owned(), pagina_do_corretor());
    }

    // Declaration order matters: locals drop in reverse, so the browser dies first,
    // then the server stops, and only then the profile folder is removed.
    let pasta = PastaTemporaria::nova();
    let servidor = Servidor::iniciar(root.join("book/html"), extras);
    let driver = Chromedriver::iniciar(&chromedriver, pasta.caminho());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime do tokio");
    runtime.block_on(async {
        let sessao = async {
            let cliente = abrir_navegador(&driver, &chromium, pasta.caminho()).await;
            capitulos_abrem_sem_erros(&cliente, &servidor, &capitulos, &root).await;
            diagramas_no_tema_escuro(&cliente, &servidor).await;
            codigo_destacado(&cliente, &servidor).await;
            busca_acha_socket(&cliente, &servidor).await;
            grafico_do_bench_aparece(&cliente, &servidor).await;
            links_dos_laboratorios(&cliente, &servidor, &capitulos).await;
            if capturas {
                tirar_capturas(&cliente, &servidor, &root).await;
            }
            let falhas = servidor.falhas();
            assert!(
                falhas.is_empty(),
                "o servidor do livro respondeu com erro a estes pedidos do navegador \
                 (arquivo faltando no livro gerado?): {falhas:?}"
            );
            // Closing the session lets chromedriver quit Chromium and reap its
            // processes; when a check above panics, the guard's Drop does it instead.
            if cliente.close().await.is_ok() {
                driver.esquecer_sessao();
            }
        };
        tokio::time::timeout(PRAZO_TOTAL, sessao)
            .await
            .unwrap_or_else(|_| panic!("o teste do navegador passou de {PRAZO_TOTAL:?}"));
    });
}

// ---------------------------------------------------------------------------
// The checks

/// Every page in SUMMARY.md answers 200, draws each of its diagrams and logs no
/// error in the console.
async fn capitulos_abrem_sem_erros(
    cliente: &Client,
    servidor: &Servidor,
    capitulos: &[Capitulo],
    root: &Path,
) {
    for capitulo in capitulos {
        abrir(cliente, servidor, &capitulo.html).await;
        // The page's own title (the h1 of the chapter) proves the content rendered.
        let titulo = esperar(cliente, "main h1", &capitulo.html).await;
        assert!(
            !titulo.text().await.unwrap_or_default().trim().is_empty(),
            "{}: o capítulo não tem título visível",
            capitulo.html
        );
        diagramas_desenhados(cliente, capitulo, root).await;
        sem_erros_no_console(cliente, &capitulo.html).await;
    }
}

/// Each ```mermaid block of the chapter's Markdown became a `<pre class="mermaid">` in
/// the HTML mdbook wrote (the preprocessor ran), and in the browser each of those
/// became an SVG that mermaid drew, not its "Syntax error" picture. A chapter that is
/// not an appendix has at least one diagram.
async fn diagramas_desenhados(cliente: &Client, capitulo: &Capitulo, root: &Path) {
    let pagina = &capitulo.html;
    assert!(
        capitulo.apendice || capitulo.diagramas > 0,
        "{pagina}: todo capítulo tem ao menos um diagrama (um bloco ```mermaid com \
         {{{{#include diagramas/<nome>.mmd}}}})"
    );
    let fonte = std::fs::read_to_string(root.join("book/html").join(pagina))
        .unwrap_or_else(|e| panic!("{pagina}: {e}"));
    let no_html = fonte.matches("<pre class=\"mermaid\">").count();
    assert_eq!(
        no_html, capitulo.diagramas,
        "{pagina}: o Markdown tem {} bloco(s) ```mermaid, e o HTML gerado tem {no_html} \
         <pre class=\"mermaid\"> (o pré-processador do mermaid rodou?)",
        capitulo.diagramas
    );
    if no_html == 0 {
        return;
    }
    // Drawing is asynchronous: wait (bounded) until every block holds its SVG.
    let contar = "return document.querySelectorAll('pre.mermaid > svg').length;";
    let mut desenhados = 0;
    let limite = Instant::now() + ESPERA;
    while Instant::now() < limite {
        desenhados = cliente
            .execute(contar, vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or_default() as usize;
        if desenhados == no_html {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if desenhados != no_html {
        // A diagram with a syntax error is left undrawn, and iniciar-mermaid.js says
        // why in the console: that message is the most useful one to fail with.
        sem_erros_no_console(cliente, &format!("{pagina}, ao desenhar os diagramas")).await;
    }
    assert_eq!(
        desenhados, no_html,
        "{pagina}: só {desenhados} de {no_html} diagrama(s) viraram SVG em {ESPERA:?} \
         (o mermaid.js carregou? veja additional-js em book/book.toml)"
    );
    // An SVG is not enough: on a syntax error mermaid draws a bomb with "Syntax error
    // in text". Each one must be a real diagram, with a size and some text.
    let svgs = cliente
        .execute(
            "return Array.from(document.querySelectorAll('pre.mermaid > svg')).map((svg) => {\
               const caixa = svg.getBoundingClientRect();\
               return { tipo: svg.getAttribute('aria-roledescription') || '',\
                        largura: caixa.width, altura: caixa.height,\
                        texto: svg.textContent.trim().slice(0, 60) };\
             });",
            vec![],
        )
        .await
        .expect("ler os diagramas desenhados");
    for (i, svg) in svgs.as_array().into_iter().flatten().enumerate() {
        let n = i + 1;
        assert!(
            svg["tipo"] != "error" && !svg["texto"].as_str().unwrap_or("").contains("Syntax error"),
            "{pagina}: o diagrama {n} tem um erro de sintaxe (o mermaid desenhou o aviso \
             de erro): {svg}"
        );
        assert!(
            svg["largura"].as_f64().unwrap_or_default() > 0.0
                && svg["altura"].as_f64().unwrap_or_default() > 0.0
                && !svg["texto"].as_str().unwrap_or("").is_empty(),
            "{pagina}: o diagrama {n} saiu vazio ou sem tamanho: {svg}"
        );
    }
}

/// In the navy theme (the book's dark one), picked as a reader picks it, the diagrams
/// are drawn again with light text: black text on navy blue would be unreadable.
async fn diagramas_no_tema_escuro(cliente: &Client, servidor: &Servidor) {
    let pagina = "02-echo/servidor-echo.html";
    abrir(cliente, servidor, pagina).await;
    // The luminance (0 = black, 1 = white) of the text of the first sequence
    // diagram's first message, once it is drawn.
    let luminancia = || async {
        cliente
            .execute(
                "const t = document.querySelector('pre.mermaid > svg text.messageText');\
                 if (!t) { return -1; }\
                 const [r, g, b] = getComputedStyle(t).fill.match(/\\d+/g).map(Number);\
                 return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(-1.0)
    };
    esperar_que("o diagrama ser desenhado no tema claro", || async {
        (0.0..0.5).contains(&luminancia().await)
    })
    .await;
    escolher_tema(cliente, "navy", pagina).await;
    esperar_que(
        &format!("{pagina}: o diagrama ser redesenhado com texto claro no tema navy"),
        || async { luminancia().await > 0.5 },
    )
    .await;
    sem_erros_no_console(cliente, &format!("{pagina} (tema navy)")).await;
    // The choice is kept in localStorage; the pages after this one expect the default.
    escolher_tema(cliente, "light", pagina).await;
    esperar_que("o diagrama voltar ao tema claro", || async {
        (0.0..0.5).contains(&luminancia().await)
    })
    .await;
}

/// Opens mdBook's theme menu and picks a theme, as a reader does.
async fn escolher_tema(cliente: &Client, tema: &str, onde: &str) {
    let menu = esperar(cliente, "#mdbook-theme-toggle", onde).await;
    let botao = esperar(cliente, &format!("#mdbook-theme-{tema}"), onde).await;
    // The menu toggles on each click, and a click can land while the page is still
    // moving (the diagrams being redrawn): click again only while it is closed.
    esperar_que(&format!("{onde}: o menu de temas abrir"), || async {
        if botao.is_displayed().await.unwrap_or(false) {
            return true;
        }
        let _ = menu.click().await;
        botao.is_displayed().await.unwrap_or(false)
    })
    .await;
    botao.click().await.expect("escolher o tema");
}

/// highlight.js ran: mdbook writes plain `<code class="language-rust">`, and only the
/// script adds `hljs` and the token spans.
async fn codigo_destacado(cliente: &Client, servidor: &Servidor) {
    let pagina = "01-basico/servidor-basico.html";
    abrir(cliente, servidor, pagina).await;
    esperar(cliente, "code.hljs", pagina).await;
    esperar(cliente, "code.hljs .hljs-keyword", pagina).await;
    sem_erros_no_console(cliente, pagina).await;
}

/// The search box, opened as a reader would (the toggle button), finds "socket".
/// The chart `cargo xtask bench` wrote is drawn in "Threads vs async": the SVG
/// loaded and has a size (a broken image has a natural width of 0).
async fn grafico_do_bench_aparece(cliente: &Client, servidor: &Servidor) {
    let pagina = "05-chat-async/threads-vs-async.html";
    abrir(cliente, servidor, pagina).await;
    esperar(cliente, "img[src$='bench-chat.svg']", pagina).await;
    // Waits for the load event (not a fixed time) when the image is not there yet.
    let largura = cliente
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const img = document.querySelector(\"img[src$='bench-chat.svg']\"); \
             if (img.complete) { done(img.naturalWidth); } else { \
               img.addEventListener('load', () => done(img.naturalWidth)); \
               img.addEventListener('error', () => done(0)); }",
            vec![],
        )
        .await
        .expect("ler o tamanho do gráfico");
    assert!(
        largura.as_i64().unwrap_or_default() > 0,
        "{pagina}: o gráfico do bench não carregou (largura {largura})"
    );
    sem_erros_no_console(cliente, pagina).await;
}

async fn busca_acha_socket(cliente: &Client, servidor: &Servidor) {
    let pagina = "index.html";
    abrir(cliente, servidor, pagina).await;
    esperar(cliente, "#mdbook-search-toggle", pagina)
        .await
        .click()
        .await
        .expect("clicar no botão da busca");
    let caixa = esperar(cliente, "#mdbook-searchbar", pagina).await;
    // The box is revealed by the click; typing before it shows would be lost.
    esperar_que("a caixa de busca aparecer", || async {
        caixa.is_displayed().await.unwrap_or(false)
    })
    .await;
    caixa.send_keys("socket").await.expect("digitar na busca");
    let resultado = esperar(
        cliente,
        "#mdbook-searchresults li",
        "a busca por \"socket\"",
    )
    .await;
    let texto = resultado.text().await.unwrap_or_default().to_lowercase();
    assert!(
        texto.contains("socket"),
        "o primeiro resultado da busca por \"socket\" não fala de socket: {texto:?}"
    );
    sem_erros_no_console(cliente, "a busca").await;
}

/// Each `](../labs/NN-tema/index.html)` in a chapter, clicked in the browser, opens
/// the lab's page.
async fn links_dos_laboratorios(cliente: &Client, servidor: &Servidor, capitulos: &[Capitulo]) {
    let com_laboratorio: Vec<_> = capitulos
        .iter()
        .filter(|c| !c.laboratorios.is_empty())
        .collect();
    assert!(
        !com_laboratorio.is_empty(),
        "nenhum capítulo tem link para um laboratório (`](../labs/NN-tema/index.html)`)"
    );
    for capitulo in com_laboratorio {
        for link in &capitulo.laboratorios {
            let onde = format!("{} → {link}", capitulo.html);
            abrir(cliente, servidor, &capitulo.html).await;
            esperar(cliente, &format!("a[href=\"{link}\"]"), &onde)
                .await
                .click()
                .await
                .unwrap_or_else(|e| panic!("{onde}: clicar no link: {e}"));
            esperar_que(
                &format!("{onde}: a página do laboratório abrir"),
                || async {
                    cliente
                        .title()
                        .await
                        .is_ok_and(|t| t.contains("Laboratório"))
                },
            )
            .await;
            // Where the browser landed, resolved as it resolves the relative link.
            let destino = url::Url::parse(&servidor.url(&capitulo.html))
                .and_then(|u| u.join(link))
                .expect("link relativo");
            let atual = cliente.current_url().await.expect("endereço atual");
            assert_eq!(
                atual.path(),
                destino.path(),
                "{onde}: foi parar noutra página"
            );
            assert_eq!(
                servidor.ultimo_status(destino.path()),
                Some(200),
                "{onde}: a página do laboratório não respondeu 200"
            );
            sem_erros_no_console(cliente, &onde).await;
        }
    }
}

// ---------------------------------------------------------------------------
// Screenshots for the README (TOMADA_CAPTURAS=1)

const PAGINA_DO_CORRETOR: &str = "/__tomada/corretor.html";

async fn tirar_capturas(cliente: &Client, servidor: &Servidor, root: &Path) {
    let pasta = root.join("book/src/imagens");
    std::fs::create_dir_all(&pasta).expect("criar book/src/imagens");
    let pagina = "01-basico/servidor-basico.html";
    abrir(cliente, servidor, pagina).await;
    ajustar_area_visivel(cliente, 1200, 900).await;
    esperar(cliente, "code.hljs .hljs-keyword", pagina).await;
    let png = cliente.screenshot().await.expect("captura do capítulo");
    salvar(&pasta.join("capitulo.png"), &png);

    abrir(
        cliente,
        servidor,
        PAGINA_DO_CORRETOR.trim_start_matches('/'),
    )
    .await;
    // Only the terminal, not the empty page around it; an element's screenshot is cut
    // at the edge of the visible area, so that grows to the terminal's height first.
    let terminal = esperar(cliente, "pre", "a página do corretor").await;
    let (_, _, largura, altura) = terminal.rectangle().await.expect("tamanho do terminal");
    ajustar_area_visivel(cliente, largura.ceil() as u32, altura.ceil() as u32).await;
    let png = terminal.screenshot().await.expect("captura do corretor");
    salvar(&pasta.join("corretor.png"), &png);
    sem_erros_no_console(cliente, "as capturas").await;
}

/// Makes the page's visible area (not the window, which in headless mode still counts
/// some browser frame) exactly `largura` x `altura` pixels.
async fn ajustar_area_visivel(cliente: &Client, largura: u32, altura: u32) {
    let area = || async {
        let valor = cliente
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("ler o tamanho da área visível");
        let lado = |i: usize| valor[i].as_u64().unwrap_or_default() as u32;
        (lado(0), lado(1))
    };
    cliente
        .set_window_size(largura, altura)
        .await
        .expect("ajustar a janela");
    let (l, a) = area().await;
    let janela = (2 * largura).saturating_sub(l);
    let janela_alta = (2 * altura).saturating_sub(a);
    cliente
        .set_window_size(janela, janela_alta)
        .await
        .expect("ajustar a janela");
    assert_eq!(
        area().await,
        (largura, altura),
        "a área visível do navegador não ficou do tamanho pedido"
    );
}

fn salvar(arquivo: &Path, png: &[u8]) {
    std::fs::write(arquivo, png).unwrap_or_else(|e| panic!("{}: {e}", arquivo.display()));
    let _ = writeln!(std::io::stderr(), "captura salva em {}", arquivo.display());
}

/// A real run of the grader on lab 01's starter (it fails and explains why), as a
/// dark terminal of 80 columns.
fn pagina_do_corretor() -> Resposta {
    // `comum::xtask` builds the grader first (`cargo build -p xtask`) and sets
    // NO_COLOR: plain text, since colours would be ANSI escapes inside the <pre>.
    let saida = comum::xtask()
        .args(["check", "01"])
        .output()
        .expect("rodar xtask check 01");
    let relatorio = String::from_utf8_lossy(&saida.stdout);
    assert!(
        !relatorio.trim().is_empty(),
        "o corretor não imprimiu nada: {}",
        String::from_utf8_lossy(&saida.stderr)
    );
    // A line longer than 80 columns breaks at the 80th, anywhere, as in a terminal.
    let texto = format!("$ cargo xtask check 01\n{relatorio}");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>cargo xtask check 01</title><style>\
         body {{ margin: 0; background: #ffffff; }}\
         pre {{ display: inline-block; margin: 0; padding: 16px 20px; width: 80ch;\
                white-space: pre-wrap; word-break: break-all; background: #1e1e1e; color: #d4d4d4;\
                font: 15px/1.35 'DejaVu Sans Mono', 'Source Code Pro', monospace;\
                border-radius: 6px; }}\
         </style></head><body><pre>{}</pre></body></html>\n",
        escapar_html(&texto)
    );
    Resposta {
        tipo: "text/html; charset=utf-8",
        corpo: html.into_bytes(),
    }
}

fn escapar_html(texto: &str) -> String {
    texto
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------
// Browser helpers

async fn abrir_navegador(driver: &Chromedriver, chromium: &Path, pasta: &Path) -> Client {
    let perfil = pasta.join("perfil");
    let mut args: Vec<String> = ARGS_DO_CHROMIUM.iter().map(|a| a.to_string()).collect();
    // A fresh profile each run: no cache, no state from a previous run.
    args.push(format!("--user-data-dir={}", perfil.display()));
    let mut capacidades = Capabilities::new();
    capacidades.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    // Keeps the console's messages so the test can read them (see `LogDoNavegador`).
    capacidades.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // chromedriver's default page-load limit is 300 s; the book is local and small.
    capacidades.insert(
        "timeouts".into(),
        json!({ "pageLoad": 2 * ESPERA.as_millis() as u64, "script": ESPERA.as_millis() as u64, "implicit": 0 }),
    );
    let cliente = ClientBuilder::new(HttpConnector::new())
        .capabilities(capacidades)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "o chromedriver não abriu o Chromium: {e}\n{}",
                driver.fim_do_log()
            )
        });
    if let Ok(Some(sessao)) = cliente.session_id().await {
        driver.lembrar_sessao(sessao);
    }
    cliente
}

async fn abrir(cliente: &Client, servidor: &Servidor, pagina: &str) {
    cliente
        .goto(&servidor.url(pagina))
        .await
        .unwrap_or_else(|e| panic!("{pagina}: o navegador não abriu a página: {e}"));
    let caminho = format!("/{pagina}");
    assert_eq!(
        servidor.ultimo_status(&caminho),
        Some(200),
        "{pagina}: o servidor não respondeu 200"
    );
}

/// Waits (bounded) for an element to be in the DOM.
async fn esperar(cliente: &Client, seletor: &str, onde: &str) -> fantoccini::elements::Element {
    cliente
        .wait()
        .at_most(ESPERA)
        .every(Duration::from_millis(50))
        .for_element(Locator::Css(seletor))
        .await
        .unwrap_or_else(|e| panic!("{onde}: `{seletor}` não apareceu em {ESPERA:?}: {e}"))
}

/// Polls `condicao` until it holds, for at most `ESPERA`.
async fn esperar_que<F, Fut>(o_que: &str, mut condicao: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let limite = Instant::now() + ESPERA;
    while !condicao().await {
        assert!(
            Instant::now() < limite,
            "esperei {ESPERA:?} por {o_que}, em vão"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fails on any console message of level SEVERE since the last call (chromedriver
/// hands each message out once): uncaught exceptions, failed resource loads...
async fn sem_erros_no_console(cliente: &Client, onde: &str) {
    let log = cliente
        .issue_cmd(LogDoNavegador)
        .await
        .unwrap_or_else(|e| panic!("ler o console do navegador: {e}"));
    let erros: Vec<&str> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["level"] == "SEVERE")
        .map(|m| m["message"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        erros.is_empty(),
        "{onde}: erros no console do navegador:\n  {}",
        erros.join("\n  ")
    );
}

/// chromedriver's browser log (`POST /session/{id}/se/log`), which fantoccini does not
/// wrap: the standard WebDriver has no command for the console.
#[derive(Debug)]
struct LogDoNavegador;

impl WebDriverCompatibleCommand for LogDoNavegador {
    fn endpoint(&self, base: &url::Url, sessao: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", sessao.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

// ---------------------------------------------------------------------------
// The book

fn gerar_livro(root: &Path) {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
        .current_dir(root)
        .args(["run", "--quiet", "--package", "xtask-book", "--"])
        .arg(root.join("book"))
        .output()
        .expect("cargo run xtask-book");
    assert!(
        output.status.success(),
        "o livro não gerou:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

struct Capitulo {
    /// The page, relative to the book's root: `01-basico/servidor-basico.html`.
    html: String,
    /// Lab links exactly as written in the chapter: `../labs/01-basico/index.html`.
    laboratorios: Vec<String>,
    /// How many ```mermaid blocks the chapter's Markdown has.
    diagramas: usize,
    /// Listed under the "# Apêndices" part of SUMMARY.md.
    apendice: bool,
}

/// The chapters of SUMMARY.md, in order (`x.md` is rendered as `x.html`).
fn capitulos(root: &Path) -> Vec<Capitulo> {
    let src = root.join("book/src");
    let sumario = std::fs::read_to_string(src.join("SUMMARY.md")).expect("book/src/SUMMARY.md");
    let mut apendice = false;
    sumario
        .lines()
        .filter_map(|linha| {
            if linha.starts_with("# ") {
                // A part title: `# Apêndices` starts the appendices.
                apendice = linha.contains("Apêndice");
                return None;
            }
            let alvo = linha.split_once("](")?.1.split_once(')')?.0.trim();
            // `[Rascunho]()` has no page; only local .md files are chapters.
            let md = alvo.strip_suffix(".md").filter(|_| !alvo.contains("://"))?;
            let texto = std::fs::read_to_string(src.join(alvo))
                .unwrap_or_else(|e| panic!("book/src/{alvo}: {e}"));
            Some(Capitulo {
                html: format!("{md}.html"),
                laboratorios: links_de_laboratorio(&texto),
                diagramas: texto.lines().filter(|l| l.trim() == "```mermaid").count(),
                apendice,
            })
        })
        .collect()
}

fn links_de_laboratorio(markdown: &str) -> Vec<String> {
    let mut links: Vec<String> = markdown
        .split("](")
        .skip(1)
        .filter_map(|resto| resto.split_once(')').map(|(link, _)| link.trim()))
        .filter(|link| link.starts_with("../labs/") && link.ends_with("/index.html"))
        .map(str::to_owned)
        .collect();
    links.dedup();
    links
}

// ---------------------------------------------------------------------------
// A static file server for book/html, on 127.0.0.1 only

struct Resposta {
    tipo: &'static str,
    corpo: Vec<u8>,
}

/// Serves `raiz` (plus in-memory `extras`) over HTTP/1.1, one request per connection,
/// and records every answer so the test can tell a 200 from a 404.
struct Servidor {
    endereco: SocketAddr,
    parar: Arc<AtomicBool>,
    aceitador: Option<JoinHandle<()>>,
    respostas: Arc<Mutex<Vec<(String, u16)>>>,
    /// Open connections, to cut them on stop: Chromium opens speculative ones that
    /// never send a request, and their threads would otherwise wait for the read timeout.
    conexoes: Arc<Mutex<Vec<TcpStream>>>,
}

impl Servidor {
    fn iniciar(raiz: PathBuf, extras: HashMap<String, Resposta>) -> Servidor {
        // Loopback and an ephemeral port: nothing outside this machine can reach it,
        // and parallel runs do not collide.
        let ouvinte = TcpListener::bind("127.0.0.1:0").expect("servidor do livro em 127.0.0.1");
        let endereco = ouvinte.local_addr().expect("endereço do servidor");
        let parar = Arc::new(AtomicBool::new(false));
        let respostas = Arc::new(Mutex::new(Vec::new()));
        let conexoes = Arc::new(Mutex::new(Vec::new()));
        let contexto = Arc::new((raiz, extras));
        let aceitador = {
            let (parar, respostas, conexoes) = (parar.clone(), respostas.clone(), conexoes.clone());
            std::thread::spawn(move || {
                let mut atendentes = Vec::new();
                for conexao in ouvinte.incoming() {
                    if parar.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conexao) = conexao else { continue };
                    if let Ok(copia) = conexao.try_clone() {
                        conexoes.lock().unwrap().push(copia);
                    }
                    let (contexto, respostas) = (contexto.clone(), respostas.clone());
                    atendentes.push(std::thread::spawn(move || {
                        let _ = atender(conexao, &contexto.0, &contexto.1, &respostas);
                    }));
                }
                for atendente in atendentes {
                    let _ = atendente.join();
                }
            })
        };
        Servidor {
            endereco,
            parar,
            aceitador: Some(aceitador),
            respostas,
            conexoes,
        }
    }

    fn url(&self, pagina: &str) -> String {
        format!("http://{}/{pagina}", self.endereco)
    }

    fn ultimo_status(&self, caminho: &str) -> Option<u16> {
        let respostas = self.respostas.lock().unwrap();
        respostas
            .iter()
            .rev()
            .find(|(c, _)| c == caminho)
            .map(|&(_, s)| s)
    }

    fn falhas(&self) -> Vec<(String, u16)> {
        let respostas = self.respostas.lock().unwrap();
        respostas
            .iter()
            .filter(|(_, s)| *s != 200)
            .cloned()
            .collect()
    }
}

impl Drop for Servidor {
    fn drop(&mut self) {
        self.parar.store(true, Ordering::SeqCst);
        for conexao in self.conexoes.lock().unwrap().drain(..) {
            let _ = conexao.shutdown(Shutdown::Both);
        }
        // `accept` blocks: one last connection wakes it up to see `parar`.
        let _ = TcpStream::connect_timeout(&self.endereco, ESPERA);
        if let Some(aceitador) = self.aceitador.take() {
            let _ = aceitador.join();
        }
    }
}

const TEXTO: &str = "text/plain; charset=utf-8";

fn atender(
    conexao: TcpStream,
    raiz: &Path,
    extras: &HashMap<String, Resposta>,
    respostas: &Mutex<Vec<(String, u16)>>,
) -> std::io::Result<()> {
    conexao.set_read_timeout(Some(ESPERA))?;
    conexao.set_write_timeout(Some(ESPERA))?;
    // The request head is small; `take` keeps a misbehaving client from growing it.
    let mut leitor = BufReader::new((&conexao).take(64 * 1024));
    let mut pedido = String::new();
    if leitor.read_line(&mut pedido)? == 0 {
        return Ok(()); // a speculative connection that never asked anything
    }
    loop {
        let mut cabecalho = String::new();
        if leitor.read_line(&mut cabecalho)? == 0 || cabecalho.trim().is_empty() {
            break;
        }
    }
    let mut partes = pedido.split_whitespace();
    let metodo = partes.next().unwrap_or_default();
    let alvo = partes.next().unwrap_or("/");
    let caminho = alvo.split(['?', '#']).next().unwrap_or("/");

    // In-memory pages first, then files of the book.
    let (status, tipo, corpo): (u16, &str, Cow<[u8]>) = match metodo {
        "GET" | "HEAD" => match extras.get(caminho) {
            Some(r) => (200, r.tipo, Cow::Borrowed(&r.corpo)),
            None => match ler_arquivo(raiz, caminho) {
                Some((tipo, conteudo)) => (200, tipo, Cow::Owned(conteudo)),
                None => (404, TEXTO, Cow::Borrowed(b"nao encontrado\n")),
            },
        },
        _ => (405, TEXTO, Cow::Borrowed(b"metodo nao suportado\n")),
    };
    respostas.lock().unwrap().push((caminho.to_owned(), status));

    let razao = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut escritor = &conexao;
    write!(
        escritor,
        "HTTP/1.1 {status} {razao}\r\nContent-Type: {tipo}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        corpo.len()
    )?;
    if metodo != "HEAD" {
        escritor.write_all(&corpo)?;
    }
    escritor.flush()?;
    conexao.shutdown(Shutdown::Write)
}

/// The file for a URL path under `raiz`, with its content type; None when it does
/// not exist or the path tries to leave `raiz`.
fn ler_arquivo(raiz: &Path, caminho: &str) -> Option<(&'static str, Vec<u8>)> {
    let decodificado = decodificar_porcentagem(caminho)?;
    let mut arquivo = raiz.to_path_buf();
    for parte in decodificado.split('/') {
        match parte {
            "" | "." => {}
            ".." => return None,
            _ if parte.contains('\\') => return None,
            _ => arquivo.push(parte),
        }
    }
    if arquivo.is_dir() {
        arquivo.push("index.html");
    }
    let conteudo = std::fs::read(&arquivo).ok()?;
    let extensao = arquivo.extension().and_then(|e| e.to_str()).unwrap_or("");
    let tipo = match extensao {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Some((tipo, conteudo))
}

fn decodificar_porcentagem(caminho: &str) -> Option<String> {
    let bytes = caminho.as_bytes();
    let mut saida = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            saida.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            saida.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(saida).ok()
}

// ---------------------------------------------------------------------------
// chromedriver and the temporary folder, each stopped or removed by its Drop

/// Where the browser is, or None when the test should be skipped.
fn navegador_instalado() -> Option<(PathBuf, PathBuf)> {
    let executavel = |variavel: &str, padrao: &str| {
        std::env::var_os(variavel)
            .map(PathBuf::from)
            .unwrap_or_else(|| padrao.into())
    };
    let chromium = executavel("TOMADA_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = executavel("TOMADA_CHROMEDRIVER", "/usr/bin/chromedriver");
    let faltando: Vec<String> = [&chromium, &chromedriver]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if faltando.is_empty() {
        return Some((chromium, chromedriver));
    }
    let o_que = match faltando.as_slice() {
        [um] => format!("{um} não está instalado"),
        varios => format!("{} não estão instalados", varios.join(" e ")),
    };
    let como = "instale com `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu)";
    if std::env::var_os("CI").is_some() {
        panic!(
            "o teste do navegador não pode rodar: {o_que}. No CI o .ci/run deveria \
             instalá-los; {como}."
        );
    }
    // Straight to stderr: `eprintln!` would be swallowed by the test harness's capture
    // for a test that passes, and the learner should see why nothing was checked.
    let _ = writeln!(
        std::io::stderr(),
        "\nteste do navegador pulado: {o_que}; {como} para rodá-lo."
    );
    None
}

struct Chromedriver {
    filho: Child,
    porta: u16,
    log: PathBuf,
    /// The open WebDriver session, if any: Drop ends it before killing anything.
    sessao: Mutex<Option<String>>,
}

impl Chromedriver {
    fn iniciar(executavel: &Path, pasta: &Path) -> Chromedriver {
        let porta = porta_livre();
        let log = pasta.join("chromedriver.log");
        let filho = Command::new(executavel)
            .arg(format!("--port={porta}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that one kill also takes the Chromium it starts.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("iniciar {}: {e}", executavel.display()));
        let mut driver = Chromedriver {
            filho,
            porta,
            log,
            sessao: Mutex::new(None),
        };
        let endereco = SocketAddr::from(([127, 0, 0, 1], porta));
        let limite = Instant::now() + ESPERA;
        while TcpStream::connect_timeout(&endereco, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = driver.filho.try_wait() {
                panic!(
                    "o chromedriver terminou ao iniciar ({status})\n{}",
                    driver.fim_do_log()
                );
            }
            assert!(
                Instant::now() < limite,
                "o chromedriver não abriu a porta {porta} em {ESPERA:?}\n{}",
                driver.fim_do_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.porta)
    }

    fn lembrar_sessao(&self, sessao: String) {
        *self.sessao.lock().unwrap() = Some(sessao);
    }

    fn esquecer_sessao(&self) {
        self.sessao.lock().unwrap().take();
    }

    /// `DELETE /session/{id}`, by hand because Drop cannot await fantoccini: chromedriver
    /// then quits Chromium and waits for its processes. A SIGKILL alone would leave
    /// them orphaned, and on a machine whose init does not reap they stay as zombies.
    fn encerrar_sessao(&self, sessao: &str) {
        let endereco = SocketAddr::from(([127, 0, 0, 1], self.porta));
        let Ok(mut conexao) = TcpStream::connect_timeout(&endereco, ESPERA) else {
            return;
        };
        let _ = conexao.set_read_timeout(Some(ESPERA));
        let _ = conexao.set_write_timeout(Some(ESPERA));
        let pedido = format!(
            "DELETE /session/{sessao} HTTP/1.1\r\nHost: {endereco}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        if conexao.write_all(pedido.as_bytes()).is_ok() {
            // The answer comes once Chromium is gone; its content does not matter.
            let _ = conexao.read_to_end(&mut Vec::new());
        }
    }

    fn fim_do_log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let linhas: Vec<&str> = log.lines().collect();
        let inicio = linhas.len().saturating_sub(20);
        format!(
            "últimas linhas do log do chromedriver:\n{}",
            linhas[inicio..].join("\n")
        )
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if let Some(sessao) = self.sessao.lock().unwrap().take() {
            self.encerrar_sessao(&sessao);
        }
        // SAFETY: killpg only sends a signal, to the group this test created (the
        // child's pid is its group id); a stale id at worst returns ESRCH.
        unsafe {
            libc::killpg(self.filho.id() as libc::pid_t, libc::SIGKILL);
        }
        let _ = self.filho.wait();
    }
}

/// A free loopback port for chromedriver, which must be told one (`--port`).
fn porta_livre() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("porta livre em 127.0.0.1")
}

struct PastaTemporaria(PathBuf);

impl PastaTemporaria {
    fn nova() -> PastaTemporaria {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let pasta =
            std::env::temp_dir().join(format!("tomada-navegador-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&pasta).unwrap_or_else(|e| panic!("{}: {e}", pasta.display()));
        PastaTemporaria(pasta)
    }

    fn caminho(&self) -> &Path {
        &self.0
    }
}

impl Drop for PastaTemporaria {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
