//! Checkpoints as the session takes them: before every step that may change the workspace (a
//! write tool or a shell command), and once at the end of a turn that changed something, so
//! `reins diff` and `reins undo` cover every change, shell commands included. A failing store is
//! a warning, never a failed step: the work matters more than its undo record.

use super::events::Emit;
use super::events::Event;
use super::session::Session;
use crate::conversation::ToolCall;

impl Session {
    /// Whether any of these calls may change the workspace.
    pub(super) fn mutates_any(&self, calls: &[ToolCall]) -> bool {
        calls.iter().any(|c| {
            self.setup
                .tools
                .registry
                .get(&c.name)
                .is_none_or(|t| t.effects(&c.parsed_arguments()).edits)
        })
    }

    /// Records the workspace now; emits `checkpoint` when files changed since the last one.
    pub(super) async fn checkpoint(&mut self, label: &str, emit: Emit<'_>) {
        let Some(store) = self.checkpoints.take() else {
            return;
        };
        let (id, step, label_owned) = (
            self.setup.record.id.clone(),
            self.turn.steps(),
            label.to_string(),
        );
        let joined = tokio::task::spawn_blocking(move || {
            // The store may still be opening (see `Checkpoints`); a store that cannot be opened
            // costs undo, not the session.
            let mut store = store.wait()?;
            let r = store.checkpoint(&id, step, &label_owned);
            Ok::<_, crate::store::CheckpointError>((store, r))
        })
        .await;
        match joined {
            Ok(Ok((store, result))) => {
                self.checkpoints = Some(store.into());
                match result {
                    Ok(cp) if !cp.files_changed.is_empty() => {
                        // Commands change files too; the checkpoint is where those show.
                        self.thread_files(&[], &cp.files_changed);
                        emit(Event::Checkpoint {
                            id: cp.id,
                            step: cp.step,
                            files_changed: cp.files_changed,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => emit(Event::Warning {
                        message: format!("checkpoint failed (undo may miss this step): {e}"),
                    }),
                }
            }
            Ok(Err(e)) => emit(Event::Warning {
                message: format!(
                    "checkpoints are off for this session (reins undo will not cover it): {e}"
                ),
            }),
            Err(e) => emit(Event::Warning {
                message: format!("checkpoint failed: {e}"),
            }),
        }
        self.turn.mark_checkpointed();
    }
}
