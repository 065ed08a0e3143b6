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

/// A word from the grader on compiler errors it recognizes, shown after the
/// compiler's own messages. Today one: a snippet pasted from the book names the
/// solution's crate (`basico_solucao::endereco()`: the book's code comes from
/// the solutions), which the starter does not depend on, and rustc's answer
/// ("use `cargo add basico_solucao`") would point the learner the wrong way.
pub fn advice(output: &str, lab: &Lab) -> Option<String> {
    let unresolved = [
        "unresolved",
        "undeclared",
        "unlinked",
        "cannot find",
        "cargo add",
    ];
    let named = output.lines().find_map(|line| {
        if !unresolved.iter().any(|word| line.contains(word)) {
            return None;
        }
        solution_crate_in(line)
    })?;
    let own = lab.package(Variant::Starter).replace('-', "_");
    Some(format!(
        "O código usa `{named}`, o crate da solução: os trechos de código do livro vêm \
         dela. O seu ponto de partida é o crate `{own}`, que não depende da solução (e \
         não deve depender: é você quem escreve). Troque `{named}::` por `{own}::` nos \
         arquivos de src/bin/, ou por `crate::` dentro de src/lib.rs e dos módulos dele. \
         Não siga a sugestão `cargo add` do compilador."
    ))
}

