//! Lab 07's measurement: how fast the solution's file server stores a 256 MiB
//! upload, and how much memory (RSS) it uses meanwhile, against the limit of
//! this machine for moving those bytes: `cat arquivo > /dev/null` of the same
//! size, already in the page cache (memory to memory, no network, no disk).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::servidor::{self, Running, Subject};
use crate::wire::loopback;

/// The upload: the size of the `grande` step.
const SIZE: u64 = 256 * 1024 * 1024;

pub const FILES: Subject = Subject {
    label: "arquivos (lab 07)",
    package: "arquivos-solucao",
    binary: "servidor",
    example: false,
};

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct FilesResult {
    /// Upload, from the first byte sent to the server's `ok`, in MiB/s.
    pub upload_mib_s: Option<f64>,
    /// `cat` of a file of the same size to /dev/null, in MiB/s.
    pub cat_mib_s: Option<f64>,
    /// The server's peak RSS during the upload, in KiB.
    pub peak_rss_kib: u64,
    pub problem: Option<String>,
}

impl FilesResult {
    /// One line for the terminal, in pt-BR.
    pub fn describe(&self) -> String {
        if let Some(problem) = &self.problem {
            return format!("arquivos (lab 07): {problem}");
        }
        let mib_s = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.0} MiB/s"));
        format!(
            "arquivos (lab 07): envio de 256 MiB a {} (o limite desta máquina, `cat` para \
             /dev/null: {}); memória do servidor até {:.1} MiB",
            mib_s(self.upload_mib_s),
            mib_s(self.cat_mib_s),
            self.peak_rss_kib as f64 / 1024.0
        )
    }
}

/// Builds the solution's server in release mode and measures it.
pub async fn run(root: &Path) -> FilesResult {
    let path = match servidor::build(root, &FILES) {
        Ok(path) => path,
        Err(problem) => return failed(problem),
    };
    let folder = match crate::sandbox::Scratch::create() {
        Ok(folder) => folder,
        Err(e) => return failed(format!("sem pasta para PASTA: {e}")),
    };
    let mut result = FilesResult {
        cat_mib_s: cat_speed(folder.path()),
        ..FilesResult::default()
    };
    let server = match Running::start_with_folder(&path, "PASTA", folder.path()).await {
        Ok(server) => server,
        Err(problem) => return failed(problem),
    };
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        let pid = server.pid();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while !done.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(kib) = pid.and_then(rss_kib) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
            }
        })
    };
    match upload(server.port).await {
        Ok(elapsed) => {
            result.upload_mib_s = Some(SIZE as f64 / 1048576.0 / elapsed.as_secs_f64());
        }
        Err(problem) => result.problem = Some(problem),
    }
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    result.peak_rss_kib = peak.load(Ordering::Relaxed);
    server.stop().await;
    result
}

fn failed(problem: String) -> FilesResult {
    FilesResult {
        problem: Some(problem),
        ..FilesResult::default()
    }
}

/// Sends 256 MiB (the same 1 MiB block over and over: the server does not
/// look) and waits for the reply; the time from the header to the reply.
async fn upload(port: u16) -> Result<Duration, String> {
    let stream = TcpStream::connect(loopback(port))
        .await
        .map_err(|e| format!("não conectou: {e}"))?;
    let (reader, mut writer) = stream.into_split();
    let block = vec![0x5au8; 1024 * 1024];
    let started = Instant::now();
    let header = format!("{{\"op\":\"enviar\",\"nome\":\"bench.bin\",\"tamanho\":{SIZE}}}\n");
    let sending = async {
        writer.write_all(header.as_bytes()).await?;
        for _ in 0..SIZE / block.len() as u64 {
            writer.write_all(&block).await?;
        }
        Ok::<_, std::io::Error>(())
    };
    let mut reply = String::new();
    let mut reader = BufReader::new(reader);
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        sending.await?;
        reader.read_line(&mut reply).await
    })
    .await;
    match outcome {
        Ok(Ok(_)) if reply.contains("\"ok\":true") => Ok(started.elapsed()),
        Ok(Ok(_)) => Err(format!("resposta inesperada: {}", reply.trim())),
        Ok(Err(e)) => Err(format!("a conexão falhou: {e}")),
        Err(_) => Err("passou de 120 s".to_owned()),
    }
}

/// `cat` of a 256 MiB file to /dev/null, read once before (so it is in the
/// page cache); the file is removed afterwards.
fn cat_speed(folder: &Path) -> Option<f64> {
    let file = folder.join("cat.bin");
    let block = vec![0x5au8; 1024 * 1024];
    {
        use std::io::Write as _;
        let mut out = std::fs::File::create(&file).ok()?;
        for _ in 0..SIZE / block.len() as u64 {
            out.write_all(&block).ok()?;
        }
    }
    let cat = || {
        let started = std::time::Instant::now();
        let status = std::process::Command::new("cat")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| started.elapsed())
    };
    cat()?;
    let elapsed = cat();
    let _ = std::fs::remove_file(&file);
    elapsed.map(|e| SIZE as f64 / 1048576.0 / e.as_secs_f64())
}

/// `VmRSS` of one process, in KiB (the bench's server shares its group).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
