//! A transcript that can no longer be written: the session must say so and stop, not go on with
//! steps nobody can resume or look back on; what was written stays readable, and the session
//! continues from it once the cause is gone. The failure is real: the binary runs under a
//! file-size limit (`ulimit -f`), so the transcript's write hits `EFBIG` mid-session.

mod support;

use serde_json::json;
use std::path::Path;
use support::reins::{events, home_for, reins, Wire};
use support::{MockServer, Reply};

/// `reins exec --json` under a file-size limit of `kib` KiB.
fn exec_limited(home: &Path, ws: &Path, kib: u64, args: &[&str]) -> std::process::Output {
    let script = format!("ulimit -f {kib} && exec \"$0\" \"$@\"");
    std::process::Command::new("bash")
        .args(["-c", &script, env!("CARGO_BIN_EXE_reins"), "exec", "--json"])
        .args(args)
        .arg("-C")
        .arg(ws)
        .env_remove("OPENAI_API_KEY")
        .env("REINS_HOME", home)
        .env("MOCK_API_KEY", "sk-mock")
        .env("NO_PROXY", "*")
        .output()
        .unwrap()
}

fn reads(n: usize) -> Vec<Reply> {
    let mut replies: Vec<Reply> = (0..n)
        .map(|i| Reply::tool("read_file", json!({ "path": format!("part{i}.txt") })))
        .collect();
    replies.push(Reply::text("read them all"));
    replies
}

#[test]
fn a_transcript_that_cannot_be_written_stops_the_session_and_keeps_what_was_written() {
    let ws = tempfile::tempdir().unwrap();
    for i in 0..8 {
        let body: String = (0..300).map(|l| format!("part {i} line {l}\n")).collect();
        std::fs::write(ws.path().join(format!("part{i}.txt")), body).unwrap();
    }
    let server = MockServer::start(reads(8));
    let home = home_for(&server, Wire::OpenAi);
    let out = exec_limited(home.path(), ws.path(), 40, &["read every part"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors: Vec<_> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "error")
        .collect();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("transcript could not be written"))),
        "{said}"
    );
    let asked = server.requests().len();
    assert!(
        (2..9).contains(&asked),
        "the limit must hit mid-session and the session stop there: {asked} requests"
    );

    // Without the limit, the session continues from what was written.
    let again = MockServer::start(vec![Reply::text("continued")]);
    let config = std::fs::read_to_string(home_for(&again, Wire::OpenAi).path().join("config.toml"));
    std::fs::write(home.path().join("config.toml"), config.unwrap()).unwrap();
    let out = reins(home.path())
        .args(["exec", "--json", "--continue", "-C"])
        .arg(ws.path())
        .arg("go on")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let request = &again.requests()[0].body;
    let text = request.to_string();
    assert!(
        text.contains("read every part"),
        "the first prompt was lost: {text}"
    );
    assert!(text.contains("part 0 line 299"), "the first read was lost");
}
