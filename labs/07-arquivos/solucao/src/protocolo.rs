//! O protocolo do laboratório 07: cada pedido é **uma linha de JSON**, e o que
//! vem depois dela (os bytes de um arquivo) tem o tamanho que a linha anunciou.
//!
//! ```text
//! {"op":"enviar","nome":"notas.txt","tamanho":5}\n  + 5 bytes  → {"ok":true,"tamanho":5}\n
//! {"op":"baixar","nome":"notas.txt"}\n                        → {"ok":true,"tamanho":5}\n + 5 bytes
//! {"op":"listar"}\n                                           → {"ok":true,"arquivos":[{"nome":"notas.txt","tamanho":5}]}\n
//! qualquer recusa                                             → {"ok":false,"erro":"<motivo>"}\n
//! ```
//!
//! Este arquivo vem pronto no ponto de partida: os tipos descrevem o formato, e a
//! `serde` escreve e lê o JSON por você.

use serde::{Deserialize, Serialize};

// ANCHOR: pedido
/// O que o cliente pede. `tag = "op"` faz o nome da variante virar o campo
/// `"op"` do objeto: `Pedido::Listar` é `{"op":"listar"}`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Pedido {
    /// Guardar um arquivo: depois da linha vêm exatamente `tamanho` bytes.
    Enviar { nome: String, tamanho: u64 },
    /// Receber um arquivo guardado.
    Baixar { nome: String },
    /// Os arquivos guardados, em ordem de nome.
    Listar,
}
// ANCHOR_END: pedido

// ANCHOR: resposta
/// O que o servidor responde, sempre numa linha. Os campos ausentes (`None`)
/// nem aparecem no JSON: `{"ok":true,"tamanho":5}`.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
pub struct Resposta {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tamanho: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arquivos: Option<Vec<Arquivo>>,
}

/// Um arquivo guardado, como `listar` o mostra.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
pub struct Arquivo {
    pub nome: String,
    pub tamanho: u64,
}
// ANCHOR_END: resposta

impl Resposta {
    /// `{"ok":true,"tamanho":<n>}`: o arquivo foi guardado, ou vai a seguir.
    pub fn tamanho(tamanho: u64) -> Resposta {
        Resposta {
            ok: true,
            tamanho: Some(tamanho),
            ..Resposta::default()
        }
    }

    /// `{"ok":true,"arquivos":[…]}`.
    pub fn lista(arquivos: Vec<Arquivo>) -> Resposta {
        Resposta {
            ok: true,
            arquivos: Some(arquivos),
            ..Resposta::default()
        }
    }

    /// `{"ok":false,"erro":"<motivo>"}`.
    pub fn erro(motivo: impl Into<String>) -> Resposta {
        Resposta {
            ok: false,
            erro: Some(motivo.into()),
            ..Resposta::default()
        }
    }

    /// A resposta como o protocolo a envia: JSON numa linha, terminada em `\n`.
    /// (`to_string` nunca quebra a linha: um `\n` dentro de um texto sai como `\\n`.)
    pub fn linha(&self) -> String {
        let mut texto = serde_json::to_string(self).expect("Resposta sempre vira JSON");
        texto.push('\n');
        texto
    }
}

impl Pedido {
    /// O pedido numa linha, terminada em `\n`.
    pub fn linha(&self) -> String {
        let mut texto = serde_json::to_string(self).expect("Pedido sempre vira JSON");
        texto.push('\n');
        texto
    }
}

/// O maior cabeçalho aceito: uma linha de JSON sem `\n` em 64 KiB não é um pedido.
pub const LIMITE_DO_CABECALHO: u64 = 64 * 1024;
