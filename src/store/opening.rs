//! A checkpoint store opened on a thread of its own. A workspace's first session creates the
//! store (a git repository: directories, config, `HEAD`, a lock), which is a dozen file-system
//! writes; nothing needs the store before the first step that may change files, so the session
//! asks the model first and waits for the store only at its first checkpoint.

use super::{CheckpointError, CheckpointStore};
use std::path::PathBuf;
use std::thread::JoinHandle;

/// The store of a session: being opened, or open (boxed: the store is large, and a session
/// moves this between its turns and the threads that checkpoint).
pub enum Checkpoints {
    Opening(JoinHandle<Result<CheckpointStore, CheckpointError>>),
    Open(Box<CheckpointStore>),
}

impl Checkpoints {
    /// Starts opening (creating on first use) the store of `workspace` under `reins_home`. A
    /// thread that cannot be started opens it here instead.
    pub fn open_in_background(
        reins_home: PathBuf,
        workspace: PathBuf,
    ) -> Result<Self, CheckpointError> {
        let spawned = std::thread::Builder::new()
            .name("reins-checkpoints".into())
            .spawn({
                let (home, ws) = (reins_home.clone(), workspace.clone());
                move || {
                    let store = CheckpointStore::open(&home, &ws);
                    // The first checkpoint walks the workspace: ready that walk's start too.
                    crate::small_walk::warm();
                    store
                }
            });
        match spawned {
            Ok(handle) => Ok(Checkpoints::Opening(handle)),
            Err(_) => CheckpointStore::open(&reins_home, &workspace).map(Checkpoints::from),
        }
    }

    /// The open store, waiting for the thread that opens it if need be.
    pub fn wait(self) -> Result<CheckpointStore, CheckpointError> {
        match self {
            Checkpoints::Open(store) => Ok(*store),
            Checkpoints::Opening(handle) => handle.join().unwrap_or_else(|_| {
                Err(CheckpointError::Io {
                    context: "opening the checkpoint store".into(),
                    source: std::io::Error::other("the thread opening it panicked"),
                })
            }),
        }
    }
}

impl From<CheckpointStore> for Checkpoints {
    fn from(store: CheckpointStore) -> Self {
        Checkpoints::Open(Box::new(store))
    }
}
