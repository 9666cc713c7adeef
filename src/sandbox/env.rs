//! The environment handed to child processes. Credentials in the environment are the easiest
//! secret to exfiltrate (`env | curl ...`), and they come under any name (`DATABASE_URL`,
//! `*_APIKEY`, `*_CREDENTIALS`, `SSH_AUTH_SOCK`), so children get an allow-list: what shells,
//! build tools and test runners need (locale, terminal, paths, toolchain settings), plus the
//! variables the user passes through by name (`[shell].pass_env`). Even an allowed name is
//! dropped when it looks like a credential or holds a configured provider key.

use std::ffi::{OsStr, OsString};

/// Variables every child gets when set.
const ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CI",
    "SOURCE_DATE_EPOCH",
    // Rust
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "RUST_MIN_STACK",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_JOBS",
    "CARGO_TERM_COLOR",
    "CARGO_INCREMENTAL",
    // Go, Java
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "GOMODCACHE",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "JAVA_HOME",
    // Python
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PYTHONIOENCODING",
    "PYTHONSAFEPATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYENV_ROOT",
    "PYENV_VERSION",
    // JavaScript
    "NODE_PATH",
    "NODE_OPTIONS",
    "NVM_DIR",
    "DENO_DIR",
    "BUN_INSTALL",
    // C and friends
    "CC",
    "CXX",
    "AR",
    "LD",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "PKG_CONFIG_PATH",
    "MAKEFLAGS",
    // certificates, git identity
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
];

/// Prefixes of allowed families (locale categories, XDG base directories).
const ALLOWED_PREFIXES: &[&str] = &["LC_", "XDG_"];

/// Name fragments (compared case-insensitively) that mark a credential even on an allowed name.
const SECRET_MARKS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"];

/// The allowed part of the parent's environment (see the module comment), minus
/// `extra_secret_vars` (the configured provider key variables), plus the variables named in
/// `pass`.
pub fn scrubbed_env(extra_secret_vars: &[String], pass: &[String]) -> Vec<(OsString, OsString)> {
    scrub(std::env::vars_os(), extra_secret_vars, pass)
}

/// [`scrubbed_env`] over an explicit list of variables.
pub(crate) fn scrub(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    extra_secret_vars: &[String],
    pass: &[String],
) -> Vec<(OsString, OsString)> {
    vars.into_iter()
        .filter(|(name, _)| keeps(name, extra_secret_vars, pass))
        .collect()
}

/// Whether the variable called `name` reaches the child.
fn keeps(name: &OsStr, extra_secret_vars: &[String], pass: &[String]) -> bool {
    if pass.iter().any(|p| OsStr::new(p) == name) {
        return true;
    }
    if extra_secret_vars.iter().any(|s| OsStr::new(s) == name) {
        return false;
    }
    let Some(name) = name.to_str() else {
        return false;
    };
    let upper = name.to_ascii_uppercase();
    let allowed = ALLOWED.contains(&name) || ALLOWED_PREFIXES.iter().any(|p| name.starts_with(p));
    allowed && !SECRET_MARKS.iter().any(|mark| upper.contains(mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(vars: &[(&str, &str)], extra: &[&str], pass: &[&str]) -> Vec<String> {
        let vars = vars
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let pass: Vec<String> = pass.iter().map(|s| s.to_string()).collect();
        scrub(vars, &extra, &pass)
            .into_iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn only_allowed_names_reach_children() {
        let kept = names(
            &[
                ("PATH", "/bin"),
                ("OPENAI_API_KEY", "sk"),
                ("github_token", "t"),
                ("DB_PASSWORD", "p"),
                ("DATABASE_URL", "postgres://u:p@h/db"),
                ("STRIPE_APIKEY", "k"),
                ("GOOGLE_APPLICATION_CREDENTIALS", "/x.json"),
                ("SSH_AUTH_SOCK", "/tmp/ssh-x/agent.1"),
                ("AWS_SESSION_TOKEN", "t"),
                ("LC_ALL", "C"),
                ("XDG_CONFIG_HOME", "/c"),
                ("CARGO_HOME", "/cargo"),
            ],
            &[],
            &[],
        );
        assert_eq!(kept, ["PATH", "LC_ALL", "XDG_CONFIG_HOME", "CARGO_HOME"]);
    }

    #[test]
    fn extra_names_are_dropped_and_pass_wins() {
        let kept = names(
            &[("MY_PROVIDER_CRED", "x"), ("CI_TOKEN", "t"), ("HOME", "/h")],
            &["MY_PROVIDER_CRED"],
            &["CI_TOKEN"],
        );
        assert_eq!(kept, ["CI_TOKEN", "HOME"]);
        let kept = names(&[("DATABASE_URL", "x")], &[], &["DATABASE_URL"]);
        assert_eq!(
            kept,
            ["DATABASE_URL"],
            "pass_env lets a named variable through"
        );
    }
}
