//! Clients no one here wrote (curl, a headless Chromium) talking to the learner's
//! server: found on this machine or not, run with a deadline, their output kept.
//! A missing tool skips its step with how to install it; in CI (`CI` set) it
//! fails instead, since `.ci/run` installs them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::{Flow, Session};

/// A tool looked for on this machine.
pub enum Tool {
    Found(PathBuf),
    /// Not installed: what is missing and how to install it, in pt-BR.
    Missing(String),
}

impl Tool {
    /// `variable` (a path) if set, else the first of `names` on the `PATH`.
    pub fn find(variable: &str, names: &[&str], install: &str) -> Tool {
        if let Some(path) = std::env::var_os(variable).map(PathBuf::from) {
            return if path.is_file() {
                Tool::Found(path)
            } else {
                Tool::Missing(format!(
                    "{variable} aponta para {}, que não existe; {install}",
                    path.display()
                ))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for name in names {
            for folder in std::env::split_paths(&path) {
                let candidate = folder.join(name);
                if candidate.is_file() {
                    return Tool::Found(candidate);
                }
            }
        }
        Tool::Missing(format!("{} não está instalado; {install}", names[0]))
    }
}

/// How a tool's run ended.
pub struct ToolRun {
    /// `None`: killed at the deadline.
    pub status: Option<std::process::ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Session {
    /// Skips the current step when `tool` is missing (a failure in CI); the
    /// path when it is there. `Err` ends the step either way.
    pub async fn need_tool(&mut self, tool: Tool) -> Result<PathBuf, Flow> {
        match tool {
            Tool::Found(path) => Ok(path),
            Tool::Missing(why) if std::env::var_os("CI").is_some() => {
                self.say(format!("[corretor] {why}"));
                self.note(
                    "E-FERRAMENTA-AUSENTE",
                    format!("{why}. No CI o .ci/run deveria instalá-lo."),
                );
                Err(Err(self.fail().await))
            }
            Tool::Missing(why) => Err(self.skip(why).await),
        }
    }

    /// Runs `program` with `args` (no shell), its own process group, killed at
    /// `limit`. The grader's own tool: it is not sandboxed like the learner's
    /// programs, and it only talks to the learner's server on 127.0.0.1.
    pub async fn run_tool(
        &mut self,
        program: &Path,
        args: &[OsString],
        limit: Duration,
    ) -> ToolRun {
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                return ToolRun {
                    status: None,
                    stdout: Vec::new(),
                    stderr: format!("não consegui executar {}: {error}", program.display())
                        .into_bytes(),
                };
            }
        };
        let group = child.id();
        let outcome = tokio::time::timeout(limit, child.wait_with_output()).await;
        // A browser leaves helpers behind: the whole group goes, either way.
        #[cfg(unix)]
        if let Some(pgid) = group {
            // SAFETY: killpg only sends a signal; a stale id at worst returns ESRCH.
            unsafe {
                libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
            }
        }
        #[cfg(not(unix))]
        let _ = group;
        match outcome {
            Ok(Ok(output)) => ToolRun {
                status: Some(output.status),
                stdout: output.stdout,
                stderr: output.stderr,
            },
            Ok(Err(error)) => ToolRun {
                status: None,
                stdout: Vec::new(),
                stderr: error.to_string().into_bytes(),
            },
            Err(_) => ToolRun {
                status: None,
                stdout: Vec::new(),
                stderr: Vec::new(),
            },
        }
    }
}
