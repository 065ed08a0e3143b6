//! The echo measurement: lab 02's solution against the tutorial's server (each
//! read answered as a message), both in Rust, both one thread per client.
//!
//! Each client writes all its lines at once and then shuts its writing side; it
//! reads the replies until the server closes. A reply counts as right only if it
//! is exactly `Echo: <line>` at the line's position. Lines per second counts the
//! lines sent, right or wrong, over the time until every reply stream ended.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::servidor::Running;
use crate::wire::loopback;

/// Clients at once in the short-lines run, and lines each sends.
const CLIENTS: usize = 8;
const SHORT_LINES: usize = 20_000;
/// The long-lines run: one client, lines far larger than one 1024-byte read.
const LONG_LINES: usize = 20;
const LONG_LINE_BYTES: usize = 100 * 1024;
/// No run may take longer than this.
const LIMIT: Duration = Duration::from_secs(60);

/// What one echo server measured.
#[derive(Clone, Debug, Default)]
pub struct EchoResult {
    pub lines_per_second: Option<f64>,
    /// Right replies to short lines, out of `short_total`.
    pub short_right: usize,
    pub short_total: usize,
    /// Right replies to 100 KiB lines, out of `long_total`.
    pub long_right: usize,
    pub long_total: usize,
    pub problem: Option<String>,
}

pub async fn measure(server: &Running) -> EchoResult {
    let mut result = EchoResult {
        short_total: CLIENTS * SHORT_LINES,
        long_total: LONG_LINES,
        ..EchoResult::default()
    };
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for c in 0..CLIENTS {
        let lines: Vec<String> = (0..SHORT_LINES)
            .map(|i| format!("cliente {c}, linha {i}: o tcp entrega bytes, não mensagens"))
            .collect();
        clients.spawn(talk(server.port, lines));
    }
    let mut failed = None;
    while let Some(done) = clients.join_next().await {
        match done {
            Ok(Ok(right)) => result.short_right += right,
            Ok(Err(e)) => failed = Some(e),
            Err(e) => failed = Some(e.to_string()),
        }
    }
    if failed.is_none() {
        let lines = (CLIENTS * SHORT_LINES) as f64;
        result.lines_per_second = Some(lines / started.elapsed().as_secs_f64());
    }

    let long: Vec<String> = (0..LONG_LINES)
        .map(|i| {
            let mut line = format!("linha longa {i} ");
            while line.len() < LONG_LINE_BYTES {
                line.push_str("maçã pão açaí ");
            }
            line
        })
        .collect();
    match talk(server.port, long).await {
        Ok(right) => result.long_right = right,
        Err(e) => failed = Some(e),
    }
    result.problem = failed;
    result
}

/// Sends every line, shuts the writing side, reads until the server closes;
/// returns how many replies were exactly right.
async fn talk(port: u16, lines: Vec<String>) -> Result<usize, String> {
    let stream = match tokio::time::timeout(LIMIT, TcpStream::connect(loopback(port))).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(format!("não conectou: {e}")),
        Err(_) => return Err("não conectou: tempo esgotado".to_owned()),
    };
    let (mut reader, mut writer) = stream.into_split();
    let payload: String = lines.iter().map(|l| format!("{l}\n")).collect();
    // Writing and reading at once: a server that answers while we still send
    // would otherwise fill both directions and stall.
    let send = tokio::spawn(async move {
        writer.write_all(payload.as_bytes()).await?;
        writer.shutdown().await
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(LIMIT, reader.read_to_end(&mut received)).await;
    // After the replies ended (or the limit), the writer is done or stuck: never wait on it.
    send.abort();
    match read {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("a leitura falhou: {e}")),
        Err(_) => {
            return Err(format!(
                "as respostas não terminaram em {} s",
                LIMIT.as_secs()
            ));
        }
    }
    let replies = received.split(|&b| b == b'\n');
    Ok(replies
        .zip(&lines)
        .filter(|(reply, line)| reply.strip_prefix(b"Echo: ") == Some(line.as_bytes()))
        .count())
}
