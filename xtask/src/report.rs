//! How a grading run is shown: to a person in a terminal (pt-BR, 80 columns,
//! colour only on a terminal and without `NO_COLOR`), or as JSON for machines.

use std::io::IsTerminal;

use colored::Colorize;
use similar::{ChangeTag, TextDiff};

use crate::catalog::{Lab, Role, Variant};
use crate::check::{Report, Target};
use crate::process::Signal;
use crate::session::{ByHand, Status, StepResult};

/// Width that hints are wrapped to, so output fits an 80-column terminal.
const WIDTH: usize = 76;

/// Decides once whether to colour stdout.
pub fn setup_color() -> bool {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    colored::control::set_override(color);
    color
}

fn wrap(text: &str, indent: &str) -> String {
    let options = unbroken(textwrap::Options::new(WIDTH))
        .initial_indent(indent)
        .subsequent_indent(indent);
    textwrap::fill(text, options)
}

/// Lines break only at spaces outside `code spans`: a path, a code such as
/// `E-SAIU-CEDO` or a snippet stays whole, even if the line gets longer.
fn unbroken(options: textwrap::Options<'_>) -> textwrap::Options<'_> {
    options
        .word_separator(textwrap::WordSeparator::Custom(words_outside_code))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false)
}

/// Splits a line after each run of spaces, except inside a `code span` (with
/// an odd number of backticks, none is taken as a span).
fn words_outside_code(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let spans = line.matches('`').count().is_multiple_of(2);
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let mut after_space = false;
    for (i, c) in line.char_indices() {
        if after_space && c != ' ' && !in_code {
            words.push(textwrap::core::Word::from(&line[start..i]));
            start = i;
        }
        if c == '`' && spans {
            in_code = !in_code;
        }
        after_space = c == ' ';
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// Prints a numbered command; a long `cd … && …` goes on two lines (the shell
/// reads a trailing `&&` as "continues below"), so the report stays 80 columns.
fn print_command(number: &str, command: &str) {
    match command.split_once(" && ") {
        Some((cd, rest)) if command.len() > 70 => {
            println!("      {number} {cd} &&");
            println!("         {rest}");
        }
        _ => println!("      {number} {command}"),
    }
}

/// How to run the program by hand, for the "reproduce" advice.
pub struct Reproduce {
    server: ByHandCommand,
    client: ByHandCommand,
    /// `--port`, when given: the port of every run.
    fixed_port: Option<u16>,
}

/// One program as a person starts it at a terminal.
enum ByHandCommand {
    /// `cd <crate> && PORTA=… cargo run --bin <bin>`.
    Crate { dir: String, bin: &'static str },
    /// `PORTA=… <command>` (`--server-cmd`, `--client-cmd`).
    Shell(String),
}

impl ByHandCommand {
    /// The line to type, with the run's extra variables (`TEMPO_LIMITE_MS=…`) and
    /// its port in front of the program, as typed.
    fn line(&self, env: &str, port: u16) -> String {
        match self {
            ByHandCommand::Crate { dir, bin } => {
                format!("cd {dir} && {env}PORTA={port} cargo run --bin {bin}")
            }
            ByHandCommand::Shell(command) => format!("{env}PORTA={port} {command}"),
        }
    }
}

/// The port shown when the run never chose one (it failed before): any port
/// but 5000, the one a program that ignores `PORTA` uses anyway.
const PORT_WITHOUT_RUN: u16 = 6000;

impl Reproduce {
    /// For steps that did not fail (nothing to reproduce).
    fn silent() -> Reproduce {
        Reproduce {
            server: ByHandCommand::Shell(String::new()),
            client: ByHandCommand::Shell(String::new()),
            fixed_port: None,
        }
    }

    pub fn new(lab: &Lab, target: &Target, fixed_port: Option<u16>) -> Reproduce {
        let from_crate = |bin: &'static str, variant: Variant| ByHandCommand::Crate {
            dir: lab.crate_dir(variant).display().to_string(),
            bin,
        };
        Reproduce {
            server: match &target.server_cmd {
                Some(cmd) => ByHandCommand::Shell(cmd.clone()),
                None => from_crate("servidor", target.variant),
            },
            client: match &target.client_cmd {
                Some(cmd) => ByHandCommand::Shell(cmd.clone()),
                None => from_crate("cliente", target.variant),
            },
            fixed_port,
        }
    }
}

/// How many terminals reproducing a step takes: the program, one `nc` per
/// connection the grader held at once (at least one), and one more to send
/// SIGTERM or SIGKILL with `kill` (Ctrl-C is typed in the program's own terminal).
pub fn terminals_needed(role: Role, by_hand: &ByHand) -> usize {
    let kill = usize::from(
        by_hand
            .signals
            .iter()
            .any(|s| matches!(s, Signal::Term | Signal::Kill)),
    );
    match role {
        Role::Server => 1 + by_hand.clients.max(1) + kill,
        Role::Client => 2 + kill,
    }
}

/// A count of terminals in words, as the report says it.
fn in_words(count: usize) -> String {
    match count {
        2 => "dois".to_owned(),
        3 => "três".to_owned(),
        4 => "quatro".to_owned(),
        5 => "cinco".to_owned(),
        n => n.to_string(),
    }
}

pub fn print_header(lab: &Lab, graded: &str) {
    println!(
        "{} {} — {}",
        "Laboratório".bold(),
        lab.number.bold(),
        lab.title.bold()
    );
    println!("Avaliando {graded}");
    println!();
}

/// Prints one step as soon as it ends.
pub fn print_step(result: &StepResult, reproduce: &Reproduce, seed: u64) {
    let step = result.step;
    let bonus = if step.required { "" } else { " (bônus)" };
    let name = format!("{} {}", result.number, step.id);
    match result.status {
        Status::Passed => println!("  {} {}{bonus} · {}", "✓".green().bold(), name, step.title),
        Status::Failed => {
            println!(
                "  {} {}{bonus} · {}",
                "✗".red().bold(),
                name.red().bold(),
                step.title
            );
            print_failure(result, reproduce, seed);
        }
        Status::Skipped => match result.notes.first() {
            // A tool the step needs is missing: say which, and how to install it.
            Some(note) => println!("  {} {} · pulado: {}", "-".dimmed(), name, note.text),
            None => println!(
                "  {} {} · pulado (não avaliado nesta execução)",
                "-".dimmed(),
                name
            ),
        },
        Status::NotRun => println!("  {} {} · não executado", "·".dimmed(), name.dimmed()),
    }
}

fn print_failure(result: &StepResult, reproduce: &Reproduce, seed: u64) {
    let step = result.step;
    println!();
    println!("    {}", "Transcrição (− esperado, + recebido):".bold());
    let expected = result.expected.join("\n") + "\n";
    let received = result.received.join("\n") + "\n";
    let diff = TextDiff::from_lines(&expected, &received);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        match change.tag() {
            ChangeTag::Equal => println!("        {line}"),
            ChangeTag::Delete => println!("      {}", format!("− {line}").red()),
            ChangeTag::Insert => println!("      {}", format!("+ {line}").green()),
        }
    }
    if !result.notes.is_empty() {
        println!();
        println!("    {}", "O que aconteceu:".bold());
        for note in &result.notes {
            let text = format!("{} [{}]", note.text, note.code);
            let wrapped = wrap(&text, "        ");
            println!("      •{}", &wrapped[7..]);
        }
        println!(
            "      {}",
            "(os códigos [E-…] são explicados em book/src/codigos.md)".dimmed()
        );
    }
    println!();
    println!("{}", wrap(&format!("Dica: {}", step.hint), "    ").yellow());
    println!("    Releia: book/src/{}", step.book);
    print_by_hand(step.role, &result.by_hand, reproduce);
    for (label, text) in &result.outputs {
        println!();
        println!("    {}", format!("Últimas linhas da {label}:").bold());
        for line in text.lines() {
            // The program's own lines are wrapped too: the report stays 80 columns.
            // Only at spaces: a path in a panic message must stay whole.
            for piece in textwrap::wrap(line, unbroken(textwrap::Options::new(70))) {
                println!("      │ {piece}");
            }
        }
    }
    println!();
    println!("    Para repetir com os mesmos dados sorteados: --seed {seed}");
}

/// The "reproduce by hand" advice: one numbered line per terminal, on the
/// run's own port.
fn print_by_hand(role: Role, by_hand: &ByHand, reproduce: &Reproduce) {
    let port = by_hand
        .port
        .or(reproduce.fixed_port)
        .unwrap_or(PORT_WITHOUT_RUN);
    let terminals = terminals_needed(role, by_hand);
    println!(
        "    Reproduza à mão, em {} terminais, na porta {port}:",
        in_words(terminals)
    );
    if reproduce.fixed_port.is_none() && port != 5000 {
        println!(
            "{}",
            wrap(
                "(a porta sorteada desta execução, não a 5000: assim um programa que \
                 ignora PORTA e usa a 5000 fixa no código falha à mão como falhou no \
                 corretor)",
                "      "
            )
            .dimmed()
        );
    }
    // The variables the grader set go in front of the command, as typed; a
    // folder of the grader's own (lab 07's and 08's PASTA) is gone once the run
    // ends, so by hand it becomes a fresh one.
    let mut gone = Vec::new();
    let env: String = by_hand
        .env
        .iter()
        .map(|(k, v)| {
            if crate::sandbox::is_scratch(std::path::Path::new(v)) {
                gone.push(k.as_str());
                format!("{k}=\"$(mktemp -d)\" ")
            } else {
                format!("{k}={v} ")
            }
        })
        .collect();
    if !gone.is_empty() {
        let names = gone.join(", ");
        println!(
            "{}",
            wrap(
                &format!(
                    "({names}: uma pasta nova, vazia; a do corretor foi apagada ao fim da \
                     execução. Ponha nela os arquivos de que o passo precisa.)"
                ),
                "      "
            )
            .dimmed()
        );
    }
    let mut number = 0;
    let mut next = || {
        number += 1;
        format!("{number})")
    };
    // UDP: `nc -u` sends each Enter as one datagram.
    let nc = if by_hand.datagrams { "nc -u" } else { "nc" };
    match role {
        Role::Server if by_hand.datagrams => {
            print_command(&next(), &reproduce.server.line(&env, port));
            println!(
                "      {} {nc} 127.0.0.1 {port}   (cada Enter, um datagrama)",
                next()
            );
        }
        Role::Server => {
            print_command(&next(), &reproduce.server.line(&env, port));
            println!("      {} nc 127.0.0.1 {port}", next());
            for _ in 1..by_hand.clients {
                println!(
                    "      {} nc 127.0.0.1 {port}   (outro cliente, ao mesmo tempo)",
                    next()
                );
            }
        }
        Role::Client => {
            println!(
                "      {} {nc} -l 127.0.0.1 {port}   (você faz o papel do servidor)",
                next()
            );
            print_command(&next(), &reproduce.client.line(&env, port));
        }
    }
    let name = role.label();
    let connected = if by_hand.clients > 1 {
        "com os nc ainda conectados"
    } else {
        "com o nc ainda conectado"
    };
    for signal in &by_hand.signals {
        match signal {
            Signal::Interrupt => {
                println!("      {} {connected}, aperte Ctrl-C no terminal 1", next());
            }
            // `pgrep -n servidor` finds the binary by its name, not the cargo
            // that started it; for --server-cmd, `ps` finds whatever it runs.
            Signal::Term => {
                println!("      {} em outro terminal, {connected}:", next());
                println!(
                    "         kill -TERM <pid do {name}>   (o pid: `pgrep -n {name}` ou `ps`)"
                );
            }
            Signal::Kill => {
                println!(
                    "      {} em outro terminal, {connected}, derrube o {name}:",
                    next()
                );
                println!("         kill -9 <pid do {name}>   (o pid: `pgrep -n {name}` ou `ps`)");
                println!("         e, na mesma hora, rode de novo o comando do terminal 1");
            }
        }
    }
}

/// The closing lines after all steps.
pub fn print_summary(report: &Report) {
    if let Some(errors) = &report.build_failure {
        println!();
        println!("{}", "✗ O seu código não compilou.".red().bold());
        println!("  Mensagens do compilador:");
        println!();
        for line in errors.lines() {
            println!("    {line}");
        }
        println!();
        if let Some(advice) = report.build_advice() {
            println!(
                "{}",
                wrap(&format!("O que aconteceu: {advice}"), "  ").bold()
            );
            println!();
        }
        println!(
            "{}",
            wrap(
                "Dica: leia a primeira mensagem de erro (as outras costumam ser consequência \
                 dela); ela indica o arquivo e a linha. Corrija e rode o corretor de novo.",
                "  "
            )
            .yellow()
        );
        return;
    }
    // Steps that never ended were not printed live: list them now.
    for result in &report.results {
        // A step skipped for a missing tool (it has a note) was printed as it ended.
        let printed_live = result.status == Status::Skipped && !result.notes.is_empty();
        if matches!(result.status, Status::NotRun | Status::Skipped) && !printed_live {
            print_step(result, &Reproduce::silent(), report.seed);
        }
    }
    println!();
    let total = report.results.len();
    let passed = report.count(Status::Passed);
    let line = format!("{passed} de {total} passos passaram");
    if report.passed() {
        let skipped = report.count(Status::Skipped);
        let not_run = total - passed - skipped;
        if skipped > 0 {
            println!(
                "{} {line} ({skipped} não avaliados: pulados nesta execução).",
                "✓".green().bold()
            );
        } else if not_run > 0 {
            println!(
                "{} {line} (os demais não foram pedidos nesta execução).",
                "✓".green().bold()
            );
        } else {
            println!(
                "{} {line}. Laboratório {} concluído!",
                "✓".green().bold(),
                report.lab.number
            );
        }
    } else {
        println!("{} {line}.", "✗".red().bold());
        if let Some(failed) = report.results.iter().find(|r| r.status == Status::Failed) {
            println!(
                "  Corrija o passo {} ({}) e rode o corretor de novo.",
                failed.number, failed.step.id
            );
        }
    }
}

/// The machine-readable result (`--format json`).
pub fn json(report: &Report) -> serde_json::Value {
    let status_word = |s: Status| match s {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::NotRun => "not_run",
    };
    let steps: Vec<_> = report
        .results
        .iter()
        .map(|r| {
            serde_json::json!({
                "number": r.number,
                "id": r.step.id,
                "title": r.step.title,
                "role": r.step.role.label(),
                "required": r.step.required,
                "status": status_word(r.status),
                "expected": r.expected,
                "received": r.received,
                "diagnoses": r.notes.iter().map(|n| serde_json::json!({"code": n.code, "message": n.text})).collect::<Vec<_>>(),
                "hint": if r.status == Status::Failed { Some(r.step.hint) } else { None },
                "book": r.step.book,
                "output": r.outputs.iter().map(|(label, text)| serde_json::json!({"label": label, "text": text})).collect::<Vec<_>>(),
                "elapsed_ms": r.elapsed.as_millis() as u64,
            })
        })
        .collect();
    let status = if report.build_failure.is_some() {
        "error"
    } else if report.passed() {
        "pass"
    } else {
        "fail"
    };
    serde_json::json!({
        "lab": report.lab.dir,
        "graded": report.graded,
        "status": status,
        "seed": report.seed,
        "passed": report.count(Status::Passed),
        "total": report.results.len(),
        "build_errors": report.build_failure,
        "build_advice": report.build_advice(),
        "steps": steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_hand(clients: usize, signals: Vec<Signal>) -> ByHand {
        ByHand {
            clients,
            signals,
            ..ByHand::default()
        }
    }

    #[test]
    fn never_breaks_a_path_or_a_code_span() {
        let path = "/home/aluna/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio/src/lib.rs:51:21";
        let text = format!(
            "O servidor entrou em pânico em {path} e o conserto é \
             `TcpListener::bind((\"127.0.0.1\", porta))` com cuidado [E-PANICO-FALSO]"
        );
        let wrapped = wrap(&text, "    ");
        assert!(wrapped.lines().any(|l| l.trim() == path), "{wrapped}");
        assert!(
            wrapped.contains("`TcpListener::bind((\"127.0.0.1\", porta))`"),
            "{wrapped}"
        );
        assert!(wrapped.contains("[E-PANICO-FALSO]"), "{wrapped}");
        // Everything else still fits the width.
        for line in wrapped.lines().filter(|l| !l.contains(path)) {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
    }

    #[test]
    fn an_unbalanced_backtick_does_not_glue_the_line() {
        let wrapped = wrap(&format!("`{}", "palavra ".repeat(30)), "");
        assert!(wrapped.lines().count() > 3, "{wrapped}");
    }

    #[test]
    fn counts_the_terminals_a_step_needs() {
        // A server step that never connected still needs one `nc` to try.
        assert_eq!(terminals_needed(Role::Server, &by_hand(0, vec![])), 2);
        assert_eq!(terminals_needed(Role::Server, &by_hand(1, vec![])), 2);
        // Two clients at once (lab 03): the server and two `nc`.
        assert_eq!(terminals_needed(Role::Server, &by_hand(2, vec![])), 3);
        // `kill -TERM` is typed in a terminal of its own; Ctrl-C is not.
        assert_eq!(
            terminals_needed(Role::Server, &by_hand(2, vec![Signal::Kill])),
            4
        );
        assert_eq!(
            terminals_needed(Role::Server, &by_hand(1, vec![Signal::Term])),
            3
        );
        assert_eq!(
            terminals_needed(Role::Server, &by_hand(1, vec![Signal::Interrupt])),
            2
        );
        assert_eq!(terminals_needed(Role::Client, &by_hand(0, vec![])), 2);
        assert_eq!(in_words(3), "três");
    }
}
