//! One graded run as the command line shows it: build, converse, print as the
//! steps end, record the learner's progress. Shared by `check` and `watch`.

use std::path::Path;

use colored::Colorize;

use crate::catalog::{Lab, Variant};
use crate::check::{self, Report, Target};
use crate::progress::Progress;
use crate::report::{self, Reproduce};
use crate::session::{Options, StepResult};

/// How the result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
    /// Nothing printed: the caller prints a combined report.
    Quiet,
}

/// Why a run produced no report.
pub enum Interrupted {
    /// Ctrl-C: the programs under test were killed.
    CtrlC,
    /// A problem with the workbook or the request, already described in pt-BR.
    Error(String),
}

/// Grades and prints. Ctrl-C stops the run and kills the programs under test:
/// they live in their own process groups, so the terminal's signal missed them.
pub fn grade_and_print(
    root: &Path,
    lab: &'static Lab,
    target: &Target,
    opts: Options,
    output: Output,
) -> Result<Report, Interrupted> {
    let human = output == Output::Human;
    let color = human && report::setup_color();
    let reproduce = Reproduce::new(lab, target, opts.fixed_port);
    let seed = opts.seed;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Interrupted::Error(format!("não consegui iniciar o runtime ({e})")))?;
    let outcome = runtime.block_on(async {
        if human {
            report::print_header(lab, &target.describe(root, lab));
            // Your own code runs isolated where the kernel allows; say what is not.
            let missing = crate::sandbox::support().missing();
            if crate::sandbox::enabled() && !missing.is_empty() {
                eprintln!(
                    "Aviso: os programas rodam isolados só em parte; este núcleo não dá: {}.",
                    missing.join("; ")
                );
            }
            println!("Compilando…");
        }
        let mut before_run = || {
            if human {
                println!("Conversando com o programa pela rede (127.0.0.1):\n");
            }
        };
        let on_step: Box<dyn FnMut(&StepResult)> = if human {
            Box::new(move |result| report::print_step(result, &reproduce, seed))
        } else {
            Box::new(|_| {})
        };
        let grading = check::grade(root, lab, target, opts, color, &mut before_run, on_step);
        // `biased`: the Ctrl-C branch is polled first, so its handler is in
        // place before grading spawns anything. Otherwise a SIGINT arriving
        // right after the first program starts would kill the grader itself
        // and leave that program (in its own process group) running.
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => None,
            report = grading => Some(report),
        }
    });
    let report = match outcome {
        None => {
            crate::process::kill_all_live();
            return Err(Interrupted::CtrlC);
        }
        Some(Err(error)) => return Err(Interrupted::Error(error.0)),
        Some(Ok(report)) => report,
    };
    match output {
        Output::Human => report::print_summary(&report),
        Output::Json => match serde_json::to_string_pretty(&report::json(&report)) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("Erro ao gerar o JSON: {e}"),
        },
        Output::Quiet => {}
    }
    // Only the learner's own crate counts as progress (not the solution, not
    // a command given with --server-cmd/--client-cmd).
    if target.variant == Variant::Starter
        && target.server_cmd.is_none()
        && target.client_cmd.is_none()
    {
        let mut progress = Progress::load(root);
        progress.record(&report);
        if let Err(e) = progress.save(root) {
            eprintln!(
                "{} não consegui guardar o progresso: {e}",
                "Aviso:".yellow()
            );
        }
    }
    Ok(report)
}
