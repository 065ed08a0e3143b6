//! `cargo xtask bench turma`: a class of N submissions × every lab, with the
//! time split into compiling and grading.

use std::path::Path;
use std::time::Instant;

use crate::catalog::{LABS, Variant};
use crate::grade::{self, GradeOptions};

/// Builds a class of `students` submissions in `dir`: two solved for each
/// untouched starter, like a class halfway through the term.
pub fn make_class(root: &Path, dir: &Path, students: usize) -> std::io::Result<()> {
    for n in 0..students {
        let labs = dir.join(format!("aluno{n:02}")).join("labs");
        let solved = n % 3 != 2;
        for lab in LABS {
            let variant = if solved {
                Variant::Solution
            } else {
                Variant::Starter
            };
            let from = root.join(lab.crate_dir(variant)).join("src");
            let to = labs.join(lab.dir).join("inicio").join("src");
            copy_renaming(
                &from,
                &to,
                &format!("{}_solucao", lab.theme()),
                &format!("{}_inicio", lab.theme()),
            )?;
        }
    }
    Ok(())
}

fn copy_renaming(from: &Path, to: &Path, old: &str, new: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)?.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_renaming(&entry.path(), &target, old, new)?;
        } else {
            let text = std::fs::read_to_string(entry.path())?;
            std::fs::write(target, text.replace(old, new))?;
        }
    }
    Ok(())
}

/// Grades a generated class and prints where the time went.
pub fn class(root: &Path, students: usize, jobs: usize) -> Result<(), String> {
    let base = std::env::temp_dir().join(format!("tomada-bench-turma-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let entregas = base.join("entregas");
    make_class(root, &entregas, students)
        .map_err(|e| format!("não consegui montar a turma: {e}"))?;
    let submissions = grade::submissions(&entregas)?;
    let labs: Vec<_> = LABS.iter().collect();
    let options = GradeOptions {
        jobs,
        out: base.join("notas"),
        timeout: std::time::Duration::from_secs(5),
    };
    println!(
        "Turma de {students} entregas × {} laboratórios, {jobs} avaliações ao mesmo tempo, {} núcleos.",
        labs.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let started = Instant::now();
    let result = grade::grade_class(root, &submissions, &labs, &options, &|_, _| {})?;
    let wall = started.elapsed();
    let passed = result.labs_completed();
    let tasks = students * labs.len();
    println!(
        "  tempo total (relógio):          {:>7.1} s",
        wall.as_secs_f64()
    );
    println!(
        "  compilando (soma das tarefas):  {:>7.1} s  ({:.2} s por entrega×lab)",
        result.timing.compiling.as_secs_f64(),
        result.timing.compiling.as_secs_f64() / tasks as f64
    );
    println!(
        "  avaliando (soma das tarefas):   {:>7.1} s  ({:.2} s por entrega×lab)",
        result.timing.grading.as_secs_f64(),
        result.timing.grading.as_secs_f64() / tasks as f64
    );
    println!(
        "  laboratórios concluídos:        {passed} de {tasks} (esperado: {})",
        (students - students / 3) * labs.len()
    );
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
