//! Building a lab crate before grading it.
//!
//! Each lab crate builds into its own target folder (`target/labs/<package>`):
//! every lab's starter and solution has binaries named `servidor` and `cliente`, and
//! in one shared folder they would overwrite each other.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::catalog::{Lab, Variant};
use crate::process::cargo;

/// The compiler's output when a lab crate does not build.
#[derive(Debug)]
pub struct BuildFailure {
    pub output: String,
}

/// Builds the lab crate's binaries; returns the folder that holds them.
pub fn build(
    root: &Path,
    lab: &Lab,
    variant: Variant,
    color: bool,
) -> Result<PathBuf, BuildFailure> {
    let package = lab.package(variant);
    let target_dir = root.join("target").join("labs").join(&package);
    let output = Command::new(cargo())
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--bins",
            "--package",
            &package,
            "--target-dir",
        ])
        .arg(&target_dir)
        .arg(if color {
            "--color=always"
        } else {
            "--color=never"
        })
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => Ok(target_dir.join("debug")),
        Ok(out) => Err(BuildFailure {
            output: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
        Err(error) => Err(BuildFailure {
            output: format!("não consegui executar o cargo: {error}"),
        }),
    }
}

/// Path of one of the lab's binaries inside the folder `build` returned.
pub fn binary(bin_dir: &Path, name: &str) -> PathBuf {
    bin_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Builds a package of another workspace (a student's submission, laid out by
/// `grade`) into a shared target folder, so that dependencies compile once.
/// Bounded by `limit`: a build that takes longer is stopped.
pub fn build_submission(
    manifest: &Path,
    package: &str,
    target_dir: &Path,
    limit: std::time::Duration,
) -> Result<PathBuf, BuildFailure> {
    let mut child = Command::new(cargo())
        .args([
            "build",
            "--quiet",
            "--bins",
            "--package",
            package,
            "--color=never",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BuildFailure {
            output: format!("não consegui executar o cargo: {e}"),
        })?;
    // Read the compiler's messages while it runs (a full pipe would stall it).
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = std::io::Read::take(pipe, 1024 * 1024).read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    });
    let started = std::time::Instant::now();
    let poll_backoff = std::time::Duration::from_millis(20);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(poll_backoff),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let output = reader.join().unwrap_or_default();
    match status {
        Some(status) if status.success() => Ok(target_dir.join("debug")),
        Some(_) => Err(BuildFailure { output }),
        None => Err(BuildFailure {
            output: format!(
                "a compilação passou de {} s e foi interrompida.\n{output}",
                limit.as_secs()
            ),
        }),
    }
}
