//! What a lab is: its number, folder, chapters, steps (with their hints and the
//! book section to reread) and the scenario that grades them. Each lab's module
//! under `labs/` defines one [`Lab`]; `catalog.rs` only lists them.

use std::path::{Path, PathBuf};

use crate::session::Scenario;

/// Which side of the conversation a step grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The learner's server; the grader plays the clients.
    Server,
    /// The learner's client; the grader plays the server.
    Client,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Server => "servidor",
            Role::Client => "cliente",
        }
    }
}

/// One graded step. Its expected transcript is the section `## <id>` of the lab's
/// snapshot; everything else a learner reads about it is here.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Stable identifier, also the section name in the snapshot.
    pub id: &'static str,
    pub role: Role,
    /// What the step checks, in one line (pt-BR).
    pub title: &'static str,
    /// The likely cause when it fails, in plain words (pt-BR).
    pub hint: &'static str,
    /// The section to reread: `chapter.md#anchor`, relative to `book/src/`.
    pub book: &'static str,
    /// A bonus step is reported but does not decide the exit status.
    pub required: bool,
}

/// One lab: a folder `labs/<dir>/` with a starter crate `inicio/` and a solution
/// crate `solucao/`, each with the binaries `servidor` and `cliente`.
pub struct Lab {
    /// Two digits, as typed in `cargo xtask check 01`.
    pub number: &'static str,
    /// Folder name under `labs/`, `NN-tema`.
    pub dir: &'static str,
    pub title: &'static str,
    /// The chapters that teach it, relative to `book/src/`.
    pub chapters: &'static [&'static str],
    pub steps: &'static [Step],
    /// Whether the server serves clients until stopped (from lab 02 on); lab
    /// 01's serves one and exits, so its exit is not a failure in itself.
    pub server_runs_forever: bool,
    /// The code that drives the server steps, in order.
    pub server: Scenario,
    /// The code that drives the client steps, in order.
    pub client: Scenario,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Which of the lab's two crates is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Starter,
    Solution,
}

impl Variant {
    pub fn folder(self) -> &'static str {
        match self {
            Variant::Starter => "inicio",
            Variant::Solution => "solucao",
        }
    }
}

impl Lab {
    /// The theme part of the folder name: `basico` for `01-basico`.
    pub fn theme(&self) -> &'static str {
        self.dir.split_once('-').map_or(self.dir, |(_, tema)| tema)
    }

    /// Cargo package name of a variant: `basico-inicio`, `basico-solucao`.
    pub fn package(&self, variant: Variant) -> String {
        format!("{}-{}", self.theme(), variant.folder())
    }

    /// `labs/01-basico/inicio`, relative to the workbook root.
    pub fn crate_dir(&self, variant: Variant) -> PathBuf {
        Path::new("labs").join(self.dir).join(variant.folder())
    }

    /// The golden transcript, relative to the workbook root.
    pub fn snapshot_path(&self) -> PathBuf {
        Path::new("labs").join(self.dir).join(SNAPSHOT_FILE)
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.steps.iter().any(|s| s.role == role)
    }
}

/// Name of the golden transcript inside each lab folder. The insta test in
/// `tests/transcricoes.rs` writes it; the grader reads it at run time.
pub const SNAPSHOT_FILE: &str = "transcricao.snap";

/// Concatenates step lists at compile time (labs that share steps). `N` must be
/// the total length, or the build fails.
pub const fn join_steps<const N: usize>(parts: &[&[Step]]) -> [Step; N] {
    let mut out = [PLACEHOLDER; N];
    let mut filled = 0;
    let mut p = 0;
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            out[filled] = parts[p][i];
            filled += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(filled == N, "join_steps: N não é a soma dos tamanhos");
    out
}

const PLACEHOLDER: Step = Step {
    id: "",
    role: Role::Server,
    title: "",
    hint: "",
    book: "",
    required: false,
};
