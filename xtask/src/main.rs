//! The command line: `cargo xtask check|list|book`. Flags in English, every
//! message in pt-BR.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use colored::Colorize;

use xtask::bench::rede;
use xtask::catalog::{self, Variant};
use xtask::check::{self, Target};
use xtask::grade;
use xtask::learner;
use xtask::progress::Progress;
use xtask::report;
use xtask::reports::Kind;
use xtask::run::{self, Interrupted, Output};
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
    /// Avalia de novo a cada arquivo salvo; teclas: n próximo, h dica, r rodar, l lista, q sair.
    Watch {
        /// O laboratório (padrão: o próximo não concluído).
        lab: Option<String>,
        /// Verifica mudanças periodicamente em vez de esperar eventos do sistema.
        #[arg(long)]
        poll: bool,
    },
    /// Lista os laboratórios, o seu progresso e os passos de cada um.
    List,
    /// Diz qual é o próximo laboratório não concluído e o capítulo dele.
    Next,
    /// Mostra a dica de um passo (padrão: o que falhou por último).
    Hint {
        lab: String,
        /// Número ou nome do passo.
        step: Option<String>,
    },
    /// Devolve o ponto de partida de um laboratório ao original (com cópia de segurança).
    Reset {
        lab: String,
        /// Não pergunta antes.
        #[arg(long)]
        yes: bool,
    },
    /// Mostra a solução de um laboratório (pergunta antes, se ele não foi concluído).
    Solution {
        lab: String,
        /// Não pergunta antes.
        #[arg(long)]
        yes: bool,
    },
    /// Avalia uma turma: uma subpasta por aluno; relatórios CSV, JSON, JUnit e Markdown.
    Grade(GradeArgs),
    /// Mede desempenho (benchmarks; nunca testes cronometrados). Sem subcomando:
    /// `rede`, com os valores padrão.
    Bench {
        #[command(subcommand)]
        what: Option<BenchWhat>,
    },
    /// Gera o livro em book/html e verifica includes e links.
    Book,
    /// Uma rede ruim entre duas portas UDP do loopback: perde, duplica e atrasa datagramas.
    RedeRuim(RedeRuimArgs),
}

