//! The servers the bench measures: built in release mode, each package in its own
//! target folder (every lab names its binary `servidor`), started on a free
//! loopback port and always killed at the end.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::process::cargo;
use crate::sandbox::Udp;
use crate::wire::{self, Dial};

/// A program to measure: which package, and which binary or example of it.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    /// How the table and the chart name it.
    pub label: &'static str,
    pub package: &'static str,
    pub binary: &'static str,
    /// An example (`examples/`) rather than a binary (`src/bin/`).
    pub example: bool,
}

/// Builds `subject` in release mode and returns the executable's path.
pub fn build(root: &Path, subject: &Subject) -> Result<PathBuf, String> {
    let target = root.join("target").join("bench").join(subject.package);
    let kind = if subject.example {
        "--example"
    } else {
        "--bin"
    };
    let status = std::process::Command::new(cargo())
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", subject.package, kind])
        .arg(subject.binary)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .map_err(|e| format!("não consegui rodar o cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "{} ({}) não compilou em modo release",
            subject.label, subject.package
        ));
    }
    let folder = if subject.example {
        "release/examples"
    } else {
        "release"
    };
    Ok(target.join(folder).join(format!(
        "{}{}",
        subject.binary,
        std::env::consts::EXE_SUFFIX
    )))
}

/// A server under measurement. Killed when dropped.
pub struct Running {
    child: Child,
    pub port: u16,
    /// Its sandbox's scratch folder, removed with it (see `sandbox`).
    _sandbox: Option<crate::sandbox::Sandbox>,
}

impl Running {
    /// Starts `path` with `PORTA` set and waits until it accepts connections.
    pub async fn start(path: &Path) -> Result<Running, String> {
        Running::start_with(path, &[], &[], &[]).await
    }

    /// Like [`Running::start`], lending it `folder` in the variable `var`
    /// (lab 07's `PASTA`), writable in its sandbox.
    pub async fn start_with_folder(
        path: &Path,
        var: &str,
        folder: &Path,
    ) -> Result<Running, String> {
        let env = [(var, folder.display().to_string())];
        Running::start_with(path, &env, &[], &[folder.to_path_buf()]).await
    }

    /// Like [`Running::start`], with more environment and folders its sandbox
    /// lets it read (lab 08's `PASTA`) or write.
    pub async fn start_with(
        path: &Path,
        env: &[(&str, String)],
        read: &[PathBuf],
        write: &[PathBuf],
    ) -> Result<Running, String> {
        let port = wire::free_port().map_err(|e| format!("sem porta livre: {e}"))?;
        let running = Running::spawn(path, port, env, read, write, Some(Udp::Denied))?;
        // The probe connection is closed at once; chat servers see a visitor
        // that never gave a nickname, which costs them nothing.
        match wire::dial(port, Instant::now() + Duration::from_secs(10)).await {
            Dial::Connected(_) => Ok(running),
            Dial::GaveUp(e) => Err(format!(
                "{} não aceitou conexões: {}",
                path.display(),
                wire::describe_error(&e)
            )),
        }
    }

    /// Starts lab 06's UDP server and waits until it answers a datagram: there is
    /// no connection to wait for, so the probe is a request (`0 ECO pronto?`),
    /// sent again until the reply comes. `isolated`: in the sandbox, allowed UDP
    /// to loopback as when graded, where the grader checks the destination of
    /// every datagram sent with an address (a cost of its own, measured apart);
    /// otherwise plainly, as the learner runs it (it is the reference solution).
    pub async fn start_udp(path: &Path, isolated: bool) -> Result<Running, String> {
        let port = wire::free_udp_port().map_err(|e| format!("sem porta livre: {e}"))?;
        let udp = if isolated {
            Some(Udp::loopback())
        } else {
            None
        };
        let running = Running::spawn(path, port, &[], &[], &[], udp)?;
        let probe = tokio::net::UdpSocket::bind(wire::loopback(0))
            .await
            .map_err(|e| format!("não consegui abrir um socket UDP: {e}"))?;
        let _ = probe.connect(wire::loopback(port)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buffer = [0u8; 64];
        while Instant::now() < deadline {
            let _ = probe.send(b"0 ECO pronto?").await;
            let this_try = Instant::now() + Duration::from_millis(100);
            loop {
                match tokio::time::timeout_at(this_try, probe.recv(&mut buffer)).await {
                    Ok(Ok(len)) if buffer[..len] == *b"0 ECO pronto?" => return Ok(running),
                    // "Port unreachable" (not listening yet) comes back at once, and
                    // once per datagram: keep waiting until this try is over.
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
        Err(format!("{} não respondeu por UDP", path.display()))
    }

    /// Spawns `path` with `PORTA=<port>`, sandboxed like every program under test
    /// with the UDP rule `udp` (`None`: not sandboxed).
    fn spawn(
        path: &Path,
        port: u16,
        env: &[(&str, String)],
        read: &[PathBuf],
        write: &[PathBuf],
        udp: Option<Udp>,
    ) -> Result<Running, String> {
        let mut command = Command::new(path);
        command
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PORTA", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // Sandboxed like every program under test, without the rlimits: the
        // bench holds ten thousand connections.
        let mut sandbox = None;
        if let Some(udp) = udp.filter(|_| crate::sandbox::enabled()) {
            let launch = crate::process::Launch::Binary {
                path: path.to_path_buf(),
                cwd: path.parent().unwrap_or(path).to_path_buf(),
            };
            let policy = read.iter().fold(
                crate::process::program_policy(&launch, port).udp(udp),
                |policy, folder| policy.read(folder),
            );
            let policy = write
                .iter()
                .fold(policy, |policy, folder| policy.write(folder));
            let prepared = crate::sandbox::Sandbox::new(policy)
                .map_err(|e| format!("não consegui isolar {}: {e}", path.display()))?;
            command
                .envs(prepared.env())
                .env("PATH", crate::sandbox::system_path());
            #[cfg(unix)]
            if let Some(entry) = prepared.entry() {
                // SAFETY: `enter` only makes async-signal-safe syscalls on plain data.
                unsafe {
                    command.pre_exec(move || entry.enter());
                }
            }
            sandbox = Some(prepared);
        }
        // Same process group as the bench: Ctrl-C at the terminal stops both.
        let child = command
            .spawn()
            .map_err(|e| format!("não consegui iniciar {}: {e}", path.display()))?;
        if let Some(sandbox) = &mut sandbox {
            sandbox
                .spawned()
                .map_err(|e| format!("não consegui isolar {}: {e}", path.display()))?;
        }
        Ok(Running {
            child,
            port,
            _sandbox: sandbox,
        })
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The server's resident memory and thread count, from `/proc` (Linux).
    pub fn memory(&self) -> Option<Memory> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        Some(Memory {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:").unwrap_or(0),
        })
    }

    /// Whether the server is still running (a crash is a result too).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Running {
    /// Kills the server and reaps it (bounded: a killed process exits at once).
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // The backstop when `stop` was not reached (an early return): tokio reaps
        // the killed child in the background. The solutions do not fork, so
        // killing the process is killing the server.
        let _ = self.child.start_kill();
    }
}

/// What `/proc/<pid>/status` says about a server.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub rss_kib: u64,
    pub threads: u64,
}
