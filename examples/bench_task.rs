//! The 4-step task through the release binary, beside Codex CLI in the same run: an instant
//! scripted model asks to read `calc.py`, patch the bug, run the tests with the real python3,
//! and then answers. Both agents run sandboxed (reins' default for exec, Codex with
//! `--sandbox workspace-write`) on a fresh copy of `examples/calc` each run, and both run the
//! test command with the same python3 executable (named by its full path, so that a version
//! manager's shim is not what is measured).
//!
//! Figures (median of 5 unless said):
//! - the whole task: wall, CPU (user+sys of the agent and its children), ratio to Codex;
//! - process start -> first model request, in `examples/calc` and in a 50,000-file git repository;
//! - each step's wall (request to request, from the model server's side);
//! - reins' CPU per cheap step: (CPU of a session with 1+K read_file or apply_patch steps minus
//!   that of a 1-step session) / K, so start-up is not counted in it.
//!
//! - the test command alone (the same python3, a fresh copy, no agent), so that the agent's own
//!   share of the task (its wall minus the test's) can be read beside it.
//!
//! Run: `cargo build --release && cargo run --release --example bench_task [--no-codex]
//! [--python PATH]` (default: the `python3` on the PATH, resolved to its executable);
//! `--cheap-steps` times only the CPU per cheap step. `REINS_BENCH_BIN=PATH` times another
//! build of reins; `REINS_BENCH_BASE=PATH` times a second build too, each of its runs right
//! after the first build's, so that a before/after pair shares the machine's state (on a small
//! VM, file creation alone can slow by half for minutes after a mass deletion).

#[path = "../tests/support/mock_server.rs"]
#[allow(dead_code)]
mod mock_server;
#[path = "support/responses_mock.rs"]
mod responses_mock;
#[path = "support/timing.rs"]
mod timing;

use mock_server::{MockServer, Reply, Turn};
use responses_mock::ResponsesMock;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{load_average, median, ms, reins_binary};

const RUNS: usize = 5;
/// Extra steps in the sessions that measure the CPU of one cheap step.
const CHEAP_STEPS: usize = 40;
const BIG_REPO_FILES: usize = 50_000;

const FIX: &str = "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a - b\n+    return a + b\n*** End Patch\n";
const UNFIX: &str = "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a + b\n+    return a - b\n*** End Patch\n";

fn main() {
    let bin = reins_binary();
    let base = std::env::var_os("REINS_BENCH_BASE").map(PathBuf::from);
    let bins: Vec<&Path> = std::iter::once(bin.as_path())
        .chain(base.as_deref())
        .collect();
    if std::env::args().any(|a| a == "--cheap-steps") {
        cheap_steps(&bins);
        return;
    }
    let python = real_python();
    let codex = (!std::env::args().any(|a| a == "--no-codex"))
        .then(find_codex)
        .flatten();
    println!("load average at start: {}", load_average());
    println!("python3: {}", python.display());
    let test_cmd = format!("{} -m unittest", python.display());

    let mut reins_runs = Vec::new();
    let mut base_runs = Vec::new();
    let mut codex_runs = Vec::new();
    let mut test_alone = Vec::new();
    for _ in 0..RUNS {
        reins_runs.push(reins_task(&bin, &test_cmd));
        if let Some(base) = &base {
            base_runs.push(reins_task(base, &test_cmd));
        }
        if let Some(codex) = &codex {
            codex_runs.push(codex_task(codex, &test_cmd));
        }
        test_alone.push(test_alone_wall(&python));
    }
    report_task("reins", &mut reins_runs);
    if let Some(base) = &base {
        println!(
            "base ({}), its runs alternating with the above:",
            base.display()
        );
        report_task("base", &mut base_runs);
        report_steps("base", &base_runs);
    }
    let test_wall = median(&mut test_alone);
    let mut reins_wall: Vec<Duration> = reins_runs.iter().map(|r| r.wall).collect();
    println!(
        "  the test command alone: {:.1} ms wall; reins' own share of the task: {:.1} ms",
        ms(test_wall),
        ms(median(&mut reins_wall).saturating_sub(test_wall))
    );
    if codex_runs.is_empty() {
        println!("Codex CLI: not found on PATH (npm i -g @openai/codex); no comparison this run");
    } else {
        report_task("codex", &mut codex_runs);
        let mut ratios: Vec<f64> = reins_runs
            .iter()
            .zip(&codex_runs)
            .map(|(r, c)| c.wall.as_secs_f64() / r.wall.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "  codex / reins wall, pair by pair: median {:.1}x (min {:.1}x, max {:.1}x)",
            ratios[RUNS / 2],
            ratios[0],
            ratios[RUNS - 1]
        );
    }
    report_steps("reins", &reins_runs);

    cheap_steps(&bins);
    big_repo_first_request(&bin);
    println!("load average at end: {}", load_average());
}