#[derive(clap::Args)]
struct RedeRuimArgs {
    /// Porcentagem dos datagramas que se perdem (0 a 100).
    #[arg(long, value_name = "PCT", default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=100))]
    perda: u8,
    /// Porcentagem dos datagramas entregues que chegam duas vezes.
    #[arg(long, value_name = "PCT", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    duplica: u8,
    /// Atraso máximo de cada datagrama, em milissegundos; atrasos diferentes trocam a ordem.
    #[arg(long, value_name = "MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    atraso: u64,
    /// A porta em que a rede ruim escuta: aponte o cliente para ela (PORTA=...).
    #[arg(long, value_name = "PORTA", default_value_t = 6000, value_parser = clap::value_parser!(u16).range(1..))]
    escuta: u16,
    /// A porta do servidor, para onde os datagramas seguem.
    #[arg(long, value_name = "PORTA", default_value_t = 5000, value_parser = clap::value_parser!(u16).range(1..))]
    destino: u16,
    /// Semente do sorteio: a mesma semente repete as mesmas perdas.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// No máximo N datagramas perdidos seguidos, por cliente e sentido (padrão: sem limite).
    #[arg(long = "perdas-seguidas", value_name = "N")]
    perdas_seguidas: Option<u32>,
    /// Não mostra cada decisão, só as contagens no fim.
    #[arg(long, short)]
    quieto: bool,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Chat com threads (lab 03) × tokio (lab 05) e eco por linhas × por leitura;
    /// escreve o gráfico e a tabela que o capítulo "Threads vs async" mostra.
    Rede {
        /// Quantos clientes conectados medir (separados por vírgula).
        #[arg(long, value_delimiter = ',', default_values_t = rede::DEFAULT_CLIENTS)]
        clientes: Vec<usize>,
        /// A pasta `src` do livro, onde vão o gráfico e a tabela.
        #[arg(long, default_value = rede::DEFAULT_BOOK_SRC)]
        livro: std::path::PathBuf,
        /// Quanto tempo (s) a entrada de todos os clientes pode levar, por medição.
        #[arg(long, default_value_t = rede::DEFAULT_JOIN_BUDGET_S)]
        prazo: u64,
    },
    /// Pedido e resposta por UDP (lab 06) × por TCP (lab 02), lado a lado; escreve a
    /// tabela do capítulo "UDP: mensagens sem conexão" (também roda no `bench` sem subcomando).
    Udp {
        /// A pasta `src` do livro, onde vai a tabela.
        #[arg(long, default_value = rede::DEFAULT_BOOK_SRC)]
        livro: std::path::PathBuf,
    },
    /// Só o servidor HTTP (lab 08), com keep-alive × sem; escreve a tabela do capítulo.
    Http {
        /// A pasta `src` do livro, onde vai a tabela.
        #[arg(long, default_value = rede::DEFAULT_BOOK_SRC)]
        livro: std::path::PathBuf,
    },
    /// Corrige uma turma gerada (soluções e pontos de partida) e separa compilar de avaliar.
    Turma {
        /// Quantas entregas.
        #[arg(long, default_value_t = 30)]
        students: usize,
        /// Avaliações ao mesmo tempo (padrão: o número de núcleos).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Só o servidor de arquivos (lab 07): envio de 256 MiB e memória, contra `cat`.
    /// (`rede` também mede isso, no fim.)
    Arquivos,
    /// O custo do isolamento: preparo por programa, e uma turma com e sem ele.
    Isolamento {
        /// Quantas entregas.
        #[arg(long, default_value_t = 3)]
        students: usize,
        /// Os laboratórios da turma (ex.: 01,02).
        #[arg(long, value_delimiter = ',', default_values_t = ["01".to_owned(), "02".to_owned()])]
        labs: Vec<String>,
        /// Quantos preparos medir.
        #[arg(long, default_value_t = 200)]
        vezes: usize,
        /// Quantas vezes corrigir a turma com e sem isolamento (alternando).
        #[arg(long, default_value_t = 3)]
        rodadas: usize,
    },
}

#[derive(clap::Args)]
struct GradeArgs {
    /// A pasta com uma entrega por aluno (cópia da apostila, ou só a pasta labs/).
    folder: std::path::PathBuf,
    /// Só estes laboratórios (ex.: 01,02); padrão: todos.
    #[arg(long, value_delimiter = ',')]
    labs: Vec<String>,
    /// Quantas avaliações ao mesmo tempo (padrão: o número de núcleos).
    #[arg(long)]
    jobs: Option<usize>,
    /// Relatórios a gerar (csv, json, junit, md; padrão: todos).
    #[arg(long, value_delimiter = ',')]
    report: Vec<String>,
    /// Pasta dos relatórios (e do trabalho de compilação).
    #[arg(long, default_value = "notas")]
    out: std::path::PathBuf,
    /// Prazo de cada espera, em milissegundos.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout: u64,
    /// Avalia mesmo sem isolamento (Landlock): só para entregas em que você confia.
    #[arg(long = "sem-isolamento")]
    sem_isolamento: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// O laboratório: número (01) ou nome da pasta (01-basico).
    #[arg(required_unless_present = "all")]
    lab: Option<String>,
    /// Avalia todos os laboratórios desta cópia da apostila.
    #[arg(long, conflicts_with_all = ["lab", "server_cmd", "client_cmd", "step"])]
    all: bool,
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
    /// Escreve também nesta pasta, da mesma avaliação: junit.xml, resultado.json
    /// (Exercism) e resumo.md (a tabela por laboratório, para o resumo do job no CI).
    #[arg(long, value_name = "PASTA")]
    out: Option<std::path::PathBuf>,
    /// Desenha a conversa de cada passo que rodou (um SVG por passo e um index.html)
    /// em PASTA/NN-tema/; sem PASTA, em .tomada/diagramas/. Use `--diagrama=PASTA`.
    #[arg(long, value_name = "PASTA", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    diagrama: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
}

/// No Rust panic trace reaches the user: a closed stdout (`| head`) ends the
/// program quietly, anything else is reported in pt-BR. Either way, the
/// programs under test are killed first.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        xtask::process::kill_all_live();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to") {
            std::process::exit(141);
        }
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "Erro interno do corretor{place}: {message}\nIsto é um defeito da apostila, não do \
             seu código. Avise quem a mantém, com a mensagem acima."
        );
    }));
}

