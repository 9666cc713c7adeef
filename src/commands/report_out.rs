//! Where a command's report goes (`reins eval`, `reins batch`): the table on stdout and the JSON
//! to `--json FILE`; with `--json -` the JSON takes stdout and the table goes to stderr, so a
//! script can pipe the JSON and a person still sees the table.

use crate::frontend::ExitError;
use std::path::Path;

/// Prints `table` and writes `json_text` as `--json` asks.
pub(super) fn emit(table: &str, json_text: &str, json: Option<&Path>) -> Result<(), ExitError> {
    match json {
        Some(p) if p == Path::new("-") => {
            eprint!("{table}");
            print!("{json_text}");
        }
        Some(p) => {
            write(p, json_text)?;
            print!("{table}");
        }
        None => print!("{table}"),
    }
    Ok(())
}

/// Writes a report file whole (never a torn one), or says which file could not be written.
pub(super) fn write(path: &Path, text: &str) -> Result<(), ExitError> {
    crate::fsutil::write_atomic(path, text.as_bytes())
        .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))
}
