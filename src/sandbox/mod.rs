//! The boundary between the untrusted model and the user's machine: which paths a tool may touch,
//! and (being written) how child processes are confined.

pub mod paths;

/// The environment a child process gets: the parent's minus variables whose names end in `_KEY`,
/// `_TOKEN`, `_SECRET` or `_PASSWORD`, minus `extra_secret_vars` (the configured providers' key
/// variables), unless named in `pass`.
pub fn scrubbed_env(
    extra_secret_vars: &[String],
    pass: &[String],
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    std::env::vars_os()
        .filter(|(k, _)| {
            let name = k.to_string_lossy().to_uppercase();
            if pass.iter().any(|p| p.eq_ignore_ascii_case(&name)) {
                return true;
            }
            let secret = ["_KEY", "_TOKEN", "_SECRET", "_PASSWORD"]
                .iter()
                .any(|s| name.ends_with(s))
                || extra_secret_vars
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(&name));
            !secret
        })
        .collect()
}
