//! `reins` in a pseudo-terminal for the TUI's end-to-end tests: the real binary, the screen read
//! back with vt100. Every wait polls the screen with a deadline; nothing relies on a fixed sleep.

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

/// `reins` running in a pseudo-terminal.
pub struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

impl Pty {
    pub fn spawn(home: &Path, ws: &Path, args: &[&str]) -> Pty {
        Pty::spawn_sized(home, ws, args, 24, 80)
    }

    pub fn spawn_sized(home: &Path, ws: &Path, args: &[&str], rows: u16, cols: u16) -> Pty {
        let ws_arg = ws.to_string_lossy();
        let all: Vec<&str> = ["-C", ws_arg.as_ref()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        Pty::spawn_in(home, ws, &all, rows, cols)
    }

    /// `reins ARGS` (no `-C`) with the workspace as its current directory.
    pub fn spawn_in(home: &Path, ws: &Path, args: &[&str], rows: u16, cols: u16) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_reins"));
        for a in args {
            cmd.arg(a);
        }
        cmd.cwd(ws);
        for var in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_COLOR",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("REINS_HOME", home);
        cmd.env("MOCK_API_KEY", "sk-mock");
        cmd.env("NO_PROXY", "*");
        cmd.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(cmd).expect("spawn reins");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let sink = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Pty {
            parser,
            writer,
            child,
            _master: pair.master,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn alternate(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    /// Polls until `pred` holds for the screen text; panics with the screen on timeout.
    pub fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Types `text` and presses Enter.
    pub fn submit(&mut self, text: &str) {
        self.send(text.as_bytes());
        self.wait_for(text.lines().last().unwrap_or(text));
        self.send(b"\r");
    }

    /// Waits for the turn to end (the rule's `Esc interrupt` hint goes away with it): the
    /// answer's text can be on screen a moment before the turn is over.
    pub fn wait_idle(&self) {
        self.wait_until("the turn to end", |s| !s.contains("Esc interrupt"));
    }

    /// Ctrl+C twice on an idle composer; waits for the process to end.
    pub fn quit(&mut self) -> u32 {
        self.wait_idle();
        self.send(b"\x03");
        self.wait_for("again to quit");
        self.send(b"\x03");
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("reins did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
