//! The diagrams' convention: each one is a `.mmd` file in a `diagramas/` folder
//! beside its chapter, and the chapter holds only
//!
//! ````markdown
//! ```mermaid
//! {{#include diagramas/nome.mmd}}
//! ```
//! ````
//!
//! so the picture diffs as text, and the prose around it merges without conflicts.
//! A diagram no page includes, or one pasted into the page, is reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Problems found under `src`, in pt-BR.
pub fn check(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut included: HashSet<PathBuf> = HashSet::new();
    for page in xtask::files::under(src, Some("md")) {
        let Ok(text) = std::fs::read_to_string(&page) else {
            continue; // includes::check already reported it
        };
        let shown = page
            .strip_prefix(src)
            .unwrap_or(&page)
            .display()
            .to_string();
        let folder = page.parent().unwrap_or(src);
        for block in mermaid_blocks(&text) {
            match block.as_slice() {
                [line] if include_target(line).is_some_and(|p| p.ends_with(".mmd")) => {
                    let target = include_target(line).unwrap_or_default();
                    let path = folder.join(target);
                    included.insert(path.canonicalize().unwrap_or(path));
                }
                _ => problems.push(format!(
                    "{shown}: um bloco ```mermaid deve ter só uma linha \
                     `{{{{#include diagramas/<nome>.mmd}}}}`, com o diagrama num arquivo \
                     ao lado do capítulo"
                )),
            }
        }
    }
    for diagram in xtask::files::under(src, Some("mmd")) {
        let key = diagram.canonicalize().unwrap_or(diagram.clone());
        if !included.contains(&key) {
            problems.push(format!(
                "o diagrama {} não aparece em página nenhuma (falta o include num bloco ```mermaid)",
                diagram.strip_prefix(src).unwrap_or(&diagram).display()
            ));
        }
    }
    problems
}

/// The body lines (trimmed, blank ones dropped) of every ```mermaid fence. A fence
/// closes, as in CommonMark, only on a line of at least as many backticks and nothing
/// else, so a ```mermaid shown inside another block is not a diagram.
fn mermaid_blocks(markdown: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    // The open fence: its backtick count, and the body when it is a mermaid one.
    let mut open: Option<(usize, Option<Vec<&str>>)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        let info = trimmed.trim_start_matches('`').trim();
        match &mut open {
            Some((width, body)) => {
                if ticks >= *width && info.is_empty() {
                    blocks.extend(body.take());
                    open = None;
                } else if let Some(body) = body
                    && !trimmed.is_empty()
                {
                    body.push(trimmed);
                }
            }
            None if ticks >= 3 => {
                open = Some((ticks, (info == "mermaid").then(Vec::new)));
            }
            None => {}
        }
    }
    blocks
}

/// `diagramas/x.mmd` from `{{#include diagramas/x.mmd}}`.
fn include_target(line: &str) -> Option<&str> {
    line.strip_prefix("{{#include ")?
        .strip_suffix("}}")
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An included diagram passes; a pasted one and an orphan file are reported.
    #[test]
    fn finds_pasted_and_orphan_diagrams() {
        let dir = std::env::temp_dir().join(format!("tomada-diagramas-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cap/diagramas")).unwrap();
        std::fs::write(dir.join("cap/diagramas/bom.mmd"), "graph LR\n  a --> b\n").unwrap();
        std::fs::write(dir.join("cap/diagramas/orfao.mmd"), "graph LR\n  c --> d\n").unwrap();
        std::fs::write(
            dir.join("cap/pagina.md"),
            "texto\n\n```mermaid\n{{#include diagramas/bom.mmd}}\n```\n\n\
             ````markdown\n```mermaid\n{{#include diagramas/orfao.mmd}}\n```\n````\n\n\
             ```mermaid\ngraph LR\n  x --> y\n```\n",
        )
        .unwrap();
        let problems = check(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("pagina.md"), "{problems:?}");
        assert!(problems[1].contains("orfao.mmd"), "{problems:?}");
    }
}
