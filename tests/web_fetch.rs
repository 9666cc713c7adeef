//! `web_fetch` through the real binary against a real HTTP server on 127.0.0.1: a page read as
//! markdown when the network is allowed and the test config lists the loopback host; refused
//! without the network (nothing reaches the server); a host allowed by a rule; non-public
//! addresses refused by IP and by what a name resolves to; redirects to another host or to a
//! private address refused; a huge body cut; JSON kept as it is and an image refused; and a
//! planted project config that cannot open private hosts.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use support::reins::{assert_success, exec, home_for, tool_results, Wire};
use support::{MockServer, Reply};

/// How many bytes `/big` sends: four times the download cap.
const BIG: usize = 8 * 1024 * 1024;

/// A small HTTP/1.1 server on 127.0.0.1 with fixed pages; it records the paths it was asked.
struct Pages {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Pages {
    fn start() -> Pages {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, port, &s));
            }
        });
        Pages {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, port: u16, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    seen.lock().unwrap().push(path.clone());
    let page = "<!doctype html><html><head><title>Widget guide</title>\
        <script>var secret = 'tracking';</script></head><body><nav>Home | Blog</nav>\
        <h1>Widget guide</h1><p>Install with <code>cargo add widget</code>.</p>\
        <p>See <a href=\"https://widget.example/api\">the API</a>.</p></body></html>";
    let (status, headers, body): (&str, String, Vec<u8>) = match path.as_str() {
        "/page" => (
            "200 OK",
            "Content-Type: text/html; charset=utf-8\r\n".into(),
            page.into(),
        ),
        "/old" => (
            "301 Moved Permanently",
            "Location: /page\r\n".into(),
            Vec::new(),
        ),
        "/to-metadata" => (
            "302 Found",
            "Location: http://169.254.169.254/latest/meta-data/\r\n".into(),
            Vec::new(),
        ),
        "/to-localhost" => (
            "302 Found",
            format!("Location: http://localhost:{port}/page\r\n"),
            Vec::new(),
        ),
        "/data.json" => (
            "200 OK",
            "Content-Type: application/json\r\n".into(),
            br#"{"version": "1.2.3", "yanked": false}"#.to_vec(),
        ),
        "/logo.png" => (
            "200 OK",
            "Content-Type: image/png\r\n".into(),
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
        ),
        "/missing" => (
            "404 Not Found",
            "Content-Type: text/html\r\n".into(),
            b"<html><body><h1>No such widget</h1></body></html>".to_vec(),
        ),
        "/big" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {BIG}\r\nConnection: close\r\n\r\n"
            );
            if conn.write_all(head.as_bytes()).is_err() {
                return;
            }
            let line = "<p>filler line of a very long page</p>\n".repeat(1024);
            let mut sent = 0;
            while sent < BIG {
                let n = line.len().min(BIG - sent);
                // The client stops reading at its cap and closes: the write then fails.
                if conn.write_all(&line.as_bytes()[..n]).is_err() {
                    return;
                }
                sent += n;
            }
            return;
        }
        _ => ("404 Not Found", String::new(), b"not here".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&body);
}

/// A home whose model calls `web_fetch` on each URL in turn, then answers; `extra` is appended
/// to its config.
fn session(urls: &[String], extra: &str) -> (MockServer, tempfile::TempDir) {
    let mut script: Vec<Reply> = urls
        .iter()
        .map(|u| Reply::tool("web_fetch", json!({"url": u})))
        .collect();
    script.push(Reply::text("done"));
    let server = MockServer::start(script);
    let home = home_for(&server, Wire::OpenAi);
    let config = home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(extra);
    std::fs::write(&config, text).unwrap();
    (server, home)
}

/// The tool results the model saw, after `exec ARGS` ran its script in a fresh workspace.
fn fetch(urls: &[String], extra: &str, args: &[&str]) -> Vec<String> {
    fetch_in(None, urls, extra, args)
}

fn fetch_in(ws: Option<&Path>, urls: &[String], extra: &str, args: &[&str]) -> Vec<String> {
    let (server, home) = session(urls, extra);
    let scratch = tempfile::tempdir().unwrap();
    let ws = ws.unwrap_or(scratch.path());
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = exec(home.path(), ws, &all, "read the docs");
    assert_success(&out);
    let requests = server.requests();
    tool_results(&requests.last().unwrap().body)
}

const LOOPBACK_ALLOWED: &str = "\n[web_fetch]\nprivate_hosts = [\"127.0.0.1\"]\n";

#[test]
fn a_page_is_read_as_markdown_when_the_network_is_allowed() {
    let pages = Pages::start();
    let results = fetch(&[pages.url("/page")], LOOPBACK_ALLOWED, &["--network"]);
    let text = &results[0];
    assert!(text.starts_with(&pages.url("/page")), "{text}");
    assert!(text.contains("# Widget guide"), "{text}");
    assert!(text.contains("`cargo add widget`"), "{text}");
    assert!(
        text.contains("[the API](https://widget.example/api)"),
        "{text}"
    );
    assert!(
        !text.contains("tracking") && !text.contains("Blog"),
        "{text}"
    );
    assert_eq!(pages.seen(), ["/page"]);
}