struct TaskRun {
    wall: Duration,
    cpu: Duration,
    first_request: Duration,
    /// Wall of each step: from the request that asked for it to the next request (the last one
    /// to the process's exit).
    steps: Vec<Duration>,
}

/// The median wall of each of the task's four steps.
fn report_steps(name: &str, runs: &[TaskRun]) {
    let names = ["read", "patch", "test", "answer"];
    for (i, step) in names.iter().enumerate() {
        let mut v: Vec<Duration> = runs.iter().map(|r| r.steps[i]).collect();
        println!(
            "  {name} step {} ({step}): {:>7.2} ms wall",
            i + 1,
            ms(median(&mut v))
        );
    }
}

fn report_task(name: &str, runs: &mut [TaskRun]) {
    let mut wall: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    let mut cpu: Vec<Duration> = runs.iter().map(|r| r.cpu).collect();
    let mut first: Vec<Duration> = runs.iter().map(|r| r.first_request).collect();
    println!(
        "{name}: 4-step task {:>8.1} ms wall (min {:.1}, max {:.1}), {:>7.1} ms CPU, first request {:>6.2} ms after start",
        ms(median(&mut wall)),
        ms(wall[0]),
        ms(wall[wall.len() - 1]),
        ms(median(&mut cpu)),
        ms(median(&mut first)),
    );
}

fn reins_task(bin: &Path, test_cmd: &str) -> TaskRun {
    let ws = calc_copy();
    let server = MockServer::start_with_gap(
        vec![
            Reply::tool("read_file", json!({"path": "calc.py"})),
            Reply::tool("apply_patch", json!({"patch": FIX})),
            Reply::tool("shell", json!({"command": test_cmd})),
            Reply::Turn(Turn::text("Fixed `add`: it subtracted. The 3 tests pass.")),
        ],
        Duration::ZERO,
    );
    let home = reins_home(&server);
    let run = run_child(reins_command(bin, home.path(), ws.path()));
    assert_fixed(ws.path(), "reins");
    let received: Vec<Instant> = server.requests().iter().map(|r| r.received_at).collect();
    assert_eq!(received.len(), 4, "reins made {} requests", received.len());
    task_run(run, &received)
}

