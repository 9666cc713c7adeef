//! The interactive terminal UI: `reins` without a subcommand. A second consumer of the same core
//! events as `exec`: the session runs in its own task (`engine`), the UI task draws and reads
//! keys (`app`), and the two talk over channels.
//!
//! Frames are drawn when something happened, never in a busy loop: at once after a key, and on a
//! 60 ms tick while a turn streams, so a fast model coalesces into ~16 frames a second instead of
//! a frame per token.

pub mod app;
pub mod approval;
mod approvals;
pub mod attach;
pub mod commands;
pub mod composer;
pub mod context;
pub mod diff_view;
mod feed;
pub mod fuzzy;
pub mod highlight;
pub mod history;
pub mod hunks;
pub mod init;
mod keys;
pub mod markdown;
mod messages;
mod modal;
pub mod overlay;
pub mod pasted_image;
pub mod picker;
pub mod plan;
pub mod popup;
mod quit;
pub mod routes;
pub mod screen;
pub mod session_link;
mod slash;
pub mod status;
pub mod terminal;
pub mod theme;
pub mod transcript;
pub mod wrap;

use crate::cli::{GlobalArgs, TuiArgs};
use crate::engine::{self, ChannelApprover, Overrides, SharedApprover, UiMsg};
use crate::frontend::session_builder::Factory;
use crate::frontend::setup::{self, SandboxFlags};
use crate::frontend::ExitError;
use app::{App, AppContext};
use futures_util::StreamExt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Frame interval while streaming or animating.
pub const FRAME: Duration = Duration::from_millis(60);
/// How long quitting waits for an interrupted turn to wind down (its command killed).
const QUIT_GRACE: Duration = Duration::from_secs(2);

/// `reins` without a subcommand: the TUI when both ends are terminals, else a hint (exit 2), so
/// a pipe is never garbled.
pub async fn run(args: TuiArgs, global: GlobalArgs) -> Result<i32, ExitError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(ExitError::usage(
            "not a terminal: use `reins exec \"TASK\"` for headless runs (see reins --help)",
        ));
    }
    let images = crate::frontend::user_image::read_all(&args.place.image)
        .map_err(|e| ExitError::usage(e.to_string()))?;
    let global = setup::in_worktree(global, args.place.worktree.as_deref())?;
    let ws = setup::workspace(&global)?;
    let (canceller, cancel) = crate::cancel::pair();
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    let review_tx = ui_tx.clone();
    let cfg = &ws.loaded.config;
    let mut ctx = AppContext {
        root: ws.root.clone(),
        home: ws.home.clone(),
        models: cfg.models.keys().cloned().collect(),
        memory_cap: cfg
            .memory_cap_bytes
            .unwrap_or(crate::store::memory::DEFAULT_CAP_BYTES),
        router: match (&args.model.route, &cfg.router) {
            (Some(name), _) => format!("router `{name}` (--route)"),
            (None, Some(_)) => "the configured [router]".to_string(),
            (None, None) => String::new(),
        },
        ..AppContext::default()
    };
    let sandbox = SandboxFlags::from(args.sandbox);
    let policy = setup::policy(&ws, sandbox);
    let (commands, command_warnings) = commands::load_checked(&policy, ws.home.as_deref());
    let mcp = crate::frontend::mcp::start(&ws, sandbox)?;
    let mcp_view = mcp.clone();
    let telemetry = crate::telemetry::Telemetry::new(&ws.loaded.config.telemetry);
    let factory = Factory {
        telemetry: telemetry.clone(),
        ws,
        model: args.model.model.clone(),
        route: args.model.route.clone(),
        max_cost: None,
        max_steps: None,
        sandbox,
        default_approval: crate::sandbox::approval::Approval::OnRequest,
        approver: SharedApprover(std::sync::Arc::new(ChannelApprover::new(
            ui_tx.clone(),
            cancel.clone(),
        ))),
        cancel,
        mcp,
        first_only: Default::default(),
        files: None,
    };
    let mut built = factory.build_session(setup::resume_of(&args.resume), Overrides::default())?;
    built.warnings.extend(command_warnings);
    let files = fuzzy::FileIndex::start(&ctx.root);
    let engine = engine::spawn(built, Box::new(factory), canceller, ui_tx);
    let theme = theme::Theme::from_env();
    if theme.color {
        std::thread::spawn(highlight::preload);
    }
    ctx.mcp = Some(mcp_view);
    ctx.policy = Some(policy);
    ctx.review = Some(crate::frontend::review::Launcher::new(global, review_tx));
    let mut app = App::new(ctx, engine, theme, commands, files);
    match args.prompt {
        Some(text) => app
            .session
            .submit_when_open(crate::conversation::Prompt { text, images }),
        None => {
            for image in images {
                let name = image.name.clone();
                app.screen.composer.attach_image(&name, image);
            }
        }
    }
    let mut tui = terminal::Tui::enter()
        .map_err(|e| ExitError::failure(format!("cannot set up the terminal: {e}")))?;
    let result = event_loop(&mut tui, &mut app, ui_rx).await;
    drop(tui);
    if let Some(warning) = telemetry.shutdown() {
        eprintln!("reins: {warning}");
    }
    // After the alternate screen is gone, so the hint stays in the shell's scrollback.
    if let Some(hint) = app.resume_hint() {
        println!("{hint}");
    }
    result.map(|()| 0)
}

async fn event_loop(
    tui: &mut terminal::Tui,
    app: &mut App,
    mut ui_rx: mpsc::UnboundedReceiver<UiMsg>,
) -> Result<(), ExitError> {
    let mut input = crossterm::event::EventStream::new();
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut pending = false;
    loop {
        if dirty {
            tui.terminal
                .draw(|f| app.draw(f, Instant::now()))
                .map_err(|e| ExitError::failure(format!("cannot draw: {e}")))?;
            dirty = false;
        }
        if app.should_quit() {
            wind_down(app, &mut ui_rx).await;
            return Ok(());
        }
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => {
                    app.on_terminal(ev);
                    dirty = true;
                }
                Some(Err(e)) => return Err(ExitError::failure(format!("cannot read the terminal: {e}"))),
                None => return Ok(()),
            },
            msg = ui_rx.recv() => match msg {
                Some(m) => {
                    app.on_engine(m);
                    while let Ok(m) = ui_rx.try_recv() {
                        app.on_engine(m);
                    }
                    // While a turn streams the tick draws; otherwise at once.
                    if app.session.is_working() {
                        pending = true;
                    } else {
                        dirty = true;
                    }
                }
                None => return Err(ExitError::failure("the session stopped unexpectedly")),
            },
            _ = tick.tick(), if pending || app.animating(Instant::now()) => {
                app.screen.composer.refresh_files();
                dirty = true;
                pending = false;
            }
        }
    }
}

/// Quitting interrupts a running turn, then shuts the engine down and waits briefly for it to
/// kill the running command and record the end of the session (`session.finished`).
async fn wind_down(app: &mut App, ui_rx: &mut mpsc::UnboundedReceiver<UiMsg>) {
    if app.session.is_working() {
        app.session.interrupt();
    }
    app.session.send(engine::Op::Shutdown);
    let _ = tokio::time::timeout(QUIT_GRACE, async {
        while let Some(m) = ui_rx.recv().await {
            if matches!(m, UiMsg::Closed) {
                break;
            }
        }
    })
    .await;
}
