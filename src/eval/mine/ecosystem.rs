//! Which changed files are tests, and the test command narrowed to them, per ecosystem: cargo
//! (`tests/NAME.rs` → `cargo test --test NAME`), Python (pytest when the project configures it,
//! else unittest), Node (jest or vitest when `package.json` names them, else `node --test`) and
//! Go (`go test` on the changed tests' packages).

use std::collections::BTreeSet;
use std::path::Path;

/// Why no command runs exactly the changed tests (the candidate task is dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoCommand {
    #[error("{test} is not a test target of the root crate")]
    NotRootTarget { test: String },
    #[error("no Cargo.toml at the root")]
    NoCargoToml,
    #[error("a test path is not an importable module name")]
    NotAModule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ecosystem {
    Cargo,
    Python,
    Node,
    Go,
}

/// What the repository at the commit looks like, for picking a runner.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Root-level file names (`Cargo.toml`, `pytest.ini`, …).
    pub root_files: BTreeSet<String>,
    /// `package.json`'s text, when there is one.
    pub package_json: Option<String>,
    /// `pyproject.toml`'s text, when there is one.
    pub pyproject: Option<String>,
}

/// The ecosystem a path's tests belong to, when it is a test file.
pub fn test_file(path: &str) -> Option<Ecosystem> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_dir = |d: &str| path.starts_with(&format!("{d}/")) || path.contains(&format!("/{d}/"));
    if name.ends_with(".rs") {
        // Integration tests: `tests/NAME.rs` at a crate root (helpers in subfolders are not
        // targets of their own).
        let parts: Vec<&str> = path.split('/').collect();
        let n = parts.len();
        return (n >= 2 && parts[n - 2] == "tests").then_some(Ecosystem::Cargo);
    }
    if name.ends_with(".py") {
        let test = name.starts_with("test_") || name.ends_with("_test.py");
        return test.then_some(Ecosystem::Python);
    }
    if name.ends_with("_test.go") {
        return Some(Ecosystem::Go);
    }
    let js = [".js", ".mjs", ".cjs", ".ts", ".mts", ".jsx", ".tsx"];
    if js.iter().any(|x| name.ends_with(x)) {
        let marked = [".test.", ".spec.", "-test.", "_test."]
            .iter()
            .any(|m| name.contains(m));
        let test = marked || in_dir("__tests__") || path.starts_with("test/");
        return test.then_some(Ecosystem::Node);
    }
    None
}

/// Whether a changed path is code a task's solution could change (not a test, not docs, not
/// the project's metadata).
pub fn code_file(path: &str) -> bool {
    if test_file(path).is_some() {
        return false;
    }
    let code = [
        ".rs", ".py", ".go", ".js", ".mjs", ".cjs", ".ts", ".mts", ".jsx", ".tsx",
    ];
    code.iter().any(|x| path.ends_with(x))
}

/// The command that runs exactly `tests` (all of one ecosystem), or why there is none.
pub fn command(eco: Ecosystem, tests: &[String], project: &Project) -> Result<String, NoCommand> {
    let quoted: Vec<String> = tests.iter().map(|t| quote(t)).collect();
    match eco {
        Ecosystem::Cargo => {
            // `tests/NAME.rs` of the root crate only: a member crate's tests need `-p`.
            let mut targets = Vec::new();
            for t in tests {
                let Some(stem) = t.strip_prefix("tests/").and_then(|s| s.strip_suffix(".rs"))
                else {
                    return Err(NoCommand::NotRootTarget { test: t.clone() });
                };
                targets.push(format!("--test {}", quote(stem)));
            }
            if !project.root_files.contains("Cargo.toml") {
                return Err(NoCommand::NoCargoToml);
            }
            Ok(format!("cargo test --offline -q {}", targets.join(" ")))
        }
        Ecosystem::Python => {
            if uses_pytest(project) {
                Ok(format!("python3 -m pytest -q {}", quoted.join(" ")))
            } else {
                let modules: Vec<String> = tests
                    .iter()
                    .map(|t| t.trim_end_matches(".py").replace('/', "."))
                    .collect();
                if modules.iter().any(|m| {
                    !m.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                }) {
                    return Err(NoCommand::NotAModule);
                }
                Ok(format!("python3 -m unittest -q {}", modules.join(" ")))
            }
        }
        Ecosystem::Node => {
            let pkg = project.package_json.as_deref().unwrap_or("");
            if pkg.contains("\"vitest\"") {
                Ok(format!("npx vitest run {}", quoted.join(" ")))
            } else if pkg.contains("\"jest\"") {
                Ok(format!("npx jest {}", quoted.join(" ")))
            } else {
                Ok(format!("node --test {}", quoted.join(" ")))
            }
        }
        Ecosystem::Go => {
            let dirs: BTreeSet<String> = tests
                .iter()
                .map(|t| match t.rsplit_once('/') {
                    Some((d, _)) => format!("./{d}"),
                    None => ".".to_string(),
                })
                .collect();
            let dirs: Vec<String> = dirs.iter().map(|d| quote(d)).collect();
            Ok(format!("go test {}", dirs.join(" ")))
        }
    }
}

