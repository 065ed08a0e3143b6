//! Reports of a class run (and of `check --all`): CSV for a spreadsheet, JSON per
//! student modelled on Exercism's `results.json` (version 3), JUnit XML for CI,
//! and a Markdown summary. Points: one per required step passed.

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

/// The students whose programs or builds reported a denied access.
pub fn tried_to_escape(students: &BTreeMap<String, Vec<Report>>) -> Vec<String> {
    students
        .iter()
        .filter(|(_, reports)| reports.iter().any(|r| !r.denied.is_empty()))
        .map(|(student, _)| student.clone())
        .collect()
}

/// A Markdown summary: the table, then each student's first problem per lab.
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
            let problem = if report.build_failure.is_some() {
                Some(
                    "não compilou (ou não foi entregue); as mensagens estão no JSON do aluno"
                        .to_owned(),
                )
            } else {
                report
                    .results
                    .iter()
                    .find(|r| r.status == Status::Failed && r.step.required)
                    .map(|r| {
                        let codes: Vec<_> = r.notes.iter().map(|n| n.code).collect();
                        format!("passo {} `{}` ({})", r.number, r.step.id, codes.join(", "))
                    })
            };
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
