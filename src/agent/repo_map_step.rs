//! The repository map in the first request: on request (`[repo_map] start = "on"`), or by
//! default for models with a small context window, which cannot afford many rounds of listing
//! and reading to find their way. Building it walks the whole workspace (every file through the
//! read check), so it is done only then: with the map off nothing walks the repository before
//! the first request.

use crate::config::MapStart;
use crate::tools::{repo_map, ToolContext};

/// `auto` turns the map on for context windows up to this many tokens.
pub const SMALL_WINDOW: u64 = 32_768;
/// The first request's map size when the config names none.
pub const START_TOKENS: usize = 1024;
const PREAMBLE: &str = include_str!("../../prompts/repo_map_start.md");

/// Whether (`when`) and how big (`tokens`, roughly) a map the first request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartMap {
    pub when: MapStart,
    pub tokens: usize,
}

impl StartMap {
    /// The map block for the first user message, when the map is on (`window`: the context
    /// window of the model the session starts with); ranked toward what the task names (paths
    /// and identifiers).
    pub(super) async fn block(
        self,
        task: &str,
        window: Option<u64>,
        ctx: &ToolContext,
    ) -> Option<String> {
        let on = match self.when {
            MapStart::On => true,
            MapStart::Off => false,
            MapStart::Auto => window.is_some_and(|w| w <= SMALL_WINDOW),
        };
        if !on {
            return None;
        }
        let tokens = self.tokens;
        let root = ctx.root.clone();
        let reader = ctx.reader();
        let cache = ctx
            .reins_home
            .as_deref()
            .map(|h| repo_map::index::cache_path(h, &root));
        let focus = mentioned(task);
        let map = tokio::task::spawn_blocking(move || {
            repo_map::build(&root, &reader, cache.as_deref(), &focus, tokens)
        })
        .await
        .ok()?;
        Some(format!(
            "\n\n<repo_map>\n{}\n\n{}</repo_map>",
            PREAMBLE.trim(),
            map.text
        ))
    }
}

/// The words of a task that may name a file or an identifier: runs of letters, digits, `_`,
/// `.`, `/` and `-`, at least three long, trimmed of sentence punctuation.
fn mentioned(task: &str) -> Vec<String> {
    task.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '-' | '/')))
        .filter(|w| w.len() >= 3)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names_are_picked_from_the_task() {
        let words = mentioned("Fix parse_input in src/lexer.rs, then run `cargo test`.");
        assert!(words.contains(&"parse_input".to_string()));
        assert!(words.contains(&"src/lexer.rs".to_string()));
        assert!(words.contains(&"cargo".to_string()));
    }
}
