//! Listing files: the one directory walk the workbook's tools share.

use std::path::{Path, PathBuf};

/// Every regular file under `dir` whose name ends in `.{extension}` (any file
/// when `None`), skipping build output (`target/`), in a stable order.
pub fn under(dir: &Path, extension: Option<&str>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    pending.push(path);
                }
            } else if kind.is_file()
                && extension.is_none_or(|ext| path.extension().is_some_and(|e| e == ext))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
