//! `reins review`: the flags, the trace on stderr, and the report's faces (text, `--json`,
//! SARIF, GitHub annotations, the exit code); the review itself is [`crate::frontend::review`].

use super::display;
use crate::agent::{Event, Status};
use crate::cli::{GlobalArgs, ReviewArgs};
use crate::frontend::review::{review, Failure, Prepared, Runner, Seen, Settings};
use crate::frontend::{setup, ExitError};
use crate::review::report::Report;
use crate::review::scope::Scope;
use std::io::Write;

/// The exit code when a finding reaches `--fail-on`.
pub const FINDINGS_EXIT: i32 = 7;

/// Runs the review and returns the process exit code.
pub async fn run(args: ReviewArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let settings = Settings::resolve(&args, &ws.loaded.config.review);
    let scope = match (&args.scope.base, &args.scope.commit) {
        (Some(b), _) => Scope::Base(b.clone()),
        (None, Some(c)) => Scope::Commit(c.clone()),
        (None, None) => Scope::Uncommitted,
    };
    let change = Prepared::new(&global, &settings, scope)?;
    let (canceller, cancel) = crate::cancel::pair();
    let signalled = crate::frontend::stop_signals::listen(canceller.clone())
        .map_err(|e| ExitError::failure(format!("cannot listen for signals: {e}")))?;
    let mut progress =
        (!(args.report.quiet || args.report.json)).then(|| super::progress::Progress::new(false));
    let quiet = args.report.quiet;
    let observe = Box::new(move |seen: Seen<'_>| match seen {
        Seen::Event(e) => match (progress.as_mut(), e) {
            (Some(p), _) => p.emit(e),
            (None, Event::Error { message, .. }) => {
                eprintln!("reins: {}", display::neutralize(message))
            }
            // With --json the report owns stdout; a warning still reaches stderr.
            (None, Event::Warning { message }) if !quiet => {
                eprintln!("reins: warning: {}", display::neutralize(message))
            }
            (None, _) => {}
        },
        Seen::Note(m) => eprintln!("reins: {}", display::neutralize(m)),
    });
    let runner = Runner::new(&change, canceller, cancel, observe);
    let report = match review(&settings, &change, runner).await {
        Ok(r) => r,
        Err(Failure::Exit(e)) => return Err(e),
        Err(f @ Failure::Session(status, _)) => {
            eprintln!("reins: {}", f.describe());
            return Ok(signalled.exit_code(status == Status::Interrupted, status.exit_code()));
        }
    };
    publish(&args, &report)?;
    Ok(if report.fails(settings.fail_on) {
        FINDINGS_EXIT
    } else {
        0
    })
}

/// Prints the report (text or JSON), writes the SARIF file, and in GitHub Actions adds one
/// annotation per finding on stderr.
fn publish(args: &ReviewArgs, report: &Report) -> Result<(), ExitError> {
    if let Some(path) = &args.report.sarif {
        let text = serde_json::to_string_pretty(&crate::review::sarif::log(&report.findings))
            .map_err(|e| ExitError::failure(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| ExitError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.report.json {
        let text = serde_json::to_string(report).map_err(|e| ExitError::failure(e.to_string()))?;
        let _ = writeln!(stdout, "{text}");
    } else {
        let _ = write!(stdout, "{}", report.human(display::for_stdout));
        if !args.report.quiet {
            for note in report.dropped_notes(display::neutralize) {
                eprintln!("{note}");
            }
        }
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for line in report.annotations() {
            eprintln!("{line}");
        }
    }
    Ok(())
}
