//! `reins tool list` and `reins tool run`: the tools without a model, exactly as the model gets them.

use crate::cli::{GlobalArgs, ToolCommand};
use crate::frontend::{setup, ExitError};
use crate::tools::Registry;

pub async fn run(cmd: ToolCommand, global: GlobalArgs) -> Result<i32, ExitError> {
    let registry = Registry::builtin();
    match cmd {
        ToolCommand::List { json } => list(registry, json, &global).await,
        ToolCommand::Run { name, args } => {
            let ws = setup::workspace(&global)?;
            let ctx = setup::tool_context(
                &ws,
                crate::cancel::Cancel::never(),
                setup::SandboxFlags::default(),
            )?;
            let refusal = match registry.get(&name) {
                Some(tool) => denied(&ws, &ctx, tool, &args)?,
                None => None,
            };
            if let Some(reason) = refusal {
                eprintln!("error: not permitted: {reason}");
                return Ok(1);
            }
            match registry.run(&name, &args, &ctx).await {
                Ok(out) => {
                    println!("{out}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
    }
}

/// The built-in tools, then the tools of every configured MCP server under their `SERVER__`
/// names (the servers are started to ask them). A server that does not start is a warning: the
/// rest of the list is still true.
async fn list(registry: Registry, json: bool, global: &GlobalArgs) -> Result<i32, ExitError> {
    let registry = match setup::workspace(global) {
        Ok(ws) if ws.loaded.config.mcp_servers.is_empty() => registry,
        Ok(ws) => {
            let hub = crate::frontend::mcp::start(&ws, setup::SandboxFlags::default())?;
            hub.wait_started().await;
            let registry = registry.with(hub.tools());
            hub.shutdown().await;
            for view in hub.views() {
                if let Some(error) = view
                    .error
                    .filter(|_| view.state == crate::mcp::State::Failed)
                {
                    eprintln!(
                        "warning: the MCP server `{}` did not start, so its tools are not listed: {error}",
                        view.name
                    );
                }
            }
            registry
        }
        Err(e) => {
            eprintln!("warning: MCP tools are not listed: {}", e.message);
            registry
        }
    };
    let specs = registry.specs();
    if json {
        let text =
            serde_json::to_string_pretty(&specs).map_err(|e| ExitError::failure(e.to_string()))?;
        println!("{text}");
    } else {
        for s in specs {
            println!("{}\n  {}\n  {}\n", s.name, s.description, s.parameters);
        }
    }
    Ok(0)
}

/// Why `[permissions].deny` refuses this call, if it does. The user runs `tool run` by hand, so
/// an `ask` rule is answered by the invocation itself; a deny rule is the user's "never", which
/// holds here as in a session.
fn denied(
    ws: &setup::Workspace,
    ctx: &crate::tools::ToolContext,
    tool: &dyn crate::tools::Tool,
    args: &str,
) -> Result<Option<String>, ExitError> {
    use crate::sandbox::approval::Approval;
    use crate::types::Subject;
    let gate = setup::gate(ws, crate::types::SharedApproval::new(Approval::Never))?
        .with_network(ctx.policy.network);
    let value: serde_json::Value = serde_json::from_str(args).unwrap_or_default();
    let subjects: Vec<Subject> = tool
        .subjects(&value)
        .into_iter()
        .map(|s| match s {
            Subject::Path(p) => {
                Subject::Path(ctx.resolve(&p).map(|r| ctx.relative(&r)).unwrap_or(p))
            }
            other => other,
        })
        .collect();
    Ok(
        match gate.decide_all(tool.name(), &subjects, tool.effects(&value)) {
            crate::sandbox::Decision::Deny(reason) => Some(reason),
            _ => None,
        },
    )
}

/// `reins sandbox`: runs a command under the policy, with stdio inherited.
pub fn sandbox(
    mode: crate::sandbox::SandboxMode,
    network: bool,
    command: &[String],
    global: GlobalArgs,
) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let policy = setup::policy(
        &ws,
        setup::SandboxFlags {
            mode: Some(mode),
            network,
        },
    );
    let cfg = &ws.loaded.config;
    let env = crate::sandbox::scrubbed_env(&ws.key_vars(), &cfg.shell.pass_env);
    eprintln!("reins sandbox: {}", describe_policy(&policy));
    match crate::sandbox::run_command(&policy, command, &env) {
        Ok(code) => Ok(code),
        // The shell's conventions, so a script cannot mistake "not run" for the command's own 1.
        Err(crate::sandbox::SandboxError::Spawn { program, source }) => {
            let (code, what) = match source.kind() {
                std::io::ErrorKind::NotFound => (127, "command not found".to_string()),
                std::io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
                _ => (126, source.to_string()),
            };
            eprintln!("reins: `{program}`: {what}");
            Ok(code)
        }
        Err(e) => Err(ExitError::failure(e.to_string())),
    }
}

/// The policy in one line: mode, network, where writes may go, what stays read-only.
fn describe_policy(policy: &crate::sandbox::SandboxPolicy) -> String {
    use crate::sandbox::SandboxMode;
    let network = if policy.network {
        "network on"
    } else {
        "network off"
    };
    let writes = match policy.mode {
        SandboxMode::Full => "no confinement: writes allowed anywhere".to_string(),
        SandboxMode::ReadOnly => "writes allowed nowhere".to_string(),
        SandboxMode::WorkspaceWrite => {
            let mut dirs = vec![policy.workspace.display().to_string()];
            dirs.extend(
                policy
                    .extra_writable
                    .iter()
                    .map(|d| d.display().to_string()),
            );
            let protected: Vec<String> = policy
                .protected
                .iter()
                .map(|p| {
                    p.strip_prefix(&policy.workspace)
                        .unwrap_or(p)
                        .display()
                        .to_string()
                })
                .collect();
            format!(
                "writes allowed in {} and a private /tmp; read-only: {}",
                dirs.join(", "),
                protected.join(", ")
            )
        }
    };
    let mut line = format!("{} · {network} · {writes}", policy.mode.as_str());
    for w in policy.weaknesses() {
        line.push_str(&format!("\nwarning: {w}"));
    }
    line
}

/// `reins apply-patch`: a patch from a file or stdin, applied as the model's tool would.
pub async fn apply_patch(file: &str, global: GlobalArgs) -> Result<i32, ExitError> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| ExitError::usage(format!("cannot read the patch from stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| ExitError::usage(format!("cannot read {file}: {e}")))?
    };
    let ws = setup::workspace(&global)?;
    let ctx = setup::tool_context(
        &ws,
        crate::cancel::Cancel::never(),
        setup::SandboxFlags::default(),
    )?;
    match crate::tools::apply_patch_text(&text, &ctx) {
        Ok(out) => {
            print!("{out}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}
