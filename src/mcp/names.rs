//! Model-facing names of MCP tools: `SERVER__TOOL`, within what model APIs accept.

/// Between the server's name and the tool's. Built-in tools never contain it, which is how the
/// permission gate and `mcp(...)` rules recognise an MCP call.
pub const SEPARATOR: &str = "__";
/// Model APIs accept tool names matching `[A-Za-z0-9_-]{1,64}`.
const MAX_LEN: usize = 64;

/// Why a configured server name cannot prefix its tools' names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerNameError {
    #[error("the server name must be made of letters, digits, `_` and `-`")]
    Characters,
    #[error("the server name must not contain `{SEPARATOR}` or end with `_`: tools are named SERVER{SEPARATOR}TOOL")]
    Separator,
    #[error("the server name must be at most {max} characters long")]
    TooLong { max: usize },
}

/// Whether a configured server name can prefix tool names unambiguously.
pub fn valid_server_name(name: &str) -> Result<(), ServerNameError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ServerNameError::Characters);
    }
    if name.contains(SEPARATOR) || name.ends_with('_') {
        return Err(ServerNameError::Separator);
    }
    if name.len() > MAX_LEN / 2 {
        return Err(ServerNameError::TooLong { max: MAX_LEN / 2 });
    }
    Ok(())
}

/// The prefix of every tool of `server`.
pub fn prefix(server: &str) -> String {
    format!("{server}{SEPARATOR}")
}

/// `SERVER__TOOL`, with characters models reject replaced by `_` and an over-long name cut and
/// suffixed with a hash of the whole, so two long names stay distinct.
pub fn tool_name(server: &str, tool: &str) -> String {
    let clean: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("{}{clean}", prefix(server));
    if name.len() <= MAX_LEN {
        return name;
    }
    let hash = format!("{:08x}", fnv1a(tool.as_bytes()));
    format!("{}_{hash}", &name[..MAX_LEN - hash.len() - 1])
}

/// A 32-bit FNV-1a hash: stable across runs and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_server_and_tool_and_replace_odd_characters() {
        assert_eq!(
            tool_name("github", "search_issues"),
            "github__search_issues"
        );
        assert_eq!(tool_name("docs", "get.page v2"), "docs__get_page_v2");
    }

    #[test]
    fn long_names_are_cut_to_64_and_stay_distinct() {
        let a = tool_name("srv", &"x".repeat(80));
        let b = tool_name("srv", &format!("{}y", "x".repeat(79)));
        assert_eq!(a.len(), 64);
        assert_eq!(b.len(), 64);
        assert_ne!(a, b);
        assert!(a.starts_with("srv__xxx"));
    }

    #[test]
    fn server_names_that_would_be_ambiguous_are_refused() {
        assert!(valid_server_name("github").is_ok());
        assert!(valid_server_name("my-docs_2").is_ok());
        assert_eq!(valid_server_name("a__b"), Err(ServerNameError::Separator));
        assert_eq!(
            valid_server_name(&"a".repeat(40)),
            Err(ServerNameError::TooLong { max: 32 })
        );
        assert!(valid_server_name("a_").is_err());
        assert!(valid_server_name("a.b").is_err());
        assert!(valid_server_name("").is_err());
    }
}
