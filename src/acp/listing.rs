//! `session/list`: the reins sessions of the client's working directory (every session without
//! one), newest first, so an editor can offer them to load.

use crate::store::sessions;
use agent_client_protocol::v1::schema::{ListSessionsResponse, SessionInfo};
use agent_client_protocol::{Error, ErrorCode};
use std::path::{Path, PathBuf};

/// The sessions recorded under `$REINS_HOME` for the workspace that contains `cwd`.
pub fn list(cwd: Option<&Path>) -> Result<ListSessionsResponse, Error> {
    let home = crate::workspace::reins_home().ok_or_else(|| {
        Error::new(
            ErrorCode::INTERNAL_ERROR,
            "neither REINS_HOME nor HOME is set: no sessions to list",
        )
    })?;
    let root = match cwd {
        Some(dir) => Some(
            crate::workspace::discover(Some(dir))
                .map_err(|e| Error::new(ErrorCode::INVALID_PARAMS, format!("cwd: {e}")))?
                .0,
        ),
        None => None,
    };
    let infos = sessions::list(&home, root.as_deref())
        .into_iter()
        .map(|s| {
            SessionInfo::new(s.id, PathBuf::from(s.workspace))
                .title(title(&s.prompt))
                .updated_at((s.started_at > 0).then(|| timestamp(s.started_at)))
        })
        .collect();
    Ok(ListSessionsResponse::new(infos))
}

/// The first line of the first prompt, cut to what a list shows.
fn title(prompt: &str) -> Option<String> {
    let line = prompt.lines().find(|l| !l.trim().is_empty())?.trim();
    let mut out: String = line.chars().take(80).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    Some(out)
}

/// Unix seconds as an ISO 8601 UTC timestamp.
fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (y, m, d) = crate::agent::prompt::civil_from_days(days);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_796_599_861), "2026-12-06T23:31:01Z");
    }

    #[test]
    fn a_title_is_the_first_line_cut_short() {
        assert_eq!(
            title("\n fix the tests \nmore").as_deref(),
            Some("fix the tests")
        );
        assert_eq!(title(&"x".repeat(100)).map(|t| t.chars().count()), Some(81));
        assert_eq!(title("  "), None);
    }
}
