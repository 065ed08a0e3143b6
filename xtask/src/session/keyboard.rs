//! The keyboard and the screen of the learner's client: type a line, close its
//! input, expect a printed line.

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::step::abbreviate;
use super::{Flow, Session, slot};
use crate::lab::Role;
use crate::printed;
use crate::transcript::escape;

impl Session {
    /// Types a line into the client's standard input, as a person would.
    pub async fn type_line(&mut self, line: &str) -> Flow {
        let typed = format!("{line}\n");
        let limit = self.opts.timeout;
        let written = match self.program(Role::Client).and_then(|p| p.stdin()) {
            Some(stdin) => tokio::time::timeout(limit, async {
                stdin.write_all(typed.as_bytes()).await?;
                stdin.flush().await
            })
            .await
            .is_ok_and(|r| r.is_ok()),
            None => false,
        };
        if written {
            self.say(format!(
                "[corretor] digita no cliente: {}",
                escape(typed.as_bytes())
            ));
            Ok(())
        } else {
            self.say("[corretor] não conseguiu digitar: o cliente não lê mais a entrada");
            self.note(
                "E-CLIENTE-NAO-LE",
                "O cliente fechou a entrada padrão ou terminou antes da hora.",
            );
            Err(self.fail().await)
        }
    }

    /// Closes the client's standard input (Ctrl-D at a terminal).
    pub fn close_input(&mut self) {
        if let Some(program) = self.program(Role::Client) {
            program.close_stdin();
        }
        self.say("[corretor] fecha a entrada do cliente (Ctrl-D)");
    }

    /// Waits until the client prints a line ending exactly in `text` (see
    /// `printed` for the rule) and records what it printed. Decides as soon as
    /// the output does: a wrong line meant to be this one, or the client's exit,
    /// ends the wait at once.
    pub async fn expect_printed(&mut self, text: &str) {
        // Once a wait of the step has run out, only what was printed counts.
        let deadline = if self.gave_up() {
            Instant::now()
        } else {
            self.deadline()
        };
        let wanted = text.as_bytes();
        let Some(program) = self.programs[slot(Role::Client)].as_mut() else {
            self.say(format!("[cliente] não imprimiu {}", escape(wanted)));
            return;
        };
        let from = program.printed.0;
        let verdict = program
            .stdout
            .wait_until(deadline, |out, closed| {
                printed::judge(out, from, wanted, closed)
            })
            .await;
        let timed_out = verdict.is_none();
        // At the deadline, the closest line is still worth showing.
        let verdict = verdict.unwrap_or_else(|| {
            match program
                .stdout
                .with_bytes(|out| printed::closest(out, from, wanted))
            {
                Some((line, defect)) => printed::Verdict::Wrong {
                    line,
                    defect,
                    next: from,
                },
                None => printed::Verdict::Missing,
            }
        });
        let shown = escape(wanted);
        match verdict {
            printed::Verdict::Matched { next } => {
                program.printed.0 = next;
                self.say(format!("[cliente] imprimiu {shown}"));
            }
            printed::Verdict::Wrong { line, defect, next } => {
                program.printed.0 = next;
                self.say(format!("[cliente] imprimiu {}", escape(&line)));
                let (code, why) = explain_printed(defect, &line, wanted);
                self.note(code, why);
            }
            printed::Verdict::Missing => {
                self.say(format!("[cliente] não imprimiu {shown}"));
            }
        }
        self.give_up_if(timed_out);
    }
}

/// What the client printed where one line was expected.
#[derive(Debug)]
pub enum NextPrinted {
    Matched,
    /// Another line with the marker came first: that line.
    Other(Vec<u8>),
    /// Nothing with the marker came (the deadline, or the output ended).
    Missing,
}

