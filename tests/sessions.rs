//! Transcripts, resume, the memory file and compaction, through the real binary.

mod support;

use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;
use support::reins::{
    assert_success, calc_workspace, events, exec, home_for, reins, spawn_exec, Wire,
};
use support::{MockServer, Reply, Turn};

fn system_text(body: &Value) -> String {
    body["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The transcripts (not the index beside them).
fn transcript_files(home: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(home.join("sessions"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_fact_remembered_in_one_session_is_in_the_next_sessions_prefix() {
    let server = MockServer::start(vec![
        Reply::tool(
            "remember",
            json!({"fact": "run tests with python3 -m unittest"}),
        ),
        Reply::text("noted"),
        Reply::text("hello again"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let run = |prompt: &str| {
        reins(home.path())
            .args(["exec", "-C"])
            .arg(ws.path())
            .arg(prompt)
            .output()
            .unwrap()
    };
    assert_eq!(run("learn").status.code(), Some(0));
    let memory = std::fs::read_to_string(ws.path().join(".reins/memory.md")).unwrap();
    assert!(
        memory.contains("- run tests with python3 -m unittest"),
        "{memory}"
    );
    assert_eq!(run("hi").status.code(), Some(0));
    let reqs = server.requests();
    assert!(!system_text(&reqs[0].body).contains("python3 -m unittest"));
    assert!(system_text(&reqs[2].body).contains("- run tests with python3 -m unittest"));
}

#[test]
fn agents_md_is_loaded_into_the_prefix() {
    let server = MockServer::start(vec![Reply::text("ok")]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    std::fs::write(ws.path().join("AGENTS.md"), "Never touch test files.").unwrap();
    std::fs::write(home.path().join("AGENTS.md"), "Answer tersely.").unwrap();
    let out = exec(home.path(), ws.path(), &[], "x");
    assert_eq!(out.status.code(), Some(0));
    let system = server.requests()[0].body["system"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let (user, project) = (
        system.find("Answer tersely.").unwrap(),
        system.find("Never touch test files.").unwrap(),
    );
    assert!(user < project);
}

#[test]
fn resume_after_kill_9_continues_with_history_intact() {
    let server = MockServer::start(vec![
        Reply::tool("read_file", json!({"path": "calc.py"})),
        Reply::Hang,
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let mut child = spawn_exec(home.path(), ws.path(), "first task");
    server.wait_for_requests(2, Duration::from_secs(10));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    server.push(Reply::text("resumed fine"));
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--continue"],
        "second task",
    );
    assert_success(&out);
    let reqs = server.requests();
    let msgs = reqs[2].body["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "user"]);
    assert!(msgs[1]["content"].as_str().unwrap().ends_with("first task"));
    assert!(msgs[3]["content"].as_str().unwrap().contains("def add"));
    assert_eq!(msgs[4]["content"], "second task");
    assert_eq!(
        transcript_files(home.path()).len(),
        1,
        "resume appends to the same transcript"
    );
    let evs = events(&out.stdout);
    assert_eq!(evs[0]["session_id"], reqs_session_id(home.path()));
}

fn reqs_session_id(home: &std::path::Path) -> String {
    let p = &transcript_files(home)[0];
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn corrupt_transcript_lines_are_reported_and_skipped() {
    let server = MockServer::start(vec![Reply::text("first"), Reply::text("second")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    assert_eq!(
        exec(home.path(), ws.path(), &[], "one").status.code(),
        Some(0)
    );
    let path = transcript_files(home.path()).remove(0);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let second_line_end = text.find('\n').unwrap() + 1;
    text.insert_str(second_line_end, "{this is not json\n");
    text.push_str("{\"type\":\"history.item\",\"item\":{\"kind\":\"us");
    std::fs::write(&path, text).unwrap();
    let id = path.file_stem().unwrap().to_string_lossy().into_owned();
    let out = reins(home.path())
        .args(["exec", "--json", "--resume", &id, "-C"])
        .arg(ws.path())
        .arg("two")
        .output()
        .unwrap();
    assert_success(&out);
    let evs = events(&out.stdout);
    let warnings: Vec<&str> = evs
        .iter()
        .filter(|e| e["type"] == "warning")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("line 2 is corrupt")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("torn last line")),
        "{warnings:?}"
    );
    let msgs = server.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(msgs, 4, "system, first user, first answer, second user");
}

#[test]
fn transcripts_and_the_model_never_see_api_keys() {
    let server = MockServer::start(vec![
        Reply::tool(
            "shell",
            json!({"command": "echo $LEAK; echo sk-proj-$(echo ABCDEFGH)IJKLMNOPQRSTUVWX123"}),
        ),
        Reply::text("ok"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = reins(home.path())
        .env("LEAK", "sk-mock-secret-1234")
        .args(["exec", "-c", "shell.pass_env=[\"LEAK\"]", "-C"])
        .arg(ws.path())
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let transcript = std::fs::read_to_string(&transcript_files(home.path())[0]).unwrap();
    let request = server.requests()[1].body["messages"][3].to_string();
    for text in [&transcript, &request] {
        assert!(
            !text.contains("sk-mock-secret-1234") && !text.contains("ABCDEFGHIJKLMNOP"),
            "{text}"
        );
        assert!(text.contains("[REDACTED]"));
    }
}

#[test]
fn sessions_lists_this_workspaces_sessions() {
    let server = MockServer::start(vec![Reply::text("a")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    exec(home.path(), ws.path(), &[], "explain the calculator");
    let out = reins(home.path())
        .args(["sessions", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("explain the calculator") && text.contains("done"),
        "{text}"
    );
    let other = tempfile::tempdir().unwrap();
    let out = reins(home.path())
        .args(["sessions", "-C"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no sessions"));
}

#[test]
fn concurrent_processes_lose_no_remembered_fact() {
    let home = tempfile::tempdir().unwrap();
    let ws = calc_workspace();
    let script = format!(
        "for i in $(seq 1 50); do {} tool run -C {} remember \"{{\\\"fact\\\": \\\"fact $1-$i\\\"}}\" >/dev/null || exit 1; done",
        env!("CARGO_BIN_EXE_reins"),
        ws.path().display()
    );
    let children: Vec<_> = (0..8)
        .map(|p| {
            Command::new("bash")
                .arg("-c")
                .arg(&script)
                .arg("bash")
                .arg(p.to_string())
                .env("REINS_HOME", home.path())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let memory = std::fs::read_to_string(ws.path().join(".reins/memory.md")).unwrap();
    let facts: Vec<&str> = memory
        .lines()
        .filter(|l| l.starts_with("- fact "))
        .collect();
    assert_eq!(facts.len(), 400);
    let unique: std::collections::HashSet<&&str> = facts.iter().collect();
    assert_eq!(unique.len(), 400);
}

#[test]
fn compaction_triggers_at_the_threshold_and_the_session_continues() {
    let shell = |n: u64| {
        Reply::Turn(
            Turn::tool(
                "shell",
                json!({"command": format!("head -c 1500 /dev/zero | tr '\\0' '{n}'")}),
            )
            .with_usage(n * 500, 0, 10),
        )
    };
    let mut script: Vec<Reply> = (1..=5).map(shell).collect();
    script.push(Reply::Turn(
        Turn::tool("list_dir", json!({})).with_usage(3300, 0, 10),
    ));
    script.push(Reply::text(
        "Summary: ran five shell commands printing digits, then list_dir.",
    ));
    script.push(Reply::text("all done"));
    let server = MockServer::start(script);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = reins(home.path())
        .args([
            "exec",
            "--json",
            "-c",
            "models.mock.context_window=4000",
            "-c",
            "compact_threshold=0.8",
            // A window this small turns the first request's repo map on; this test is about compaction.
            "-c",
            "repo_map.start=\"off\"",
            "-C",
        ])
        .arg(ws.path())
        .arg("inspect things")
        .output()
        .unwrap();
    assert_success(&out);
    let evs = events(&out.stdout);
    let compacted: Vec<&Value> = evs.iter().filter(|e| e["type"] == "compacted").collect();
    assert_eq!(
        compacted.len(),
        1,
        "compaction happens once, before the 7th request"
    );
    assert!(
        compacted[0]["tokens_after"].as_u64() < compacted[0]["tokens_before"].as_u64(),
        "{}",
        compacted[0]
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 8);
    assert!(system_text(&reqs[6].body).starts_with("You summarise a coding session"));
    assert!(reqs[6].body.get("tools").is_none());
    let last = reqs[7].body["messages"].as_array().unwrap();
    let roles: Vec<&str> = last.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "user",
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool"
        ]
    );
    assert!(
        last[1]["content"]
            .as_str()
            .unwrap()
            .ends_with("inspect things"),
        "the last user message is kept verbatim"
    );
    assert!(last[2]["content"]
        .as_str()
        .unwrap()
        .contains("ran five shell commands"));
    assert!(
        last[3]["content"]
            .as_str()
            .unwrap()
            .starts_with("<session state"),
        "the session state follows the summary"
    );
    assert!(
        !reqs[7].body.to_string().contains(&"1".repeat(1500)),
        "old output is gone"
    );
    let transcript = std::fs::read_to_string(&transcript_files(home.path())[0]).unwrap();
    assert!(
        transcript.contains("\"type\":\"compacted\"") && transcript.contains("history.replace")
    );
}

#[test]
fn context_overflow_error_compacts_and_retries_once() {
    let server = MockServer::start(vec![
        Reply::tool("list_dir", json!({})),
        Reply::status(400, "This model's maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens."),
        Reply::text("summary of what happened"),
        Reply::text("finished after compaction"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &[], "go");
    assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "finished after compaction"
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn context_overflow_compacts_a_model_whose_window_is_not_configured() {
    let server = MockServer::start(vec![
        Reply::tool("shell", json!({"command": "seq 1 3000"})),
        Reply::status(400, "This model's maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens."),
        Reply::text("summary of what happened"),
        Reply::text("finished after compaction"),
    ]);
    let home = home_for(&server, Wire::OpenAi);
    let config = home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("context_window = 100000\n", "")).unwrap();
    let ws = calc_workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "go");
    assert_success(&out);
    let compacted: Vec<_> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "compacted")
        .collect();
    assert_eq!(
        compacted.len(),
        1,
        "no compaction without a configured window"
    );
    let overflowing = server.requests()[1].body.to_string();
    assert!(overflowing.contains("\\n2999\\n"), "{overflowing}");
    let retried = server.requests()[3].body.to_string();
    assert!(retried.contains("summary of what happened"), "{retried}");
    assert!(
        !retried.contains("\\n2999\\n"),
        "the long output was sent again"
    );
}

#[test]
fn memory_compact_shows_the_diff_and_writes_only_when_confirmed() {
    let merged = "# Memory\n\n- run tests with python3 -m unittest\n";
    let server = MockServer::start(vec![Reply::text(merged), Reply::text(merged)]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let path = ws.path().join(".reins/memory.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let original =
        "# Memory\n\n- run tests with python3 -m unittest\n- tests: python3 -m unittest\n";
    std::fs::write(&path, original).unwrap();
    let out = reins(home.path())
        .args(["memory", "compact", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-- tests: python3 -m unittest") && text.contains("--yes"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    let out = reins(home.path())
        .args(["memory", "compact", "--yes", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), merged);
    let system = system_text(&server.requests()[0].body);
    assert!(system.contains("memory file"), "{system}");
}

#[test]
fn resume_after_kill_9_during_a_tool_call_answers_the_call() {
    let server = MockServer::start(vec![Reply::tool("shell", json!({"command": "sleep 5"}))]);
    let home = home_for(&server, Wire::Anthropic);
    let ws = calc_workspace();
    let mut child = spawn_exec(home.path(), ws.path(), "first task");
    // Killed once the call is under way: its `tool.call` is on the `--json` stream (and so in
    // the transcript, which is written first).
    let stdout = child.stdout.take().expect("stdout");
    let called = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .any(|line| line.contains("\"type\":\"tool.call\""));
    assert!(called, "the session ended without calling the tool");
    child.kill().unwrap();
    child.wait().unwrap();
    server.push(Reply::text("resumed"));
    let out = exec(home.path(), ws.path(), &["--continue"], "go on");
    assert_success(&out);
    let msgs = server.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .clone();
    support::reins::assert_anthropic_pairing(&msgs);
    assert!(msgs.iter().any(|m| m
        .to_string()
        .contains("not run: the session was interrupted")));
}

#[test]
fn continue_picks_the_session_started_last_even_within_one_second() {
    let server = MockServer::start(vec![Reply::text("first"), Reply::text("continued")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    assert_success(&exec(home.path(), ws.path(), &[], "template"));
    let template = transcript_files(home.path()).remove(0);
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::remove_file(&template).unwrap();
    let meta = text
        .lines()
        .find(|l| l.contains("\"session.meta\""))
        .expect("a header");
    let rest = text.replace(&format!("{meta}\n"), "");
    let mut meta: Value = serde_json::from_str(meta).unwrap();
    let ns = meta["started_at_ns"]
        .as_u64()
        .expect("the header records nanoseconds");
    assert_eq!(ns / 1_000_000_000, meta["started_at"].as_u64().unwrap());
    // Two sessions started in the same second; the random suffix of the ids sorts them the
    // other way round.
    let sessions = [
        ("20260101T120000-ffff", 100, "older"),
        ("20260101T120000-0000", 200, "newer"),
    ];
    for (id, offset, prompt) in sessions {
        meta["session_id"] = json!(id);
        meta["started_at"] = json!(1_767_268_800u64);
        meta["started_at_ns"] = json!(1_767_268_800_000_000_000u64 + offset);
        meta["prompt"] = json!(prompt);
        let path = home.path().join(format!("sessions/{id}.jsonl"));
        std::fs::write(path, format!("{meta}\n{rest}")).unwrap();
    }
    let listed = reins(home.path())
        .args(["sessions", "-C"])
        .arg(ws.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.find("newer").unwrap() < listed.find("older").unwrap(),
        "{listed}"
    );
    let older_before =
        std::fs::read_to_string(home.path().join("sessions/20260101T120000-ffff.jsonl")).unwrap();
    assert_success(&exec(home.path(), ws.path(), &["--continue"], "again"));
    let newer =
        std::fs::read_to_string(home.path().join("sessions/20260101T120000-0000.jsonl")).unwrap();
    assert!(
        newer.contains("continued"),
        "the newer session was continued"
    );
    let older =
        std::fs::read_to_string(home.path().join("sessions/20260101T120000-ffff.jsonl")).unwrap();
    assert_eq!(older, older_before, "the older session is untouched");
}

#[test]
fn the_sessions_index_follows_the_transcripts_it_summarises() {
    let server = MockServer::start(vec![Reply::text("a"), Reply::text("b"), Reply::text("c")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let list = || {
        let out = reins(home.path())
            .args(["sessions", "-C"])
            .arg(ws.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_success(&exec(home.path(), ws.path(), &[], "first prompt"));
    let index = home.path().join("sessions/index.sqlite");
    assert!(
        index.exists(),
        "the ended session recorded itself in the index"
    );
    assert!(list().contains("first prompt"));

    // A transcript that grew behind the index's back (a resumed session, here by hand) is read
    // again from where its row stopped.
    let path = transcript_files(home.path()).remove(0);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"type\":\"session.finished\",\"status\":\"max_steps\",\"steps\":1}\n");
    std::fs::write(&path, &text).unwrap();
    assert!(list().contains("max_steps"), "{}", list());

    // A damaged index is rebuilt from the transcripts.
    std::fs::write(&index, "not a database").unwrap();
    assert_success(&exec(home.path(), ws.path(), &[], "second prompt"));
    let listed = list();
    assert!(
        listed.contains("first prompt") && listed.contains("second prompt"),
        "{listed}"
    );

    // A deleted transcript leaves the listing.
    std::fs::remove_file(&path).unwrap();
    let listed = list();
    assert!(
        !listed.contains("first prompt") && listed.contains("second prompt"),
        "{listed}"
    );
}

/// The thread survives compaction: a constraint the user gave in the first session, then two
/// compactions in a resumed one whose summaries never mention it, and the last request still
/// carries it word for word, with the decision the first summary named and the files changed.
#[test]
fn a_constraint_given_early_is_still_in_the_request_after_two_compactions() {
    let constraint = "CONSTRAINT: never edit test_calc.py, and keep calc.py's public names";
    let shell = |n: u64, usage: u64| {
        Reply::Turn(
            Turn::tool(
                "shell",
                json!({"command": format!("head -c 4000 /dev/zero | tr '\\0' '{n}'")}),
            )
            .with_usage(usage, 0, 10),
        )
    };
    let mut script = vec![
        Reply::tool(
            "write_file",
            json!({"path": "notes.txt", "content": "plan\n"}),
        ),
        Reply::text("noted"),
    ];
    script.push(Reply::tool(
        "update_plan",
        json!({"plan": [{"step": "write pow()", "status": "in_progress"}, {"step": "document it", "status": "pending"}]}),
    ));
    script.extend([shell(1, 1000), shell(2, 2000), shell(3, 3300)]);
    script.push(Reply::text(
        "Summary A: printed digits.\n## Decisions\n- add pow() beside add(), not as an operator",
    ));
    script.extend([shell(4, 1000), shell(5, 3300)]);
    script.push(Reply::text(
        "Summary B: printed more digits.\n## Decisions\n- none",
    ));
    script.push(Reply::text("all done"));
    let server = MockServer::start(script);
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    let run = |args: &[&str], prompt: &str| {
        let out = reins(home.path())
            .args(["exec", "--json", "-c", "models.mock.context_window=4000"])
            .args(["-c", "compact_threshold=0.8", "-C"])
            .arg(ws.path())
            .args(args)
            .arg(prompt)
            .output()
            .unwrap();
        assert_success(&out);
        events(&out.stdout)
    };
    run(&[], &format!("Tidy calc.py. {constraint}"));
    let evs = run(&["--continue"], "now add a pow function");
    let compacted: Vec<&Value> = evs.iter().filter(|e| e["type"] == "compacted").collect();
    assert_eq!(compacted.len(), 2, "{evs:?}");

    let reqs = server.requests();
    assert_eq!(reqs.len(), 11);
    for summariser in [&reqs[6], &reqs[9]] {
        assert!(system_text(&summariser.body).starts_with("You summarise"));
    }
    let last = reqs[10].body.to_string();
    assert!(
        last.contains("[~] write pow()") && last.contains("[ ] document it"),
        "the plan is in the state: {last}"
    );
    assert!(
        last.contains(constraint),
        "the constraint is in the request after two compactions: {last}"
    );
    assert!(
        !last.contains("Summary A"),
        "the first summary was replaced"
    );
    assert!(
        last.contains("add pow() beside add(), not as an operator"),
        "the first summary's decision outlives the second summary: {last}"
    );
    assert!(last.contains("notes.txt"), "files changed are kept: {last}");
    assert!(last.contains("now add a pow function"));

    // The event says what went and what stayed.
    let dropped = compacted[1]["dropped"].to_string();
    assert!(
        dropped.contains("tool call") && dropped.contains("shell"),
        "{dropped}"
    );
    let kept = compacted[1]["kept"].to_string();
    assert!(
        kept.contains("session state") && kept.contains("the goal"),
        "{kept}"
    );
    assert!(
        kept.contains("1 decision") && kept.contains("the plan"),
        "{kept}"
    );

    // The transcript still has everything that left the context.
    let transcript = std::fs::read_to_string(&transcript_files(home.path())[0]).unwrap();
    assert!(transcript.contains(&"1".repeat(4000)));
    assert!(transcript.contains("Summary A"));
}

/// `reins exec` exits only after its session has closed its transcript: the index row holds
/// the whole transcript (its end included), so a listing has nothing to read again. Before the
/// engine dropped the session ahead of telling the front end it had closed, the process often
/// exited while the row was being written.
#[test]
fn an_ended_exec_leaves_its_index_row_final() {
    let runs = 5;
    let server = MockServer::start((0..runs).map(|i| Reply::text(format!("a{i}"))).collect());
    let home = home_for(&server, Wire::OpenAi);
    let ws = calc_workspace();
    for i in 0..runs {
        assert_success(&exec(home.path(), ws.path(), &[], &format!("prompt {i}")));
    }
    let db = rusqlite::Connection::open(home.path().join("sessions/index.sqlite")).unwrap();
    let transcripts = transcript_files(home.path());
    assert_eq!(transcripts.len(), runs);
    for path in transcripts {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let (len, status): (i64, String) = db
            .query_row(
                "SELECT len, status FROM sessions WHERE file = ?1",
                [&name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let on_disk = std::fs::metadata(&path).unwrap().len();
        assert_eq!(u64::try_from(len).unwrap(), on_disk, "{name}");
        assert_eq!(status, "done", "{name}");
    }
}
