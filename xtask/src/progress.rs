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

    /// Forgets a lab (after `reset`: its starter is back to the beginning, so
    /// "done" or "3 of 7 steps" would describe code that is no longer there).
    /// Returns whether there was anything to forget.
    pub fn forget(&mut self, lab: &Lab) -> bool {
        self.labs.remove(lab.dir).is_some()
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

    /// Where `n` in `watch` goes from `current`: the next unfinished lab in the
    /// book's order, wrapping around past the last one.
    pub fn next_after(&self, current: &Lab) -> NextLab {
        let position = LABS.iter().position(|l| l.dir == current.dir).unwrap_or(0);
        let mut after_then_before = LABS[position + 1..].iter().chain(&LABS[..position]);
        match after_then_before.find(|lab| !self.get(lab).done) {
            Some(lab) => NextLab::Go(lab),
            None if self.get(current).done => NextLab::AllDone,
            None => NextLab::OnlyThisOne,
        }
    }

    pub fn done_count(&self) -> usize {
        LABS.iter().filter(|lab| self.get(lab).done).count()
    }
}

/// What follows the current lab, for the learner who asks for the next one.
#[derive(Clone, Copy, Debug)]
pub enum NextLab {
    Go(&'static Lab),
    /// Every other lab is done; only the current one is left.
    OnlyThisOne,
    AllDone,
}

/// Labs are the same when their folders are (the catalogue's key).
impl PartialEq for NextLab {
    fn eq(&self, other: &NextLab) -> bool {
        match (self, other) {
            (NextLab::Go(a), NextLab::Go(b)) => a.dir == b.dir,
            (NextLab::OnlyThisOne, NextLab::OnlyThisOne) | (NextLab::AllDone, NextLab::AllDone) => {
                true
            }
            _ => false,
        }
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

    fn lab(dir: &str) -> &'static Lab {
        LABS.iter()
            .find(|l| l.dir == dir)
            .expect("lab in the catalogue")
    }

    fn with_done(dirs: &[&str]) -> Progress {
        let mut progress = Progress::default();
        for dir in dirs {
            progress
                .labs
                .insert((*dir).to_owned(), json!({ "concluido": true }));
        }
        progress
    }

    /// `n` on lab 05 with lab 04 unfinished goes back to 04 (it used to say
    /// "último laboratório"); past an unfinished lab it skips the done ones.
    #[test]
    fn next_after_goes_to_the_next_unfinished_wrapping_around() {
        let last = LABS.last().expect("labs");
        let progress = with_done(&["01-basico", "02-echo", "03-chat", last.dir]);
        assert_eq!(progress.next_after(last), NextLab::Go(lab("04-robusto")));
        assert_eq!(
            progress.next_after(lab("01-basico")),
            NextLab::Go(lab("04-robusto"))
        );
        assert_eq!(
            Progress::default().next_after(lab("01-basico")),
            NextLab::Go(lab("02-echo"))
        );
    }

    /// "All done" only when all are; the last unfinished lab says it is the last.
    #[test]
    fn next_after_knows_when_nothing_else_is_left() {
        let all: Vec<&str> = LABS.iter().map(|l| l.dir).collect();
        assert_eq!(with_done(&all).next_after(lab("03-chat")), NextLab::AllDone);
        let others: Vec<&str> = all.iter().copied().filter(|d| *d != "03-chat").collect();
        assert_eq!(
            with_done(&others).next_after(lab("03-chat")),
            NextLab::OnlyThisOne
        );
    }

    /// After `reset` the lab is as if never graded.
    #[test]
    fn forget_clears_a_lab() {
        let mut progress = with_done(&["01-basico"]);
        assert!(progress.forget(lab("01-basico")));
        assert_eq!(
            progress.get(lab("01-basico")),
            LabProgress {
                total_steps: lab("01-basico").steps.len(),
                ..LabProgress::default()
            }
        );
        assert!(!progress.forget(lab("01-basico")));
    }

    /// The bar fills in proportion and never overflows.
    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(bar(0, 3, 6), "[░░░░░░]");
        assert_eq!(bar(1, 3, 6), "[██░░░░]");
        assert_eq!(bar(3, 3, 6), "[██████]");
        assert_eq!(bar(0, 0, 4), "[░░░░]");
    }
}
