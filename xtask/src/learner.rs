//! The learner's commands besides `check`: `list`, `next`, `hint`, `reset`,
//! `solution`. Everything printed is pt-BR and fits 80 columns.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;

use colored::Colorize;

use crate::catalog::{LABS, Lab, Variant};
use crate::progress::{self, Progress};

/// `cargo xtask list`: every lab, done or pending, with its steps.
pub fn list(root: &Path) {
    let progress = Progress::load(root);
    let done = progress.done_count();
    println!(
        "Progresso {} {done} de {} laboratórios concluídos\n",
        progress::bar(done, LABS.len(), 20),
        LABS.len()
    );
    for lab in LABS {
        let state = progress.get(lab);
        let mark = if state.done {
            "✓ concluído".green().to_string()
        } else if state.passed_steps > 0 || state.first_failure.is_some() {
            format!("… {} de {} passos", state.passed_steps, state.total_steps)
                .yellow()
                .to_string()
        } else {
            "· a fazer".dimmed().to_string()
        };
        println!("{} {} — {}  {mark}", lab.number.bold(), lab.dir, lab.title);
        for (i, step) in lab.steps.iter().enumerate() {
            let bonus = if step.required { "" } else { " (bônus)" };
            println!(
                "   {:>2} {:<24} [{}]{bonus}",
                i + 1,
                step.id,
                step.role.label()
            );
        }
        println!();
    }
    match progress.next_lab() {
        Some(lab) => println!("Próximo: cargo xtask check {}", lab.number),
        None => println!("Todos os laboratórios concluídos. Parabéns!"),
    }
}

/// `cargo xtask next`: the next unfinished lab and where to read about it.
pub fn next(root: &Path) {
    let progress = Progress::load(root);
    let Some(lab) = progress.next_lab() else {
        println!("Você concluiu todos os laboratórios. Parabéns!");
        return;
    };
    let state = progress.get(lab);
    println!("Próximo laboratório: {} — {}", lab.number.bold(), lab.title);
    if state.passed_steps > 0 {
        println!(
            "Você já passou em {} de {} passos.",
            state.passed_steps, state.total_steps
        );
    }
    println!(
        "Leia: book/src/{}",
        lab.chapters.first().copied().unwrap_or("")
    );
    println!("Edite: {}/", lab.crate_dir(Variant::Starter).display());
    println!("Avalie: cargo xtask check {}", lab.number);
}

/// `cargo xtask hint <lab> [step]`: the hint of a step (by number or id); by
/// default, the step that failed last time, or the first one.
///
/// On a finished lab it says so: without a step named, there is nothing to
/// hint at (unless the last run failed again), and it points to the next lab.
pub fn hint(root: &Path, lab: &Lab, step: Option<&str>) -> Result<(), String> {
    let progress = Progress::load(root);
    let state = progress.get(lab);
    let wrap = |text: &str| {
        textwrap::fill(
            text,
            textwrap::Options::new(78).word_splitter(textwrap::WordSplitter::NoHyphenation),
        )
    };
    if state.done && step.is_none() && state.first_failure.is_none() {
        println!(
            "{}",
            wrap(&format!(
                "✓ Você já concluiu o laboratório {} — {}: não há passo com falha para \
                 dar dica.",
                lab.number, lab.title
            ))
            .green()
        );
        match progress.next_lab() {
            Some(next) => println!(
                "{}",
                wrap(&format!(
                    "Próximo: cargo xtask check {} ({}). A dica de um passo deste: \
                     cargo xtask hint {} <passo>",
                    next.number, next.title, lab.number
                ))
            ),
            None => println!("Todos os laboratórios estão concluídos. Parabéns!"),
        }
        return Ok(());
    }
    let index = match step {
        Some(query) => find_step(lab, query)?,
        None => state
            .first_failure
            .as_deref()
            .and_then(|id| lab.step_index(id))
            .unwrap_or(0),
    };
    let step = &lab.steps[index];
    if state.done {
        println!(
            "{}",
            wrap(&format!("(Você já concluiu o laboratório {}.)", lab.number)).green()
        );
    }
    println!(
        "{}",
        wrap(&format!(
            "Laboratório {}, passo {} ({}): {}",
            lab.number,
            index + 1,
            step.id,
            step.title
        ))
        .bold()
    );
    println!();
    println!("{}", wrap(&format!("Dica: {}", step.hint)).yellow());
    println!("Releia: book/src/{}", step.book);
    Ok(())
}

fn find_step(lab: &Lab, query: &str) -> Result<usize, String> {
    if let Ok(n) = query.parse::<usize>()
        && (1..=lab.steps.len()).contains(&n)
    {
        return Ok(n - 1);
    }
    lab.step_index(query).ok_or_else(|| {
        format!(
            "o laboratório {} não tem o passo {query:?}; os passos vão de 1 a {} (veja `cargo xtask list`).",
            lab.number,
            lab.steps.len()
        )
    })
}

/// The learner's answer to a yes/no question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    /// The input ended (or failed) before any answer: a script without `--yes`,
    /// or `< /dev/null`. Taken as "no", with a word on how to confirm.
    NoInput,
}