/// pytest when the project says so: a `pytest.ini`, a `conftest.py`, or pytest settings in
/// `pyproject.toml`, `setup.cfg` or `tox.ini` at the root.
fn uses_pytest(p: &Project) -> bool {
    p.root_files.contains("pytest.ini")
        || p.root_files.contains("conftest.py")
        || p.pyproject
            .as_deref()
            .is_some_and(|t| t.contains("[tool.pytest"))
}

/// A shell word: paths from a repository are untrusted, so anything beyond plain characters is
/// single-quoted.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The root-level view of a project from a lister of root file names and a reader of files.
pub fn project(names: BTreeSet<String>, read: &dyn Fn(&Path) -> Option<String>) -> Project {
    Project {
        package_json: names
            .contains("package.json")
            .then(|| read(Path::new("package.json")))
            .flatten(),
        pyproject: names
            .contains("pyproject.toml")
            .then(|| read(Path::new("pyproject.toml")))
            .flatten(),
        root_files: names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_are_told_from_code() {
        assert_eq!(test_file("tests/evals.rs"), Some(Ecosystem::Cargo));
        assert_eq!(test_file("crates/a/tests/x.rs"), Some(Ecosystem::Cargo));
        assert_eq!(test_file("tests/support/mod.rs"), None);
        assert_eq!(test_file("src/lib.rs"), None);
        assert_eq!(test_file("pkg/test_calc.py"), Some(Ecosystem::Python));
        assert_eq!(test_file("calc_test.py"), Some(Ecosystem::Python));
        assert_eq!(test_file("src/a.test.ts"), Some(Ecosystem::Node));
        assert_eq!(test_file("test/money.js"), Some(Ecosystem::Node));
        assert_eq!(test_file("x/y_test.go"), Some(Ecosystem::Go));
        assert!(code_file("src/lib.rs") && code_file("calc.py"));
        assert!(!code_file("README.md") && !code_file("test_calc.py"));
    }

    #[test]
    fn commands_are_narrowed_to_the_changed_tests() {
        let mut p = Project::default();
        p.root_files.insert("Cargo.toml".into());
        assert_eq!(
            command(Ecosystem::Cargo, &["tests/usage.rs".into()], &p).unwrap(),
            "cargo test --offline -q --test usage"
        );
        assert!(command(Ecosystem::Cargo, &["crates/a/tests/x.rs".into()], &p).is_err());
        assert_eq!(
            command(Ecosystem::Python, &["pkg/test_calc.py".into()], &p).unwrap(),
            "python3 -m unittest -q pkg.test_calc"
        );
        p.root_files.insert("conftest.py".into());
        assert_eq!(
            command(Ecosystem::Python, &["pkg/test_calc.py".into()], &p).unwrap(),
            "python3 -m pytest -q pkg/test_calc.py"
        );
        p.package_json = Some(r#"{"devDependencies": {"vitest": "1"}}"#.into());
        assert_eq!(
            command(Ecosystem::Node, &["a.test.ts".into()], &p).unwrap(),
            "npx vitest run a.test.ts"
        );
        assert_eq!(
            command(
                Ecosystem::Go,
                &["x/a_test.go".into(), "x/b_test.go".into()],
                &p
            )
            .unwrap(),
            "go test ./x"
        );
    }

    #[test]
    fn hostile_paths_are_quoted() {
        let p = Project::default();
        let cmd = command(Ecosystem::Node, &["test/$(touch pwned).js".into()], &p).unwrap();
        assert_eq!(cmd, "node --test 'test/$(touch pwned).js'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        let err = command(Ecosystem::Python, &["a;b/test_x.py".into()], &p);
        assert!(err.is_err());
    }
}
