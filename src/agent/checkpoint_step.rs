//! Checkpoints as the session takes them: before every step that may change the workspace (a
//! write tool or a shell command), and once at the end of a turn that changed something, so
//! `reins diff` and `reins undo` cover every change, shell commands included. A failing store is
//! a warning, never a failed step: the work matters more than its undo record.

use super::events::{Emit, Event};

/// The session's checkpoint store, if it has one (`None`: no undo).
pub(super) struct Checkpointer {
    store: Option<crate::store::Checkpoints>,
}

impl Checkpointer {
    /// `store` may still be opening (see [`crate::store::Checkpoints`]).
    pub(super) fn new(store: Option<crate::store::Checkpoints>) -> Self {
        Checkpointer { store }
    }

    /// Records the workspace now as step `step` of session `id`; emits `checkpoint` when files
    /// changed since the last one, after `changed` was told which (commands change files too;
    /// the checkpoint is where those show). Returns whether the session has a store (a turn
    /// that took a checkpoint records its end too).
    pub(super) async fn take(
        &mut self,
        id: &str,
        step: u32,
        label: &str,
        changed: impl FnOnce(&[String]),
        emit: Emit<'_>,
    ) -> bool {
        let Some(store) = self.store.take() else {
            return false;
        };
        let (id, label) = (id.to_string(), label.to_string());
        let joined = tokio::task::spawn_blocking(move || {
            // The store may still be opening; a store that cannot be opened costs undo, not the
            // session.
            let mut store = store.wait()?;
            let r = store.checkpoint(&id, step, &label);
            Ok::<_, crate::store::CheckpointError>((store, r))
        })
        .await;
        match joined {
            Ok(Ok((store, result))) => {
                self.store = Some(store.into());
                match result {
                    Ok(cp) if !cp.files_changed.is_empty() => {
                        changed(&cp.files_changed);
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
        true
    }
}
