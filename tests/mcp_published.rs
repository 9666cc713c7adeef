//! MCP against the servers people install: `@modelcontextprotocol/server-filesystem` and
//! `server-memory` from npm (`.ci/run` installs them; without node the tests skip and say so).
//! Both send every result twice, as text and as structured content; the model must get it once.

mod support;

use serde_json::json;
use std::path::Path;
use support::mcp::{home_with, published, tool_results};
use support::reins::reins;
use support::{MockServer, Reply};

const VAR: &str = "REINS_TEST_MCP_PUBLISHED";
const FOLDER: &str = "mcp-published";

/// Runs `reins exec` in `ws` and insists it succeeds.
fn exec(home: &Path, ws: &Path) {
    let out = reins(home)
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg("use the tools")
        .output()
        .expect("run reins");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_file_read_through_server_filesystem_reaches_the_model_once() {
    let Some(dir) = published(VAR, FOLDER, "server-filesystem") else {
        return;
    };
    let ws = tempfile::tempdir().expect("workspace");
    let root = ws.path().canonicalize().expect("canonical workspace");
    let file = root.join("notes.txt");
    let text = "first line of the notes\nsecond \"quoted\" line\n\ttabbed third line\n";
    std::fs::write(&file, text).expect("write the file");
    let model = MockServer::start(vec![
        Reply::tool(
            "fs__read_text_file",
            json!({ "path": file.display().to_string() }),
        ),
        Reply::text("done"),
    ]);
    let config = format!(
        "[mcp_servers.fs]\ncommand = \"node\"\nargs = [\"{}\", \"{}\"]\n",
        dir.join("dist/index.js").display(),
        root.display()
    );
    let home = home_with(&model, &config);
    exec(home.path(), ws.path());
    let results = tool_results(&model);
    assert_eq!(results, [text], "the file, once and unescaped");
}

#[test]
fn the_memory_graph_from_server_memory_reaches_the_model_once() {
    let Some(dir) = published(VAR, FOLDER, "server-memory") else {
        return;
    };
    let ws = tempfile::tempdir().expect("workspace");
    let store = ws.path().join("memory.jsonl");
    let model = MockServer::start(vec![
        Reply::tool(
            "memory__create_entities",
            json!({"entities": [{"name": "reins", "entityType": "project", "observations": ["written in Rust"]}]}),
        ),
        Reply::tool("memory__read_graph", json!({})),
        Reply::tool("memory__delete_entities", json!({"entityNames": ["reins"]})),
        Reply::text("done"),
    ]);
    let config = format!(
        "[mcp_servers.memory]\ncommand = \"node\"\nargs = [\"{}\"]\nenv = {{ MEMORY_FILE_PATH = \"{}\" }}\n",
        dir.join("dist/index.js").display(),
        store.display()
    );
    let home = home_with(&model, &config);
    exec(home.path(), ws.path());
    let results = tool_results(&model);
    assert_eq!(results.len(), 3, "{results:?}");
    for result in &results[..2] {
        assert_eq!(
            result.matches("written in Rust").count(),
            1,
            "sent once: {result}"
        );
        let graph: serde_json::Value = serde_json::from_str(result)
            .unwrap_or_else(|e| panic!("the result is the graph's JSON ({e}): {result}"));
        assert!(graph.is_object() || graph.is_array(), "{graph}");
    }
    assert_eq!(
        results[2].matches("Entities deleted successfully").count(),
        1,
        "{}",
        results[2]
    );
}
