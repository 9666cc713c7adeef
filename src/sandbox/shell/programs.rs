//! What the classifier knows about programs: which run other programs or scripts, and which
//! options make an ordinary program run one. A command using any of them is not plain (no allow
//! rule matches it); the commands it runs are collected for deny and ask rules where they can be
//! read off the command line.
//!
//! Not plain:
//! - wrappers that run their arguments as a command ([`WRAPPERS`]: `sudo`, `env`, `xargs`,
//!   `timeout`, `nohup`...), `eval`, `source`, `trap`, `alias`;
//! - shells given a script as text (`bash -c`, `sh -c`) or reading one from standard input,
//!   interpreters given code inline (`python3 -c`, `perl -e`, `node -e`) or through a
//!   here-document or here-string;
//! - `git` with options that run programs (see [`super::git`]);
//! - `cargo --config` (a `runner` or `rustc-wrapper` runs any program), `find -exec` and the
//!   other `find` actions that run or write, and the [`RISKY`] options of other programs;
//! - variable assignments in front of a command other than [`QUIET_VARS`] (`LD_PRELOAD`,
//!   `GIT_EXTERNAL_DIFF`, `CARGO_TARGET_*_RUNNER` run programs).

use super::parse::Simple;
use super::words::{has_option, is_cluster};
use super::{analyze_into, Analysis, Command, Word};

