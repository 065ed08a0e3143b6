//! The learner's progress: a small JSON file in `.tomada/` (gitignored), keyed
//! by lab folder name (`01-basico`), not by position, so it survives labs being
//! added or renumbered. Written after each graded run of the learner's version.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::catalog::{LABS, Lab};
use crate::check::Report;
use crate::session::Status;

/// Where the learner's own files live (progress, backups).
pub fn state_dir(root: &Path) -> PathBuf {
    root.join(".tomada")
}

fn file(root: &Path) -> PathBuf {
    state_dir(root).join("progresso.json")
}

/// What the learner reached in one lab.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabProgress {
    pub done: bool,
    pub passed_steps: usize,
    pub total_steps: usize,
    /// The first step that failed in the last run.
    pub first_failure: Option<String>,
}

/// Progress of every lab the learner has graded.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    labs: Map<String, Value>,
}

impl Progress {
    /// Reads the state file; a missing or damaged file means "nothing done yet"
    /// (a damaged one is kept aside, not overwritten silently).
    pub fn load(root: &Path) -> Progress {
        let path = file(root);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Progress::default();
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(mut top)) => match top.remove("labs") {
                Some(Value::Object(labs)) => Progress { labs },
                _ => Progress::default(),
            },
            _ => {
                let _ = std::fs::rename(&path, path.with_extension("json.danificado"));
                Progress::default()
            }
        }
    }

    pub fn get(&self, lab: &Lab) -> LabProgress {
        let Some(entry) = self.labs.get(lab.dir) else {
            return LabProgress {
                total_steps: lab.steps.len(),
                ..LabProgress::default()
            };
        };
        let number = |key: &str| entry.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        LabProgress {
            done: entry
                .get("concluido")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            passed_steps: number("passos_ok"),
            total_steps: lab.steps.len(),
            first_failure: entry
                .get("primeira_falha")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// Records a run of the learner's version. A lab once done stays done.
    pub fn record(&mut self, report: &Report) {
        let lab = report.lab;
        let before = self.get(lab);
        let first_failure = report
            .results
            .iter()
            .find(|r| r.status == Status::Failed)
            .map(|r| r.step.id);
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.labs.insert(
            lab.dir.to_owned(),
            json!({
                "concluido": before.done || report.passed_completely(),
                "passos_ok": report.count(Status::Passed),
                "primeira_falha": first_failure,
                "atualizado_em": seconds,
            }),
        );
    }

    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(state_dir(root))?;
        let text = serde_json::to_string_pretty(&json!({ "labs": self.labs }))?;
        let path = file(root);
        // Write then rename: an interrupted write never leaves half a file.
        let partial = path.with_extension("json.parcial");
        std::fs::write(&partial, text)?;
        std::fs::rename(partial, path)
    }

    /// The first lab, in the book's order, that is not done.
    pub fn next_lab(&self) -> Option<&'static Lab> {
        LABS.iter().find(|lab| !self.get(lab).done)
    }

    pub fn done_count(&self) -> usize {
        LABS.iter().filter(|lab| self.get(lab).done).count()
    }
}

/// A text progress bar, `[██████░░░░░░]`, `width` cells wide.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bar fills in proportion and never overflows.
    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(bar(0, 3, 6), "[░░░░░░]");
        assert_eq!(bar(1, 3, 6), "[██░░░░]");
        assert_eq!(bar(3, 3, 6), "[██████]");
        assert_eq!(bar(0, 0, 4), "[░░░░]");
    }
}
