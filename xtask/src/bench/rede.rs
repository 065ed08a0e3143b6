//! `cargo xtask bench` (or `bench rede`): the network solutions side by side, in
//! one run on one machine. Prints a table; writes the chart
//! (`book/src/imagens/bench-chat.svg`) and the results page
//! (`book/src/05-chat-async/medicoes.md`) that the "Threads vs async" chapter shows,
//! then UDP against TCP request-reply ([`super::udp`], `book/src/06-udp/medicoes.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::chat::{self, ChatResult};
use super::eco::{self, EchoResult};
use super::servidor::{self, Running, Subject};
use super::svg::{self, Panel, Series};

const CHAT_THREADS: Subject = Subject {
    label: "lab 03 (threads)",
    package: "chat-solucao",
    binary: "servidor",
    example: false,
};
const CHAT_TOKIO: Subject = Subject {
    label: "lab 05 (tokio)",
    package: "chat-async-solucao",
    binary: "servidor",
    example: false,
};
const ECHO_LINES: Subject = Subject {
    label: "lab 02 (linhas com BufRead)",
    package: "echo-solucao",
    binary: "servidor",
    example: false,
};
const ECHO_PER_READ: Subject = Subject {
    label: "uma leitura = uma mensagem (tutorial)",
    package: "echo-solucao",
    binary: "servidor_por_leitura",
    example: true,
};

/// Colours of the two chat servers in the chart.
const THREADS_COLOR: &str = "#d95f02";
const TOKIO_COLOR: &str = "#1b9e77";

/// What `cargo xtask bench` measures when no size is given.
pub const DEFAULT_CLIENTS: [usize; 4] = [10, 100, 1000, 10_000];
/// The book's `src/`, relative to the workbook root.
pub const DEFAULT_BOOK_SRC: &str = "book/src";
/// Seconds the join phase of one configuration may take.
pub const DEFAULT_JOIN_BUDGET_S: u64 = 180;

pub struct Options {
    /// Numbers of connected clients to measure.
    pub clients: Vec<usize>,
    /// The book's `src/` folder, where the chart and the results page go.
    pub book_src: PathBuf,
    /// How long the join phase of one configuration may take.
    pub join_budget: Duration,
}

pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let open_files = crate::limits::raise_open_files();
    // Each client holds a descriptor here and one in the server; keep a margin.
    let (clients, skipped): (Vec<usize>, Vec<usize>) = options
        .clients
        .iter()
        .partition(|&&n| n >= 2 && (n as u64) + 256 <= open_files);
    let machine = Machine::read(open_files);
    println!("{}", machine.describe());
    if !skipped.is_empty() {
        println!(
            "Pulando {skipped:?} clientes: o limite de arquivos abertos desta máquina é {open_files}."
        );
    }

    println!("Compilando os servidores em modo release…");
    let threads = servidor::build(root, &CHAT_THREADS)?;
    let tokio_server = servidor::build(root, &CHAT_TOKIO)?;
    let echo_lines = servidor::build(root, &ECHO_LINES)?;
    let echo_per_read = servidor::build(root, &ECHO_PER_READ)?;

    // One thread generates the load: the servers get the other core(s), and the
    // numbers say what the server does, not how two programs share the machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("não consegui criar o runtime do tokio: {e}"))?;
    let (chat_rows, echo_rows) = runtime.block_on(async {
        let mut chat_rows = Vec::new();
        for &n in &clients {
            for (subject, path) in [(&CHAT_THREADS, &threads), (&CHAT_TOKIO, &tokio_server)] {
                eprintln!("  chat: {} com {n} clientes…", subject.label);
                let result = match Running::start(path).await {
                    Ok(mut server) => {
                        let result = chat::measure(&mut server, n, options.join_budget).await;
                        server.stop().await;
                        result
                    }
                    Err(problem) => ChatResult {
                        clients: n,
                        problem: Some(problem),
                        ..ChatResult::default()
                    },
                };
                println!("{}", chat_row(subject, &result));
                chat_rows.push((*subject, result));
            }
        }
        let mut echo_rows = Vec::new();
        for (subject, path) in [(&ECHO_LINES, &echo_lines), (&ECHO_PER_READ, &echo_per_read)] {
            eprintln!("  eco: {}…", subject.label);
            let result = match Running::start(path).await {
                Ok(server) => {
                    let result = eco::measure(&server).await;
                    server.stop().await;
                    result
                }
                Err(problem) => EchoResult {
                    problem: Some(problem),
                    ..EchoResult::default()
                },
            };
            echo_rows.push((*subject, result));
        }
        eprintln!("  arquivos: 256 MiB para o servidor do laboratório 07…");
        let files = super::arquivos::run(root).await;
        println!("{}", files.describe());
        (chat_rows, echo_rows)
    });
    // Leaves no client task or socket behind before reporting.
    runtime.shutdown_timeout(Duration::from_secs(2));

    let page = results_page(&machine, &chat_rows, &echo_rows, &skipped);
    println!("\n{page}");
    let chart_path = options.book_src.join("imagens").join("bench-chat.svg");
    let page_path = options.book_src.join("05-chat-async").join("medicoes.md");
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text)
            .map_err(|e| format!("não consegui escrever {}: {e}", path.display()))
    };
    write(&chart_path, &chart(&machine, &chat_rows))?;
    write(&page_path, &page)?;
    println!(
        "Gráfico em {} e tabela em {}.",
        chart_path.display(),
        page_path.display()
    );
    // The same run, the same machine: UDP against TCP request-reply (lab 06 × lab 02).
    super::udp::run(root, &options.book_src, &machine)?;
    super::http::run(root, &options.book_src, &machine_line())
}

