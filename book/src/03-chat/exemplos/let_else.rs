/// O primeiro apelido digitado, ou um aviso se a entrada acabou antes.
fn apelido(entrada: &[&str]) -> String {
    // Se o padrão casa, `primeiro` vale daqui para baixo. Se não casa, roda o
    // `else`, que é obrigado a sair da função (ou do laço): `return`, `break`...
    let Some(primeiro) = entrada.first() else {
        return "a entrada acabou antes do apelido".to_owned();
    };
    format!("apelido: {primeiro}")
}

/// A porta de um texto como `PORTA=6000`, ou o motivo de não ser uma.
fn porta(texto: &str) -> Result<u16, String> {
    let Some(numero) = texto.strip_prefix("PORTA=") else {
        return Err(format!("{texto} não começa com PORTA="));
    };
    let Ok(porta) = numero.parse::<u16>() else {
        return Err(format!("{numero} não é uma porta"));
    };
    Ok(porta)
}

fn main() {
    println!("{}", apelido(&["ana", "bia"]));
    println!("{}", apelido(&[]));
    for texto in ["PORTA=6000", "PORTA=seis mil", "6000"] {
        match porta(texto) {
            Ok(porta) => println!("porta {porta}"),
            Err(motivo) => println!("erro: {motivo}"),
        }
    }
}
