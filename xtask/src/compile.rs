//! Building a lab crate before grading it.
//!
//! Each lab crate builds into its own target folder (`target/labs/<package>`):
//! every lab's starter and solution has binaries named `servidor` and `cliente`, and
//! in one shared folder they would overwrite each other.

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
