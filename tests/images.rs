//! Images end to end through `reins exec --json` against the mock server, on all three wires:
//! `--image FILE` sends the image with the task, a scripted model that calls `view_image` gets
//! it back in the tool result (or, on Chat Completions, in a user message after it), and a model
//! without vision gets an error before any request. The mock server checks every image part as
//! the real APIs do (shape, data URL, base64, the bytes being the type claimed) and refuses one
//! sent for a model without vision.

mod support;

use base64::Engine as _;
use serde_json::{json, Value};
use support::reins::{events, exec, home_for, Wire};
use support::{MockServer, Reply, Turn};

/// A 1×1 PNG.
const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PNG_B64)
        .expect("PNG fixture")
}

const WIRES: [Wire; 3] = [Wire::OpenAi, Wire::Responses, Wire::Anthropic];

/// `home_for`'s config with the mock model given vision (or not).
fn home(server: &MockServer, wire: Wire, vision: bool) -> tempfile::TempDir {
    let home = home_for(server, wire);
    let path = home.path().join("config.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let config = config.replace(
        "name = \"mock-model\"\n",
        &format!("name = \"mock-model\"\nvision = {vision}\n"),
    );
    std::fs::write(&path, config).expect("config");
    home
}

/// A workspace with `shot.png`.
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("workspace");
    std::fs::write(ws.path().join("shot.png"), png()).expect("png");
    ws
}