fn codex_task(codex: &Path, test_cmd: &str) -> TaskRun {
    use responses_mock::{function_call, message};
    let ws = calc_copy();
    let exec = |id: &str, cmd: &str| vec![function_call(id, "exec_command", json!({"cmd": cmd}))];
    // Codex reads files and applies patches through its command tool (`apply_patch` in a
    // command is intercepted and applied by Codex itself, sandboxed, as its own patch tool).
    let server = ResponsesMock::start(vec![
        exec("c1", "cat calc.py"),
        exec("c2", &format!("apply_patch <<'EOF'\n{FIX}EOF\n")),
        exec("c3", test_cmd),
        vec![message("Fixed `add`: it subtracted. The 3 tests pass.")],
    ]);
    let home = tempfile::tempdir().expect("codex home");
    let config = format!(
        "model = \"mock\"\nmodel_provider = \"mock\"\n[model_providers.mock]\nname = \"mock\"\nbase_url = \"{}\"\nwire_api = \"responses\"\n",
        server.base_url()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("codex config");
    let mut cmd = Command::new(codex);
    cmd.env("CODEX_HOME", home.path())
        .env("NO_PROXY", "*")
        .current_dir(ws.path())
        .args([
            "exec",
            "--skip-git-repo-check",
            "--sandbox",
            "workspace-write",
            "fix the failing test",
        ]);
    let run = run_child(cmd);
    assert_fixed(ws.path(), "codex");
    let received = server.received();
    assert_eq!(received.len(), 4, "codex made {} requests", received.len());
    task_run(run, &received)
}

fn task_run(run: Run, received: &[Instant]) -> TaskRun {
    let end = run.started + run.wall;
    let steps = received
        .iter()
        .enumerate()
        .map(|(i, t)| received.get(i + 1).copied().unwrap_or(end) - *t)
        .collect();
    TaskRun {
        wall: run.wall,
        cpu: run.cpu,
        first_request: received[0] - run.started,
        steps,
    }
}

fn cheap_steps(bins: &[&Path]) {
    cheap_step_cpu(bins, "read_file", |_| json!({"path": "calc.py"}));
    cheap_step_cpu(
        bins,
        "apply_patch",
        |i| json!({"patch": if i % 2 == 0 { FIX } else { UNFIX }}),
    );
}

/// reins' CPU for one more step of `tool`, start-up excluded, for each build in `bins` (their
/// runs alternating).
fn cheap_step_cpu(bins: &[&Path], tool: &str, args: impl Fn(usize) -> Value) {
    let mut per_step = vec![Vec::new(); bins.len()];
    for _ in 0..RUNS {
        for (bin, per_step) in bins.iter().zip(&mut per_step) {
            per_step.push(cheap_step_once(bin, tool, &args));
        }
    }
    for (bin, mut per_step) in bins.iter().zip(per_step) {
        let who = match bins.len() {
            1 => String::new(),
            _ => format!(" ({})", bin.display()),
        };
        println!(
            "reins CPU per cheap {tool} step{who}: {:.3} ms (median of {RUNS}; ({}-step - 1-step session) / {CHEAP_STEPS})",
            ms(median(&mut per_step)),
            CHEAP_STEPS + 1
        );
    }
}

/// One sample of [`cheap_step_cpu`].
fn cheap_step_once(bin: &Path, tool: &str, args: &impl Fn(usize) -> Value) -> Duration {
    let cpu_of = |steps: usize| {
        let ws = calc_copy();
        let mut script: Vec<Reply> = (0..steps).map(|i| Reply::tool(tool, args(i))).collect();
        script.push(Reply::text("done"));
        let server = MockServer::start_with_gap(script, Duration::ZERO);
        let home = reins_home(&server);
        let run = run_child(reins_command(bin, home.path(), ws.path()));
        assert_eq!(server.requests().len(), steps + 1, "not every step ran");
        run.cpu
    };
    let short = cpu_of(1);
    let long = cpu_of(1 + CHEAP_STEPS);
    long.saturating_sub(short) / CHEAP_STEPS as u32
}

/// Time to the first request in a git repository of 50,000 committed files: nothing may walk
/// the whole tree before the model is asked.
fn big_repo_first_request(bin: &Path) {
    let repo = tempfile::tempdir().expect("repo");
    for d in 0..BIG_REPO_FILES / 100 {
        let dir = repo.path().join(format!("pkg{d:03}"));
        std::fs::create_dir(&dir).expect("dir");
        for f in 0..100 {
            std::fs::write(dir.join(format!("m{f:02}.rs")), format!("fn f{f}() {{}}\n"))
                .expect("file");
        }
    }
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=b", "-c", "user.email=b@b"])
            .args(args)
            .current_dir(repo.path())
            .stdout(Stdio::null())
            .status()
            .expect("git")
            .success();
        assert!(ok, "git {args:?} failed");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "init"]);
    let mut first = Vec::new();
    for _ in 0..RUNS {
        let server = MockServer::start_with_gap(vec![Reply::text("done")], Duration::ZERO);
        let home = reins_home(&server);
        let run = run_child(reins_command(bin, home.path(), repo.path()));
        first.push(server.requests()[0].received_at - run.started);
    }
    println!(
        "reins first request in a {BIG_REPO_FILES}-file git repository: {:.2} ms after start",
        ms(median(&mut first))
    );
}

fn reins_home(server: &MockServer) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let config = format!(
        "model = \"mock\"\n[providers.mock]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"\"\n[models.mock]\nprovider = \"mock\"\nname = \"m\"\ninput_price = 1.0\noutput_price = 2.0\n",
        server.openai_base()
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    home
}

fn reins_command(bin: &Path, home: &Path, ws: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("REINS_HOME", home)
        .env("NO_PROXY", "*")
        .args(["exec", "--json", "-C"])
        .arg(ws)
        .arg("fix the failing test");
    cmd
}

fn calc_copy() -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("workspace");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calc");
    for entry in std::fs::read_dir(&src).expect("examples/calc") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), ws.path().join(entry.file_name())).expect("copy");
    }
    ws
}

fn assert_fixed(ws: &Path, who: &str) {
    let text = std::fs::read_to_string(ws.join("calc.py")).expect("calc.py");
    assert!(
        text.contains("return a + b"),
        "{who} did not apply the patch"
    );
}

/// Wall of `python3 -m unittest` alone in a fresh copy of the workspace, fixed as the agents
/// fix it.
fn test_alone_wall(python: &Path) -> Duration {
    let ws = calc_copy();
    let calc = ws.path().join("calc.py");
    let text = std::fs::read_to_string(&calc).expect("calc.py");
    std::fs::write(&calc, text.replace("return a - b", "return a + b")).expect("fix calc.py");
    let mut cmd = Command::new(python);
    cmd.args(["-m", "unittest"]).current_dir(ws.path());
    run_child(cmd).wall
}

fn real_python() -> PathBuf {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--python") {
        return PathBuf::from(args.get(i + 1).expect("--python PATH"));
    }
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 on PATH");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn find_codex() -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", "command -v codex"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

struct Run {
    started: Instant,
    wall: Duration,
    cpu: Duration,
}

// The child is reaped by wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_child(mut cmd: Command) -> Run {
    let started = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(libc::WEXITSTATUS(status), 0, "{cmd:?} failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Run {
        started,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    }
}
