//! The book builds (`cargo xtask book`, mdbook as a library) with no broken
//! include, dead link or missing anchor, and the rendered pages carry what the
//! labs rely on: code from the solutions, the golden transcript, search.

mod comum;

use std::process::Command;

/// Building the book succeeds, and its pages hold the included code.
#[test]
fn livro_gera_sem_links_quebrados() {
    let root = comum::root();
    let output = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
        .current_dir(&root)
        .args(["run", "--quiet", "--package", "xtask-book", "--"])
        .arg(root.join("book"))
        .output()
        .expect("cargo run xtask-book");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "o livro não gerou:\n{err}");

    let html = root.join("book/html");
    let page =
        |p: &str| std::fs::read_to_string(html.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let servidor = page("01-basico/servidor-basico.html");
    assert!(page("index.html").contains("lang=\"pt-BR\""));
    // Code included from the solution, dedented (the anchor sits inside a fn body).
    assert!(servidor.contains("TcpListener::bind(endereco)"));
    assert!(!servidor.contains("{{#include"), "include não processado");
    assert!(
        !servidor.contains("ANCHOR"),
        "marcas de âncora vazaram para o livro"
    );
    assert!(
        servidor.contains("&quot;Bem-vindo ao servidor!&quot;")
            || servidor.contains("\"Bem-vindo ao servidor!\"")
    );
    // The golden transcript is shown as the grader's expected dialogue.
    assert!(
        servidor.contains("[cliente 1] conecta em 127.0.0.1:&lt;porta&gt;"),
        "transcrição ausente"
    );
    // Diagrams: the include filled the ```mermaid fence, and the mermaid preprocessor
    // turned it into the block mermaid.js draws (tests/navegador.rs checks the drawing).
    let eco = page("02-echo/servidor-echo.html");
    assert!(
        eco.contains("<pre class=\"mermaid\">") && eco.contains("sequenceDiagram"),
        "o diagrama não virou <pre class=\"mermaid\">"
    );
    assert!(
        !eco.contains("diagramas/fin-e-rst.mmd"),
        "include do diagrama não processado"
    );
    assert!(
        html.join("mermaid")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()),
        "o mermaid.js não foi copiado para o livro (additional-js em book/book.toml)"
    );
    // Search is on, and each lab has its generated page.
    // (mdbook 0.5 names assets with a content hash: `searchindex-<hash>.js`.)
    let search_index = std::fs::read_dir(&html)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("searchindex"))
        .expect("o índice de busca não foi gerado");
    let index = std::fs::read_to_string(search_index.path()).unwrap();
    assert!(index.contains("socket"), "a busca não acharia \"socket\"");
    for lab in xtask::catalog::LABS {
        assert!(html.join("labs").join(lab.dir).join("index.html").exists());
        // One of its chapters shows a golden conversation drawn by `{{#diagrama}}`.
        let drawn = lab.chapters.iter().any(|c| {
            let text = page(
                &std::path::Path::new(c)
                    .with_extension("html")
                    .to_string_lossy(),
            );
            text.contains("<figure class=\"diagrama-transcricao\"") && text.contains("<svg")
        });
        assert!(
            drawn,
            "nenhum capítulo do laboratório {} tem o diagrama",
            lab.dir
        );
    }
    assert!(!servidor.contains("{{#diagrama"), "diagrama não processado");
}

