//! One page per lab inside the rendered book (`labs/NN-tema/index.html`): the
//! starter's files, the commands to run and grade it, and the solution folded
//! away. A reader of the offline book can see what they will edit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xtask::catalog::{LABS, Variant};

pub fn write(root: &Path, out: &Path) -> std::io::Result<()> {
    for lab in LABS {
        let dir = out.join("labs").join(lab.dir);
        std::fs::create_dir_all(&dir)?;
        let mut html = String::new();
        let chapters: String = lab
            .chapters
            .iter()
            .map(|c| {
                format!(
                    "<li><a href=\"../../{}\">{}</a></li>",
                    Path::new(c).with_extension("html").display(),
                    escape(c)
                )
            })
            .collect();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
             <title>Laboratório {num} — {title}</title>\
             <style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.5}}\
             pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}</style></head><body>\
             <p><a href=\"../../index.html\">← voltar ao livro</a></p>\
             <h1>Laboratório {num} — {title}</h1>\
             <p>Pasta <code>labs/{dir}/</code>. Você edita <code>labs/{dir}/inicio/</code>; \
             a solução de referência está em <code>labs/{dir}/solucao/</code>.</p>\
             <p>Capítulos:</p><ul>{chapters}</ul>\
             <p>Avalie na raiz da apostila com <code>cargo xtask check {num}</code>.</p>",
            num = lab.number,
            title = escape(lab.title),
            dir = lab.dir,
        );
        for variant in [Variant::Starter, Variant::Solution] {
            let crate_dir = root.join(lab.crate_dir(variant));
            let (open, close, heading) = match variant {
                Variant::Starter => ("", "", "Ponto de partida (inicio/)"),
                Variant::Solution => (
                    "<details class=\"solucao\"><summary>Tente primeiro — depois abra: a solução (solucao/)</summary>",
                    "</details>",
                    "Solução (solucao/)",
                ),
            };
            let _ = write!(html, "<h2>{heading}</h2>{open}");
            for file in source_files(&crate_dir) {
                let shown = file
                    .strip_prefix(root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                let text = std::fs::read_to_string(&file)?;
                let _ = write!(
                    html,
                    "<h3><code>{}</code></h3><pre><code>{}</code></pre>",
                    escape(&shown),
                    escape(&text)
                );
            }
            html.push_str(close);
        }
        html.push_str("</body></html>\n");
        std::fs::write(dir.join("index.html"), html)?;
    }
    Ok(())
}

/// `Cargo.toml` and every `.rs` under `src/`, in a stable order.
fn source_files(crate_dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![crate_dir.join("Cargo.toml")];
    files.extend(xtask::files::under(&crate_dir.join("src"), Some("rs")));
    files.retain(|f| f.exists());
    files
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
