//! Folders the grader prepares for a program (lab 08's served folder): fresh,
//! outside the workbook, shown in transcripts by a placeholder, removed when the
//! session ends. The program's sandbox lets it read one only when the scenario
//! says so (`Extra::read`).

use std::path::PathBuf;

use super::{Session, Stop};

impl Session {
    /// A fresh empty folder, shown as `<pasta-do-corretor>` (then `-2`, `-3`…).
    pub async fn grader_folder(&mut self) -> Result<PathBuf, Stop> {
        match crate::sandbox::Scratch::create() {
            Ok(folder) => {
                let path = folder.path().to_path_buf();
                let label = match self.folders.len() {
                    0 => "<pasta-do-corretor>".to_owned(),
                    n => format!("<pasta-do-corretor-{}>", n + 1),
                };
                self.redact(&path.display().to_string(), label);
                self.folders.push(folder);
                Ok(path)
            }
            Err(error) => {
                self.say(format!(
                    "[corretor] não conseguiu criar uma pasta temporária: {error}"
                ));
                Err(self.fail().await)
            }
        }
    }
}
