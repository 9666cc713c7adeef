//! What a tool call does, declared by the tool itself. The permission gate, the checkpointer, the
//! router, hooks and the front ends read these declarations instead of recognising tools by name,
//! so a new tool (or an MCP server's) is treated by what it does.

/// The kind of action, as front ends show it (ACP's tool kinds, the TUI's verbs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    /// Shows a file's content or a folder's entries.
    Read,
    /// Finds files or text.
    Search,
    /// Changes files.
    Edit,
    /// Runs programs.
    Execute,
    /// Talks to the network.
    Fetch,
    #[default]
    Other,
}

/// Which programs a call runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Runs {
    #[default]
    Nothing,
    /// Commands the user configured (`run_checks`): the model cannot choose them.
    Configured,
    /// A command line the model wrote (`shell`).
    ModelWritten,
}

/// The effects of one call (some depend on its arguments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    pub kind: ToolKind,
    /// It can change files in the workspace (checkpoints before it; `untrusted` asks).
    pub edits: bool,
    pub runs: Runs,
    /// It hands the call to a third-party server whose effects reins cannot see (MCP tools):
    /// treated like a command the model wrote.
    pub external: bool,
    /// It writes outside the workspace (`remember` with `scope: "user"`): asked in every approval
    /// mode, refused headless, unless a rule or an `always` answer allows it.
    pub writes_outside: bool,
    /// It talks to a host on the network (`web_fetch`): runs only when the session's network is
    /// allowed, else asked in every approval mode (the answer `always` covers its subject, the
    /// host) and refused headless, unless a rule allows it.
    pub network: bool,
}

impl Effects {
    pub fn of(kind: ToolKind) -> Self {
        Effects {
            kind,
            ..Effects::default()
        }
    }

    /// A tool that changes workspace files.
    pub fn edit() -> Self {
        Effects {
            edits: true,
            ..Effects::of(ToolKind::Edit)
        }
    }

    /// Whether the model decides what runs: a command line it wrote, or a third-party server.
    pub fn model_directed(&self) -> bool {
        self.runs == Runs::ModelWritten || self.external
    }
}

/// How a command a call ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "code")]
pub enum Exit {
    Code(i32),
    /// Killed at its time limit.
    TimedOut,
    /// Killed by a signal it did not handle.
    Killed,
}

impl Exit {
    /// Exit 0: anything else is a failure the router and the front ends report.
    pub fn succeeded(self) -> bool {
        self == Exit::Code(0)
    }

    pub fn code(self) -> Option<i32> {
        match self {
            Exit::Code(c) => Some(c),
            _ => None,
        }
    }
}

/// What permission rules match a call against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A command line, matched by `shell(...)` rules through the bash parser.
    Command(String),
    /// A path the call reads or writes, workspace-relative once resolved.
    Path(String),
    /// A name, such as an MCP server's own `SERVER__TOOL`.
    Name(String),
}

impl Subject {
    pub fn text(&self) -> &str {
        match self {
            Subject::Command(s) | Subject::Path(s) | Subject::Name(s) => s,
        }
    }
}