/// clap's own words (the "Usage:" and "Options:" headings, the help flag) in
/// pt-BR, in every subcommand: a learner reads `--help` too.
fn in_portuguese(command: clap::Command) -> clap::Command {
    const TEMPLATE: &str = "{about-with-newline}\nUso: {usage}\n\n{all-args}{after-help}";
    command
        .help_template(TEMPLATE)
        .subcommand_help_heading("Comandos")
        .subcommand_value_name("COMANDO")
        .mut_args(|arg| match arg.get_help_heading() {
            Some(_) => arg,
            None if arg.is_positional() => arg.help_heading("Argumentos"),
            None => arg.help_heading("Opções"),
        })
        .next_help_heading("Opções")
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("ajuda")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help("Mostra esta ajuda"),
        )
        .mut_subcommands(in_portuguese)
}

fn parse_cli() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = in_portuguese(Cli::command().bin_name("cargo xtask"))
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    parsed.unwrap_or_else(|error| exit_in_portuguese(error))
}

/// clap's usage errors, with its most common phrases in pt-BR. What is not in
/// the table stays as clap wrote it: a message half translated beats none.
fn exit_in_portuguese(error: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        error.exit();
    }
    const PHRASES: &[(&str, &str)] = &[
        // Longer phrases first: a shorter one may be part of them.
        ("invalid digit found in string", "não é um número"),
        ("' found", "' encontrado"),
        ("the argument '", "o argumento '"),
        ("error: ", "erro: "),
        ("  tip: ", "  dica: "),
        ("Usage: ", "Uso: "),
        (
            "For more information, try '--help'.",
            "Para saber mais: '--help'.",
        ),
        ("unrecognized subcommand", "subcomando desconhecido"),
        (
            "a similar subcommand exists",
            "existe um subcomando parecido",
        ),
        ("a similar argument exists", "existe um argumento parecido"),
        ("unexpected argument", "argumento inesperado"),
        ("invalid value", "valor inválido"),
        ("for '", "para '"),
        (
            "the following required arguments were not provided",
            "faltam os argumentos obrigatórios",
        ),
        ("cannot be used with", "não pode ser usado com"),
        ("a value is required for", "falta o valor de"),
        ("but none was supplied", "e nenhum foi dado"),
        ("possible values", "valores possíveis"),
        ("to pass", "para passar"),
        ("as a value, use", "como valor, use"),
    ];
    let mut text = error.render().to_string();
    for (english, portuguese) in PHRASES {
        text = text.replace(english, portuguese);
    }
    eprint!("{text}");
    std::process::exit(error.exit_code());
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = parse_cli();
    report::setup_color();
    let root = match check::workbook_root() {
        Ok(root) => root,
        Err(why) => return usage_error(&why),
    };
    let result = match cli.command {
        Command::Check(args) => return run_check(args, &root),
        Command::Grade(args) => return run_grade(args, &root),
        Command::Book => return run_book(&root),
        Command::RedeRuim(args) => run_bad_network(args),
        Command::Bench { what: None } => run_bench_network(
            &root,
            rede::DEFAULT_CLIENTS.to_vec(),
            rede::DEFAULT_BOOK_SRC.into(),
            rede::DEFAULT_JOIN_BUDGET_S,
        ),
        Command::Bench {
            what:
                Some(BenchWhat::Rede {
                    clientes,
                    livro,
                    prazo,
                }),
        } => run_bench_network(&root, clientes, livro, prazo),
        Command::Bench {
            what: Some(BenchWhat::Udp { livro }),
        } => {
            let machine = rede::Machine::read(xtask::limits::raise_open_files());
            println!(
                "Máquina: {}; data: {}.",
                machine.describe_short(),
                machine.date
            );
            xtask::bench::udp::run(&root, &root.join(livro), &machine)
        }
        Command::Bench {
            what: Some(BenchWhat::Arquivos),
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("não consegui criar o runtime do tokio: {e}"))
            .map(|runtime| {
                let result = runtime.block_on(xtask::bench::arquivos::run(&root));
                println!("{}", result.describe());
            }),
        Command::Bench {
            what: Some(BenchWhat::Http { livro }),
        } => xtask::bench::http::run(&root, &root.join(livro), &rede::machine_line()),
        Command::Bench {
            what: Some(BenchWhat::Turma { students, jobs }),
        } => {
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            xtask::bench::class(&root, students, jobs)
        }
        Command::Bench {
            what:
                Some(BenchWhat::Isolamento {
                    students,
                    labs,
                    vezes,
                    rodadas,
                }),
        } => labs
            .iter()
            .map(|q| find_lab(q))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|labs| xtask::bench::isolamento::run(&root, students, &labs, vezes, rodadas)),
        Command::List => {
            learner::list(&root);
            Ok(())
        }
        Command::Next => {
            learner::next(&root);
            Ok(())
        }
        Command::Hint { lab, step } => {
            find_lab(&lab).and_then(|lab| learner::hint(&root, lab, step.as_deref()))
        }
        Command::Reset { lab, yes } => {
            find_lab(&lab).and_then(|lab| learner::reset(&root, lab, yes))
        }
        Command::Solution { lab, yes } => {
            find_lab(&lab).and_then(|lab| learner::solution(&root, lab, yes))
        }
        Command::Watch { lab, poll } => {
            let lab = match lab {
                Some(query) => find_lab(&query),
                None => Ok(Progress::load(&root)
                    .next_lab()
                    .unwrap_or(&catalog::LABS[0])),
            };
            lab.and_then(|lab| xtask::watch::watch(&root, lab, poll))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("{} {why}", "Erro:".red().bold());
            ExitCode::from(2)
        }
    }
}