/// This machine, in one line for a results page: cores, processor, memory,
/// kernel and today's date.
pub fn machine_line() -> String {
    let machine = Machine::read(crate::limits::raise_open_files());
    format!(
        "**{}**, numa máquina com {}",
        machine.date,
        machine.describe_short()
    )
}

/// The measured columns of a chat row, as the terminal and the page show them:
/// connect time, RSS, threads, p50, p99, lines per second.
fn chat_cells(r: &ChatResult) -> [String; 6] {
    [
        r.connect_time.map_or("—".into(), seconds),
        r.memory.map_or("—".into(), |m| mib(m.rss_kib)),
        r.memory.map_or("—".into(), |m| m.threads.to_string()),
        r.latency_p50.map_or("—".into(), millis),
        r.latency_p99.map_or("—".into(), millis),
        r.lines_per_second
            .map_or("—".into(), |v| svg::number(v.round())),
    ]
}

fn chat_row(subject: &Subject, r: &ChatResult) -> String {
    let [connect, rss, threads, p50, p99, rate] = chat_cells(r);
    format!(
        "{:<18} {:>6} clientes: conectar {connect:>8}  RSS {rss:>9}  threads {threads:>6}  p50 {p50:>9}  p99 {p99:>9}  {rate:>12} linhas/s{}",
        subject.label,
        r.clients,
        r.problem
            .as_ref()
            .map_or(String::new(), |p| format!("  ({p})"))
    )
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64()).replace('.', ",")
}

pub(super) fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0).replace('.', ",")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0).replace('.', ",")
}