impl Session {
    /// Waits until the client prints its next line containing `marker`
    /// (`Resposta: `) and records it: it must be `text` (the same rule as
    /// [`Session::expect_printed`]). Where `expect_printed` skips lines, this
    /// one does not: a reply printed twice, or an old one, is the next line
    /// with the marker, and decides the wait at once.
    pub async fn expect_next_printed(
        &mut self,
        marker: &str,
        text: &str,
        deadline: Instant,
    ) -> NextPrinted {
        let deadline = if self.gave_up() {
            Instant::now()
        } else {
            deadline
        };
        let wanted = text.as_bytes();
        let marker = marker.as_bytes();
        let Some(program) = self.programs[slot(Role::Client)].as_mut() else {
            self.say(format!("[cliente] não imprimiu {}", escape(wanted)));
            return NextPrinted::Missing;
        };
        let from = program.printed.0;
        let found = program
            .stdout
            .wait_until(deadline, |out, closed| {
                next_line_with(out, from, marker, closed)
                    .map(Some)
                    .or(closed.then_some(None))
            })
            .await;
        let timed_out = found.is_none();
        match found.flatten() {
            Some((line, next)) => {
                program.printed.0 = next;
                let mut with_newline = line.clone();
                with_newline.push(b'\n');
                let matched = matches!(
                    printed::judge(&with_newline, 0, wanted, true),
                    Some(printed::Verdict::Matched { .. })
                );
                self.say(format!("[cliente] imprimiu {}", escape(&line)));
                if matched {
                    NextPrinted::Matched
                } else {
                    NextPrinted::Other(line)
                }
            }
            None => {
                self.say(format!("[cliente] não imprimiu {}", escape(wanted)));
                self.give_up_if(timed_out);
                NextPrinted::Missing
            }
        }
    }
}

/// The first whole line after `from` that contains `marker`, and where the
/// line after it starts. Once the output has ended, an unterminated rest counts.
fn next_line_with(
    out: &[u8],
    from: usize,
    marker: &[u8],
    closed: bool,
) -> Option<(Vec<u8>, usize)> {
    let mut start = from.min(out.len());
    loop {
        let rest = &out[start..];
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], start + end + 1),
            None if closed && !rest.is_empty() => (rest, out.len()),
            None => return None,
        };
        if line.windows(marker.len()).any(|w| w == marker) {
            return Some((line.to_vec(), next));
        }
        start = next;
    }
}

/// One line of a program's output with its invisible characters escaped, and
/// abbreviated if long.
pub(super) fn visible(line: &str) -> String {
    if !line.chars().any(|c| c.is_control() && c != '\t') {
        return abbreviate(line);
    }
    // Written as the transcript writes bytes, without the surrounding quotes.
    let quoted = escape(line.as_bytes());
    abbreviate(&quoted[1..quoted.len() - 1])
}

/// The diagnosis of a printed line that was meant to be `wanted` and is not.
fn explain_printed(defect: printed::Defect, line: &[u8], wanted: &[u8]) -> (&'static str, String) {
    let esperado = escape(wanted);
    match defect {
        printed::Defect::Nul => {
            let nuls = line.iter().filter(|&&b| b == 0).count();
            (
                "E-SAIDA-COM-NUL",
                format!(
                    "O cliente imprimiu {esperado} com {nuls} byte(s) nulo(s) (\\0) na mesma \
                     linha, que o terminal não mostra: ele imprimiu o buffer inteiro (`&buf`) \
                     em vez de só os bytes que o `read` devolveu (`&buf[..n]`)."
                ),
            )
        }
        printed::Defect::CarriageReturn => (
            "E-SAIDA-COM-CR",
            format!(
                "A linha impressa tem um \\r (retorno de carro), invisível no terminal: \
                 esperado só {esperado}. O cliente repassa um \\r que recebeu, ou termina a \
                 linha com \\r\\n; tire-o (`trim_end`) e imprima com `println!`."
            ),
        ),
        printed::Defect::Control => (
            "E-SAIDA-COM-CONTROLE",
            format!(
                "A linha impressa tem bytes de controle (como o \\x1b das cores do terminal) \
                 em volta de {esperado}. Imprima só o texto."
            ),
        ),
        printed::Defect::CutShort => (
            "E-SAIDA-PARTIDA",
            format!(
                "O cliente imprimiu só o começo da mensagem: esperado {esperado}. O corretor \
                 envia as mensagens em pedaços (como a rede pode entregar), e o cliente tratou \
                 um único `read` como a mensagem inteira. Leia até o \\n (`BufRead::read_line`) \
                 ou até o servidor fechar (`read_to_end`)."
            ),
        ),
        printed::Defect::TrailingText => (
            "E-SAIDA-DIFERENTE",
            format!(
                "A linha deveria terminar em {esperado}, mas o cliente imprimiu mais texto \
                 depois dele na mesma linha."
            ),
        ),
    }
}
