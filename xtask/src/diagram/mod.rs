//! Sequence diagrams of a step's conversation (`check --diagrama`, and the
//! book's pictures of the golden transcripts).
//!
//! A diagram is drawn from the step's transcript lines and nothing else: the
//! lines a run recorded (`StepResult::received`) or those of the golden file.
//! So a picture never disagrees with the transcript the grader compared.
//!
//! - `events`: what each kind of transcript line becomes (arrow or box).
//! - `svg`: the drawing.
//! - `page`: the `index.html` that shows a run's diagrams together.

pub mod events;
mod page;
mod svg;

use std::path::{Path, PathBuf};

pub use svg::render;

use crate::catalog::{Lab, Role};
use crate::check::Report;
use crate::session::{Status, StepResult};
use crate::transcript::Expected;

/// One step's conversation, ready to draw.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// `Passo 3 · segundo-cliente`.
    pub heading: String,
    /// What the step checks (the catalogue's title, pt-BR).
    pub title: String,
    /// Whose program the learner wrote in this step.
    pub learner: Role,
    /// The transcript lines, as recorded.
    pub lines: Vec<String>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug)]
pub enum Verdict {
    /// A golden transcript: what a correct program does.
    Golden,
    Passed,
    Failed(Failure),
}

/// Where a failing step left the golden transcript, and why.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The first line that differs (or `lines.len()` when lines are missing
    /// at the end, or none differs and the step failed all the same).
    pub at: usize,
    /// The golden line at that point, if the golden transcript has one.
    pub expected: Option<String>,
    /// The grader's diagnoses, `E-CODIGO: texto`.
    pub notes: Vec<String>,
}

fn heading(number: usize, id: &str) -> String {
    format!("Passo {number} · {id}")
}

impl Conversation {
    /// The conversation of a step that ran (passed or failed); `None` for a
    /// step that did not run.
    pub fn of_result(result: &StepResult) -> Option<Conversation> {
        let verdict = match result.status {
            Status::Passed => Verdict::Passed,
            Status::Failed => {
                let (expected, received) = (&result.expected, &result.received);
                let at = (0..=expected.len().max(received.len()))
                    .find(|&i| expected.get(i) != received.get(i))
                    .unwrap_or(received.len());
                Verdict::Failed(Failure {
                    at,
                    expected: expected.get(at).cloned(),
                    notes: result
                        .notes
                        .iter()
                        .map(|n| format!("{}: {}", n.code, n.text))
                        .collect(),
                })
            }
            Status::Skipped | Status::NotRun => return None,
        };
        Some(Conversation {
            heading: heading(result.number, result.step.id),
            title: result.step.title.to_owned(),
            learner: result.step.role,
            lines: result.received.clone(),
            verdict,
        })
    }

    /// The golden conversation of one step, from `labs/NN-*/transcricao.snap`.
    pub fn golden(root: &Path, lab: &Lab, step_id: &str) -> Result<Conversation, String> {
        let Some(index) = lab.step_index(step_id) else {
            let known: Vec<_> = lab.steps.iter().map(|s| s.id).collect();
            return Err(format!(
                "o laboratório {} não tem o passo {step_id:?}; os passos são: {}",
                lab.dir,
                known.join(", ")
            ));
        };
        let step = &lab.steps[index];
        let expected = Expected::load(&root.join(lab.snapshot_path())).map_err(|e| e.0)?;
        let Some(lines) = expected.section(step_id) else {
            return Err(format!(
                "a transcrição de referência {} não tem a seção `## {step_id}`",
                lab.snapshot_path().display()
            ));
        };
        Ok(Conversation {
            heading: heading(index + 1, step_id),
            title: step.title.to_owned(),
            learner: step.role,
            lines: lines.to_vec(),
            verdict: Verdict::Golden,
        })
    }

    /// The file name of this step's SVG: `03-segundo-cliente.svg`.
    fn file_name(number: usize, id: &str) -> String {
        format!("{number:02}-{id}.svg")
    }
}

/// Writes one SVG per step that ran, and an `index.html` showing them all, in
/// `dir` (created if needed; SVGs of an earlier run there are removed first,
/// so the folder shows this run only). Returns the index's absolute path, or
/// `None` when no step ran (the crate did not build, for example).
pub fn write_run(dir: &Path, report: &Report) -> std::io::Result<Option<PathBuf>> {
    let drawn: Vec<(String, Conversation)> = report
        .results
        .iter()
        .filter_map(|r| {
            Conversation::of_result(r).map(|c| (Conversation::file_name(r.number, r.step.id), c))
        })
        .collect();
    if drawn.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "svg") {
            std::fs::remove_file(&path)?;
        }
    }
    let mut pictures = Vec::new();
    for (file, conversation) in &drawn {
        let svg = render(conversation);
        std::fs::write(dir.join(file), &svg)?;
        pictures.push((file.as_str(), conversation, svg));
    }
    let index = dir.join("index.html");
    std::fs::write(&index, page::index(report, &pictures))?;
    Ok(Some(std::path::absolute(&index)?))
}

/// Where `check --diagrama` writes a lab's diagrams when no folder is given:
/// `.tomada/diagramas/NN-tema/`, beside the learner's progress (gitignored).
pub fn default_dir(root: &Path) -> PathBuf {
    root.join(".tomada").join("diagramas")
}