/// Programs that run the command given in their arguments.
const WRAPPERS: &[&str] = &[
    "sudo",
    "doas",
    "su",
    "runuser",
    "env",
    "command",
    "builtin",
    "exec",
    "nohup",
    "nice",
    "ionice",
    "time",
    "timeout",
    "stdbuf",
    "setsid",
    "chrt",
    "taskset",
    "xargs",
    "parallel",
    "busybox",
    "strace",
    "ltrace",
    "unbuffer",
    "watch",
    "flock",
    "chroot",
    "fakeroot",
    "firejail",
    "systemd-run",
    "unshare",
    "nsenter",
    "coproc",
    "script",
    "valgrind",
    "gdb",
    "catchsegv",
    "caffeinate",
    "prlimit",
    "numactl",
    "cgexec",
    "sg",
    "newgrp",
];
/// The most places a wrapper's inner command may start at that are tried (each is classified).
const MAX_WRAPPED_STARTS: usize = 64;
/// Wrappers whose command gets further arguments from standard input.
const STDIN_ARGS: &[&str] = &["xargs", "parallel"];
/// Shells: `-c TEXT` runs TEXT, no script file means commands come from standard input.
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "yash", "fish", "ash",
];
/// Interpreters and the options that hand them code inline.
const INTERPRETERS: &[(&str, &[&str])] = &[
    ("python", &["-c"]),
    ("python2", &["-c"]),
    ("python3", &["-c"]),
    ("pypy", &["-c"]),
    ("pypy3", &["-c"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("nodejs", &["-e", "--eval", "-p", "--print"]),
    ("deno", &["eval"]),
    ("bun", &["-e", "--eval"]),
    ("php", &["-r"]),
    ("lua", &["-e"]),
    ("Rscript", &["-e"]),
    ("tclsh", &[]),
    ("awk", &[]),
    ("gawk", &[]),
    ("osascript", &["-e"]),
];
/// Built-ins that change what later commands run or define code.
const REDEFINERS: &[&str] = &["hash", "enable", "shopt", "alias", "trap"];
/// Variables that may be set in front of a command in a plain line: they cannot run programs.
const QUIET_VARS: &[&str] = &[
    "RUST_BACKTRACE",
    "RUST_LOG",
    "NO_COLOR",
    "CLICOLOR",
    "CI",
    "LANG",
    "LC_ALL",
    "TZ",
    "COLUMNS",
];
/// `find` actions that run the command following them, up to `;` or `+`.
const FIND_EXEC: &[&str] = &["-exec", "-execdir", "-ok", "-okdir"];
/// `find` actions that write or delete.
const FIND_WRITES: &[&str] = &["-delete", "-fprint", "-fprint0", "-fprintf", "-fls"];
/// Options of other programs that run a program they name, as the option or `option=value`.
const RISKY: &[(&str, &[&str])] = &[
    ("cargo", &["--config"]),
    ("rg", &["--pre"]),
    (
        "tar",
        &[
            "--to-command",
            "--use-compress-program",
            "-I",
            "--checkpoint-action",
            "--info-script",
            "--new-volume-script",
            "-F",
            "--rsh-command",
        ],
    ),
    ("sort", &["--compress-program"]),
    ("rsync", &["-e", "--rsh", "--rsync-path"]),
    ("ssh", &["-o", "-F"]),
    ("scp", &["-o", "-F", "-S"]),
    ("less", &["-k"]),
    ("zip", &["-TT", "--unzip-command"]),
    ("make", &["SHELL", "--eval"]),
];

/// Records `simple` (and what it runs) in `out`.
pub(crate) fn classify(simple: Simple, depth: usize, out: &mut Analysis) {
    for (name, value) in &simple.assignments {
        if !(QUIET_VARS.contains(&name.as_str()) && value.exact) {
            out.unplain(format!("setting `{name}` for the command"));
        }
    }
    let Some(program) = simple.words.first() else {
        out.unplain("a variable assignment".to_string());
        return;
    };
    if !program.exact {
        out.hide("a program name computed when the command runs");
    }
    if simple.words.iter().any(|w| !w.exact) {
        out.unplain("words whose value is only known when the command runs".to_string());
    }
    let command = Command {
        words: simple.words,
    };
    let name = command.program().to_string();
    feed_stdin(&name, simple.stdin.as_ref(), depth, out);
    let stdin_known = simple.stdin.as_ref().is_some_and(|w| w.exact);
    knowledge(&name, &command, stdin_known, depth, out);
    out.push(command);
}

/// A here-document or here-string feeding a shell is read as the script it is.
fn feed_stdin(name: &str, stdin: Option<&Word>, depth: usize, out: &mut Analysis) {
    let Some(text) = stdin else { return };
    if SHELLS.contains(&name) || interpreter(name).is_some() {
        out.unplain(format!("a here-document or here-string feeding `{name}`"));
    }
    if SHELLS.contains(&name) {
        script(text, depth, out);
    }
}

/// Applies what is known about the program `name`.
fn knowledge(name: &str, command: &Command, stdin_known: bool, depth: usize, out: &mut Analysis) {
    let args = &command.words[1..];
    if WRAPPERS.contains(&name) {
        wrapper(name, command, depth, out);
    } else if name == "find" {
        find(args, depth, out);
    } else if SHELLS.contains(&name) {
        shell(name, args, stdin_known, depth, out);
    } else if name == "eval" {
        out.unplain("`eval`".to_string());
        let joined = args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>();
        let exact = args.iter().all(|w| w.exact);
        script(
            &Word {
                text: joined.join(" "),
                exact,
            },
            depth,
            out,
        );
    } else if name == "source" || name == "." {
        out.unplain(format!("`{name}` runs a script in the shell itself"));
    } else if REDEFINERS.contains(&name) {
        redefiner(name, args, depth, out);
    } else if let Some(inline) = interpreter(name) {
        if let Some(flag) = leading_options(args).find(|w| has_option(&w.text, inline)) {
            out.unplain(format!("`{name} {}` runs code given inline", flag.text));
        }
    } else if name == "git" {
        super::git::classify(args, out);
    } else if let Some((_, options)) = RISKY.iter().find(|(p, _)| *p == name) {
        if let Some(w) = args.iter().find(|w| has_option(&w.text, options)) {
            out.unplain(format!("`{name} {}` can run another program", w.text));
        }
    }
}

/// The inline-code options of an interpreter (versioned names such as `python3.12` included).
fn interpreter(name: &str) -> Option<&'static [&'static str]> {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS
        .iter()
        .find(|(p, _)| *p == name || *p == base)
        .map(|(_, flags)| *flags)
}

/// The options before a program's first operand (`python3 -B -c` but not `python3 -m pytest -c`).
fn leading_options(args: &[Word]) -> impl Iterator<Item = &Word> {
    args.iter()
        .take_while(|w| w.text.starts_with('-') && w.text != "--")
        .scan(false, |after_m, w| {
            let stop = *after_m;
            *after_m = w.text == "-m";
            (!stop).then_some(w)
        })
}

/// A command run by a wrapper: every suffix of its arguments that starts with a word that is not
/// an option or an assignment could be the inner command (option syntax differs per wrapper), so
/// each is collected for deny rules; arguments with spaces may be scripts (`env -S`, `su -c`,
/// `watch`). `classify` adds nothing once the line holds too many commands, which ends the loop.
fn wrapper(name: &str, command: &Command, depth: usize, out: &mut Analysis) {
    out.unplain(format!("`{name}` runs another program"));
    if depth >= super::MAX_DEPTH {
        out.hide("wrappers nested too deeply");
        return;
    }
    let args = &command.words[1..];
    let starts: Vec<usize> = (0..args.len())
        .filter(|&i| !args[i].text.starts_with('-') && !args[i].text.contains('='))
        .collect();
    if starts.len() > MAX_WRAPPED_STARTS {
        out.hide("a wrapper with too many arguments to classify");
        return;
    }
    for start in starts {
        let mut words = args[start..].to_vec();
        if STDIN_ARGS.contains(&name) {
            words.push(Word {
                text: "(arguments from standard input)".into(),
                exact: false,
            });
        }
        let inner = Simple {
            assignments: Vec::new(),
            words,
            stdin: None,
        };
        let before = out.commands.len();
        classify(inner, depth + 1, out);
        if out.commands.len() == before {
            return;
        }
    }
    for arg in args.iter().filter(|w| w.text.contains(char::is_whitespace)) {
        script(arg, depth, out);
    }
}

/// `find`: its `-exec` commands (up to `;` or `+`, with `{}` unknown) run; other actions write.
fn find(args: &[Word], depth: usize, out: &mut Analysis) {
    if let Some(w) = args.iter().find(|w| FIND_WRITES.contains(&w.text.as_str())) {
        out.unplain(format!("`find {}` writes or deletes files", w.text));
    }
    for (i, w) in args.iter().enumerate() {
        if !FIND_EXEC.contains(&w.text.as_str()) {
            continue;
        }
        out.unplain(format!("`find {}` runs another program", w.text));
        let words: Vec<Word> = args[i + 1..]
            .iter()
            .take_while(|w| w.text != ";" && w.text != "+")
            .map(|w| Word {
                exact: w.exact && w.text != "{}",
                text: w.text.clone(),
            })
            .collect();
        if !words.is_empty() && depth < super::MAX_DEPTH {
            let inner = Simple {
                assignments: Vec::new(),
                words,
                stdin: None,
            };
            classify(inner, depth + 1, out);
        }
    }
}

/// `bash -c TEXT` runs TEXT; a shell without a script file reads commands from standard input.
fn shell(name: &str, args: &[Word], stdin_known: bool, depth: usize, out: &mut Analysis) {
    let options = args.iter().take_while(|w| w.text.starts_with(['-', '+']));
    let c_flag = options
        .enumerate()
        .find(|(_, w)| is_cluster(&w.text) && w.text.contains('c'))
        .map(|(i, _)| i);
    match c_flag {
        Some(i) => {
            out.unplain(format!("`{name} -c` runs a script given as text"));
            match args[i + 1..].iter().find(|w| !w.text.starts_with('-')) {
                Some(text) => script(text, depth, out),
                None => out.hide("a shell script that cannot be read"),
            }
        }
        None if !stdin_known && args.iter().all(|w| w.text.starts_with(['-', '+'])) => {
            out.hide("a shell reading commands from standard input");
        }
        None => {}
    }
}

/// Reads `text` as a script run by the command, for deny and ask rules.
fn script(text: &Word, depth: usize, out: &mut Analysis) {
    if text.exact {
        analyze_into(&text.text, depth + 1, out);
    } else {
        out.hide("a script computed when the command runs");
    }
}

/// `alias x='...'` and `trap '...' EXIT` define code; `hash -p` and `enable -f` change what a
/// name runs.
fn redefiner(name: &str, args: &[Word], depth: usize, out: &mut Analysis) {
    out.unplain(format!("`{name}` changes what later commands run"));
    match name {
        "alias" => {
            for w in args {
                if let Some((_, body)) = w.text.split_once('=') {
                    let body = Word {
                        text: body.to_string(),
                        exact: w.exact,
                    };
                    script(&body, depth, out);
                }
            }
        }
        "trap" => {
            if let Some(first) = args.iter().find(|w| !w.text.starts_with('-')) {
                script(first, depth, out);
            }
        }
        _ => out.hide("`hash`, `enable` or `shopt` can change which program a name runs"),
    }
}
