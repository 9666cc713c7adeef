//! `/init`: a starter `AGENTS.md` written from what the repository says about itself: the build,
//! test, lint and format commands found in `Cargo.toml`, `package.json`, `pyproject.toml` /
//! `setup.cfg` / `setup.py`, `go.mod` and a `Makefile`, and the top-level layout. Only what was
//! found is written, nothing guessed; an existing `AGENTS.md` is replaced only when the user asks
//! again with `/init overwrite`.

use std::io::Write;
use std::path::Path;

/// One project manifest and the commands it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stack {
    /// `Rust (Cargo.toml)`.
    name: String,
    /// `(what, command)`: `("test", "cargo test")`.
    commands: Vec<(&'static str, String)>,
}

/// What `/init` did.
#[derive(Debug, PartialEq, Eq)]
pub enum InitOutcome {
    Written {
        commands: usize,
    },
    /// `AGENTS.md` is there and was left alone.
    Exists,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct InitError {
    path: std::path::PathBuf,
    #[source]
    source: std::io::Error,
}

/// Writes `AGENTS.md` at the root of `root`; an existing one only when `overwrite`.
pub fn init(root: &Path, overwrite: bool) -> Result<InitOutcome, InitError> {
    let path = root.join("AGENTS.md");
    let err = |source| InitError {
        path: path.clone(),
        source,
    };
    let exists = path.symlink_metadata().is_ok();
    if exists && !overwrite {
        return Ok(InitOutcome::Exists);
    }
    let stacks = detect(root);
    let text = render(root, &stacks);
    if exists {
        // Removed, then created anew: a symlink in its place is replaced, never followed.
        std::fs::remove_file(&path).map_err(err)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)?;
    Ok(InitOutcome::Written {
        commands: stacks.iter().map(|s| s.commands.len()).sum(),
    })
}

fn read(root: &Path, name: &str) -> Option<String> {
    let path = root.join(name);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    // A manifest is a small regular file; anything else is not read.
    (meta.is_file() && meta.len() <= 1 << 20)
        .then(|| std::fs::read_to_string(&path).ok())
        .flatten()
}

fn detect(root: &Path) -> Vec<Stack> {
    [rust, node, python, go, make]
        .iter()
        .filter_map(|f| f(root))
        .collect()
}

fn rust(root: &Path) -> Option<Stack> {
    read(root, "Cargo.toml")?;
    Some(Stack {
        name: "Rust (Cargo.toml)".into(),
        commands: vec![
            ("build", "cargo build".into()),
            ("test", "cargo test".into()),
            ("lint", "cargo clippy --all-targets -- -D warnings".into()),
            ("format", "cargo fmt --check".into()),
        ],
    })
}

fn node(root: &Path) -> Option<Stack> {
    let text = read(root, "package.json")?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let runner = if read(root, "pnpm-lock.yaml").is_some() {
        "pnpm"
    } else if read(root, "yarn.lock").is_some() {
        "yarn"
    } else if read(root, "bun.lockb").is_some() || read(root, "bun.lock").is_some() {
        "bun"
    } else {
        "npm"
    };
    let scripts = json.get("scripts").and_then(|s| s.as_object());
    let mut commands = Vec::new();
    for (what, names) in [
        ("build", &["build"][..]),
        ("test", &["test"][..]),
        ("lint", &["lint"][..]),
        ("type check", &["typecheck", "type-check", "tsc"][..]),
        ("format", &["format", "fmt", "prettier"][..]),
    ] {
        if let Some(name) = names
            .iter()
            .find(|n| scripts.is_some_and(|s| s.contains_key(**n)))
        {
            commands.push((what, format!("{runner} run {name}")));
        }
    }
    Some(Stack {
        name: format!("JavaScript/TypeScript (package.json, {runner})"),
        commands,
    })
}

fn python(root: &Path) -> Option<Stack> {
    let manifests = ["pyproject.toml", "setup.cfg", "setup.py"];
    let found: Vec<(&str, String)> = manifests
        .iter()
        .filter_map(|m| read(root, m).map(|t| (*m, t)))
        .collect();
    if found.is_empty() {
        return None;
    }
    let all: String = found.iter().map(|(_, t)| t.as_str()).collect();
    let mut commands = Vec::new();
    if all.contains("pytest") || root.join("conftest.py").exists() {
        commands.push(("test", "python -m pytest".to_string()));
    } else if root.join("tests").is_dir() || root.join("test").is_dir() {
        commands.push(("test", "python -m unittest".to_string()));
    }
    if all.contains("[tool.ruff") || all.contains("ruff") {
        commands.push(("lint", "ruff check .".to_string()));
    }
    if all.contains("[tool.mypy") || all.contains("[mypy") {
        commands.push(("type check", "mypy .".to_string()));
    }
    if all.contains("[tool.black") {
        commands.push(("format", "black --check .".to_string()));
    }
    let names: Vec<&str> = found.iter().map(|(m, _)| *m).collect();
    Some(Stack {
        name: format!("Python ({})", names.join(", ")),
        commands,
    })
}

fn go(root: &Path) -> Option<Stack> {
    read(root, "go.mod")?;
    Some(Stack {
        name: "Go (go.mod)".into(),
        commands: vec![
            ("build", "go build ./...".into()),
            ("test", "go test ./...".into()),
            ("lint", "go vet ./...".into()),
            ("format", "gofmt -l .".into()),
        ],
    })
}

/// The Makefile's targets among the usual names.
fn make(root: &Path) -> Option<Stack> {
    let text = ["Makefile", "makefile", "GNUmakefile"]
        .iter()
        .find_map(|m| read(root, m))?;
    let targets: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(['\t', ' ', '.', '#']))
        .filter_map(|l| l.split_once(':'))
        .filter(|(_, rest)| !rest.starts_with('='))
        .flat_map(|(t, _)| t.split_whitespace())
        .collect();
    let mut commands = Vec::new();
    for (what, names) in [
        ("build", &["build", "all"][..]),
        ("test", &["test", "check"][..]),
        ("lint", &["lint"][..]),
        ("format", &["fmt", "format"][..]),
    ] {
        if let Some(t) = names.iter().find(|n| targets.contains(n)) {
            commands.push((what, format!("make {t}")));
        }
    }
    Some(Stack {
        name: "Makefile".into(),
        commands,
    })
}

