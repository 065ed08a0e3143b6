//! Checks every `{{#include path[:anchor]}}` before mdbook runs: mdbook only logs
//! a broken include and renders the page anyway, which would hide the mistake.

use std::path::Path;

/// Problems found in every `.md` under `src`, in pt-BR.
pub fn check(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for page in xtask::files::under(src, Some("md")) {
        let Ok(text) = std::fs::read_to_string(&page) else {
            problems.push(format!("não consegui ler {}", page.display()));
            continue;
        };
        let shown = page
            .strip_prefix(src)
            .unwrap_or(&page)
            .display()
            .to_string();
        for include in text.split("{{#include ").skip(1) {
            let Some(spec) = include.split("}}").next() else {
                continue;
            };
            let (path, selector) = match spec.trim().split_once(':') {
                Some((path, selector)) => (path, Some(selector)),
                None => (spec.trim(), None),
            };
            let target = page.parent().unwrap_or(src).join(path);
            let Ok(content) = std::fs::read_to_string(&target) else {
                problems.push(format!(
                    "{shown}: o include aponta para {path}, que não existe"
                ));
                continue;
            };
            // A selector is either a line range (`5:`, `3:9`) or an anchor name.
            let Some(anchor) =
                selector.filter(|s| !s.chars().all(|c| c.is_ascii_digit() || c == ':'))
            else {
                continue;
            };
            let start = format!("ANCHOR: {anchor}");
            let end = format!("ANCHOR_END: {anchor}");
            let has = |marker: &str| content.lines().any(|l| l.trim_end().ends_with(marker));
            if !has(&start) || !has(&end) {
                problems.push(format!(
                    "{shown}: o include {path}:{anchor} não acha as marcas `// ANCHOR: {anchor}` e `// ANCHOR_END: {anchor}`"
                ));
            }
        }
    }
    problems
}