/// Finds a lab by number or name, or explains which ones exist.
fn find_lab(query: &str) -> Result<&'static catalog::Lab, String> {
    catalog::find(query).ok_or_else(|| {
        let known: Vec<_> = catalog::LABS.iter().map(|l| l.dir).collect();
        format!(
            "não existe o laboratório {query:?}. Os laboratórios são: {}.",
            known.join(", ")
        )
    })
}

fn run_check(args: CheckArgs, root: &std::path::Path) -> ExitCode {
    let labs: Vec<&'static catalog::Lab> = match &args.lab {
        _ if args.all => catalog::LABS.iter().collect(),
        Some(query) => match find_lab(query) {
            Ok(lab) => vec![lab],
            Err(why) => return usage_error(&why),
        },
        None => return usage_error("diga qual laboratório avaliar, ou use --all"),
    };
    let variant = if args.solution {
        Variant::Solution
    } else {
        Variant::Starter
    };
    for (flag, command) in [
        ("--server-cmd", &args.server_cmd),
        ("--client-cmd", &args.client_cmd),
    ] {
        let Some(command) = command else { continue };
        if xtask::sandbox::enabled() && xtask::check::runs_cargo(command) {
            return usage_error(&xtask::check::cargo_in_command_advice(flag));
        }
    }
    let mut target = Target::of(variant);
    target.server_cmd = args.server_cmd;
    target.client_cmd = args.client_cmd;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let opts = Options {
        timeout: Duration::from_millis(args.timeout),
        step_limit: args.step.map(usize::from),
        verbose: args.verbose,
        seed,
        fixed_port: args.port,
        record: false,
    };
    let output = match (args.format, labs.len()) {
        (Format::Human, _) => Output::Human,
        // One lab in JSON: its own report. Several, or JUnit: the class formats.
        (Format::Json, 1) => Output::Json,
        _ => Output::Quiet,
    };
    let mut reports = Vec::new();
    for lab in labs {
        match run::grade_and_print(root, lab, &target, opts.clone(), output) {
            Ok(report) => {
                if let Some(folder) = &args.diagrama
                    && let Err(why) = write_diagrams(root, folder, &report, output)
                {
                    return usage_error(&why);
                }
                reports.push(report);
            }
            Err(Interrupted::CtrlC) => {
                eprintln!("\nInterrompido. Os programas em teste foram encerrados.");
                return ExitCode::from(130);
            }
            Err(Interrupted::Error(why)) => return usage_error(&why),
        }
        if output == Output::Human && args.all {
            println!();
        }
    }
    let who = root
        .file_name()
        .map_or("apostila".to_owned(), |n| n.to_string_lossy().into_owned());
    let class = std::collections::BTreeMap::from([(who, reports)]);
    let reports = &class.values().next().expect("um aluno");
    match args.format {
        Format::Json if reports.len() > 1 => {
            match serde_json::to_string_pretty(&xtask::reports::exercism(reports)) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("Erro ao gerar o JSON: {e}"),
            }
        }
        Format::Junit => print!("{}", xtask::reports::junit(&class)),
        _ => {}
    }
    if args.all && args.format == Format::Human {
        let labs: Vec<_> = reports.iter().map(|r| r.lab).collect();
        println!("{}", xtask::reports::table(&labs, &class));
    }
    // One grading run, every report from it: CI's Checks, points and summary agree.
    if let Some(out) = &args.out
        && let Err(e) = xtask::reports::write_learner(out, &class)
    {
        return usage_error(&format!(
            "não consegui escrever os relatórios em {}: {e}",
            out.display()
        ));
    }
    if reports.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `check --diagrama`: the run's pictures, in `<folder>/NN-tema/` (an empty
