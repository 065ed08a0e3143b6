use std::fmt;

/// Os jeitos de uma conversa dar errado, cada um com os seus dados.
enum Falha {
    Recusada(u16),
    TempoEsgotado { ms: u64 },
}

// `Display` diz como o valor vira texto para uma pessoa: é o que `{}` usa.
impl fmt::Display for Falha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Falha::Recusada(porta) => write!(f, "ninguém escuta na porta {porta}"),
            Falha::TempoEsgotado { ms } => write!(f, "nada chegou em {ms} ms"),
        }
    }
}

fn main() {
    let falhas = [Falha::Recusada(5000), Falha::TempoEsgotado { ms: 1000 }];
    for falha in &falhas {
        println!("Erro: {falha}");
    }
    // Quem implementa `Display` ganha `to_string()` de graça.
    let texto = falhas[0].to_string();
    println!("{} caracteres", texto.chars().count());
}