/// Asks a yes/no question and reads the answer from standard input, be it a
/// terminal or a pipe (`echo s | cargo xtask reset 01`). The question is always
/// shown: a script's log then says what was asked. From a pipe the answer is
/// echoed after the question, as the terminal would have shown it.
fn confirm(question: &str) -> Answer {
    let from_terminal = std::io::stdin().is_terminal();
    // Wrapped like the rest of the output; the answer goes after the last line.
    let options = textwrap::Options::new(78).word_splitter(textwrap::WordSplitter::NoHyphenation);
    print!("{} ", textwrap::fill(&format!("{question} [s/N]"), options));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer);
    let answer = match read {
        Ok(0) | Err(_) => {
            println!();
            return Answer::NoInput;
        }
        Ok(_) => answer.trim().to_lowercase(),
    };
    if !from_terminal {
        println!("{answer}");
    }
    if parse_answer(&answer) {
        Answer::Yes
    } else {
        Answer::No
    }
}

/// Only an explicit yes counts; anything else keeps the default, "no".
fn parse_answer(answer: &str) -> bool {
    matches!(answer, "s" | "sim" | "y" | "yes")
}

/// `cargo xtask reset <lab>`: puts the starter back as it came, after a backup
/// of the learner's files in `.tomada/copias/`.
pub fn reset(root: &Path, lab: &Lab, yes: bool) -> Result<(), String> {
    let dir = lab.crate_dir(Variant::Starter);
    let base = pristine_commit(root)?;
    let files = git(
        root,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            &base,
            "--",
            &dir.to_string_lossy(),
        ],
    )?;
    let files: Vec<&str> = files.lines().filter(|l| !l.is_empty()).collect();
    if files.is_empty() {
        return Err(format!(
            "o git não conhece {} no commit {base}",
            dir.display()
        ));
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let backup = progress::state_dir(root)
        .join("copias")
        .join(format!("{}-{stamp}", lab.dir));
    if !yes {
        let answer = confirm(&format!(
            "Isto devolve {} ao ponto de partida; os seus arquivos vão para {}. Continuar?",
            dir.display(),
            backup.strip_prefix(root).unwrap_or(&backup).display()
        ));
        match answer {
            Answer::Yes => {}
            Answer::No => return Err("nada foi mudado (confirme com s, ou use --yes)".to_owned()),
            Answer::NoInput => {
                return Err(format!(
                    "nada foi mudado: a entrada terminou sem resposta. Sem ninguém para \
                     responder (num script), confirme com `cargo xtask reset {} --yes`.",
                    lab.number
                ));
            }
        }
    }
    copy_tree(&root.join(&dir), &backup)
        .map_err(|e| format!("não consegui fazer a cópia de segurança: {e}"))?;
    // Files the learner added are removed (they stay in the backup).
    for extra in crate::files::under(&root.join(&dir), None) {
        let relative = extra
            .strip_prefix(root)
            .unwrap_or(&extra)
            .to_string_lossy()
            .into_owned();
        if !files.contains(&relative.as_str()) {
            let _ = std::fs::remove_file(&extra);
        }
    }
    for file in &files {
        let content = git_bytes(root, &["show", &format!("{base}:{file}")])?;
        let path = root.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // The progress described the code that was just put aside.
    let mut progress = Progress::load(root);
    if progress.forget(lab)
        && let Err(e) = progress.save(root)
    {
        eprintln!(
            "Aviso: não consegui apagar o progresso do laboratório {}: {e}",
            lab.number
        );
    }
    println!("✓ {} voltou ao ponto de partida.", dir.display());
    println!("  A sua versão está em {}", backup.display());
    println!(
        "  O progresso do laboratório {} recomeça do zero: cargo xtask check {}",
        lab.number, lab.number
    );
    Ok(())
}

/// The commit whose starter is "as it came": where the learner's branch meets
/// the one it was cloned from, or the current commit when there is none.
fn pristine_commit(root: &Path) -> Result<String, String> {
    if let Ok(base) = git(root, &["merge-base", "HEAD", "@{upstream}"]) {
        return Ok(base.trim().to_owned());
    }
    git(root, &["rev-parse", "HEAD"]).map(|s| s.trim().to_owned())
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    git_bytes(root, args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn git_bytes(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .map_err(|e| format!("o reset precisa do git, que não pôde ser executado ({e})"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "o git recusou `git {}`: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for file in crate::files::under(from, None) {
        let target = to.join(file.strip_prefix(from).unwrap_or(&file));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &target)?;
    }
    Ok(())
}

/// `cargo xtask solution <lab>`: prints the solution's sources, asking first
/// while the lab is not done.
pub fn solution(root: &Path, lab: &Lab, yes: bool) -> Result<(), String> {
    let done = Progress::load(root).get(lab).done;
    if !done
        && !yes
        && confirm(&format!(
            "Você ainda não concluiu o laboratório {}. Ver a solução agora tira a graça de \
             descobrir; quer mesmo ver?",
            lab.number
        )) != Answer::Yes
    {
        return Err(format!(
            "a solução continua guardada. Uma dica talvez baste: cargo xtask hint {} \
             (ou confirme com --yes)",
            lab.number
        ));
    }
    let dir = root.join(lab.crate_dir(Variant::Solution));
    for file in crate::files::under(&dir, Some("rs")) {
        let shown = file.strip_prefix(root).unwrap_or(&file);
        println!("{}", format!("── {} ", shown.display()).bold());
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        println!("{text}");
    }
    Ok(())
}
