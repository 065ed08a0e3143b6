//! The small Rust programs of "O Rust que você vai precisar"
//! (`book/src/03-chat/exemplos/`) really run: each `NOME.rs` with a `NOME.saida`
//! compiles, runs and prints exactly that file, which the page shows as its output;
//! each `NOME.rs` with a `NOME.erro` is refused by the compiler with those lines.
//! Every example is on the page, and the page includes nothing else from there.

mod comum;

use std::path::{Path, PathBuf};
use std::process::Command;

const PAGINA: &str = "book/src/03-chat/rust-que-voce-vai-precisar.md";
const EXEMPLOS: &str = "book/src/03-chat/exemplos";

fn rustc() -> Command {
    Command::new(std::env::var_os("RUSTC").unwrap_or("rustc".into()))
}

/// Compiles `fonte` as a 2024-edition binary into a fresh directory.
fn compilar(fonte: &Path) -> (std::process::Output, PathBuf) {
    let nome = fonte.file_stem().unwrap().to_string_lossy().into_owned();
    let saida = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("exemplos")
        .join(&nome);
    std::fs::create_dir_all(&saida).unwrap();
    let binario = saida.join(&nome);
    let output = rustc()
        .args(["--edition", "2024", "-o"])
        .arg(&binario)
        .arg(fonte)
        .output()
        .expect("rustc");
    (output, binario)
}

fn exemplos() -> Vec<PathBuf> {
    let dir = comum::root().join(EXEMPLOS);
    let mut fontes: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    fontes.sort();
    fontes
}

#[test]
fn cada_exemplo_roda_e_imprime_o_que_a_pagina_mostra() {
    let fontes = exemplos();
    assert!(fontes.len() >= 5, "exemplos demais sumiram: {fontes:?}");
    for fonte in &fontes {
        let esperada = fonte.with_extension("saida");
        let erro = fonte.with_extension("erro");
        let (compilado, binario) = compilar(fonte);
        let stderr = String::from_utf8_lossy(&compilado.stderr);
        match (esperada.exists(), erro.exists()) {
            (true, false) => {
                assert!(
                    compilado.status.success(),
                    "{} não compila:\n{stderr}",
                    fonte.display()
                );
                let rodou = Command::new(&binario).output().expect("rodar o exemplo");
                assert!(rodou.status.success(), "{} falhou", fonte.display());
                assert_eq!(
                    String::from_utf8_lossy(&rodou.stdout),
                    std::fs::read_to_string(&esperada).unwrap(),
                    "{} imprimiu outra coisa",
                    fonte.display()
                );
            }
            (false, true) => {
                assert!(
                    !compilado.status.success(),
                    "{} deveria ser recusado pelo compilador",
                    fonte.display()
                );
                for linha in std::fs::read_to_string(&erro).unwrap().lines() {
                    assert!(
                        stderr.contains(linha),
                        "{}: o compilador não disse {linha:?}:\n{stderr}",
                        fonte.display()
                    );
                }
            }
            _ => panic!(
                "{} precisa de um .saida (roda) ou de um .erro (não compila), e só um",
                fonte.display()
            ),
        }
    }
}

#[test]
fn a_pagina_mostra_cada_exemplo_e_so_eles() {
    let pagina = std::fs::read_to_string(comum::root().join(PAGINA)).unwrap();
    let incluidos: Vec<&str> = pagina
        .split("{{#include exemplos/")
        .skip(1)
        .map(|resto| resto.split("}}").next().unwrap())
        .collect();
    for fonte in exemplos() {
        let nome = fonte.file_name().unwrap().to_string_lossy().into_owned();
        let par = if fonte.with_extension("saida").exists() {
            fonte.with_extension("saida")
        } else {
            fonte.with_extension("erro")
        };
        let par = par.file_name().unwrap().to_string_lossy().into_owned();
        for arquivo in [&nome, &par] {
            assert!(
                incluidos.contains(&arquivo.as_str()),
                "a página não mostra {arquivo}"
            );
        }
    }
    for incluido in incluidos {
        assert!(
            comum::root().join(EXEMPLOS).join(incluido).exists(),
            "a página inclui exemplos/{incluido}, que não existe"
        );
    }
}
