//! `reins usage` end to end: real sessions (routed, pinned, and a workflow) against the mock
//! server with known token counts and prices, then the ledger read back through the binary and
//! checked against costs worked out by hand.

mod support;

use serde_json::Value;
use support::reins::{assert_success, reins};
use support::{MockServer, Reply, Turn};

/// `fast` at $1 / $0.50 cached / $2 per million tokens, `big` at $10 / $1 / $40; the route
/// `cheap` starts on `fast` and can climb to `big`.
fn home(server: &MockServer) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
[providers.mock]
kind = "openai"
base_url = "{}"
api_key_env = "MOCK_API_KEY"
[models.fast]
provider = "mock"
name = "fast-model"
input_price = 1.0
cached_input_price = 0.5
output_price = 2.0
[models.big]
provider = "mock"
name = "big-model"
input_price = 10.0
cached_input_price = 1.0
output_price = 40.0
[routers.cheap]
default = "fast"
ladder = ["fast", "big"]
[retry]
base_delay_ms = 1
max_delay_ms = 5
"#,
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    std::fs::create_dir_all(home.path().join("workflows")).unwrap();
    std::fs::write(
        home.path().join("workflows/tidy.toml"),
        "description = \"tidy\"\nprompt = \"tidy up\"\nmodel = \"fast\"\n",
    )
    .unwrap();
    home
}

