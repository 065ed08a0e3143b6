//! The learner's programs: start, stop, restart, signal, wait for their exit, and
//! explain how they ended (a panic, a port in use, an early exit).

use std::time::Duration;

use super::keyboard::visible;
use super::step::seconds_text;
use super::{Flow, Note, Session, slot};
use crate::lab::Role;
use crate::process::{Extra, Program, Signal, Start, describe_status};
use crate::wire::{self};

impl Session {
    /// On a failure, says what happened to the programs under test and shows
    /// their error output: the learner's own panic message is often the answer.
    pub(super) async fn explain_programs(
        &mut self,
        notes: &mut Vec<Note>,
        outputs: &mut Vec<(String, String)>,
    ) {
        for role in [Role::Server, Role::Client] {
            let Some(program) = self.programs[slot(role)].as_mut() else {
                continue;
            };
            let name = role.label();
            // A program that is crashing may need a moment to finish writing its
            // error and exit; on this failure path a short bounded wait is fine.
            let _ = tokio::time::timeout(Duration::from_millis(500), program.wait()).await;
            let status = program.try_status();
            if status.is_some() {
                program.flush_output(Duration::from_millis(500)).await;
            }
            // A panic (exit code 101, or a thread's "panicked at" while the program
            // still runs) says more than "it exited": the learner's own line.
            if let Some(line) = panic_in(program) {
                if !notes.iter().any(|n| n.code == "E-PANICO") {
                    notes.push(Note {
                        code: "E-PANICO",
                        text: panic_text(name, status.is_some(), &line),
                    });
                }
            } else if let Some(status) = status
                && !looks_like_addr_in_use(&program.stderr.text())
            {
                // (A port it could not bind gets its own note, E-PORTA-EM-USO.)
                let should_run = role == Role::Server && self.lab.server_runs_forever;
                if !status.success() || should_run {
                    let tail = if should_run {
                        ", mas deveria continuar atendendo"
                    } else {
                        ""
                    };
                    notes.push(Note {
                        code: "E-PROGRAMA-TERMINOU",
                        text: format!("O {name} terminou com {}{tail}.", describe_status(status)),
                    });
                }
            }
            let stderr = program.stderr.text();
            if looks_like_addr_in_use(&stderr) {
                notes.push(Note {
                    code: "E-PORTA-EM-USO",
                    text: format!(
                        "O {name} não conseguiu usar a porta: \"Address already in use\". Ou outro \
                         processo escuta nela (uma execução anterior que ficou aberta? `ss \
                         -ltnp` mostra), ou, logo depois de um reinício, as conexões antigas \
                         ainda estão em TIME_WAIT (`ss -tan`): para estas, ligue SO_REUSEADDR \
                         antes do `bind`."
                    ),
                });
            }
            if stderr.contains("failed to spawn thread") {
                notes.push(Note {
                    code: "E-THREADS-DEMAIS",
                    // 128 is `limits::PROCESSES` (a Unix-only module).
                    text: format!(
                        "O {name} não conseguiu criar mais uma thread: o corretor limita cada \
                         programa a 128 processos e threads. Uma thread por cliente não chega \
                         a mil clientes; uma tarefa do tokio por cliente, sim."
                    ),
                });
            }
            if crate::sandbox::enabled()
                && let Some(denied) = crate::sandbox::denials_in(&stderr).into_iter().next()
            {
                notes.push(Note {
                    code: "E-ISOLAMENTO-NEGOU",
                    text: format!(
                        "O {name} recebeu um \"Permission denied\" ({denied}). O corretor roda \
                         cada programa isolado: ele só escuta e conecta na porta que o corretor \
                         dá em PORTA, e só escreve na sua pasta temporária. Uma porta fixa no \
                         código ou um arquivo fora dessa pasta dão esse erro (veja \
                         book/src/isolamento.md)."
                    ),
                });
            }
            if !stderr.trim().is_empty() {
                outputs.push((
                    format!("saída de erro do {name} (stderr)"),
                    tail(&stderr, 20),
                ));
            }
            // What it printed often says what it was doing (the starter prints a reminder).
            let stdout = program.stdout.text();
            if !stdout.trim().is_empty() {
                outputs.push((format!("saída do {name} (stdout)"), tail(&stdout, 20)));
            }
        }
    }