/// The image parts of a request body, as (where, data) for the wire: `user` for a user
/// message's part, `tool` for a part inside a tool result.
fn image_parts(body: &Value, wire: Wire) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match wire {
        Wire::OpenAi => {
            for m in body["messages"].as_array().into_iter().flatten() {
                for p in m["content"].as_array().into_iter().flatten() {
                    if p["type"] == "image_url" {
                        let url = p["image_url"]["url"].as_str().unwrap_or("");
                        out.push(("user", url.to_string()));
                    }
                }
            }
        }
        Wire::Responses => {
            for item in body["input"].as_array().into_iter().flatten() {
                let (place, parts) = match item["type"].as_str() {
                    Some("message") => ("user", &item["content"]),
                    Some("function_call_output") => ("tool", &item["output"]),
                    _ => continue,
                };
                for p in parts.as_array().into_iter().flatten() {
                    if p["type"] == "input_image" {
                        out.push((place, p["image_url"].as_str().unwrap_or("").to_string()));
                    }
                }
            }
        }
        Wire::Anthropic => {
            for m in body["messages"].as_array().into_iter().flatten() {
                for b in m["content"].as_array().into_iter().flatten() {
                    if b["type"] == "image" {
                        out.push((
                            "user",
                            b["source"]["data"].as_str().unwrap_or("").to_string(),
                        ));
                    }
                    for p in b["content"].as_array().into_iter().flatten() {
                        if p["type"] == "image" {
                            out.push((
                                "tool",
                                p["source"]["data"].as_str().unwrap_or("").to_string(),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

fn carries_png(data: &str) -> bool {
    data == PNG_B64 || data == format!("data:image/png;base64,{PNG_B64}")
}

fn errors(evs: &[Value]) -> Vec<String> {
    evs.iter()
        .filter(|e| e["type"] == "error")
        .map(|e| e["message"].as_str().unwrap_or("").to_string())
        .collect()
}

fn tool_result(evs: &[Value]) -> Value {
    evs.iter()
        .find(|e| e["type"] == "tool.result")
        .cloned()
        .expect("a tool.result event")
}

#[test]
fn the_image_flag_sends_the_image_with_the_task_on_every_wire() {
    for wire in WIRES {
        let server = MockServer::start(vec![Reply::text("a red pixel")]);
        let home = home(&server, wire, true);
        let ws = workspace();
        let img = ws.path().join("shot.png");
        let out = exec(
            home.path(),
            ws.path(),
            &["--json", "--image", img.to_str().unwrap()],
            "what is in this picture?",
        );
        let evs = events(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {:?}", errors(&evs));
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1, "{wire:?}");
        let parts = image_parts(&reqs[0].body, wire);
        assert_eq!(parts.len(), 1, "{wire:?}: {parts:?}");
        assert_eq!(parts[0].0, "user", "{wire:?}");
        assert!(carries_png(&parts[0].1), "{wire:?}: {}", parts[0].1);
    }
}

#[test]
fn view_image_shows_the_model_the_file_on_every_wire() {
    for wire in WIRES {
        let server = MockServer::start(vec![
            Reply::tool("view_image", json!({"path": "shot.png"})),
            Reply::text("a red pixel"),
        ]);
        let home = home(&server, wire, true);
        let ws = workspace();
        let out = exec(home.path(), ws.path(), &["--json"], "look at shot.png");
        let evs = events(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{wire:?}: {:?}", errors(&evs));
        let result = tool_result(&evs);
        assert_eq!(result["ok"], true, "{wire:?}: {result}");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{wire:?}");
        let parts = image_parts(&reqs[1].body, wire);
        assert_eq!(parts.len(), 1, "{wire:?}: {parts:?}");
        // Responses and Anthropic take images inside the tool result; a Chat Completions
        // `tool` message takes text only, so the image follows in a user message.
        let place = if matches!(wire, Wire::OpenAi) {
            "user"
        } else {
            "tool"
        };
        assert_eq!(parts[0].0, place, "{wire:?}");
        assert!(carries_png(&parts[0].1), "{wire:?}");
        if matches!(wire, Wire::OpenAi) {
            let msgs = reqs[1].body["messages"].as_array().unwrap().clone();
            let tool_at = msgs.iter().position(|m| m["role"] == "tool").unwrap();
            assert_eq!(msgs[tool_at + 1]["role"], "user", "{msgs:?}");
        }
    }
}

#[test]
fn a_model_without_vision_gets_an_error_before_the_request() {
    for wire in WIRES {
        let server = MockServer::start(vec![Reply::text("never")]);
        let home = home(&server, wire, false);
        let ws = workspace();
        let img = ws.path().join("shot.png");
        let out = exec(
            home.path(),
            ws.path(),
            &["--json", "--image", img.to_str().unwrap()],
            "what is in this picture?",
        );
        let evs = events(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{wire:?}");
        let errs = errors(&evs);
        assert!(
            errs.iter()
                .any(|e| e.contains("`mock` cannot take images") && e.contains("vision = true")),
            "{wire:?}: {errs:?}"
        );
        assert!(server.requests().is_empty(), "{wire:?}: a request went out");
    }
}

#[test]
fn view_image_for_a_model_without_vision_fails_the_call_not_the_session() {
    let server = MockServer::start(vec![
        Reply::tool("view_image", json!({"path": "shot.png"})),
        Reply::text("I cannot see it"),
    ]);
    let home = home(&server, Wire::Anthropic, false);
    let ws = workspace();
    let out = exec(home.path(), ws.path(), &["--json"], "look at shot.png");
    let evs = events(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{:?}", errors(&evs));
    let result = tool_result(&evs);
    assert_eq!(result["ok"], false);
    assert!(
        result["output"]
            .as_str()
            .unwrap()
            .contains("`mock` cannot take images"),
        "{result}"
    );
    let reqs = server.requests();
    assert!(image_parts(&reqs[1].body, Wire::Anthropic).is_empty());
}

#[test]
fn the_mock_refuses_an_image_for_a_model_without_vision_as_the_apis_do() {
    for wire in WIRES {
        // reins is told the model sees; the server knows better.
        let server = MockServer::start(vec![Reply::text("never")]);
        server.without_vision("mock-model");
        let home = home(&server, wire, true);
        let ws = workspace();
        let img = ws.path().join("shot.png");
        let out = exec(
            home.path(),
            ws.path(),
            &["--json", "--image", img.to_str().unwrap()],
            "what is this?",
        );
        let errs = errors(&events(&out.stdout));
        assert_eq!(out.status.code(), Some(1), "{wire:?}");
        assert!(
            errs.iter()
                .any(|e| e.contains("image_url is only supported by certain models")),
            "{wire:?}: {errs:?}"
        );
        assert_eq!(
            server.remaining(),
            1,
            "{wire:?}: the refused request used the reply"
        );
    }
}

#[test]
fn view_image_refuses_non_images_large_files_paths_outside_and_denied_files() {
    let server = MockServer::start(vec![
        Reply::Turn(Turn::tools([
            ("view_image", json!({"path": "notes.png"})),
            ("view_image", json!({"path": "big.png"})),
            ("view_image", json!({"path": "../outside.png"})),
            ("view_image", json!({"path": "private/face.png"})),
        ])),
        Reply::text("done"),
    ]);
    let home = home(&server, Wire::Responses, true);
    let ws = workspace();
    std::fs::write(ws.path().join("notes.png"), "not a picture").unwrap();
    let mut big = png();
    big.resize(4 * 1024 * 1024, 0);
    std::fs::write(ws.path().join("big.png"), big).unwrap();
    std::fs::create_dir(ws.path().join("private")).unwrap();
    std::fs::write(ws.path().join("private/face.png"), png()).unwrap();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "-c", "permissions.deny=[\"read(private/**)\"]"],
        "look",
    );
    let evs = events(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{:?}", errors(&evs));
    let results: Vec<String> = evs
        .iter()
        .filter(|e| e["type"] == "tool.result")
        .map(|e| {
            assert_eq!(e["ok"], false, "{e}");
            e["output"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(results.len(), 4, "{results:?}");
    assert!(
        results[0].contains("not a PNG, JPEG, GIF or WebP"),
        "{}",
        results[0]
    );
    assert!(
        results[1].contains("over the") && results[1].contains("make it smaller"),
        "{}",
        results[1]
    );
    assert!(
        results[2].contains("outside the workspace"),
        "{}",
        results[2]
    );
    assert!(results[3].contains("not permitted"), "{}", results[3]);
    assert!(image_parts(&server.requests()[1].body, Wire::Responses).is_empty());
}

#[test]
fn the_image_flag_refuses_a_file_that_is_not_an_image_with_exit_2() {
    let server = MockServer::start(vec![Reply::text("never")]);
    let home = home(&server, Wire::OpenAi, true);
    let ws = workspace();
    let fake = ws.path().join("fake.jpg");
    std::fs::write(&fake, "hello").unwrap();
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--image", fake.to_str().unwrap()],
        "what is this?",
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fake.jpg") && stderr.contains("not a PNG, JPEG, GIF or WebP"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_resumed_session_sends_its_images_again_from_the_session_folder() {
    let server = MockServer::start(vec![Reply::text("a red pixel"), Reply::text("still red")]);
    let home = home(&server, Wire::Anthropic, true);
    let ws = workspace();
    let img = ws.path().join("shot.png");
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--image", img.to_str().unwrap()],
        "what is in this picture?",
    );
    assert_eq!(out.status.code(), Some(0));
    let id = events(&out.stdout)[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The user's file goes away; the session keeps its own copy.
    std::fs::remove_file(&img).unwrap();
    let transcript =
        std::fs::read_to_string(home.path().join(format!("sessions/{id}.jsonl"))).unwrap();
    assert!(
        !transcript.contains(PNG_B64),
        "the transcript carries the bytes"
    );
    let copies = std::fs::read_dir(home.path().join(format!("sessions/{id}/images")))
        .unwrap()
        .count();
    assert_eq!(copies, 1);
    let out = exec(
        home.path(),
        ws.path(),
        &["--json", "--resume", &id],
        "and now?",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:?}",
        errors(&events(&out.stdout))
    );
    let reqs = server.requests();
    let parts = image_parts(&reqs[1].body, Wire::Anthropic);
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(carries_png(&parts[0].1));
}