fn usage(home: &std::path::Path, args: &[&str]) -> Value {
    let out = reins(home)
        .arg("usage")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_success(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(v: &'a Value, key: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}: {v:#}"))
}

fn close(v: &Value, x: f64) -> bool {
    v.as_f64().is_some_and(|y| (y - x).abs() < 1e-9)
}

#[test]
fn the_ledger_adds_up_sessions_by_route_model_and_workflow() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::text("routed").with_usage(1_000_000, 200_000, 100_000)),
        Reply::Turn(Turn::text("pinned").with_usage(10_000, 0, 1_000)),
        Reply::Turn(Turn::text("tidied").with_usage(20_000, 0, 0)),
    ]);
    let home = home(&server);
    let ws = tempfile::tempdir().unwrap();
    for args in [
        &["exec", "--route", "cheap", "-C"][..],
        &["exec", "-m", "fast", "-C"][..],
    ] {
        let out = reins(home.path())
            .args(args)
            .arg(ws.path())
            .arg("hello")
            .output()
            .unwrap();
        assert_success(&out);
    }
    let out = reins(home.path())
        .args(["run", "tidy", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_success(&out);

    // Routed: fast's cost 0.8 + 0.1 + 0.2 = 1.1; on big 8 + 0.2 + 4 = 12.2.
    let by_route = usage(home.path(), &["--by", "route"]);
    let cheap = row(&by_route, "cheap");
    assert_eq!(cheap["sessions"], 1);
    assert!(close(&cheap["cost_usd"], 1.1), "{cheap}");
    assert!(close(&cheap["routed_cost_usd"], 1.1), "{cheap}");
    assert!(close(&cheap["top_rung_cost_usd"], 12.2), "{cheap}");
    let unrouted = row(&by_route, "-");
    assert_eq!(unrouted["sessions"], 2);
    // Pinned 0.01 + 0.002, the workflow 0.02.
    assert!(close(&unrouted["cost_usd"], 0.032), "{unrouted}");
    assert_eq!(unrouted["top_rung_cost_usd"], Value::Null);

    let total = &by_route["total"];
    assert_eq!(
        (total["sessions"].as_u64(), total["steps"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(total["input_tokens"], 1_030_000);
    assert_eq!(total["cached_input_tokens"], 200_000);
    assert_eq!(total["output_tokens"], 101_000);
    assert!(close(&total["cost_usd"], 1.132), "{total}");

    let by_model = usage(home.path(), &["--by", "model"]);
    assert_eq!(row(&by_model, "fast")["sessions"], 3);
    let by_workflow = usage(home.path(), &["--by", "workflow"]);
    assert!(
        close(&row(&by_workflow, "tidy")["cost_usd"], 0.02),
        "{by_workflow}"
    );
    let by_workspace = usage(home.path(), &["--by", "workspace"]);
    assert_eq!(by_workspace["rows"].as_array().unwrap().len(), 1);

    let later = usage(home.path(), &["--since", "2999-01-01"]);
    assert_eq!(later["rows"], Value::Array(Vec::new()));
    assert_eq!(later["total"]["sessions"], 0);

    let table = reins(home.path())
        .args(["usage", "--by", "route"])
        .output()
        .unwrap();
    assert_success(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("cheap "))
        .unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[cells.len() - 2..], ["$1.1000", "$12.2000"], "{text}");
    assert!(text.contains("on top rung"), "{text}");
}

#[test]
fn a_bad_since_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["usage", "--since", "last week"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
}

/// The header a session writes names its route and the route's top rung with its prices, which
/// is what the ledger prices routed tokens with.
#[test]
fn a_routed_session_records_its_route_and_top_rung() {
    let server = MockServer::start(vec![Reply::text("ok")]);
    let home = home(&server);
    let ws = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["exec", "--route", "cheap", "-C"])
        .arg(ws.path())
        .arg("hi")
        .output()
        .unwrap();
    assert_success(&out);
    let dir = home.path().join("sessions");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    let meta: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "session.meta")
        .unwrap_or_else(|| panic!("no header: {text}"));
    assert_eq!(meta["route"], "cheap");
    assert_eq!(
        meta["top_rung"],
        serde_json::json!({"model": "big", "input_price": 10.0, "cached_input_price": 1.0, "output_price": 40.0})
    );
}

/// Reasoning tokens reported by the provider (the Responses API's
/// `output_tokens_details.reasoning_tokens`) reach the ledger's reasoning column, per model and
/// in the total, and the table shows them; a model whose provider reports none shows zero.
#[test]
fn reasoning_tokens_reach_the_ledger() {
    let server = MockServer::start(vec![
        Reply::Turn(
            Turn::text("thought")
                .with_usage(1_000, 0, 700)
                .with_reasoning_tokens(512),
        ),
        Reply::Turn(Turn::text("plain").with_usage(100, 0, 10)),
    ]);
    let home = home(&server);
    let mut config = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    config.push_str(&format!(
        "[providers.oai]\nkind = \"openai-responses\"\nbase_url = \"{}\"\napi_key_env = \"MOCK_API_KEY\"\n\
         [models.thinker]\nprovider = \"oai\"\nname = \"thinker-model\"\nreasoning = true\n\
         input_price = 1.0\noutput_price = 2.0\n",
        server.openai_base()
    ));
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    let ws = tempfile::tempdir().unwrap();
    for model in ["thinker", "fast"] {
        let out = reins(home.path())
            .args(["exec", "-m", model, "-C"])
            .arg(ws.path())
            .arg("hello")
            .output()
            .unwrap();
        assert_success(&out);
    }
    let by_model = usage(home.path(), &["--by", "model"]);
    let thinker = row(&by_model, "thinker");
    assert_eq!(thinker["reasoning_tokens"], 512, "{thinker}");
    assert_eq!(thinker["output_tokens"], 700, "{thinker}");
    assert_eq!(row(&by_model, "fast")["reasoning_tokens"], 0);
    assert_eq!(by_model["total"]["reasoning_tokens"], 512, "{by_model}");

    let table = reins(home.path())
        .args(["usage", "--by", "model"])
        .output()
        .unwrap();
    assert_success(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("reasoning"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("thinker "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.split_whitespace().any(|c| c == "512"), "{text}");
}

/// One priced session through the binary, and its ledger built: the database that the next
/// tests lock or make unreadable.
fn home_with_one_session() -> (MockServer, tempfile::TempDir, std::path::PathBuf) {
    let server = MockServer::start(vec![Reply::Turn(
        Turn::text("hello").with_usage(10_000, 0, 1_000),
    )]);
    let home = home(&server);
    let ws = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["exec", "-m", "fast", "-C"])
        .arg(ws.path())
        .arg("hello")
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(usage(home.path(), &[])["total"]["sessions"], 1);
    let db = home.path().join("sessions/index.sqlite");
    assert!(db.is_file());
    (server, home, db)
}

fn inode(path: &std::path::Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

/// A database another process holds locked is reported, never deleted: the old `open` took any
/// failure for damage, removed the file from under the lock holder and rebuilt it.
#[test]
fn a_locked_ledger_is_reported_and_kept() {
    let (_server, home, db) = home_with_one_session();
    let before = inode(&db);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let out = reins(home.path())
        .args(["usage", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("index.sqlite") && stderr.contains("locked"),
        "{stderr}"
    );
    assert_eq!(inode(&db), before, "the locked database was replaced");
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    let again = usage(home.path(), &[]);
    assert_eq!(again["total"]["sessions"], 1, "{again}");
    assert_eq!(inode(&db), before);
}

/// A database this user may not open (EACCES) is reported and left where it is. As root
/// permissions do not bind, so the binary runs as `nobody` through `setpriv`.
#[test]
fn an_unreadable_ledger_is_reported_and_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, home, db) = home_with_one_session();
    let before = inode(&db);
    let root = nix_is_root();
    if root {
        // `nobody` may enter and write the home (so the old code could delete the file), but
        // not open the database, which stays root's with mode 600.
        for dir in [home.path().to_path_buf(), home.path().join("sessions")] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        for entry in std::fs::read_dir(home.path().join("sessions")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::set_permissions(
            home.path().join("config.toml"),
            PermissionsExt::from_mode(0o644),
        )
        .unwrap();
    }
    std::fs::set_permissions(
        &db,
        std::fs::Permissions::from_mode(if root { 0o600 } else { 0o000 }),
    )
    .unwrap();
    let out = if root {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_reins"))
            .args(["usage", "--json"])
            .env("REINS_HOME", home.path())
            .env("HOME", home.path())
            .output()
            .unwrap()
    } else {
        reins(home.path())
            .args(["usage", "--json"])
            .output()
            .unwrap()
    };
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cost ledger") && stderr.contains("index.sqlite"),
        "{stderr}"
    );
    assert!(db.exists(), "the unreadable database was deleted");
    assert_eq!(inode(&db), before);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(usage(home.path(), &[])["total"]["sessions"], 1);
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0")
}