    /// The panic line of the program for `role`, once it has exited (its
    /// stderr read to the end, within a bound: it has just exited).
    pub(super) async fn panic_of(&mut self, role: Role) -> Option<String> {
        let program = self.programs[slot(role)].as_mut()?;
        program.flush_output(Duration::from_millis(500)).await;
        panic_in(program)
    }

    /// Whether the program for `role` was started and has not exited.
    pub fn is_running(&mut self, role: Role) -> bool {
        self.program(role).is_some_and(|p| p.try_status().is_none())
    }

    /// The port of this run, once chosen.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    // ---- ports and programs ------------------------------------------------

    /// The port of this run: `--port`, or one the kernel says is free.
    pub(super) fn choose_port(&mut self) -> Result<u16, String> {
        if let Some(port) = self.port {
            return Ok(port);
        }
        let port = match self.opts.fixed_port {
            Some(port) => port,
            None => wire::free_port()
                .map_err(|e| format!("não encontrei uma porta livre em 127.0.0.1 ({e})"))?,
        };
        self.port = Some(port);
        self.redactions
            .push((port.to_string(), "<porta>".to_owned()));
        Ok(port)
    }

    /// Starts the learner's program for `role` with `PORTA` set.
    pub async fn start(&mut self, role: Role) -> Flow {
        self.start_with_env(role, &[]).await
    }

    /// Starts the program for `role` with `PORTA` and the variables in `env`
    /// (lab 04's `TEMPO_LIMITE_MS`), which the transcript shows.
    pub async fn start_with_env(&mut self, role: Role, env: &[(&str, String)]) -> Flow {
        self.start_with(role, env, Extra::default()).await
    }

    /// Starts the program for `role` with these command-line arguments (lab
    /// 07's `cliente baixar notas.txt`), which the transcript shows.
    pub async fn start_with_args(&mut self, role: Role, args: &[String]) -> Flow {
        let extra = Extra {
            args: args.to_vec(),
            ..Extra::default()
        };
        self.start_with(role, &[], extra).await
    }

    /// Starts the program for `role` with `env` and `extra`: arguments (shown in
    /// the transcript) and folders its sandbox lets it read. The lent folder
    /// (see `lend_folder`) goes to every program, in its variable.
    pub async fn start_with(&mut self, role: Role, env: &[(&str, String)], extra: Extra) -> Flow {
        let lent: Vec<(&str, String)> = self
            .lent
            .as_ref()
            .map(|l| (l.var, l.path.display().to_string()))
            .into_iter()
            .collect();
        let writable: Vec<std::path::PathBuf> = self.lent.iter().map(|l| l.path.clone()).collect();
        let env: Vec<(&str, String)> = env.iter().cloned().chain(lent).collect();
        let port = match self.choose_port() {
            Ok(port) => port,
            Err(why) => {
                self.note("E-SEM-PORTA", why);
                return Err(self.fail().await);
            }
        };
        if role == Role::Server && self.opts.fixed_port.is_some() && wire::port_in_use(port) {
            self.say(format!("[corretor] a porta {port} já está ocupada"));
            self.note(
                "E-PORTA-EM-USO",
                format!(
                    "Antes de iniciar o seu servidor, outro processo já ocupava a porta {port} \
                     (uma execução anterior que ficou aberta?). Feche-o (`ss -ltnp | grep {port}` \
                     mostra quem é) ou rode sem --port."
                ),
            );
            return Err(self.fail().await);
        }
        self.start_at(role, port, &env, extra, &writable).await
    }

