//! As regras do protocolo que não dependem da sala: o apelido e o limite de uma
//! linha, agora lida com `.await`.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Uma linha maior que isto encerra a conexão de quem a enviou: sem limite, um
/// cliente poderia mandar uma "linha" infinita e esgotar a memória do servidor.
pub const TAMANHO_MAXIMO_LINHA: usize = 64 * 1024;

/// O maior apelido aceito, em caracteres.
pub const APELIDO_MAXIMO: usize = 32;

// ANCHOR: validar
/// Confere as regras do apelido que não dependem dos outros (a de estar em uso
/// é conferida na [`crate::sala::Sala`], com o cadeado na mão).
pub fn validar_apelido(apelido: &str) -> Result<(), String> {
    if apelido.is_empty() {
        return Err("o apelido não pode ser vazio".to_owned());
    }
    if apelido.chars().count() > APELIDO_MAXIMO {
        return Err(format!(
            "o apelido pode ter no máximo {APELIDO_MAXIMO} caracteres"
        ));
    }
    if apelido.chars().any(char::is_whitespace) {
        return Err("o apelido não pode ter espaços".to_owned());
    }
    Ok(())
}
// ANCHOR_END: validar

/// O que uma leitura de linha encontrou.
pub enum Linha {
    Texto(String),
    /// O outro lado fechou a conexão.
    Fim,
    /// A linha passou de [`TAMANHO_MAXIMO_LINHA`].
    Grande,
}

// ANCHOR: ler_linha
/// Lê uma linha (sem o `\n`), sem nunca guardar mais que o limite na memória.
///
/// É a `ler_linha` do laboratório 03 com as versões assíncronas de `take` e
/// `read_until`: enquanto a linha não chega, o `.await` devolve a thread ao
/// runtime, que atende outras conexões.
pub async fn ler_linha(leitor: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Linha> {
    let mut bytes = Vec::new();
    // `take` limita quanto `read_until` pode ler: um byte a mais que o máximo
    // basta para saber que a linha passou do limite. `&mut *leitor` empresta o
    // leitor ao `take` (o `by_ref` da versão síncrona), e o mesmo `BufReader`,
    // com o que já guardou, serve para a próxima linha.
    let lidos = (&mut *leitor)
        .take(TAMANHO_MAXIMO_LINHA as u64 + 1)
        .read_until(b'\n', &mut bytes)
        .await?;
    if lidos == 0 {
        return Ok(Linha::Fim);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    } else if bytes.len() > TAMANHO_MAXIMO_LINHA {
        return Ok(Linha::Grande);
    }
    String::from_utf8(bytes)
        .map(Linha::Texto)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a linha não é UTF-8 válido"))
}
// ANCHOR_END: ler_linha

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn apelidos_validos_e_invalidos() {
        assert!(validar_apelido("ana").is_ok());
        assert!(validar_apelido("").is_err());
        assert!(validar_apelido("ana maria").is_err());
        assert!(validar_apelido(&"a".repeat(33)).is_err());
        assert!(validar_apelido(&"ç".repeat(32)).is_ok());
    }

    // `&[u8]` também é um leitor assíncrono (sempre pronto), o que basta para testar
    // `ler_linha` sem rede; `#[tokio::test]` cria um runtime só para o teste.
    #[tokio::test]
    async fn linha_grande_demais_e_detectada() {
        let mut grande = vec![b'a'; TAMANHO_MAXIMO_LINHA + 10];
        grande.push(b'\n');
        let mut leitor = &grande[..];
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Grande)));
        let mut leitor = &b"oi\r\n"[..];
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Texto(t)) if t == "oi"));
    }

    #[tokio::test]
    async fn linhas_seguidas_e_fim() {
        let mut leitor = &b"ana\nbia\nsem fim"[..];
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Texto(t)) if t == "ana"));
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Texto(t)) if t == "bia"));
        // A última linha sem `\n`, de quem fechou a conexão, ainda é uma linha.
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Texto(t)) if t == "sem fim"));
        assert!(matches!(ler_linha(&mut leitor).await, Ok(Linha::Fim)));
    }

    #[tokio::test]
    async fn linha_no_limite_passa() {
        let mut exata = vec![b'a'; TAMANHO_MAXIMO_LINHA];
        exata.push(b'\n');
        let mut leitor = &exata[..];
        assert!(
            matches!(ler_linha(&mut leitor).await, Ok(Linha::Texto(t)) if t.len() == TAMANHO_MAXIMO_LINHA)
        );
        let mut leitor = &b"\xff\n"[..];
        assert!(ler_linha(&mut leitor).await.is_err());
    }
}
