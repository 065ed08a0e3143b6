//! How a grading run is shown: to a person in a terminal (pt-BR, 80 columns,
//! colour only on a terminal and without `NO_COLOR`), or as JSON for machines.

use std::io::IsTerminal;

use colored::Colorize;
use similar::{ChangeTag, TextDiff};

use crate::catalog::{Lab, Role, Variant};
use crate::check::{Report, Target};
use crate::process::Signal;
use crate::session::{Status, StepResult};

/// Width that hints are wrapped to, so output fits an 80-column terminal.
const WIDTH: usize = 76;

/// Decides once whether to colour stdout.
pub fn setup_color() -> bool {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    colored::control::set_override(color);
    color
}

fn wrap(text: &str, indent: &str) -> String {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(indent)
        // Codes such as `E-SAIU-CEDO` and paths must not be split at their hyphens.
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, options)
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
    pub server: String,
    pub client: String,
    pub port: u16,
}

impl Reproduce {
    /// For steps that did not fail (nothing to reproduce).
    fn silent() -> Reproduce {
        Reproduce {
            server: String::new(),
            client: String::new(),
            port: 0,
        }
    }

    pub fn new(lab: &Lab, target: &Target, port: Option<u16>) -> Reproduce {
        let port = port.unwrap_or(5000);
        let crate_cmd = |bin: &str, variant: Variant| {
            format!(
                "cd {} && PORTA={port} cargo run --bin {bin}",
                lab.crate_dir(variant).display()
            )
        };
        Reproduce {
            server: match &target.server_cmd {
                Some(cmd) => format!("PORTA={port} {cmd}"),
                None => crate_cmd("servidor", target.variant),
            },
            client: match &target.client_cmd {
                Some(cmd) => format!("PORTA={port} {cmd}"),
                None => crate_cmd("cliente", target.variant),
            },
            port,
        }
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
        Status::Skipped => println!(
            "  {} {} · pulado (não avaliado nesta execução)",
            "-".dimmed(),
            name
        ),
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
    println!("    Reproduza à mão, em dois terminais:");
    // The variables the grader set go in front of the command, as typed.
    let env: String = result
        .by_hand
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v} "))
        .collect();
    let with_env = |command: &str| match command.split_once("PORTA=") {
        Some((before, after)) => format!("{before}{env}PORTA={after}"),
        None => format!("{env}{command}"),
    };
    match step.role {
        Role::Server => {
            print_command("1)", &with_env(&reproduce.server));
            println!("      2) nc 127.0.0.1 {}", reproduce.port);
        }
        Role::Client => {
            println!(
                "      1) nc -l 127.0.0.1 {}   (você faz o papel do servidor)",
                reproduce.port
            );
            print_command("2)", &with_env(&reproduce.client));
        }
    }
    for signal in &result.by_hand.signals {
        let name = step.role.label();
        match signal {
            Signal::Interrupt => {
                println!("      3) com o nc ainda conectado, aperte Ctrl-C no terminal 1");
            }
            // `pgrep -n servidor` finds the binary by its name, not the cargo
            // that started it; for --server-cmd, `ps` finds whatever it runs.
            Signal::Term => {
                println!("      3) com o nc ainda conectado, em outro terminal:");
                println!(
                    "         kill -TERM <pid do {name}>   (o pid: `pgrep -n {name}` ou `ps`)"
                );
            }
        }
    }
    for (label, text) in &result.outputs {
        println!();
        println!("    {}", format!("Últimas linhas da {label}:").bold());
        for line in text.lines() {
            // The program's own lines are wrapped too: the report stays 80 columns.
            for piece in textwrap::wrap(line, 70) {
                println!("      │ {piece}");
            }
        }
    }
    println!();
    println!("    Para repetir com os mesmos dados sorteados: --seed {seed}");
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
        if matches!(result.status, Status::NotRun | Status::Skipped) {
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
                "{} {line} ({skipped} não avaliados: esta execução avaliou só um dos lados).",
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
        "steps": steps,
    })
}
