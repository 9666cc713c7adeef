//! Agent definitions: Markdown files whose front matter says what a subagent may use
//! (`description`, `tools`, `model` or `route`, `max_steps`) and whose body is its instructions.
//! The user's are in `$REINS_HOME/agents/NAME.md`; the repository's in `.reins/agents/NAME.md`,
//! offered only in a trusted workspace (trust covers them) and read like `read_file` reads.

use crate::sandbox::SandboxPolicy;
use std::path::{Path, PathBuf};

const WORKSPACE_DIR: &str = ".reins/agents";

/// What a subagent runs with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentDef {
    pub name: String,
    pub description: String,
    /// Tool names it may call; `None` for the read-only tools.
    pub tools: Option<Vec<String>>,
    pub model: Option<String>,
    pub route: Option<String>,
    pub max_steps: Option<u32>,
    /// Added to the subagent's system prompt.
    pub instructions: String,
}

impl AgentDef {
    /// The agent that runs when the model names none: read-only tools, the parent's model.
    pub fn general() -> Self {
        AgentDef {
            name: "general".into(),
            description: "investigates with the read-only tools and reports back".into(),
            ..AgentDef::default()
        }
    }

    /// Whether it may only read: no tool list, or one naming read-only tools alone.
    pub fn read_only(&self, read_only_tools: &[String]) -> bool {
        self.tools
            .as_ref()
            .is_none_or(|t| t.iter().all(|n| read_only_tools.contains(n)))
    }
}

/// An agent definition that is passed over, and why (shown to the user as a warning).
#[derive(Debug, thiserror::Error)]
#[error("agent {} passed over: {problem}", path.display())]
pub struct DefinitionError {
    pub path: PathBuf,
    pub problem: Problem,
}

/// What is wrong with an agent definition.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Read(#[source] std::io::Error),
    /// A workspace definition the read policy refuses (see `workspace_file`).
    #[error("{0}")]
    Refused(#[source] crate::workspace_file::WorkspaceFileError),
    #[error(transparent)]
    FrontMatter(#[from] crate::frontmatter::FrontMatterError),
    #[error("its front matter has no `description`")]
    NoDescription,
    #[error("`max_steps: {0}` is not a positive number")]
    MaxSteps(String),
    #[error("it sets both `model` and `route`; keep one")]
    ModelAndRoute,
}

/// The agents the model may name, and warnings about files passed over.
pub fn discover(
    policy: &SandboxPolicy,
    home: Option<&Path>,
    trusted: bool,
) -> (Vec<AgentDef>, Vec<String>) {
    let mut out = vec![AgentDef::general()];
    let mut warnings = Vec::new();
    let mut add = |found: Result<AgentDef, DefinitionError>, out: &mut Vec<AgentDef>| match found {
        Ok(def) if out.iter().any(|d| d.name == def.name) => warnings.push(format!(
            "agent `{}` is passed over: an agent of that name was found first",
            def.name
        )),
        Ok(def) => out.push(def),
        Err(e) => warnings.push(e.to_string()),
    };
    if let Some(dir) = home.map(|h| h.join("agents")) {
        for name in crate::workspace_file::names(&dir, Path::new("."), "md") {
            let path = dir.join(format!("{name}.md"));
            let text = std::fs::read_to_string(&path).map_err(|e| DefinitionError {
                path: path.clone(),
                problem: Problem::Read(e),
            });
            add(text.and_then(|t| parse(&name, &t, &path)), &mut out);
        }
    }
    let names = crate::workspace_file::names(&policy.workspace, Path::new(WORKSPACE_DIR), "md");
    if !names.is_empty() && !trusted {
        warnings.push(format!(
            "{} agent(s) in {WORKSPACE_DIR} are not offered to the model: this workspace is not trusted; review them and run `reins trust` to use them",
            names.len()
        ));
        return (out, warnings);
    }
    for name in names {
        let rel = Path::new(WORKSPACE_DIR).join(format!("{name}.md"));
        let path = policy.workspace.join(&rel);
        let text = crate::workspace_file::read(policy, &rel).map_err(|e| DefinitionError {
            path: path.clone(),
            problem: Problem::Refused(e),
        });
        add(text.and_then(|t| parse(&name, &t, &path)), &mut out);
    }
    (out, warnings)
}

/// Reads one definition; `name` is the file's stem.
pub fn parse(name: &str, text: &str, path: &Path) -> Result<AgentDef, DefinitionError> {
    let bad = |problem: Problem| DefinitionError {
        path: path.to_path_buf(),
        problem,
    };
    let doc = crate::frontmatter::parse(text).map_err(|e| bad(e.into()))?;
    let description = doc
        .text("description")
        .ok_or_else(|| bad(Problem::NoDescription))?;
    let max_steps = match doc.text("max_steps") {
        None => None,
        Some(n) => Some(
            n.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad(Problem::MaxSteps(n.to_string())))?,
        ),
    };
    let (model, route) = (doc.text("model"), doc.text("route"));
    if model.is_some() && route.is_some() {
        return Err(bad(Problem::ModelAndRoute));
    }
    Ok(AgentDef {
        name: name.to_string(),
        description: description.split_whitespace().collect::<Vec<_>>().join(" "),
        tools: doc.fields.get("tools").map(|v| v.items()),
        model: model.map(str::to_string),
        route: route.map(str::to_string),
        max_steps,
        instructions: doc.body.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_its_tools_model_and_limit() {
        let def = parse(
            "reviewer",
            "---\ndescription: Reviews a diff\ntools: [read_file, grep]\nmodel: fast\nmax_steps: 5\n---\nBe strict.\n",
            Path::new("reviewer.md"),
        )
        .expect("parses");
        assert_eq!(def.tools, Some(vec!["read_file".into(), "grep".into()]));
        assert_eq!(def.model.as_deref(), Some("fast"));
        assert_eq!(def.max_steps, Some(5));
        assert_eq!(def.instructions, "Be strict.");
        assert!(def.read_only(&["read_file".into(), "grep".into()]));
        assert!(!def.read_only(&["read_file".into()]));
    }

    #[test]
    fn a_definition_with_both_model_and_route_is_refused() {
        let e = parse(
            "x",
            "---\ndescription: d\nmodel: a\nroute: b\n---\n",
            Path::new("x.md"),
        )
        .expect_err("refused");
        assert!(matches!(e.problem, Problem::ModelAndRoute), "{e}");
        assert!(e.to_string().contains("keep one"), "{e}");
    }
}
