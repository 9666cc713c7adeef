//! `reins run` and `reins workflows` end to end: variables, the tool allow-list and deny paths
//! enforced on the model's calls, the workflow's checks and limits, exec's events and exit codes.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::reins::{calc_workspace, events, home_for, reins, Wire};
use support::{MockServer, Reply};

const FIX: &str = r#"
description = "Fix the calculator without touching its tests"
prompt = "Fix the failing tests in {{module}}."
checks = ["python3 -m unittest"]
tools = ["read_file", "edit_file"]
deny_paths = ["test_*.py"]
"#;

fn add_workflow(ws: &Path, name: &str, text: &str) {
    let dir = ws.join(".reins/workflows");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

fn results<'a>(evs: &'a [Value], tool: &str) -> Vec<&'a Value> {
    evs.iter()
        .filter(|e| e["type"] == "tool.result" && e["name"] == tool)
        .collect()
}

#[test]
fn workflows_lists_workspace_and_home_workflows() {
    let home = tempfile::tempdir().unwrap();
    let ws = calc_workspace();
    add_workflow(ws.path(), "fix", FIX);
    let home_dir = home.path().join("workflows");
    std::fs::create_dir_all(&home_dir).unwrap();
    std::fs::write(
        home_dir.join("notes.toml"),
        "description = \"Write notes\"\nprompt = \"p\"\n",
    )
    .unwrap();
    let out = reins(home.path())
        .arg("workflows")
        .arg("-C")
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "fix    Fix the calculator without touching its tests",
            "notes  Write notes"
        ]
    );
}

#[test]
fn missing_and_unknown_variables_exit_2_naming_them() {
    let home = tempfile::tempdir().unwrap();
    let ws = calc_workspace();
    add_workflow(ws.path(), "fix", FIX);
    let out = reins(home.path())
        .args(["run", "fix", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs module") && err.contains("--var"),
        "{err}"
    );
    let out = reins(home.path())
        .args(["run", "fix", "--var", "modul=calc.py", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`modul`") && err.contains("uses: module"),
        "{err}"
    );
    let out = reins(home.path())
        .args(["run", "nope", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no workflow `nope`"));
}

#[test]
fn run_fills_variables_and_enforces_tools_and_deny_paths() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "sed -i s/a-b/a+b/ calc.py"})),
        Reply::tool(
            "edit_file",
            json!({"path": "./test_calc.py", "old_string": "add(2, 3), 5", "new_string": "add(2, 3), -1"}),
        ),
        Reply::tool(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),
        ),
        Reply::text("Fixed add()."),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    add_workflow(ws.path(), "fix", FIX);
    // A workspace workflow's checks and tool list apply only once the workspace is trusted.
    let trusted = reins(home.path())
        .args(["trust", "--yes", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(trusted.status.code(), Some(0));
    let tests_before = std::fs::read_to_string(ws.path().join("test_calc.py")).unwrap();
    let out = reins(home.path())
        .args(["run", "fix", "--var", "module=calc.py", "--json", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    let first = server.requests()[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        first.contains("Fix the failing tests in calc.py."),
        "{first}"
    );
    assert!(
        first.contains("only these tools: read_file, edit_file"),
        "{first}"
    );
    let shell = results(&evs, "shell");
    assert_eq!(shell[0]["ok"], false);
    let refusal = shell[0]["output"].as_str().unwrap();
    assert!(
        refusal.contains(
            "blocked by the workflow `fix`: it allows only these tools: read_file, edit_file"
        ) && refusal.contains("`shell` is not one of them"),
        "{refusal}"
    );
    let edits = results(&evs, "edit_file");
    assert_eq!(edits[0]["ok"], false);
    assert!(edits[0]["output"]
        .as_str()
        .unwrap()
        .contains("does not allow changing `test_calc.py`"));
    assert_eq!(edits[1]["ok"], true);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("test_calc.py")).unwrap(),
        tests_before
    );
    let check = evs.iter().find(|e| e["type"] == "check").unwrap();
    assert_eq!(check["passed"], true);
    assert_eq!(evs.last().unwrap()["status"], "done");
}

#[test]
fn a_workflows_limits_and_checks_give_exec_exit_codes() {
    let server = MockServer::start(vec![Reply::text("done"); 2]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let file = ws.path().join("strict.toml");
    std::fs::write(
        &file,
        "prompt = \"fix calc\"\nchecks = [\"python3 -m unittest\"]\nmax_steps = 2\n",
    )
    .unwrap();
    let out = reins(home.path())
        .args(["run", "--json", "-C"])
        .arg(ws.path())
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&out.stdout);
    assert_eq!(evs.last().unwrap()["status"], "checks_failed");
    assert_eq!(evs.last().unwrap()["steps"], 2);
}

#[test]
fn example_workflows_load_and_fill_their_variables() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workflows");
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let wf = reins::workflow::Workflow::load(&path).unwrap();
        assert!(!wf.description.is_empty(), "{}", path.display());
        let vars: std::collections::BTreeMap<String, String> = wf
            .variables()
            .into_iter()
            .filter(|v| !wf.vars.contains_key(v))
            .map(|v| (v, "x".to_string()))
            .collect();
        let filled = wf.instantiate("example", &vars).unwrap();
        assert!(!filled.prompt.contains("{{"), "{}", path.display());
        names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    assert_eq!(names, ["add-test", "changelog", "fix-failing-tests"]);
}