#[test]
fn without_the_network_the_fetch_is_refused_and_nothing_is_sent() {
    let pages = Pages::start();
    let results = fetch(&[pages.url("/page")], LOOPBACK_ALLOWED, &[]);
    let text = &results[0];
    assert!(
        text.contains("not permitted") && text.contains("does not allow"),
        "{text}"
    );
    assert!(text.contains("web_fetch(127.0.0.1)"), "{text}");
    assert!(pages.seen().is_empty(), "{:?}", pages.seen());
}

#[test]
fn an_allow_rule_for_the_host_stands_for_the_users_approval() {
    let pages = Pages::start();
    let extra = format!("{LOOPBACK_ALLOWED}[permissions]\nallow = [\"web_fetch(127.0.0.1)\"]\n");
    let results = fetch(&[pages.url("/page")], &extra, &[]);
    assert!(results[0].contains("# Widget guide"), "{}", results[0]);
    let denied = format!("{LOOPBACK_ALLOWED}[permissions]\ndeny = [\"web_fetch(127.*)\"]\n");
    let results = fetch(&[pages.url("/page")], &denied, &["--network"]);
    assert!(results[0].contains("not permitted"), "{}", results[0]);
}

#[test]
fn private_addresses_are_refused_by_ip_and_by_resolution() {
    let pages = Pages::start();
    let by_name = format!("http://localhost:{}/page", pages.port);
    // No private host listed: the loopback IP is refused before any connection.
    let results = fetch(&[pages.url("/page")], "", &["--network"]);
    assert!(
        results[0].contains("loopback") && results[0].contains("private_hosts"),
        "{}",
        results[0]
    );
    // 127.0.0.1 listed, but `localhost` is another host: what it resolves to is checked.
    let results = fetch(&[by_name], LOOPBACK_ALLOWED, &["--network"]);
    assert!(
        results[0].contains("`localhost` resolves to") && results[0].contains("loopback"),
        "{}",
        results[0]
    );
    assert!(pages.seen().is_empty(), "{:?}", pages.seen());
}

#[test]
fn redirects_are_followed_on_the_host_only_and_never_to_a_private_address() {
    let pages = Pages::start();
    let results = fetch(
        &[
            pages.url("/old"),
            pages.url("/to-metadata"),
            pages.url("/to-localhost"),
        ],
        LOOPBACK_ALLOWED,
        &["--network"],
    );
    assert!(
        results[0].starts_with(&pages.url("/page")) && results[0].contains("# Widget guide"),
        "{}",
        results[0]
    );
    for refused in &results[1..] {
        assert!(
            refused.contains("another host") && refused.contains("does not follow"),
            "{refused}"
        );
    }
    assert!(results[1].contains("169.254.169.254"), "{}", results[1]);
    // The same-host hop was followed; nothing was asked of the redirect targets.
    assert_eq!(
        pages.seen(),
        ["/old", "/page", "/to-metadata", "/to-localhost"]
    );
}

#[test]
fn the_metadata_address_written_as_the_host_is_refused() {
    // The metadata service's IP written as the host itself: the literal is checked per hop.
    let results = fetch(
        &["http://169.254.169.254/latest/meta-data/".to_string()],
        LOOPBACK_ALLOWED,
        &["--network"],
    );
    assert!(results[0].contains("link-local"), "{}", results[0]);
}

#[test]
fn a_huge_body_is_cut_and_read_in_parts() {
    let pages = Pages::start();
    let results = fetch(&[pages.url("/big")], LOOPBACK_ALLOWED, &["--network"]);
    let text = &results[0];
    assert!(
        text.contains("download stopped at 2048 KiB"),
        "{}",
        &text[..200]
    );
    assert!(
        text.contains("call web_fetch with offset"),
        "{}",
        &text[text.len() - 300..]
    );
    assert!(text.len() < 80 * 1024, "{}", text.len());
}

#[test]
fn json_is_kept_as_it_is_an_image_is_refused_and_an_error_page_fails() {
    let pages = Pages::start();
    let results = fetch(
        &[
            pages.url("/data.json"),
            pages.url("/logo.png"),
            pages.url("/missing"),
        ],
        LOOPBACK_ALLOWED,
        &["--network"],
    );
    assert!(
        results[0].contains("(application/json)")
            && results[0].contains(r#"{"version": "1.2.3", "yanked": false}"#),
        "{}",
        results[0]
    );
    assert!(
        results[1].starts_with("error:")
            && results[1].contains("image/png")
            && results[1].contains("not text"),
        "{}",
        results[1]
    );
    assert!(
        results[2].starts_with("error:")
            && results[2].contains("404")
            && results[2].contains("No such widget"),
        "{}",
        results[2]
    );
}

#[test]
fn a_planted_project_config_cannot_open_private_hosts() {
    let pages = Pages::start();
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir(ws.path().join(".reins")).unwrap();
    std::fs::write(
        ws.path().join(".reins/config.toml"),
        "network = true\n[web_fetch]\nprivate_hosts = [\"127.0.0.1\", \"169.254.169.254\"]\n[permissions]\nallow = [\"web_fetch\"]\n",
    )
    .unwrap();
    let results = fetch_in(Some(ws.path()), &[pages.url("/page")], "", &[]);
    assert!(results[0].contains("not permitted"), "{}", results[0]);
    let results = fetch_in(Some(ws.path()), &[pages.url("/page")], "", &["--network"]);
    assert!(results[0].contains("loopback"), "{}", results[0]);
    assert!(pages.seen().is_empty(), "{:?}", pages.seen());
}
