//! SIGINT, SIGTERM and SIGHUP end a headless session the same way: the first cancels the turn
//! (the running command's process group is killed, `session.finished` is written with
//! `interrupted`, the transcript is closed) and the process exits 128 + the signal's number, as
//! shells and CI runners expect (`timeout` sends SIGTERM, a closed terminal SIGHUP). A second
//! signal, or a wind-down that takes longer than [`GRACE`], exits at once after killing every
//! command still running, so nothing is ever left behind under PID 1.

use crate::cancel::Canceller;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// How long the session may take to wind down after the first signal before reins exits anyway.
pub const GRACE: Duration = Duration::from_secs(5);

/// A signal that stops a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    Hangup,
}

impl StopSignal {
    /// 128 + the signal number: the code a shell reports for a process the signal ended.
    pub fn exit_code(self) -> i32 {
        128 + match self {
            StopSignal::Interrupt => libc::SIGINT,
            StopSignal::Terminate => libc::SIGTERM,
            StopSignal::Hangup => libc::SIGHUP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }
}

/// What to do on a signal, given the first one received (if any).
#[derive(Debug, PartialEq, Eq)]
enum Action {
    /// Cancel the turn and let the session finish.
    Cancel,
    /// Kill every running command and exit now with this code.
    ExitNow(i32),
}

fn on_signal(first: Option<StopSignal>, this: StopSignal) -> Action {
    match first {
        None => Action::Cancel,
        Some(_) => Action::ExitNow(this.exit_code()),
    }
}

/// Which signal stopped the session; read at the end to pick the exit code.
#[derive(Debug, Clone, Default)]
pub struct Received(Arc<OnceLock<StopSignal>>);

impl Received {
    pub fn get(&self) -> Option<StopSignal> {
        self.0.get().copied()
    }

    /// The exit code of a session that ended with `code`: an interrupt a signal caused exits
    /// with that signal's code.
    pub fn exit_code(&self, interrupted: bool, code: i32) -> i32 {
        match self.get() {
            Some(s) if interrupted => s.exit_code(),
            _ => code,
        }
    }
}

/// Listens for the three signals from now on (replacing their default actions, which would kill
/// reins and leave its commands running); the first cancels through `canceller`.
pub fn listen(canceller: Canceller) -> std::io::Result<Received> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let received = Received::default();
    let first = received.clone();
    tokio::spawn(async move {
        loop {
            let this = tokio::select! {
                Some(()) = int.recv() => StopSignal::Interrupt,
                Some(()) = term.recv() => StopSignal::Terminate,
                Some(()) = hup.recv() => StopSignal::Hangup,
                else => return,
            };
            match on_signal(first.get(), this) {
                Action::Cancel => {
                    let _ = first.0.set(this);
                    eprintln!(
                        "{}reins: {}: stopping the session (send it again to exit at once)",
                        erase_status_line(),
                        this.name()
                    );
                    canceller.cancel();
                    tokio::spawn(async move {
                        tokio::time::sleep(GRACE).await;
                        eprintln!(
                            "reins: the session did not stop within {} s; exiting",
                            GRACE.as_secs()
                        );
                        exit_now(this.exit_code());
                    });
                }
                Action::ExitNow(code) => {
                    eprintln!("reins: {}: exiting at once", this.name());
                    exit_now(code);
                }
            }
        }
    });
    Ok(received)
}

/// On a terminal, the escape that erases the status line the trace may be showing, so the
/// message does not run into it (the status line is redrawn at its next tick).
fn erase_status_line() -> &'static str {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        "\r\u{1b}[2K"
    } else {
        ""
    }
}

/// Exits without waiting for the session: kills what it runs and removes its private temp dirs
/// first, since no destructor runs after this.
fn exit_now(code: i32) -> ! {
    crate::process_group::kill_all();
    crate::sandbox::remove_private_tmp();
    std::process::exit(code)
}

/// Lets a write past the file-size limit (`ulimit -f`) fail with `EFBIG` instead of killing
/// reins with SIGXFSZ: the session can then say that its transcript could not be written and
/// stop cleanly. A handler, not `SIG_IGN`, so that commands reins starts get the default again
/// when they exec.
pub fn survive_file_size_limit() {
    extern "C" fn ignore(_: libc::c_int) {}
    // SAFETY: installs an async-signal-safe handler that does nothing; `action` is fully
    // initialised (zeroed, then the handler set) before the call.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGXFSZ, &action, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(StopSignal::Interrupt.exit_code(), 130);
        assert_eq!(StopSignal::Terminate.exit_code(), 143);
        assert_eq!(StopSignal::Hangup.exit_code(), 129);
    }

    #[test]
    fn the_first_signal_cancels_and_the_second_exits_with_its_own_code() {
        assert_eq!(on_signal(None, StopSignal::Terminate), Action::Cancel);
        assert_eq!(
            on_signal(Some(StopSignal::Terminate), StopSignal::Interrupt),
            Action::ExitNow(130)
        );
    }

    #[test]
    fn only_an_interrupted_session_takes_the_signal_code() {
        let r = Received::default();
        assert_eq!(r.exit_code(true, 130), 130);
        let _ = r.0.set(StopSignal::Hangup);
        assert_eq!(r.exit_code(true, 130), 129);
        assert_eq!(r.exit_code(false, 0), 0);
    }
}
