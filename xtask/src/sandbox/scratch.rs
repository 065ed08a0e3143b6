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

impl Scratch {
    pub fn create() -> io::Result<Scratch> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = scratch_base().join(format!("tomada-rascunho-{}-{n}", std::process::id()));
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