/// "Tente primeiro": no page shows a whole function of a solution in the open.
/// Code the starter already gives (the same lines are in `inicio/`) is no
/// answer, and may be shown.
/// Every `{{#include}}` that takes text from `labs/*/solucao/` and brings a
/// complete `fn name(...) { ... }` (its opening line and matching closing brace)
/// must sit inside a `<details class="solucao">` block, collapsed until the
/// reader opens it. Signatures, partial snippets and the concept stay visible.
#[test]
fn solucoes_inteiras_so_dentro_de_details() {
    let src = comum::root().join("book/src");
    let mut problems = Vec::new();
    let mut pages = xtask::files::under(&src, Some("md"));
    pages.sort();
    assert!(pages.len() > 10, "poucas páginas em {}", src.display());
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let shown = page.strip_prefix(&src).unwrap().display().to_string();
        for (line, spec, in_solution_block) in includes(&text) {
            let Some(included) = included_solution_text(&page, &spec) else {
                continue;
            };
            if in_solution_block {
                continue;
            }
            if let Some(name) = whole_function(&included)
                && !given_in_starter(&page, &spec, &included)
            {
                problems.push(format!(
                    "{shown}:{line}: {{{{#include {spec}}}}} mostra a função inteira `{name}` fora de <details class=\"solucao\">"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "soluções à vista, sem \"tente primeiro\":\n{}",
        problems.join("\n")
    );
}

/// The detector itself: whole functions are found, fragments and signatures are
/// not, and braces inside strings, chars and comments do not fool it.
#[test]
fn detector_de_funcao_inteira() {
    assert_eq!(
        whole_function("fn servir() -> io::Result<()> {\n    let x = \"}\";\n    Ok(())\n}\n"),
        Some("servir".into())
    );
    assert_eq!(
        whole_function(
            "pub async fn f<T>(a: [u8; 4])\nwhere T: Send,\n{\n    if x { '{' } else { '}' };\n}\n"
        ),
        Some("f".into())
    );
    // Only the opening of the function: a fragment, not the answer.
    assert_eq!(whole_function("fn servir() {\n    let a = 1;\n"), None);
    // Body lines only (an anchor inside the function), and a trait signature.
    assert_eq!(
        whole_function("    let a = f(1);\n    // fn falsa() {}\n"),
        None
    );
    assert_eq!(whole_function("fn sinal(&self) -> u8;\n"), None);
    // A fn pointer type is not a function.
    assert_eq!(whole_function("let f: fn(u8) -> u8 = g;\n"), None);

    let md = "a\n<details class=\"solucao\">\n<summary>x</summary>\n\n```rust\n{{#include a.rs:b}}\n```\n\n</details>\n{{#include c.rs}}\n<details><summary>Resposta</summary>\n{{#include d.rs:e}}\n</details>\n";
    let found: Vec<_> = includes(md)
        .into_iter()
        .map(|(_, s, inside)| (s, inside))
        .collect();
    assert_eq!(
        found,
        [
            ("a.rs:b".to_string(), true),
            ("c.rs".to_string(), false),
            ("d.rs:e".to_string(), false)
        ]
    );
}

/// Every `{{#include spec}}` in a page: its line number, the spec and whether it
/// sits inside a `<details class="solucao">` (possibly nested in other blocks).
fn includes(markdown: &str) -> Vec<(usize, String, bool)> {
    let mut found = Vec::new();
    // One entry per open <details>: whether it is a solution block.
    let mut open: Vec<bool> = Vec::new();
    for (number, line) in markdown.lines().enumerate() {
        let mut rest = line;
        loop {
            let next_open = rest.find("<details");
            let next_close = rest.find("</details>");
            let next_include = rest.find("{{#include ");
            let first = [next_open, next_close, next_include]
                .into_iter()
                .flatten()
                .min();
            let Some(at) = first else { break };
            if Some(at) == next_include {
                let after = &rest[at + "{{#include ".len()..];
                let end = after.find("}}").unwrap_or(after.len());
                found.push((
                    number + 1,
                    after[..end].trim().to_string(),
                    open.contains(&true),
                ));
                rest = &after[end..];
            } else if Some(at) == next_close {
                open.pop();
                rest = &rest[at + "</details>".len()..];
            } else {
                let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
                let tag = &rest[at..tag_end];
                open.push(tag.contains("class=\"solucao\"") || tag.contains("class='solucao'"));
                rest = &rest[tag_end..];
            }
        }
    }
    found
}

/// The text an include brings, when it points into a lab's `solucao/` folder,
/// selected as mdbook does: whole file, line range or anchor (marker lines of
/// any anchor removed).
fn included_solution_text(page: &std::path::Path, spec: &str) -> Option<String> {
    let (path, selector) = match spec.split_once(':') {
        Some((path, selector)) => (path, Some(selector)),
        None => (spec, None),
    };
    let target = page.parent()?.join(path).canonicalize().ok()?;
    let labs = comum::root().join("labs").canonicalize().ok()?;
    let inside = target.strip_prefix(&labs).ok()?;
    if inside
        .components()
        .nth(1)
        .is_none_or(|c| c.as_os_str() != "solucao")
    {
        return None;
    }
    let content =
        std::fs::read_to_string(&target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
    let lines: Vec<&str> = content.lines().collect();
    let is_marker = |l: &str| l.contains("ANCHOR:") || l.contains("ANCHOR_END:");
    let chosen: Vec<&str> = match selector {
        None => lines,
        Some(sel) if sel.chars().all(|c| c.is_ascii_digit() || c == ':') => {
            let mut parts = sel.splitn(2, ':');
            let from: Option<usize> = parts.next().and_then(|p| p.parse().ok());
            let to = parts.next();
            let (start, end) = match to {
                // `N`: that line only.
                None => (from.unwrap_or(1), from.unwrap_or(lines.len())),
                // `N:`, `:M`, `N:M`.
                Some(to) => (from.unwrap_or(1), to.parse().unwrap_or(lines.len())),
            };
            lines
                .into_iter()
                .skip(start.saturating_sub(1))
                .take(end + 1 - start.max(1))
                .collect()
        }
        Some(anchor) => {
            let start = format!("ANCHOR: {anchor}");
            let end = format!("ANCHOR_END: {anchor}");
            lines
                .iter()
                .skip_while(|l| !l.trim_end().ends_with(&start))
                .skip(1)
                .take_while(|l| !l.trim_end().ends_with(&end))
                .copied()
                .collect()
        }
    };
    Some(
        chosen
            .into_iter()
            .filter(|l| !is_marker(l))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Whether `included` (text from a `solucao/` file) is, comments and spacing
/// aside, also in the starter's file of the same path: code the learner is
/// given, not an answer.
fn given_in_starter(page: &std::path::Path, spec: &str, included: &str) -> bool {
    let path = spec.split_once(':').map_or(spec, |(path, _)| path);
    let Some(starter) = path
        .contains("/solucao/")
        .then(|| {
            page.parent()
                .map(|dir| dir.join(path.replace("/solucao/", "/inicio/")))
        })
        .flatten()
    else {
        return false;
    };
    let Ok(starter) = std::fs::read_to_string(starter) else {
        return false;
    };
    let normalized = |code: &str| {
        code.lines()
            .map(|l| l.split("//").next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    normalized(&starter).contains(&normalized(included))
}

/// The name of the first function in `code` whose header and whole body, up to
/// the matching closing brace, are all there.
fn whole_function(code: &str) -> Option<String> {
    let code = blank_literals_and_comments(code);
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut search = 0;
    while let Some(found) = code[search..].find("fn") {
        let at = search + found;
        search = at + 2;
        let before_ok = at == 0 || !is_ident(bytes[at - 1]);
        let after_space = bytes.get(at + 2).is_some_and(|b| b.is_ascii_whitespace());
        if !before_ok || !after_space {
            continue;
        }
        let name_start = at + 2 + code[at + 2..].len() - code[at + 2..].trim_start().len();
        let name_len = code[name_start..]
            .bytes()
            .take_while(|&b| is_ident(b))
            .count();
        if name_len == 0 {
            continue;
        }
        let name = &code[name_start..name_start + name_len];
        // The body opens at the first `{` outside parentheses and brackets; a `;`
        // there first means a signature without a body.
        let mut depth = 0i32;
        let mut open = None;
        for (i, b) in code[name_start..].bytes().enumerate() {
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    open = Some(name_start + i);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let mut braces = 0i32;
        for b in code[open..].bytes() {
            match b {
                b'{' => braces += 1,
                b'}' => {
                    braces -= 1;
                    if braces == 0 {
                        return Some(name.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// `code` with the contents of string and char literals and of comments turned
/// into spaces, so their braces and `fn`s do not count. Lifetimes stay.
fn blank_literals_and_comments(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            // A raw string: r"..." or r#"..."#, no escapes inside.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body_start = i + 2 + hashes;
            let rest: String = chars[body_start..].iter().collect();
            let body_len = rest
                .find(&closing)
                .map_or(rest.len(), |e| rest[..e].chars().count());
            for &ch in &chars[i..(body_start + body_len + closing.len()).min(chars.len())] {
                out.push(blank(ch));
            }
            i = body_start + body_len + closing.len();
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                for _ in 0..step {
                    if i < chars.len() {
                        out.push(blank(chars[i]));
                        i += 1;
                    }
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{7b}') or a lifetime ('a): only the
            // literal has a closing quote right after one char or an escape.
            let len = if next == Some('\\') {
                chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| p + 2)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(3)
            } else {
                None
            };
            match len {
                Some(len) => {
                    for _ in 0..len.min(chars.len() - i) {
                        out.push(' ');
                    }
                    i += len;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
