//! Reports of a class run (and of `check --all`): CSV for a spreadsheet, JSON per
//! student modelled on Exercism's `results.json` (version 3), JUnit XML for CI,
//! and a Markdown summary with where the class is stuck. `check --out` writes
//! one learner's JUnit, JSON and job summary. Points: one per required step passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use crate::catalog::Lab;
use crate::check::Report;
use crate::session::{Status, StepResult};

/// Which reports to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Json,
    Junit,
    Markdown,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Csv, Kind::Json, Kind::Junit, Kind::Markdown];

    pub fn parse(text: &str) -> Option<Kind> {
        match text.trim() {
            "csv" => Some(Kind::Csv),
            "json" => Some(Kind::Json),
            "junit" | "xml" => Some(Kind::Junit),
            "md" | "markdown" => Some(Kind::Markdown),
            _ => None,
        }
    }
}

/// (points, maximum) of one lab report.
pub fn points(report: &Report) -> (usize, usize) {
    let required = report.results.iter().filter(|r| r.step.required);
    let max = required.clone().count();
    let got = required.filter(|r| r.status == Status::Passed).count();
    (got, max)
}

/// How a lab is shown in a table cell.
pub fn cell(report: Option<&Report>) -> String {
    match report {
        None => "—".to_owned(),
        Some(r) if r.build_failure.is_some() => {
            let (_, max) = points(r);
            format!("0/{max} (não avaliado)")
        }
        Some(r) => {
            let (got, max) = points(r);
            format!("{got}/{max}")
        }
    }
}

fn find<'a>(reports: &'a [Report], lab: &Lab) -> Option<&'a Report> {
    reports.iter().find(|r| r.lab.dir == lab.dir)
}

