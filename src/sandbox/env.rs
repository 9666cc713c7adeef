//! The environment handed to child processes. Credentials in the environment are the easiest
//! secret to exfiltrate (`env | curl ...`), and a child never needs the provider's API key, so
//! variables that look like credentials are dropped unless the user passes them through by name.

use std::ffi::{OsStr, OsString};

/// Name suffixes (compared case-insensitively) of variables treated as credentials.
const SECRET_SUFFIXES: &[&str] = &["_KEY", "_TOKEN", "_SECRET", "_PASSWORD"];

/// The parent's environment minus credential-looking variables (names ending in `_KEY`,
/// `_TOKEN`, `_SECRET`, `_PASSWORD`, any case) and minus `extra_secret_vars` (e.g. the configured
/// provider key variables), except the variables named in `pass`.
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
    let upper = name.to_string_lossy().to_ascii_uppercase();
    !SECRET_SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
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
    fn credential_suffixes_are_dropped_in_any_case() {
        let kept = names(
            &[
                ("PATH", "/bin"),
                ("OPENAI_API_KEY", "sk"),
                ("github_token", "t"),
                ("DB_PASSWORD", "p"),
                ("AWS_SECRET", "s"),
                ("KEYBOARD", "us"),
            ],
            &[],
            &[],
        );
        assert_eq!(kept, ["PATH", "KEYBOARD"]);
    }

    #[test]
    fn extra_names_are_dropped_and_pass_wins() {
        let kept = names(
            &[("MY_PROVIDER_CRED", "x"), ("CI_TOKEN", "t"), ("HOME", "/h")],
            &["MY_PROVIDER_CRED"],
            &["CI_TOKEN"],
        );
        assert_eq!(kept, ["CI_TOKEN", "HOME"]);
    }
}