/// The top-level directories, hidden ones and build output left out.
fn layout(root: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !n.starts_with('.')
                && ![
                    "target",
                    "node_modules",
                    "dist",
                    "build",
                    "__pycache__",
                    "venv",
                ]
                .contains(&n.as_str())
        })
        .collect();
    dirs.sort();
    dirs.truncate(20);
    dirs
}

fn render(root: &Path, stacks: &[Stack]) -> String {
    let mut out = String::from(
        "# AGENTS.md\n\nInstructions for coding agents working in this repository. A starter written by reins `/init`\nfrom the repository's manifests: check it, and add what a newcomer needs to know.\n",
    );
    let dirs = layout(root);
    if !stacks.is_empty() || !dirs.is_empty() {
        out.push_str("\n## Project\n\n");
        for s in stacks {
            out.push_str(&format!("- {}\n", s.name));
        }
        if !dirs.is_empty() {
            let list: Vec<String> = dirs.iter().map(|d| format!("`{d}/`")).collect();
            out.push_str(&format!("- Top-level directories: {}\n", list.join(", ")));
        }
    }
    let commands: Vec<&(&str, String)> = stacks.iter().flat_map(|s| &s.commands).collect();
    out.push_str("\n## Build and test\n\n");
    if commands.is_empty() {
        out.push_str("No build or test command was found; add them here.\n");
    } else {
        for (what, cmd) in commands {
            let mut what = what.to_string();
            if let Some(first) = what.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            out.push_str(&format!("- {what}: `{cmd}`\n"));
        }
        out.push_str("\nRun the tests (and the linters) before you say a change is done.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_come_from_every_manifest_found() {
        let ws = tempfile::tempdir().unwrap();
        let r = ws.path();
        std::fs::write(r.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        std::fs::write(
            r.join("package.json"),
            r#"{"scripts": {"build": "tsc", "test": "vitest", "lint": "eslint ."}}"#,
        )
        .unwrap();
        std::fs::write(r.join("yarn.lock"), "").unwrap();
        std::fs::write(
            r.join("pyproject.toml"),
            "[tool.pytest.ini_options]\n[tool.ruff]\n",
        )
        .unwrap();
        std::fs::write(r.join("go.mod"), "module x\n").unwrap();
        std::fs::write(
            r.join("Makefile"),
            "CC := gcc\n.PHONY: test\nall: build\nbuild:\n\tgo build\ntest: build\n\tgo test\n",
        )
        .unwrap();
        std::fs::create_dir(r.join("src")).unwrap();
        std::fs::create_dir(r.join("target")).unwrap();
        assert_eq!(
            init(r, false).unwrap(),
            InitOutcome::Written { commands: 15 }
        );
        let text = std::fs::read_to_string(r.join("AGENTS.md")).unwrap();
        for want in [
            "- Test: `cargo test`",
            "- Build: `yarn run build`",
            "- Lint: `yarn run lint`",
            "- Test: `python -m pytest`",
            "- Lint: `ruff check .`",
            "- Test: `go test ./...`",
            "- Build: `make build`",
            "- Test: `make test`",
            "`src/`",
        ] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
        assert!(!text.contains("`target/`"), "{text}");
    }

    #[test]
    fn an_existing_file_is_kept_unless_overwrite_is_asked_for() {
        let ws = tempfile::tempdir().unwrap();
        let path = ws.path().join("AGENTS.md");
        std::fs::write(&path, "mine\n").unwrap();
        assert_eq!(init(ws.path(), false).unwrap(), InitOutcome::Exists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
        assert_eq!(
            init(ws.path(), true).unwrap(),
            InitOutcome::Written { commands: 0 }
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("No build or test command was found"),
            "{text}"
        );
    }

    #[test]
    fn a_symlink_in_its_place_is_replaced_not_followed() {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, "keep\n").unwrap();
        std::os::unix::fs::symlink(&target, ws.path().join("AGENTS.md")).unwrap();
        init(ws.path(), true).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    }
}
