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
