//! The command line: `cargo xtask check|list|book`. Flags in English, every
//! message in pt-BR.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use colored::Colorize;

use xtask::catalog::{self, Variant};
use xtask::check::{self, Target};
use xtask::report::{self, Reproduce};
use xtask::session::Options;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Corretor e ferramentas da apostila Tomada",
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Avalia um laboratório: compila, conversa com o programa pela rede e compara.
    Check(CheckArgs),
    /// Lista os laboratórios e os passos de cada um.
    List,
    /// Gera o livro em book/html e verifica includes e links.
    Book,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// O laboratório: número (01) ou nome da pasta (01-basico).
    lab: String,
    /// Avalia a solução de referência em vez da sua versão.
    #[arg(long)]
    solution: bool,
    /// Avalia este comando como servidor (qualquer linguagem; roda no shell com PORTA definida).
    #[arg(long, value_name = "COMANDO")]
    server_cmd: Option<String>,
    /// Avalia este comando como cliente (qualquer linguagem; roda no shell com PORTA definida).
    #[arg(long, value_name = "COMANDO")]
    client_cmd: Option<String>,
    /// Usa esta porta em vez de escolher uma livre (para programas com a porta fixa no código).
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// Executa os passos só até o de número N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    step: Option<u16>,
    /// Mostra cada byte enviado e recebido, no momento em que passa.
    #[arg(long, short)]
    verbose: bool,
    /// Formato do resultado.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Semente dos dados sorteados, para repetir uma execução.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Prazo de cada espera (conectar, ler, terminar), em milissegundos.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            list();
            ExitCode::SUCCESS
        }
        Command::Check(args) => run_check(args),
        Command::Book => run_book(),
    }
}

fn list() {
    for lab in catalog::LABS {
        println!("{} {} — {}", lab.number.bold(), lab.dir, lab.title);
        for (i, step) in lab.steps.iter().enumerate() {
            let bonus = if step.required { "" } else { " (bônus)" };
            println!(
                "   {:>2} {:<18} [{}] {}{bonus}",
                i + 1,
                step.id,
                step.role.label(),
                step.title
            );
        }
        println!();
    }
    println!("Avalie com: cargo xtask check 01");
}

fn run_check(args: CheckArgs) -> ExitCode {
    let Some(lab) = catalog::find(&args.lab) else {
        let known: Vec<_> = catalog::LABS.iter().map(|l| l.dir).collect();
        eprintln!(
            "{} não existe o laboratório {:?}. Os laboratórios são: {}.",
            "Erro:".red().bold(),
            args.lab,
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let human = args.format == Format::Human;
    let color = if human { report::setup_color() } else { false };
    let variant = if args.solution {
        Variant::Solution
    } else {
        Variant::Starter
    };
    let mut target = Target::of(variant);
    target.server_cmd = args.server_cmd;
    target.client_cmd = args.client_cmd;
    let opts = Options {
        timeout: Duration::from_millis(args.timeout),
        step_limit: args.step.map(usize::from),
        verbose: args.verbose,
        seed: args.seed.unwrap_or_else(|| fastrand::u64(..)),
        fixed_port: args.port,
        record: false,
    };
    let reproduce = Reproduce::new(lab, &target, args.port);
    let seed = opts.seed;
    let root = check::workbook_root();

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Erro: não consegui iniciar o runtime ({e}).");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        if human {
            report::print_header(lab, &target.describe(lab));
            println!("Compilando…");
        }
        let mut before_run = || {
            if human {
                println!("Conversando com o programa pela rede (127.0.0.1):\n");
            }
        };
        let on_step: Box<dyn FnMut(&xtask::session::StepResult)> = if human {
            Box::new(move |result| report::print_step(result, &reproduce, seed))
        } else {
            Box::new(|_| {})
        };
        let grading = check::grade(&root, lab, &target, opts, color, &mut before_run, on_step);
        tokio::select! {
            report = grading => Some(report),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let report = match outcome {
        None => {
            // The programs run in their own process groups: Ctrl-C did not reach them.
            xtask::process::kill_all_live();
            eprintln!("\nInterrompido. Os programas em teste foram encerrados.");
            return ExitCode::from(130);
        }
        Some(Err(error)) => {
            eprintln!("{} {error}", "Erro:".red().bold());
            return ExitCode::from(2);
        }
        Some(Ok(report)) => report,
    };
    if human {
        report::print_summary(&report);
    } else {
        match serde_json::to_string_pretty(&report::json(&report)) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("Erro ao gerar o JSON: {e}"),
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_book() -> ExitCode {
    // The book builder is a separate crate so that `cargo xtask check` never
    // compiles mdbook; only those who build the book pay for it.
    let root = check::workbook_root();
    let status = std::process::Command::new(xtask::process::cargo())
        .current_dir(&root)
        .args(["run", "--quiet", "--package", "xtask-book", "--"])
        .arg(root.join("book"))
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("Erro: não consegui executar o cargo ({e}).");
            ExitCode::from(2)
        }
    }
}
