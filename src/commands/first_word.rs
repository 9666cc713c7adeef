//! `reins WORD`: a lone word where a subcommand goes is almost always a mistyped subcommand
//! (`reins sesions`), and sending it to the model as a prompt costs money and surprises. So a
//! one-word prompt for the interactive UI must come after `--` (`reins -- refactor`); without it
//! the word is refused, with the nearest subcommand when one is close.

use crate::frontend::ExitError;
use clap::CommandFactory;

/// Refuses `prompt` when it is one word given without `--` before it in `raw` (the process's
/// arguments, program name first).
pub fn check(prompt: Option<&str>, raw: &[String]) -> Result<(), ExitError> {
    let Some(prompt) = prompt else {
        return Ok(());
    };
    if prompt.split_whitespace().nth(1).is_some() || after_double_dash(prompt, raw) {
        return Ok(());
    }
    let hint = match nearest_subcommand(prompt) {
        Some(name) => format!("did you mean `reins {name}`? "),
        None => String::new(),
    };
    Err(ExitError::usage(format!(
        "`{prompt}` is not a reins command; {hint}(to send one word as a prompt: reins -- {prompt}; `reins --help` lists the commands)"
    )))
}

/// Whether a `--` comes before the prompt's own argument.
fn after_double_dash(prompt: &str, raw: &[String]) -> bool {
    let dash = raw.iter().skip(1).position(|a| a == "--");
    let word = raw.iter().skip(1).rposition(|a| a == prompt);
    matches!((dash, word), (Some(d), Some(w)) if d < w)
}

/// The subcommand spelled most like `word`, if any is close enough to be what was meant.
fn nearest_subcommand(word: &str) -> Option<String> {
    let word = word.to_lowercase();
    crate::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .map(|name| (strsim::jaro_winkler(&word, &name), name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn typos_find_their_subcommand() {
        assert_eq!(nearest_subcommand("sesions").as_deref(), Some("sessions"));
        assert_eq!(nearest_subcommand("exce").as_deref(), Some("exec"));
        assert_eq!(nearest_subcommand("workflow").as_deref(), Some("workflows"));
        assert_eq!(
            nearest_subcommand("completion").as_deref(),
            Some("completions")
        );
        assert_eq!(nearest_subcommand("refactor"), None);
    }

    #[test]
    fn one_word_needs_a_double_dash_and_more_words_do_not() {
        assert!(check(Some("sesions"), &args(&["reins", "sesions"])).is_err());
        assert!(check(Some("refactor"), &args(&["reins", "refactor"])).is_err());
        assert!(check(Some("refactor"), &args(&["reins", "--", "refactor"])).is_ok());
        assert!(check(Some("fix the tests"), &args(&["reins", "fix the tests"])).is_ok());
        assert!(check(None, &args(&["reins"])).is_ok());
    }
}
