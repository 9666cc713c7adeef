//! The repository map through the real binary: `reins map`, the `repo_map` tool and the map in
//! the first request, on a small tree in five languages, and what the read rules keep out of it.

mod support;

use serde_json::json;
use std::path::Path;
use support::reins::{assert_success, exec, home_for, reins, tool_results, Wire};
use support::{MockServer, Reply};

/// A tree where `core/engine.rs` defines what every other file uses.
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let files = [
        (
            "core/engine.rs",
            "pub struct RenderEngine;\n\nimpl RenderEngine {\n    pub fn draw_frame(&self) {}\n}\n\npub fn start_engine() -> RenderEngine { RenderEngine }\n",
        ),
        ("app/main.rs", "fn main() { let e = start_engine(); e.draw_frame(); }\n"),
        ("app/ui.rs", "fn ui(e: &RenderEngine) { e.draw_frame(); helper_widget(); }\npub fn helper_widget() {}\n"),
        ("tools/build.py", "class BuildStep:\n    def run_step(self):\n        start_engine()\n"),
        ("tools/plan.py", "def plan():\n    BuildStep().run_step()\n"),
        ("web/app.js", "function mountView() { start_engine(); }\n"),
        ("web/types.ts", "interface FrameInfo { id: number }\nfunction show(f: FrameInfo) { mountView(); }\n"),
        ("svc/server.go", "package svc\nfunc ServeFrames() { start_engine() }\n"),
        // Referred to from everywhere, but denied by a read rule: never in the map.
        ("secret/keys.py", "def leaked_signing_key():\n    return 'k'\n"),
        ("app/use_key.rs", "fn k() { leaked_signing_key(); leaked_signing_key(); }\n"),
        ("web/use_key.js", "leaked_signing_key();\n"),
    ];
    for (path, text) in files {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    ws
}

fn deny_secret(home: &Path) {
    let cfg = home.join("config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap_or_default();
    text.push_str("\n[permissions]\ndeny = [\"read(secret/**)\"]\n");
    std::fs::write(cfg, text).unwrap();
}

fn map(home: &Path, ws: &Path, extra: &[&str]) -> (String, String) {
    let out = reins(home)
        .args(["map", "--stats", "-C"])
        .arg(ws)
        .args(extra)
        .output()
        .unwrap();
    assert_success(&out);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reins_map_ranks_the_most_referenced_definitions_first_in_every_language() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace();
    let (out, stats) = map(home.path(), ws.path(), &[]);
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(first, "core/engine.rs:", "{out}");
    assert!(out.contains("start_engine"), "{out}");
    for f in [
        "tools/build.py",
        "web/app.js",
        "svc/server.go",
        "web/types.ts",
    ] {
        assert!(out.contains(f), "{f} in {out}");
    }
    assert!(stats.contains("parsed"), "{stats}");
    // The second run reads the tags from the cache: nothing is parsed again.
    let (again, stats) = map(home.path(), ws.path(), &[]);
    assert_eq!(again, out);
    assert!(stats.contains(" 0 parsed"), "{stats}");
    // A changed file is read again, alone.
    std::fs::write(
        ws.path().join("svc/server.go"),
        "package svc\nfunc ServeFrames() {}\nfunc Other() {}\n",
    )
    .unwrap();
    let (_, stats) = map(home.path(), ws.path(), &[]);
    assert!(stats.contains(" 1 parsed"), "{stats}");
}

#[test]
fn focus_ranks_toward_the_named_file() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace();
    let (out, _) = map(
        home.path(),
        ws.path(),
        &["--focus", "tools/plan.py", "--tokens", "60"],
    );
    assert!(out.contains("BuildStep"), "{out}");
}

/// The attacker's case: a file the read rules deny, referred to from everywhere, never shows,
/// not even when an earlier scan (before the rule) cached its tags.
#[test]
fn a_denied_file_never_shows_in_the_map_even_from_the_cache() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace();
    let (before, _) = map(home.path(), ws.path(), &["--tokens", "4000"]);
    assert!(
        before.contains("leaked_signing_key"),
        "the control: {before}"
    );
    deny_secret(home.path());
    let (after, _) = map(home.path(), ws.path(), &["--tokens", "4000"]);
    assert!(!after.contains("leaked_signing_key"), "{after}");
    assert!(!after.contains("secret/keys.py"), "{after}");
    // Secret-looking files and links out of the workspace are left out the same way.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("x.py"),
        "def outside_only_name():\n    pass\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.py"), ws.path().join("web/linked.py"))
        .unwrap();
    std::fs::write(ws.path().join("app/calls.py"), "outside_only_name()\n").unwrap();
    let (linked, _) = map(home.path(), ws.path(), &["--tokens", "4000"]);
    assert!(!linked.contains("outside_only_name():"), "{linked}");
}

#[test]
fn the_repo_map_tool_gives_the_model_the_map_under_the_read_rules() {
    let server = MockServer::start(vec![
        Reply::tool(
            "repo_map",
            json!({"focus": ["app/ui.rs"], "max_tokens": 2000}),
        ),
        Reply::text("seen"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    deny_secret(home.path());
    let ws = workspace();
    let out = exec(home.path(), ws.path(), &[], "map it");
    assert_success(&out);
    let reqs = server.requests();
    let results = tool_results(&reqs[1].body);
    let map = results.last().expect("a tool result");
    assert!(
        map.contains("core/engine.rs:") && map.contains("draw_frame"),
        "{map}"
    );
    assert!(!map.contains("leaked_signing_key"), "{map}");
}

#[test]
fn the_first_request_carries_a_map_when_on_and_for_small_windows_only_by_default() {
    let first_user = |extra: &[&str]| {
        let server = MockServer::start(vec![Reply::text("ok")]);
        let home = home_for(&server, Wire::OpenAi);
        let ws = workspace();
        let out = exec(home.path(), ws.path(), extra, "fix draw_frame");
        assert_success(&out);
        server.requests()[0].body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let big = first_user(&[]);
    assert!(
        !big.contains("<repo_map>"),
        "a 100k window gets no map by default"
    );
    let small = first_user(&["-c", "models.mock.context_window=16000"]);
    assert!(
        small.contains("<repo_map>") && small.contains("core/engine.rs:"),
        "{small}"
    );
    let on = first_user(&["-c", "repo_map.start=\"on\"", "-c", "repo_map.tokens=100"]);
    assert!(on.contains("<repo_map>"), "{on}");
    let off = first_user(&[
        "-c",
        "models.mock.context_window=16000",
        "-c",
        "repo_map.start=\"off\"",
    ]);
    assert!(!off.contains("<repo_map>"));
}