/// The terminal table: student × lab, then the total.
pub fn table(labs: &[&'static Lab], students: &BTreeMap<String, Vec<Report>>) -> String {
    let name_width = students
        .keys()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = String::new();
    let _ = write!(out, "{:<name_width$}", "aluno");
    for lab in labs {
        let _ = write!(
            out,
            "  {:>10}",
            lab.dir.split_once('-').map_or(lab.dir, |(n, _)| n)
        );
    }
    let _ = writeln!(out, "  {:>9}", "total");
    for (student, reports) in students {
        let _ = write!(out, "{student:<name_width$}");
        let mut total = (0, 0);
        for lab in labs {
            let report = find(reports, lab);
            let shown = match report {
                Some(r) if r.build_failure.is_some() => format!("0/{} ✗", points(r).1),
                other => cell(other),
            };
            if let Some(r) = report {
                let (got, max) = points(r);
                total = (total.0 + got, total.1 + max);
            }
            let _ = write!(out, "  {shown:>10}");
        }
        let _ = writeln!(out, "  {:>9}", format!("{}/{}", total.0, total.1));
    }
    out
}

/// Writes the chosen reports into `out`; returns the paths written.
pub fn write_all(
    out: &Path,
    kinds: &[Kind],
    labs: &[&'static Lab],
    students: &BTreeMap<String, Vec<Report>>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for kind in kinds {
        match kind {
            Kind::Csv => {
                let path = out.join("notas.csv");
                std::fs::write(&path, csv(labs, students))?;
                written.push(path);
            }
            Kind::Json => {
                let dir = out.join("json");
                std::fs::create_dir_all(&dir)?;
                for (student, reports) in students {
                    let path = dir.join(format!("{}.json", file_name(student)));
                    let text = serde_json::to_string_pretty(&exercism(reports))?;
                    std::fs::write(&path, text)?;
                }
                written.push(dir);
            }
            Kind::Junit => {
                let path = out.join("junit.xml");
                std::fs::write(&path, junit(students))?;
                written.push(path);
            }
            Kind::Markdown => {
                let path = out.join("resumo.md");
                std::fs::write(&path, markdown(labs, students))?;
                written.push(path);
            }
        }
    }
    Ok(written)
}

fn file_name(student: &str) -> String {
    student
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One row per student, one column of points per lab, then the total.
pub fn csv(labs: &[&'static Lab], students: &BTreeMap<String, Vec<Report>>) -> String {
    let mut out = String::from("aluno");
    for lab in labs {
        let _ = write!(out, ",{}", lab.dir);
    }
    out.push_str(",total,maximo\n");
    for (student, reports) in students {
        out.push_str(&csv_field(student));
        let mut total = (0, 0);
        for lab in labs {
            let (got, max) = find(reports, lab)
                .map(points)
                .unwrap_or((0, lab.steps.iter().filter(|s| s.required).count()));
            total = (total.0 + got, total.1 + max);
            let _ = write!(out, ",{got}");
        }
        let _ = writeln!(out, ",{},{}", total.0, total.1);
    }
    out
}

fn csv_field(text: &str) -> String {
    // Quote what a spreadsheet would misread, and defuse formulas (=, +, -, @).
    let risky = text.starts_with(['=', '+', '-', '@']);
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', ';']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// What one failed step says, as plain text: diagnoses, hint, where to reread.
fn failure_text(result: &StepResult) -> String {
    let mut text = String::new();
    for note in &result.notes {
        let _ = writeln!(text, "[{}] {}", note.code, note.text);
    }
    let _ = writeln!(text, "Dica: {}", result.step.hint);
    let _ = write!(text, "Releia: book/src/{}", result.step.book);
    text
}

fn transcript_text(result: &StepResult) -> String {
    let mut text = String::from("Esperado:\n");
    for line in &result.expected {
        let _ = writeln!(text, "  {line}");
    }
    text.push_str("Recebido:\n");
    for line in &result.received {
        let _ = writeln!(text, "  {line}");
    }
    text
}

/// Exercism's `results.json`, version 3: one test per step of every lab.
pub fn exercism(reports: &[Report]) -> serde_json::Value {
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for report in reports {
        if let Some(reason) = &report.build_failure {
            errors.push(format!("{}: {reason}", report.lab.dir));
        }
        for result in &report.results {
            let status = match result.status {
                Status::Passed => "pass",
                Status::Failed => "fail",
                Status::NotRun | Status::Skipped => "error",
            };
            let message = match result.status {
                Status::Failed => Some(failure_text(result)),
                Status::NotRun if report.build_failure.is_some() => {
                    Some("não avaliado: o laboratório não compilou ou não foi entregue".to_owned())
                }
                Status::NotRun => Some("não avaliado: um passo anterior falhou".to_owned()),
                _ => None,
            };
            tests.push(json!({
                "name": format!("{} · {} {}", report.lab.dir, result.number, result.step.id),
                "task_id": report.lab.number.parse::<u32>().ok(),
                "status": status,
                "message": message,
                "output": (result.status == Status::Failed).then(|| transcript_text(result)),
                "test_code": result.step.title,
            }));
        }
    }
    let all_pass = errors.is_empty() && reports.iter().all(|r| r.passed());
    let status = if !errors.is_empty() {
        "error"
    } else if all_pass {
        "pass"
    } else {
        "fail"
    };
    let denied: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.denied
                .iter()
                .map(move |line| format!("{}: {line}", r.lab.dir))
        })
        .collect();
    json!({
        "version": 3,
        "status": status,
        "message": (!errors.is_empty()).then(|| errors.join("\n\n")),
        "tests": tests,
        // Beyond Exercism's fields (readers ignore unknown ones): how the
        // code ran, and what the sandbox denied it.
        "isolamento": crate::sandbox::run_description(),
        "acessos_negados": denied,
    })
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a suite per student, a test case per step.
pub fn junit(students: &BTreeMap<String, Vec<Report>>) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tomada\">\n");
    for (student, reports) in students {
        let cases: Vec<(&Report, &StepResult)> = reports
            .iter()
            .flat_map(|r| r.results.iter().map(move |s| (r, s)))
            .collect();
        let failures = cases
            .iter()
            .filter(|(_, s)| s.status == Status::Failed)
            .count();
        let errors = cases
            .iter()
            .filter(|(r, s)| s.status == Status::NotRun && r.build_failure.is_some())
            .count();
        let skipped = cases
            .iter()
            .filter(|(r, s)| {
                matches!(s.status, Status::Skipped | Status::NotRun) && r.build_failure.is_none()
            })
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
            xml(student),
            cases.len()
        );
        for (report, step) in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{} {}\" time=\"{:.3}\"",
                xml(student),
                xml(report.lab.dir),
                step.number,
                xml(step.step.id),
                step.elapsed.as_secs_f64()
            );
            match step.status {
                Status::Passed => out.push_str("/>\n"),
                Status::Failed => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}\n{}</failure>\n    </testcase>",
                        xml(step.step.title),
                        xml(&failure_text(step)),
                        xml(&transcript_text(step))
                    );
                }
                _ if report.build_failure.is_some() => {
                    let reason = report.build_failure.as_deref().unwrap_or("");
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"não avaliado\">{}</error>\n    </testcase>",
                        xml(reason)
                    );
                }
                _ => out.push_str(">\n      <skipped/>\n    </testcase>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The reports of one learner's `check --out`: JUnit for CI's Checks, the
/// Exercism JSON (from which the Classroom points are counted) and a Markdown
/// summary. `learner` holds one entry: the checkout graded.
pub fn write_learner(
    out: &Path,
    learner: &BTreeMap<String, Vec<Report>>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(out)?;
    let reports = learner.values().next().map_or(&[][..], Vec::as_slice);
    let files = [
        ("junit.xml", junit(learner)),
        (
            "resultado.json",
            serde_json::to_string_pretty(&exercism(reports))?,
        ),
        ("resumo.md", learner_markdown(reports)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// One learner's summary in Markdown (GitHub's job summary): points per lab and
/// where each lab stopped.
pub fn learner_markdown(reports: &[Report]) -> String {
    let (got, max) = reports.iter().fold((0, 0), |(got, max), report| {
        let (g, m) = points(report);
        (got + g, max + m)
    });
    let mut out = format!(
        "## Tomada: {got} de {max} passos obrigatórios\n\n\
         | laboratório | pontos | onde parou |\n|---|---|---|\n"
    );
    for report in reports {
        let not_built = "não compilou: as mensagens do compilador estão no log e em resultado.json";
        let state = match first_problem(report, not_built) {
            Some(problem) => problem,
            None if report.passed() => "✓ concluído".to_owned(),
            None => "nenhum passo avaliado".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            report.lab.dir,
            cell(Some(report)),
            state.replace('|', "\\|")
        );
    }
    out
}

/// The first thing that kept a lab from passing, in a few words: not built
/// (`not_built` says where the compiler's messages are), or the first failed
/// required step with its diagnosis codes.
fn first_problem(report: &Report, not_built: &str) -> Option<String> {
    if report.build_failure.is_some() {
        return Some(not_built.to_owned());
    }
    first_failed(report).map(|r| {
        let codes: Vec<_> = r.notes.iter().map(|n| n.code).collect();
        format!("passo {} `{}` ({})", r.number, r.step.id, codes.join(", "))
    })
}

/// Where a lab stopped: its first failed required step.
fn first_failed(report: &Report) -> Option<&crate::session::StepResult> {
    report
        .results
        .iter()
        .find(|r| r.status == Status::Failed && r.step.required)
}

/// Where the class is stuck in one lab: how many students stopped at each step
/// (their first failed required step, as in "Onde cada um parou").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    pub lab: &'static str,
    pub students: usize,
    /// (step number, step id, how many stopped there): most first, then in
    /// the lab's order.
    pub steps: Vec<(usize, &'static str, usize)>,
    /// Did not build, or did not hand the lab in: no step was run.
    pub not_graded: usize,
    /// Passed every required step.
    pub finished: usize,
    /// Built, no required step failed, yet none passed (every step skipped).
    pub undecided: usize,
}

/// How many steps a summary line names before "e N em outros passos".
const STEPS_NAMED: usize = 3;

/// Per lab, where the students stopped, the step where most did first.
pub fn stuck(labs: &[&'static Lab], students: &BTreeMap<String, Vec<Report>>) -> Vec<Stuck> {
    labs.iter()
        .map(|lab| {
            let mut summary = Stuck {
                lab: lab.dir,
                students: students.len(),
                steps: Vec::new(),
                not_graded: 0,
                finished: 0,
                undecided: 0,
            };
            let mut at_step: BTreeMap<usize, (&'static str, usize)> = BTreeMap::new();
            for reports in students.values() {
                let Some(report) = find(reports, lab).filter(|r| r.build_failure.is_none()) else {
                    summary.not_graded += 1;
                    continue;
                };
                match first_failed(report) {
                    Some(r) => at_step.entry(r.number).or_insert((r.step.id, 0)).1 += 1,
                    None if report.passed() => summary.finished += 1,
                    None => summary.undecided += 1,
                }
            }
            summary.steps = at_step
                .into_iter()
                .map(|(number, (id, count))| (number, id, count))
                .collect();
            // Stable: equal counts stay in the lab's order.
            summary.steps.sort_by_key(|step| std::cmp::Reverse(step.2));
            summary
        })
        .collect()
}

impl Stuck {
    /// One line in pt-BR: "01-basico: 12 de 30 pararam em `boas-vindas`
    /// (passo 2), 5 em `fecha` (passo 4); 3 não compilaram ou não foram
    /// entregues; 10 concluíram."
    pub fn sentence(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                format!("{n} {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut parts = Vec::new();
        let mut named = self.steps.iter().take(STEPS_NAMED);
        if let Some((number, id, count)) = named.next() {
            let mut text = format!(
                "{count} de {} {} em `{id}` (passo {number})",
                self.students,
                if *count == 1 { "parou" } else { "pararam" }
            );
            for (number, id, count) in named {
                let _ = write!(text, ", {count} em `{id}` (passo {number})");
            }
            let rest: usize = self.steps.iter().skip(STEPS_NAMED).map(|s| s.2).sum();
            if rest > 0 {
                let _ = write!(text, " e {rest} em outros passos");
            }
            parts.push(text);
        } else {
            parts.push("ninguém parou num passo".to_owned());
        }
        if self.not_graded > 0 {
            parts.push(plural(
                self.not_graded,
                "não compilou ou não foi entregue",
                "não compilaram ou não foram entregues",
            ));
        }
        if self.undecided > 0 {
            parts.push(plural(
                self.undecided,
                "sem passo avaliado",
                "sem passo avaliado",
            ));
        }
        parts.push(if self.finished == 0 {
            "nenhum concluiu".to_owned()
        } else {
            plural(self.finished, "concluiu", "concluíram")
        });
        format!("{}: {}.", self.lab, parts.join("; "))
    }
}

/// "Where the class is stuck", one line per lab, for the terminal.
pub fn stuck_text(labs: &[&'static Lab], students: &BTreeMap<String, Vec<Report>>) -> String {
    let mut out = String::from("Onde a turma parou:\n");
    for summary in stuck(labs, students) {
        let _ = writeln!(out, "  {}", summary.sentence());
    }
    out
}

/// The students whose programs or builds reported a denied access.
pub fn tried_to_escape(students: &BTreeMap<String, Vec<Report>>) -> Vec<String> {
    students
        .iter()
        .filter(|(_, reports)| reports.iter().any(|r| !r.denied.is_empty()))
        .map(|(student, _)| student.clone())
        .collect()
}

/// A Markdown summary: the table, where the class is stuck (per lab), who
/// tried to leave the sandbox, then each student's first problem per lab.
pub fn markdown(labs: &[&'static Lab], students: &BTreeMap<String, Vec<Report>>) -> String {
    let mut out = String::from("# Notas da turma\n\n| aluno |");
    for lab in labs {
        let _ = write!(out, " {} |", lab.dir);
    }
    out.push_str(" total |\n|---|");
    for _ in labs {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for (student, reports) in students {
        let _ = write!(out, "| {} |", student.replace('|', "\\|"));
        let mut total = (0, 0);
        for lab in labs {
            let report = find(reports, lab);
            if let Some(r) = report {
                let (got, max) = points(r);
                total = (total.0 + got, total.1 + max);
            }
            let _ = write!(out, " {} |", cell(report));
        }
        let _ = writeln!(out, " {}/{} |", total.0, total.1);
    }
    out.push_str("\n## Onde a turma parou\n\n");
    for summary in stuck(labs, students) {
        let _ = writeln!(out, "- {}", summary.sentence());
    }
    let _ = writeln!(
        out,
        "\nIsolamento desta avaliação: {}.",
        crate::sandbox::run_description()
    );
    let escaping = tried_to_escape(students);
    if !escaping.is_empty() {
        // The programs' own account of what was denied (see sandbox::denials_in).
        out.push_str("\n## Tentaram sair do isolamento\n\n");
        for (student, reports) in students.iter().filter(|(s, _)| escaping.contains(s)) {
            for report in reports.iter().filter(|r| !r.denied.is_empty()) {
                let _ = writeln!(
                    out,
                    "- **{}**, {}: {} acesso(s) negado(s), por exemplo `{}`",
                    student.replace('*', "\\*"),
                    report.lab.dir,
                    report.denied.len(),
                    report.denied[0].replace('`', "'")
                );
            }
        }
    }
    out.push_str("\n## Onde cada um parou\n\n");
    for (student, reports) in students {
        for report in reports {
            let not_built =
                "não compilou (ou não foi entregue); as mensagens estão no JSON do aluno";
            let problem = first_problem(report, not_built);
            if let Some(problem) = problem {
                let _ = writeln!(
                    out,
                    "- **{}**, {}: {problem}",
                    student.replace('*', "\\*"),
                    report.lab.dir
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuck(
        steps: Vec<(usize, &'static str, usize)>,
        not_graded: usize,
        finished: usize,
    ) -> Stuck {
        let students = steps.iter().map(|s| s.2).sum::<usize>() + not_graded + finished;
        Stuck {
            lab: "01-basico",
            students,
            steps,
            not_graded,
            finished,
            undecided: 0,
        }
    }

    /// The line names the step where most stopped first, with counts, in pt-BR.
    #[test]
    fn sentence_names_the_steps_most_first() {
        let line = stuck(vec![(2, "boas-vindas", 12), (4, "fecha", 5)], 3, 10).sentence();
        assert_eq!(
            line,
            "01-basico: 12 de 30 pararam em `boas-vindas` (passo 2), 5 em `fecha` (passo 4); \
             3 não compilaram ou não foram entregues; 10 concluíram."
        );
    }

    /// Singular where one student; past three steps, the rest is summed.
    #[test]
    fn sentence_in_the_singular_and_with_the_rest_summed() {
        let line = stuck(
            vec![
                (1, "a", 1),
                (2, "b", 1),
                (3, "c", 1),
                (4, "d", 1),
                (5, "e", 1),
            ],
            1,
            1,
        );
        assert_eq!(
            line.sentence(),
            "01-basico: 1 de 7 parou em `a` (passo 1), 1 em `b` (passo 2), 1 em `c` (passo 3) \
             e 2 em outros passos; 1 não compilou ou não foi entregue; 1 concluiu."
        );
        assert_eq!(
            stuck(vec![], 0, 0).sentence(),
            "01-basico: ninguém parou num passo; nenhum concluiu."
        );
    }

    /// A report of `lab` that failed at step `failed` (1-based), or passed.
    fn report(lab: &'static Lab, failed: Option<usize>) -> Report {
        let mut report =
            crate::check::not_graded(lab, String::new(), crate::session::Options::default(), None);
        for result in &mut report.results {
            result.status = match failed {
                Some(n) if result.number == n => Status::Failed,
                Some(n) if result.number > n => Status::NotRun,
                _ => Status::Passed,
            };
        }
        report
    }

    /// Counts come from the reports: a later step with more students comes first.
    #[test]
    fn stuck_counts_each_students_first_failure() {
        let lab = &crate::catalog::LABS[0];
        let mut class = BTreeMap::new();
        for (name, failed) in [
            ("a", Some(1)),
            ("b", Some(2)),
            ("c", Some(2)),
            ("d", None),
            ("e", Some(2)),
        ] {
            class.insert(name.to_owned(), vec![report(lab, failed)]);
        }
        let mut broken = report(lab, None);
        broken.build_failure = Some("mismatched types".to_owned());
        class.insert("f".to_owned(), vec![broken]);
        class.insert("g".to_owned(), vec![]);
        let summary = super::stuck(&[lab], &class);
        assert_eq!(
            summary,
            vec![Stuck {
                lab: lab.dir,
                students: 7,
                steps: vec![(2, lab.steps[1].id, 3), (1, lab.steps[0].id, 1)],
                not_graded: 2,
                finished: 1,
                undecided: 0,
            }]
        );
    }
}
