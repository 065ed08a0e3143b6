//! Dead links and anchors in the rendered book, and the catalogue's references
//! into it (the grader's "Releia:" lines).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Pages whose links mdbook rewrites for another base (`404.html` uses
/// `<base href="/">`; `print.html` folds every chapter into one page).
const SKIPPED: &[&str] = &["404.html", "print.html"];

/// Every relative `href` in every page must reach an existing file, and its
/// `#fragment` an existing `id` in that page.
pub fn check(out: &Path) -> Vec<String> {
    let mut ids: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut problems = Vec::new();
    for page in xtask::files::under(out, Some("html")) {
        let name = page
            .strip_prefix(out)
            .unwrap_or(&page)
            .to_string_lossy()
            .into_owned();
        if SKIPPED.contains(&name.as_str()) {
            continue;
        }
        let Ok(html) = std::fs::read_to_string(&page) else {
            continue;
        };
        for href in attribute_values(&html, "href") {
            if is_external(&href) {
                continue;
            }
            let (path, fragment) = href.split_once('#').unwrap_or((&href, ""));
            let path = percent_decode_str(path).decode_utf8_lossy().into_owned();
            let mut target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap_or(out).join(&path)
            };
            if target.is_dir() {
                target = target.join("index.html");
            }
            if !target.exists() {
                problems.push(format!("{name}: link quebrado para {href}"));
                continue;
            }
            if fragment.is_empty() || target.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let fragment = percent_decode_str(fragment)
                .decode_utf8_lossy()
                .into_owned();
            let html = ids
                .entry(target.clone())
                .or_insert_with(|| std::fs::read_to_string(&target).ok());
            if !html.as_deref().is_some_and(|h| has_id(h, &fragment)) {
                problems.push(format!(
                    "{name}: a âncora #{fragment} não existe em {}",
                    target.strip_prefix(out).unwrap_or(&target).display()
                ));
            }
        }
    }
    problems
}

/// The grader's book references exist, and each lab chapter links to its lab.
pub fn check_catalog(out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for lab in xtask::catalog::LABS {
        for chapter in lab.chapters {
            let page = out.join(Path::new(chapter).with_extension("html"));
            let Ok(html) = std::fs::read_to_string(&page) else {
                problems.push(format!(
                    "o laboratório {} aponta para o capítulo {chapter}, que não existe",
                    lab.dir
                ));
                continue;
            };
            let lab_link = format!("labs/{}/index.html", lab.dir);
            if !attribute_values(&html, "href")
                .iter()
                .any(|h| h.ends_with(&lab_link))
            {
                problems.push(format!(
                    "o capítulo {chapter} não tem link para a pasta do laboratório ({lab_link})"
                ));
            }
        }
        for step in lab.steps {
            let (chapter, anchor) = step.book.split_once('#').unwrap_or((step.book, ""));
            let page = out.join(Path::new(chapter).with_extension("html"));
            let ok = std::fs::read_to_string(&page)
                .is_ok_and(|html| anchor.is_empty() || has_id(&html, anchor));
            if !ok {
                problems.push(format!(
                    "a dica do passo {} do laboratório {} manda reler {}, que não existe no livro",
                    step.id, lab.dir, step.book
                ));
            }
        }
    }
    problems
}

fn is_external(href: &str) -> bool {
    href.starts_with("http://")
        || href.starts_with("https://")
        || href.starts_with("mailto:")
        || href.starts_with("javascript:")
        || href.starts_with("data:")
        || href.starts_with("//")
}

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

/// Values of `name="..."` attributes, HTML-unescaped for the usual entities.
pub fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.split(needle.as_str())
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|v| {
            v.replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing page and a missing anchor are both reported; good links are not.
    #[test]
    fn finds_dead_links_and_anchors() {
        let dir = std::env::temp_dir().join(format!("tomada-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(
            dir.join("a.html"),
            r##"<a href="sub/b.html#ok">1</a> <a href="sub/b.html#falta">2</a> <a href="nada.html">3</a> <a href="https://exemplo">4</a> <a href="#topo">5</a><h1 id="topo">t</h1>"##,
        )
        .unwrap();
        std::fs::write(
            dir.join("sub/b.html"),
            r#"<h2 id="ok">ok</h2><a href="../a.html">volta</a>"#,
        )
        .unwrap();
        let problems = check(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("#falta"));
        assert!(problems[1].contains("nada.html"));
    }
}
