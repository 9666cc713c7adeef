//! Walks that stay on one thread while the tree is small. The parallel walker pays for starting
//! its threads and, when it finds no work, sleeps 1 ms: more than a small workspace's whole walk.
//! So a walk whose size is not known starts on this thread and, past a few thousand entries,
//! gives up to be done again on every core.

/// Past this many entries a walk is worth one thread per core.
pub(crate) const PARALLEL_FROM_ENTRIES: usize = 4_000;

/// Walks `builder` on this thread, giving each entry to `each`; `false` as soon as it meets
/// `limit` entries (what `each` got is then partial: walk again in parallel).
pub(crate) fn walk_within(
    builder: &ignore::WalkBuilder,
    limit: usize,
    mut each: impl FnMut(&ignore::DirEntry),
) -> bool {
    for (met, entry) in builder.build().flatten().enumerate() {
        if met + 1 >= limit {
            return false;
        }
        each(&entry);
    }
    true
}

/// Readies, ahead of the first walk, what every walk's start needs once per process: where the
/// user's global git excludes are, found by a pattern compiled on first use (a few hundred
/// microseconds, which the session's first checkpoint or search would otherwise wait for).
pub(crate) fn warm() {
    let _ = ignore::gitignore::gitconfig_excludes_path();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_gives_up_at_its_limit_and_not_below() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            std::fs::write(dir.path().join(format!("f{i}")), "").unwrap();
        }
        let builder = ignore::WalkBuilder::new(dir.path());
        let mut seen = 0;
        assert!(walk_within(&builder, 100, |_| seen += 1));
        assert_eq!(seen, 21, "the root and its 20 files");
        assert!(!walk_within(&builder, 10, |_| {}));
    }
}