/// The Markdown page the chapter includes: machine, date, both tables.
fn results_page(
    machine: &Machine,
    chat_rows: &[(Subject, ChatResult)],
    echo_rows: &[(Subject, EchoResult)],
    skipped: &[usize],
) -> String {
    let mut page = format!(
        "<!-- Gerado por `cargo xtask bench`; não edite à mão: rode de novo. -->\n\n\
         Medido em **{}** com `cargo xtask bench`, numa máquina com {}; limite de \
         arquivos abertos (RLIMIT_NOFILE) elevado a {}.\n\n",
        machine.date,
        machine.describe_short(),
        machine.open_files
    );
    if !skipped.is_empty() {
        page.push_str(&format!(
            "Não medido: {skipped:?} clientes (o limite de arquivos abertos era {}).\n\n",
            machine.open_files
        ));
    }
    page.push_str(
        "| Servidor | Clientes | Conectar todos | RSS | Threads | p50 | p99 | \
         Linhas entregues/s | Observação |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    // Long explanations go below the table as numbered notes: inside a cell they
    // would stretch one row over half a page.
    let mut notes = Vec::new();
    let mut note_for = |problem: &Option<String>, what: String| match problem {
        Some(problem) => {
            notes.push(format!("{what}: {problem}"));
            format!("não completou (nota {})", notes.len())
        }
        None => String::new(),
    };
    for (subject, r) in chat_rows {
        let note = note_for(
            &r.problem,
            format!(
                "{}, {} clientes",
                subject.label,
                svg::number(r.clients as f64)
            ),
        );
        page.push_str(&format!(
            "| {} | {} | {} | {note} |\n",
            subject.label,
            svg::number(r.clients as f64),
            chat_cells(r).join(" | ")
        ));
    }
    page.push('\n');
    for (i, note) in notes.iter().enumerate() {
        page.push_str(&format!("{}. {}\n", i + 1, note.replace('|', "/")));
    }
    page.push_str(&format!(
        "\n*Conectar todos*: até o último aviso de entrada chegar. *RSS*: a memória física \
         do servidor logo depois. *p50* e *p99*: a latência da difusão, em {} linhas \
         enviadas uma por vez, do envio até a chegada ao último dos outros clientes (com \
         {} amostras, o p99 é a pior delas).\n\n",
        chat::LATENCY_SAMPLES,
        chat::LATENCY_SAMPLES
    ));
    page.push_str(
        "| Servidor echo | Linhas por segundo | Respostas certas (linhas curtas) | \
         Respostas certas (linhas de 100 KiB) | Observação |\n|---|---:|---:|---:|---|\n",
    );
    for (subject, r) in echo_rows {
        page.push_str(&format!(
            "| {} | {} | {} de {} | {} de {} | {} |\n",
            subject.label,
            r.lines_per_second
                .map_or("—".into(), |v| svg::number(v.round())),
            svg::number(r.short_right as f64),
            svg::number(r.short_total as f64),
            r.long_right,
            r.long_total,
            r.problem.clone().unwrap_or_default().replace('|', "/")
        ));
    }
    page
}

fn chart(machine: &Machine, rows: &[(Subject, ChatResult)]) -> String {
    let series = |color: &'static str,
                  subject: &Subject,
                  value: &dyn Fn(&ChatResult) -> Option<f64>| Series {
        name: subject.label.to_owned(),
        color,
        points: rows
            .iter()
            .filter(|(s, _)| s.package == subject.package)
            .filter_map(|(_, r)| Some((r.clients as f64, value(r)?)))
            .collect(),
    };
    let panel = |title: &str, unit: &str, value: &dyn Fn(&ChatResult) -> Option<f64>| Panel {
        title: title.to_owned(),
        y_unit: unit.to_owned(),
        series: vec![
            series(THREADS_COLOR, &CHAT_THREADS, value),
            series(TOKIO_COLOR, &CHAT_TOKIO, value),
        ],
    };
    let panels = [
        // Memory of a configuration that never got everyone in is not comparable.
        panel("Memória do servidor (RSS)", "MiB", &|r| {
            r.connect_time?;
            r.memory.map(|m| m.rss_kib as f64 / 1024.0)
        }),
        panel("Tempo para conectar todos", "segundos", &|r| {
            r.connect_time.map(|d| d.as_secs_f64())
        }),
        panel("Latência p99 da difusão", "ms", &|r| {
            r.latency_p99.map(|d| d.as_secs_f64() * 1000.0)
        }),
    ];
    let footer = [
        format!(
            "Medido em {} com `cargo xtask bench`: {}.",
            machine.date,
            machine.describe_short()
        ),
        "Sem ponto: a configuração não completou (veja a tabela do capítulo).".to_owned(),
    ];
    svg::chart("Chat: threads (lab 03) × tokio (lab 05)", &panels, &footer)
}

/// The machine the numbers belong to.
pub struct Machine {
    cpu: String,
    cores: usize,
    memory_gib: f64,
    kernel: String,
    open_files: u64,
    pub date: String,
}

impl Machine {
    pub fn read(open_files: u64) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("processador desconhecido".to_owned(), |(_, v)| {
                v.split_whitespace().collect::<Vec<_>>().join(" ")
            });
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(
                |_| std::env::consts::OS.to_owned(),
                |k| format!("Linux {}", k.trim()),
            ),
            open_files,
            date: today(),
        }
    }

    pub fn describe_short(&self) -> String {
        format!(
            "{} núcleos ({}), {:.0} GiB de memória, {}",
            self.cores, self.cpu, self.memory_gib, self.kernel
        )
    }

    fn describe(&self) -> String {
        format!(
            "Máquina: {}; limite de arquivos abertos: {}; data: {}.",
            self.describe_short(),
            self.open_files,
            self.date
        )
    }
}

/// Today's date (UTC) as `AAAA-MM-DD`, from the system clock.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_417), (2025, 11, 25));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
