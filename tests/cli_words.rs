//! What the command line does with words it does not know, and the files it generates for
//! shells: a mistyped subcommand is an error naming the nearest one, never a prompt sent to the
//! model; completions and the man page come from the real flags.

mod support;

use clap::CommandFactory;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

#[test]
fn a_mistyped_subcommand_names_the_nearest_and_sends_nothing() {
    let server = MockServer::start(vec![Reply::text("should never be asked")]);
    let home = home_for(&server, Wire::OpenAi);
    let out = reins(home.path()).arg("sesions").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did you mean `reins sessions`?"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_one_word_prompt_needs_a_double_dash() {
    let home = tempfile::tempdir().expect("home");
    let out = reins(home.path()).arg("refactor").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("reins -- refactor"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    // After `--` the word is a prompt: the UI starts (and, with no terminal, says so).
    let out = reins(home.path())
        .args(["--", "refactor"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("not a reins command"), "{err}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    let home = tempfile::tempdir().expect("home");
    for (shell, expect) in [
        ("bash", "_reins()"),
        ("zsh", "#compdef reins"),
        ("fish", "complete -c reins"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = reins(home.path())
            .args(["completions", shell])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(expect), "{shell}: {script}");
        assert!(script.contains("sessions"), "{shell} completes subcommands");
    }
}

#[test]
fn the_man_page_documents_the_subcommands() {
    let home = tempfile::tempdir().expect("home");
    let out = reins(home.path()).arg("man").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH reins 1"),
        "{page}"
    );
    assert!(page.contains("sessions"), "{page}");
}

/// Every argument a user can type, positional ones included, says what it is in `--help`.
#[test]
fn every_argument_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} <{id}>"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() && sub.get_name() != "help" {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&reins::cli::Cli::command(), "reins", &mut missing);
    assert!(missing.is_empty(), "without help text: {missing:#?}");
}