    /// Starts the program for `role` with `PORTA=<port>`, another port than the
    /// run's: lab 06's client talks to the bad network in front of the server.
    pub async fn start_on_port(&mut self, role: Role, port: u16, env: &[(&str, String)]) -> Flow {
        self.start_at(role, port, env, Extra::default(), &[]).await
    }

    async fn start_at(
        &mut self,
        role: Role,
        port: u16,
        env: &[(&str, String)],
        extra: Extra,
        writable: &[std::path::PathBuf],
    ) -> Flow {
        let name = role.label();
        let launch = self.launches[slot(role)]
            .clone()
            .expect("start() só é chamado para um papel avaliado");
        self.envs[slot(role)] = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let shown: String = env.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        let called = if extra.args.is_empty() {
            String::new()
        } else {
            format!(": {name} {}", extra.args.join(" "))
        };
        self.say(format!(
            "[corretor] inicia o {name} com PORTA={port}{shown}{called}"
        ));
        let start = Start {
            env,
            args: &extra.args,
            read: &extra.read,
            writable,
            stdin_piped: role == Role::Client,
            udp: self.udp_rule(port),
        };
        match Program::spawn(&launch, port, start) {
            Ok(program) => {
                self.programs[slot(role)] = Some(program);
                self.listen_unchecked = role == Role::Server;
                Ok(())
            }
            Err(error) => {
                self.say(format!("[corretor] não conseguiu iniciar o {name}"));
                self.note(
                    "E-NAO-INICIOU",
                    format!("Não consegui executar `{}`: {error}.", launch.describe()),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Stops the program for `role` (its whole process group) and reaps it.
    pub async fn stop(&mut self, role: Role) {
        if let Some(mut program) = self.programs[slot(role)].take() {
            program.stop().await;
            // Killed, its pipes close at once; bounded in case a grandchild holds one.
            program.flush_output(Duration::from_millis(200)).await;
            let name = role.label();
            for line in crate::sandbox::denials_in(&program.stderr.text()) {
                self.denied.push(format!("[{name}] {line}"));
            }
        }
    }

    pub fn program(&mut self, role: Role) -> Option<&mut Program> {
        self.programs[slot(role)].as_mut()
    }

    /// Waits for the program to exit and records its status.
    pub async fn wait_exit(&mut self, role: Role) -> Flow {
        let limit = self.opts.timeout;
        self.wait_exit_within(role, limit).await
    }

    /// Like [`Session::wait_exit`], with a limit of its own (lab 04's "exits
    /// within 2 s of SIGTERM").
    pub async fn wait_exit_within(&mut self, role: Role, limit: Duration) -> Flow {
        let name = role.label();
        // A wait of this step already ran out: the step has failed, and the
        // program's exit can only be looked at, not waited for a second time.
        let already_failed = self.gave_up();
        let limit = if already_failed {
            Duration::ZERO
        } else {
            limit
        };
        let waited = {
            let Some(program) = self.programs[slot(role)].as_mut() else {
                return Ok(());
            };
            match tokio::time::timeout(limit, program.wait()).await {
                Ok(Ok(status)) => {
                    program.flush_output(Duration::from_secs(1)).await;
                    Some(status)
                }
                Ok(Err(_)) | Err(_) => None,
            }
        };
        match waited {
            Some(status) => {
                self.say(format!("[{name}] terminou com {}", describe_status(status)));
                Ok(())
            }
            None if already_failed => {
                self.say(format!(
                    "[{name}] continua rodando (o passo já tinha falhado por tempo: não esperei de novo)"
                ));
                self.note(
                    "E-NAO-TERMINOU",
                    format!(
                        "O {name} ainda rodava depois de o corretor esperar o prazo inteiro. Ele \
                         deveria sair sozinho ao fim da conversa."
                    ),
                );
                Err(self.fail().await)
            }
            None => {
                let after = seconds_text(limit);
                self.say(format!("[{name}] continua rodando depois de {after}"));
                self.note(
                    "E-NAO-TERMINOU",
                    format!("O {name} não terminou em {after}. Ele deveria sair sozinho ao fim da conversa."),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Stops the learner's server and starts it again on the same port: a clean
    /// room for a step that must not see earlier clients.
    pub async fn restart_server(&mut self) -> Flow {
        self.restart_server_with_env(&[]).await
    }

    /// Like [`Session::restart_server`], with extra variables in the environment.
    pub async fn restart_server_with_env(&mut self, env: &[(&str, String)]) -> Flow {
        self.restart_server_with(env, Extra::default()).await
    }

    /// Like [`Session::restart_server_with_env`], with arguments and folders to read.
    pub async fn restart_server_with(&mut self, env: &[(&str, String)], extra: Extra) -> Flow {
        self.stop(Role::Server).await;
        // The old listener must be gone, or the next connection could land in it.
        if let Some(port) = self.port {
            wire::wait_until_closed(port, self.deadline()).await;
        }
        self.start_with(Role::Server, env, extra).await
    }

    /// Records that reproducing this step by hand takes `signal`, which the
    /// grader delivered its own way (its stop is a SIGKILL to the group): the
    /// "Reproduza à mão" lines then say to send it.
    pub fn by_hand_also(&mut self, signal: Signal) {
        if let Some(current) = self.current.as_mut() {
            current.signals.push(signal);
        }
    }

    /// Sends `signal` to the program for `role` (its process group).
    pub fn signal(&mut self, role: Role, signal: Signal) {
        let name = role.label();
        let sent = self
            .program(role)
            .is_some_and(|program| program.signal(signal));
        let how = match signal {
            Signal::Term => "SIGTERM (como `kill`)",
            Signal::Interrupt => "SIGINT (como Ctrl-C no terminal)",
            Signal::Kill => "SIGKILL (como `kill -9`)",
        };
        if let Some(current) = self.current.as_mut() {
            current.signals.push(signal);
        }
        if sent {
            self.say(format!("[corretor] envia {how} ao {name}"));
        } else {
            self.say(format!(
                "[corretor] não conseguiu enviar {}: o {name} já tinha terminado",
                signal.name()
            ));
        }
    }

    /// After the program for `role` exited, checks that its stderr has the line
    /// `line`, exactly (lab 06's `Erro: sem resposta do servidor`).
    pub async fn expect_stderr_line(&mut self, role: Role, line: &str) {
        let name = role.label();
        let Some(program) = self.programs[slot(role)].as_mut() else {
            return;
        };
        program.flush_output(Duration::from_secs(1)).await;
        let stderr = program.stderr.text();
        let shown = crate::transcript::escape(line.as_bytes());
        if stderr.lines().any(|l| l.trim_end_matches('\r') == line) {
            self.say(format!("[{name}] escreveu {shown} na saída de erro"));
        } else {
            self.say(format!("[{name}] não escreveu {shown} na saída de erro"));
            self.note(
                "E-SAIDA-DIFERENTE",
                format!(
                    "O {name} deveria escrever a linha {shown} na saída de erro (`eprintln!`), \
                     exatamente assim."
                ),
            );
        }
    }

    /// After the program for `role` exited, checks that it explained the
    /// failure on stderr in a line starting with `Erro: `, and did not panic.
    pub async fn expect_error_line(&mut self, role: Role) {
        let name = role.label();
        let Some(program) = self.programs[slot(role)].as_mut() else {
            return;
        };
        program.flush_output(Duration::from_secs(1)).await;
        let stderr = program.stderr.text();
        if let Some(panic) = stderr.lines().find(|l| l.contains("panicked at")) {
            self.say(format!(
                "[{name}] entrou em pânico em vez de explicar o erro"
            ));
            self.note(
                "E-PANICO",
                format!(
                    "O {name} entrou em pânico ({}). Um erro de rede esperado (conexão \
                     recusada, tempo esgotado, conexão perdida) merece uma mensagem clara e \
                     um código de saída, não um `unwrap`.",
                    panic.trim()
                ),
            );
        } else if stderr.lines().any(|l| l.starts_with("Erro: ")) {
            self.say(format!(
                "[{name}] explicou o erro na saída de erro (uma linha \"Erro: …\")"
            ));
        } else {
            self.say(format!(
                "[{name}] não escreveu uma linha \"Erro: …\" na saída de erro"
            ));
        }
    }
}

/// Whether the program panicked, by its stderr or its exit code (101 is
/// Rust's for a panic): the panic's line, or an empty one if only the code told.
fn panic_in(program: &mut Program) -> Option<String> {
    let exited_101 = program.try_status().is_some_and(|s| s.code() == Some(101));
    panic_line(&program.stderr.text()).or_else(|| exited_101.then(String::new))
}

/// The line of a Rust panic in a program's stderr: `thread 'main' panicked at
/// src/main.rs:8:5:` and, since Rust 1.73, the message on the line below it.
fn panic_line(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let found = lines.by_ref().find(|l| l.contains("panicked at"))?.trim();
    match lines.next() {
        Some(message) if found.ends_with(':') => Some(format!("{found} {}", message.trim())),
        _ => Some(found.to_owned()),
    }
}

/// What E-PANICO says; `line` is empty when only the exit code 101 told.
fn panic_text(name: &str, exited: bool, line: &str) -> String {
    let what = if exited {
        format!("O {name} entrou em pânico e terminou")
    } else {
        format!("Uma thread do {name} entrou em pânico")
    };
    let said = if line.is_empty() {
        " (código de saída 101, o de um pânico em Rust; a saída de erro abaixo diz onde)".to_owned()
    } else {
        format!(": \"{line}\"")
    };
    format!(
        "{what}{said}. Um `unwrap()`, `expect()` ou índice fora do lugar derrubou o \
         programa ali; trate o `Err` (com `match` ou `?`) e diga o que houve numa \
         mensagem."
    )
}

pub(super) fn looks_like_addr_in_use(stderr: &str) -> bool {
    let lower = stderr.to_lowercase();
    lower.contains("address already in use")
        || lower.contains("addrinuse")
        || lower.contains("os error 98")
        || lower.contains("endereço já em uso")
}

/// The last `lines` lines of a text.
/// Control bytes are shown escaped (`\0`, `\r`, `\x1b`), as in the transcript:
/// printed raw, a terminal would hide them, and they may be the very defect.
pub(super) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<String> = text
        .trim_end_matches('\n')
        .split('\n')
        .map(visible)
        .collect();
    let start = all.len().saturating_sub(lines);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[… {start} linhas antes]\n"));
    }
    out.push_str(&all[start..].join("\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::{panic_line, panic_text};

    #[test]
    fn finds_a_panic_and_its_message() {
        // Rust 1.73+: the message on the line after the location.
        let stderr = "Servidor escutando\nthread 'main' panicked at src/bin/servidor.rs:8:42:\n\
                      called `Option::unwrap()` on a `None` value\nnote: run with ...\n";
        assert_eq!(
            panic_line(stderr).as_deref(),
            Some(
                "thread 'main' panicked at src/bin/servidor.rs:8:42: called \
                 `Option::unwrap()` on a `None` value"
            )
        );
        // Older Rust: the message before the location, on one line.
        let old = "thread 'main' panicked at 'oops', src/main.rs:2:5\nnote: ...\n";
        assert_eq!(
            panic_line(old).as_deref(),
            Some("thread 'main' panicked at 'oops', src/main.rs:2:5")
        );
        assert_eq!(panic_line("Erro: conexão recusada\n"), None);
    }

    #[test]
    fn says_whether_the_program_or_a_thread_panicked() {
        assert!(panic_text("servidor", true, "x").starts_with("O servidor entrou em pânico"));
        assert!(panic_text("servidor", false, "x").starts_with("Uma thread do servidor"));
        assert!(panic_text("cliente", true, "").contains("código de saída 101"));
    }
}