/// folder stands for the default one), and where they went. The path goes to
/// stderr when stdout carries JSON or JUnit, so as not to spoil it.
fn write_diagrams(
    root: &std::path::Path,
    folder: &str,
    report: &check::Report,
    output: Output,
) -> Result<(), String> {
    let base = if folder.is_empty() {
        xtask::diagram::default_dir(root)
    } else {
        std::path::PathBuf::from(folder)
    };
    let dir = base.join(report.lab.dir);
    let say = |text: String| {
        if output == Output::Human {
            println!("{text}");
        } else {
            eprintln!("{text}");
        }
    };
    match xtask::diagram::write_run(&dir, report) {
        Ok(Some(index)) => {
            say(format!("Diagramas da conversa: {}", index.display()));
            Ok(())
        }
        Ok(None) => {
            say(format!(
                "Nenhum passo do laboratório {} rodou: não há conversa para desenhar.",
                report.lab.number
            ));
            Ok(())
        }
        Err(e) => Err(format!(
            "não consegui escrever os diagramas em {}: {e}",
            dir.display()
        )),
    }
}

fn usage_error(why: &str) -> ExitCode {
    eprintln!("{} {why}", "Erro:".red().bold());
    ExitCode::from(2)
}

/// `grade` runs strangers' code: only isolated, unless the teacher says
/// otherwise with `--sem-isolamento` (then warned of what that means).
fn isolate_grade(without: bool) -> Result<(), String> {
    use xtask::sandbox;
    let support = sandbox::support();
    if without {
        sandbox::disable();
        eprintln!(
            "{} --sem-isolamento: cada entrega roda com as suas permissões. Ela pode ler e \
             apagar os seus arquivos (inclusive ~/.ssh), ler as outras entregas, falar com \
             qualquer porta desta máquina e sinalizar os seus processos. Os relatórios \
             registram que esta avaliação não foi isolada.",
            "Aviso:".yellow().bold()
        );
        return Ok(());
    }
    if !support.landlock() {
        return Err(format!(
            "não avalio entregas sem isolamento: {}. O `grade` roda código de outras \
             pessoas, e sem o Landlock (Linux 5.13 ou mais novo, com o Landlock ligado) ele \
             poderia ler e escrever tudo o que você pode. Avalie num Linux com Landlock, ou \
             cada entrega no runner do próprio aluno pelo GitHub Classroom (modelo em \
             xtask/modelos/github-classroom.yml). Se você confia nas entregas: \
             `--sem-isolamento`.",
            support
                .why_not
                .as_deref()
                .unwrap_or("Landlock indisponível")
        ));
    }
    println!("Isolamento: {}.", support.describe());
    let missing = support.missing();
    if !missing.is_empty() {
        eprintln!(
            "{} este núcleo não dá estas proteções: {}.",
            "Aviso:".yellow().bold(),
            missing.join("; ")
        );
    }
    Ok(())
}

