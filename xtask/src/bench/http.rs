//! Lab 08's measurement: its solution serving the lab's site, requests per
//! second with keep-alive (each client reuses one connection) against without
//! (a new connection, with `Connection: close`, for each request), side by
//! side in one run. Writes the table the chapter "Um servidor HTTP" includes
//! (`book/src/08-http/medicoes.md`).

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::servidor::{self, Running, Subject};
use crate::session::{Conn, read_response};
use crate::wire::loopback;

const HTTP: Subject = Subject {
    label: "lab 08 (HTTP/1.1 à mão)",
    package: "http-solucao",
    binary: "servidor",
    example: false,
};

/// Clients at once, and requests each makes, in both modes.
pub const CLIENTS: usize = 8;
pub const REQUESTS: usize = 1000;
/// The file asked for: the site's stylesheet, a few hundred bytes.
const TARGET: &str = "/estilo.css";
/// No mode may take longer than this.
const LIMIT: Duration = Duration::from_secs(60);

/// What one mode measured.
#[derive(Clone, Debug, Default)]
pub struct Rate {
    pub requests_per_second: Option<f64>,
    pub right: usize,
    pub problem: Option<String>,
}

/// Builds and measures; prints both lines and writes the Markdown table.
pub fn run(root: &Path, book_src: &Path, machine: &str) -> Result<(), String> {
    println!("Compilando o servidor HTTP em modo release…");
    let path = servidor::build(root, &HTTP)?;
    let site = root.join("labs/08-http/site");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("não consegui criar o runtime do tokio: {e}"))?;
    let (keep, close) = runtime.block_on(async {
        let env = [("PASTA", site.display().to_string())];
        let server = Running::start_with(&path, &env, std::slice::from_ref(&site), &[]).await?;
        let keep = measure(server.port, true).await;
        let close = measure(server.port, false).await;
        server.stop().await;
        Ok::<_, String>((keep, close))
    })?;
    runtime.shutdown_timeout(Duration::from_secs(2));
    for (label, rate) in [("com keep-alive", &keep), ("sem keep-alive", &close)] {
        println!(
            "{:<24} {label}: {:>10} pedidos/s  ({} de {} respostas certas){}",
            HTTP.label,
            rate.requests_per_second
                .map_or("—".into(), |v| super::svg::number(v.round())),
            rate.right,
            CLIENTS * REQUESTS,
            rate.problem
                .as_ref()
                .map_or(String::new(), |p| format!("  ({p})"))
        );
    }
    let page = page(machine, &keep, &close);
    let out = book_src.join("08-http").join("medicoes.md");
    std::fs::create_dir_all(book_src.join("08-http"))
        .and_then(|()| std::fs::write(&out, page))
        .map_err(|e| format!("não consegui escrever {}: {e}", out.display()))?;
    println!("Tabela do HTTP em {}.", out.display());
    Ok(())
}

/// `CLIENTS` clients at once, `REQUESTS` GETs each, over one connection each
/// (`keep_alive`) or one connection per request.
pub async fn measure(port: u16, keep_alive: bool) -> Rate {
    let started = Instant::now();
    let deadline = started + LIMIT;
    let mut clients = JoinSet::new();
    for c in 0..CLIENTS {
        clients.spawn(client(port, keep_alive, deadline, c));
    }
    let mut rate = Rate::default();
    while let Some(done) = clients.join_next().await {
        match done {
            Ok(Ok(right)) => rate.right += right,
            Ok(Err((right, why))) => {
                rate.right += right;
                rate.problem = Some(why);
            }
            Err(e) => rate.problem = Some(e.to_string()),
        }
    }
    if rate.problem.is_none() {
        let total = (CLIENTS * REQUESTS) as f64;
        rate.requests_per_second = Some(total / started.elapsed().as_secs_f64());
    }
    rate
}

async fn client(
    port: u16,
    keep_alive: bool,
    deadline: Instant,
    index: usize,
) -> Result<usize, (usize, String)> {
    let close = if keep_alive {
        ""
    } else {
        "Connection: close\r\n"
    };
    let request = format!("GET {TARGET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{close}\r\n");
    let mut right = 0;
    let mut conn: Option<Conn> = None;
    for _ in 0..REQUESTS {
        if conn.is_none() {
            let stream =
                match tokio::time::timeout_at(deadline, TcpStream::connect(loopback(port))).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => return Err((right, format!("não conectou: {e}"))),
                    Err(_) => return Err((right, "tempo esgotado".to_owned())),
                };
            conn = Some(Conn::new(&format!("cliente {index}"), stream));
        }
        let Some(open) = conn.as_mut() else { break };
        if let Err(e) = open.stream.write_all(request.as_bytes()).await {
            return Err((right, format!("não enviou: {e}")));
        }
        match read_response(open, deadline, false).await {
            Ok(r) if r.code == Some(200) && !r.body.is_empty() => right += 1,
            Ok(r) => return Err((right, format!("resposta inesperada: {}", r.status_line))),
            Err(_) => return Err((right, "resposta incompleta".to_owned())),
        }
        if !keep_alive {
            // The server closes after a `Connection: close`; closing here too
            // lets its lingering close end at once.
            conn = None;
        }
    }
    Ok(right)
}

fn page(machine: &str, keep: &Rate, close: &Rate) -> String {
    let mut page = format!(
        "<!-- Gerado por `cargo xtask bench` (ou `bench http`); não edite à mão: rode de novo. -->\n\n\
         Medido com `cargo xtask bench` em {machine}: a solução do laboratório 08, compilada em \
         modo release, servindo o site do laboratório; {CLIENTS} clientes ao mesmo tempo, \
         {REQUESTS} pedidos `GET {TARGET}` cada, na mesma execução.\n\n\
         | Clientes | Pedidos por segundo | Respostas certas | Observação |\n|---|---:|---:|---|\n"
    );
    for (label, rate) in [
        ("com keep-alive (uma conexão por cliente)", keep),
        ("sem keep-alive (uma conexão por pedido)", close),
    ] {
        page.push_str(&format!(
            "| {label} | {} | {} de {} | {} |\n",
            rate.requests_per_second
                .map_or("—".into(), |v| super::svg::number(v.round())),
            super::svg::number(rate.right as f64),
            super::svg::number((CLIENTS * REQUESTS) as f64),
            rate.problem.clone().unwrap_or_default().replace('|', "/")
        ));
    }
    if let (Some(k), Some(c)) = (keep.requests_per_second, close.requests_per_second) {
        let ratio = format!("{:.1}", k / c).replace('.', ",");
        page.push_str(&format!(
            "\nCom keep-alive, {ratio}× mais pedidos por segundo: sem ele, cada pedido paga a \
             abertura e o fechamento de uma conexão TCP (e, no servidor, uma thread nova).\n"
        ));
    }
    page
}