/// The first `<tema>_solucao` crate named in a compiler line.
fn solution_crate_in(line: &str) -> Option<String> {
    let at = line.find("_solucao")?;
    let start = line[..at]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let theme = &line[start..at];
    (!theme.is_empty()).then(|| format!("{theme}_solucao"))
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
    let mut command = Command::new(cargo());
    // The compiler reads the submission's code, so it is untrusted too:
    // `include_str!("/any/file")` must not reach beyond the submission.
    let _sandbox = if crate::sandbox::enabled() {
        let sandbox =
            sandboxed_build(&mut command, manifest, target_dir).map_err(|e| BuildFailure {
                output: format!("não consegui isolar a compilação: {e}"),
            })?;
        Some(sandbox)
    } else {
        None
    };
    let mut child = command
        .args([
            "build",
            "--quiet",
            "--bins",
            "--package",
            package,
            "--color=never",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        // Incremental caches hold the compiled code of whoever built before:
        // none, so that `scrub_package` leaves nothing of a student behind.
        .env("CARGO_INCREMENTAL", "0")
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

/// Removes what a submission's build of `package` left in the shared target
/// folder: the next submission's build may read that folder (it writes
/// there), and `include_bytes!` of the previous student's binary must find
/// nothing. The dependencies (the workbook's, not the student's) stay.
pub fn scrub_package(target_dir: &Path, package: &str) {
    let lib = package.replace('-', "_");
    let stems = [
        "servidor-".to_owned(),
        "cliente-".to_owned(),
        format!("{lib}-"),
        format!("lib{lib}-"),
        format!("{package}-"),
    ];
    let debug = target_dir.join("debug");
    for name in ["servidor", "cliente", "servidor.d", "cliente.d"] {
        let _ = std::fs::remove_file(debug.join(name));
    }
    for folder in ["deps", "incremental", ".fingerprint"] {
        let Ok(entries) = std::fs::read_dir(debug.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if stems.iter().any(|stem| name.starts_with(stem.as_str())) {
                let path = entry.path();
                let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
            }
        }
    }
}

/// Where cargo keeps its registry and rustup its toolchains.
fn tool_home(variable: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(default)))
}

/// Puts a submission's build in the sandbox: it reads the toolchain, the
/// registry cache and the submission's workspace (the workbook's manifests,
/// the student's `src/`), and writes only the target folder and its scratch
/// folder. Not `$CARGO_HOME` as a whole: `credentials.toml` lives there.
#[cfg(unix)]
fn sandboxed_build(
    command: &mut Command,
    manifest: &Path,
    target_dir: &Path,
) -> std::io::Result<crate::sandbox::Sandbox> {
    use crate::sandbox::{Policy, Sandbox};
    use std::os::unix::process::CommandExt as _;

    std::fs::create_dir_all(target_dir)?;
    let space = manifest.parent().unwrap_or(Path::new("."));
    let mut policy = Policy::base().read(space).write(target_dir);
    // Cargo prunes the copied lock file to the labs laid out.
    policy = policy.write_if_present(&space.join("Cargo.lock"));
    let cargo_path = PathBuf::from(cargo());
    // `$CARGO` is the toolchain's own cargo: `<toolchain>/bin/cargo`.
    let toolchain = cargo_path
        .is_absolute()
        .then(|| cargo_path.parent().and_then(Path::parent))
        .flatten()
        .map(Path::to_path_buf);
    if let Some(toolchain) = &toolchain {
        policy = policy.read(toolchain);
        let rustc = toolchain.join("bin").join("rustc");
        if rustc.exists() {
            command.env("RUSTC", rustc);
        }
    }
    if let Some(cargo_home) = tool_home("CARGO_HOME", ".cargo") {
        for part in ["bin", "registry", "git", "config.toml", "config"] {
            policy = policy.read_if_present(&cargo_home.join(part));
        }
        // Cargo's locks and its cache tracker, even offline.
        for lock in [".package-cache", ".package-cache-mutate", ".global-cache"] {
            policy = policy.write_if_present(&cargo_home.join(lock));
        }
        command.env("CARGO_HOME", &cargo_home);
    }
    if let Some(rustup_home) = tool_home("RUSTUP_HOME", ".rustup") {
        for part in ["toolchains", "settings.toml"] {
            policy = policy.read_if_present(&rustup_home.join(part));
        }
        command.env("RUSTUP_HOME", &rustup_home);
    }
    // Cargo reads `.cargo/config.toml` in every folder above its working
    // folder: run it in the submission's workspace, and let it read those.
    command.current_dir(space);
    for folder in space.ancestors() {
        for name in ["config.toml", "config"] {
            policy = policy.read_if_present(&folder.join(".cargo").join(name));
        }
    }
    let sandbox = Sandbox::new(policy)?;
    command.envs(sandbox.env());
    if let Some(entry) = sandbox.entry() {
        // SAFETY: `enter` only makes async-signal-safe syscalls on plain data.
        unsafe {
            command.pre_exec(move || entry.enter());
        }
    }
    // The caller keeps it until the build ends: the ruleset's descriptor must
    // be open at spawn (it is close-on-exec, so cargo never sees it).
    Ok(sandbox)
}

#[cfg(not(unix))]
fn sandboxed_build(
    _command: &mut Command,
    _manifest: &Path,
    _target_dir: &Path,
) -> std::io::Result<crate::sandbox::Sandbox> {
    crate::sandbox::Sandbox::new(crate::sandbox::Policy::base())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab01() -> &'static Lab {
        crate::catalog::find("01").unwrap()
    }

    #[test]
    fn names_the_starter_crate_for_a_pasted_solution_path() {
        // rustc 1.85+ and older wordings.
        for message in [
            "error[E0433]: failed to resolve: use of unresolved module or unlinked crate `basico_solucao`",
            "error[E0433]: failed to resolve: use of undeclared crate or module `basico_solucao`",
            "error[E0432]: unresolved import `basico_solucao`",
        ] {
            let advice = advice(message, lab01()).unwrap_or_else(|| panic!("{message}"));
            assert!(
                advice.contains("`basico_solucao::` por `basico_inicio::`"),
                "{advice}"
            );
            assert!(advice.contains("crate::"), "{advice}");
        }
    }

    #[test]
    fn other_errors_get_no_advice() {
        let message = "error[E0425]: cannot find value `servidor` in this scope";
        assert_eq!(advice(message, lab01()), None);
        // The solution named in passing, not unresolved.
        assert_eq!(advice("warning: basico_solucao está ok", lab01()), None);
    }
}