fn run_grade(args: GradeArgs, root: &std::path::Path) -> ExitCode {
    let labs: Vec<&'static catalog::Lab> = if args.labs.is_empty() {
        catalog::LABS.iter().collect()
    } else {
        match args
            .labs
            .iter()
            .map(|q| find_lab(q))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(labs) => labs,
            Err(why) => return usage_error(&why),
        }
    };
    let kinds: Vec<Kind> = if args.report.is_empty() {
        Kind::ALL.to_vec()
    } else {
        match args
            .report
            .iter()
            .map(|r| Kind::parse(r).ok_or(r))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(kinds) => kinds,
            Err(bad) => {
                return usage_error(&format!(
                    "relatório desconhecido: {bad:?} (use csv, json, junit ou md)"
                ));
            }
        }
    };
    let submissions = match grade::submissions(&args.folder) {
        Ok(found) => found,
        Err(why) => return usage_error(&why),
    };
    if let Err(why) = isolate_grade(args.sem_isolamento) {
        return usage_error(&why);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let total = (submissions.len() * labs.len()) as u64;
    println!(
        "Avaliando {} entregas × {} laboratórios ({} ao mesmo tempo)…",
        submissions.len(),
        labs.len(),
        jobs
    );
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} avaliações · {elapsed} · resta ~{eta} · {msg}",
    ) {
        bar.set_style(style);
    }
    let options = grade::GradeOptions {
        jobs,
        out: args.out.clone(),
        timeout: Duration::from_millis(args.timeout),
    };
    let progress = |student: &str, lab: &catalog::Lab| {
        bar.set_message(format!("{student} · {}", lab.dir));
        bar.inc(1);
    };
    let result = match grade::grade_class(root, &submissions, &labs, &options, &progress) {
        Ok(result) => result,
        Err(why) => return usage_error(&why),
    };
    bar.finish_and_clear();
    println!("{}", xtask::reports::table(&result.labs, &result.students));
    let escaping = xtask::reports::tried_to_escape(&result.students);
    if !escaping.is_empty() {
        println!(
            "{} {} (acessos negados pelo isolamento; detalhes no JSON e em resumo.md)",
            "Tentaram sair do isolamento:".yellow().bold(),
            escaping.join(", ")
        );
    }
    println!(
        "{}",
        xtask::reports::stuck_text(&result.labs, &result.students)
    );
    println!(
        "Tempo: {:.1} s no total; somando as tarefas, {:.1} s compilando e {:.1} s avaliando.",
        result.timing.wall.as_secs_f64(),
        result.timing.compiling.as_secs_f64(),
        result.timing.grading.as_secs_f64()
    );
    match xtask::reports::write_all(&args.out, &kinds, &result.labs, &result.students) {
        Ok(paths) => {
            println!("Relatórios:");
            for path in paths {
                println!("  {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&format!(
            "não consegui escrever os relatórios em {}: {e}",
            args.out.display()
        )),
    }
}

fn run_book(root: &std::path::Path) -> ExitCode {
    // The book builder is a separate crate so that `cargo xtask check` never
    // compiles mdbook; only those who build the book pay for it.
    let status = std::process::Command::new(xtask::process::cargo())
        .current_dir(root)
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

/// `cargo xtask rede-ruim`: the relay of lab 06, between any two loopback ports.
fn run_bad_network(args: RedeRuimArgs) -> Result<(), String> {
    use xtask::rede_ruim::{CommandOptions, Config, run_command};
    run_command(CommandOptions {
        config: Config {
            loss_percent: args.perda,
            duplicate_percent: args.duplica,
            max_delay: Duration::from_millis(args.atraso),
            seed: args.seed.unwrap_or_else(|| fastrand::u64(..)),
            max_consecutive_losses: args.perdas_seguidas,
        },
        listen_port: args.escuta,
        server_port: args.destino,
        quiet: args.quieto,
    })
}

/// `cargo xtask bench rede`: the book folder is taken relative to the workbook.
fn run_bench_network(
    root: &std::path::Path,
    clients: Vec<usize>,
    book_src: std::path::PathBuf,
    budget_seconds: u64,
) -> Result<(), String> {
    let options = rede::Options {
        clients,
        book_src: root.join(book_src),
        join_budget: std::time::Duration::from_secs(budget_seconds),
    };
    rede::run(root, &options)
}
