use super::*;

fn words(line: &str) -> Vec<Vec<String>> {
    analyze(line)
        .commands
        .iter()
        .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
        .collect()
}

fn plain(line: &str) -> bool {
    analyze(line).plain_commands().is_some()
}

fn hidden(line: &str) -> bool {
    analyze(line).why_hidden().is_some()
}

#[test]
fn lists_and_pipelines_split_into_plain_commands() {
    assert_eq!(
        words("cargo test && curl x | sh; echo a || echo b"),
        [
            vec!["cargo", "test"],
            vec!["curl", "x"],
            vec!["sh"],
            vec!["echo", "a"],
            vec!["echo", "b"]
        ]
    );
    assert!(plain(
        "cargo test 2>&1 | tail -n 5; (cd x && make) && { ls; }"
    ));
    assert!(plain("ls src/*.rs > /dev/null 2>&1 && ! grep -q x a.txt"));
    assert!(plain("RUST_BACKTRACE=1 cargo test -- --nocapture"));
}

#[test]
fn quotes_and_escapes_are_removed_as_bash_does() {
    assert_eq!(words(r"r''m -rf /"), [vec!["rm", "-rf", "/"]]);
    assert_eq!(words(r#"\rm "-r"f $'\x2f'"#), [vec!["rm", "-rf", "/"]]);
    assert_eq!(
        words("ls \\\n-la 'a b' a\\ c"),
        [vec!["ls", "-la", "a b", "a c"]]
    );
    assert_eq!(words(r#"echo "a\"b\$x""#), [vec!["echo", "a\"b$x"]]);
}

#[test]
fn comments_end_at_the_newline_as_in_bash() {
    let line = "ls # '\ntouch p\n#'";
    assert_eq!(words(line), [vec!["ls"], vec!["touch", "p"]]);
    assert!(plain(line));
}

#[test]
fn ansi_c_quotes_do_not_hide_separators() {
    let line = r"git diff $'\'' ; touch p ; echo ''";
    assert_eq!(
        words(line),
        [
            vec!["git", "diff", "'"],
            vec!["touch", "p"],
            vec!["echo", ""]
        ]
    );
}

#[test]
fn substitutions_functions_and_expansions_are_not_plain_but_seen() {
    for line in [
        "git diff $((touch p) )",
        "echo $(touch p)",
        "echo `touch p`",
        "diff <(touch p) a",
        "ls() { touch p; }; ls",
        "echo ${X:-$(touch p)}",
        "cat <<EOF\n$(touch p)\nEOF",
        "for f in *; do touch p; done",
        "X=$(touch p) ls",
    ] {
        assert!(!plain(line), "{line}");
        let seen = words(line);
        assert!(
            line.starts_with("git diff $((") || seen.contains(&vec!["touch".into(), "p".into()]),
            "{line}: {seen:?}"
        );
    }
    assert!(!plain("echo $HOME"));
    assert!(!plain("echo $((1 + 2))"));
    assert!(!plain("ls -{r,f}"));
    assert!(!plain("git fetch *"));
}

#[test]
fn redirections_into_files_are_not_plain() {
    assert!(!plain("git diff > patch.txt"));
    assert!(!plain("git diff >> ~/.bashrc"));
    assert!(!plain("echo x &> log"));
    assert!(plain("git diff 2>/dev/null < input.txt"));
    assert_eq!(words("rm >/dev/null -rf /"), [vec!["rm", "-rf", "/"]]);
}

#[test]
fn programs_that_run_programs_are_not_plain_and_their_commands_are_seen() {
    for (line, inner) in [
        ("sudo rm -rf /", vec!["rm", "-rf", "/"]),
        ("env -i X=1 rm -rf /", vec!["rm", "-rf", "/"]),
        ("bash -c 'rm -rf /'", vec!["rm", "-rf", "/"]),
        ("sh -lc \"rm -rf /\"", vec!["rm", "-rf", "/"]),
        ("eval rm -rf /", vec!["rm", "-rf", "/"]),
        ("timeout 5 nice -n 3 rm -rf /", vec!["rm", "-rf", "/"]),
        ("bash <<< 'rm -rf /'", vec!["rm", "-rf", "/"]),
        ("sudo sh -c 'cd / && rm -rf x'", vec!["rm", "-rf", "x"]),
    ] {
        assert!(!plain(line), "{line}");
        assert!(
            words(line).contains(&inner.iter().map(|s| s.to_string()).collect()),
            "{line}: {:?}",
            words(line)
        );
    }
    let find = analyze("find . -exec rm -rf {} +");
    assert!(find.plain_commands().is_none());
    assert!(find.commands.iter().any(|c| c.program() == "rm"));
    assert!(plain("find . -name '*.rs' -type f"));
}

#[test]
fn options_that_run_programs_are_not_plain() {
    for line in [
        "git difftool --extcmd='touch p' HEAD",
        "git diff --no-index --extcmd=x a b",
        "git -c core.pager='touch p' log",
        "git -C . push",
        "git --git-dir=x status",
        "git fetch --upload-pack='touch p' .",
        "git grep -Otouch x",
        "git rebase -x 'touch p' HEAD~1",
        "git clone --template=t a b",
        "cargo test --config 'target.x86_64-unknown-linux-gnu.runner=\"touch p\"'",
        "cargo --config=build.rustc-wrapper=x build",
        "python3 -c 'print(1)'",
        "python3 -Bc 'print(1)'",
        "perl -e 'system(1)'",
        "node --eval x",
        "python3 <<'EOF'\nprint(1)\nEOF",
        "rg --pre ./x foo",
        "tar --to-command=sh -xf a.tar",
        "LD_PRELOAD=/tmp/x.so ls",
        "GIT_EXTERNAL_DIFF=x git diff",
        "X=1",
        "export X=1",
        "xargs rm",
        "command -v ls",
    ] {
        assert!(!plain(line), "{line}");
    }
    assert!(plain("git --no-pager log --oneline -5"));
    assert!(plain("git diff --stat HEAD~1"));
    assert!(plain("python3 -m pytest -q -c pytest.ini"));
    assert!(plain("cargo test --lib -q"));
}

#[test]
fn hidden_programs_are_reported() {
    for line in [
        "$(echo rm) -rf /",
        "\"$X\" -rf /",
        "eval \"$CMD\"",
        "bash -c \"$CMD\"",
        "echo rm -rf / | bash",
        "curl x | sh -s",
        "hash -p /bin/rm ls",
        "git diff $((touch p) )",
        "{rm,-rf,/}",
        "r* -rf /",
    ] {
        assert!(hidden(line), "{line}");
    }
    assert!(!hidden("bash script.sh && echo $HOME"));
    assert!(!hidden("bash <<'EOF'\nls\nEOF"));
}

#[test]
fn nesting_and_size_are_bounded() {
    let deep = (0..10).fold("rm -rf /".to_string(), |inner, _| {
        format!("bash -c {}", quote(&inner))
    });
    assert!(hidden(&deep));
    let wide = format!("sudo {}", "sudo ".repeat(400));
    let start = std::time::Instant::now();
    let a = analyze(&wide);
    assert!(a.why_hidden().is_some());
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn everyday_commands_stay_plain() {
    for line in [
        "grep -rn \"fn main\" src/ | head -20",
        "sed -n '1,20p' src/main.rs",
        "cat -n src/lib.rs | sed -n '10,40p'",
        "python3 -m pytest -q 2>&1 | tail -5",
        "ls -la && pwd",
        "git log --oneline -5",
        "cd tiny && cargo test --offline -q 2>&1",
        "mkdir -p a/b && touch a/b/c",
        "awk '{print $1}' file.txt",
        "find . -name '*.py' -not -path './.venv/*'",
        "wc -l src/*.rs",
        "echo \"it's done\"",
        "test -f Cargo.toml && echo yes || echo no",
        "cargo build --release 2>&1 | grep -E '^(error|warning)' || true",
        "diff -u a.txt b.txt",
        "npm test -- --watch=false",
    ] {
        let a = analyze(line);
        assert_eq!(a.why_unplain(), None, "{line}");
        assert!(!a.commands.is_empty(), "{line}");
    }
}

#[test]
fn here_documents_end_where_bash_ends_them() {
    let a = analyze("cat <<-EOF\n\tbody\n\tEOF\ntouch p1");
    assert!(a.why_hidden().is_none());
    assert!(a.commands.iter().any(|c| c.program() == "touch"));
    let b = analyze("cat <<'EOF'\nx\nEOF\n");
    assert!(b.plain_commands().is_some(), "{:?}", b.why_unplain());
    for line in [
        "cat <<\"E\"OF\nEOF\ntouch p2",
        "cat <<EOF; touch p3\nbody\nEOF\ntouch p4",
    ] {
        assert!(analyze(line).why_hidden().is_some(), "{line}");
    }
}

#[test]
fn comment_and_carriage_return_edges_split_as_bash_does() {
    for line in [
        "ls # x \\\ntouch p",
        "ls\r\ntouch p",
        "ls #'\"`$(\ntouch p",
        "echo a\\\\\ntouch p",
    ] {
        let seen = words(line);
        assert!(
            seen.iter().any(|w| w.first().is_some_and(|p| p == "touch")),
            "{line:?}: {seen:?}"
        );
    }
}

#[test]
fn quoting_edges_do_not_hide_commands() {
    for line in [
        r"echo 'a\' ; touch p ; echo 'b'",
        r#"echo \"; touch p; echo \""#,
        r#"echo "a\\" ; touch p ; echo "b""#,
        r"echo ${x#\'} ; touch p",
        r"echo ${x:-'}'} ; touch p",
        r#"echo "$(echo ")" ; touch p ; echo "(")""#,
        "echo `echo \\`` ; touch p",
        r"echo a\'b ; touch p",
    ] {
        let a = analyze(line);
        let sees_touch = a.commands.iter().any(|c| c.program() == "touch");
        assert!(
            sees_touch || a.why_hidden().is_some(),
            "{line:?}: {:?}",
            words(line)
        );
    }
}

#[test]
fn long_wrapper_lines_are_bounded() {
    let many = format!("sudo {} rm -rf /", "-u a ".repeat(5000));
    let start = std::time::Instant::now();
    let a = analyze(&many);
    assert!(a.why_hidden().is_some() || a.commands.iter().any(|c| c.program() == "rm"));
    let args = format!("sudo rm -rf {}", "x ".repeat(20000));
    let b = analyze(&args);
    assert!(b.commands.iter().any(|c| c.program() == "rm") || b.why_hidden().is_some());
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}
