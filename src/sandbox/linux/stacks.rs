//! Stacks for the children that borrow reins' memory (`borrow`'s waiting processes, the
//! namespace probe's child): one anonymous mapping, each stack above an inaccessible guard
//! page, so that an overflow faults instead of writing what lies below.

/// Each stack: its child only waits, or enters namespaces, and exits.
const STACK_BYTES: usize = 64 * 1024;
const GUARD_BYTES: usize = 4096;

/// The mapping; unmapped when dropped, unless [`GuardedStacks::keep`] kept it.
pub(super) struct GuardedStacks {
    base: *mut libc::c_void,
    len: usize,
}

impl GuardedStacks {
    /// Maps `count` stacks; `None` when the mapping or a guard cannot be made.
    pub(super) fn map(count: usize) -> Option<Self> {
        let len = count * (GUARD_BYTES + STACK_BYTES);
        // SAFETY: a fresh private anonymous mapping; its guard pages are made inaccessible
        // within it, and it is unmapped (by drop) when that fails.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return None;
            }
            let stacks = GuardedStacks { base, len };
            let guarded = (0..count).all(|i| {
                let guard = base.wrapping_byte_add(i * (GUARD_BYTES + STACK_BYTES));
                libc::mprotect(guard, GUARD_BYTES, libc::PROT_NONE) == 0
            });
            guarded.then_some(stacks)
        }
    }

    /// The top of stack `i` (a stack grows down from it), 16-byte aligned as the ABI wants.
    pub(super) fn top(&self, i: usize) -> usize {
        self.base as usize + (i + 1) * (GUARD_BYTES + STACK_BYTES)
    }

    /// Keeps the mapping for the rest of the process (stacks used in forked children).
    pub(super) fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for GuardedStacks {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`; whoever dropped it uses its stacks no more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each stack's top is aligned and has an inaccessible page right below the stack.
    #[test]
    fn every_stack_is_aligned_and_guarded() {
        let stacks = GuardedStacks::map(2).unwrap();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for i in 0..2 {
            let top = stacks.top(i);
            assert_eq!(top % 16, 0);
            let guard = format!("{:x}-", top - STACK_BYTES - GUARD_BYTES);
            let line = maps.lines().find(|l| l.starts_with(&guard));
            assert!(
                line.is_some_and(|l| l.split_whitespace().nth(1) == Some("---p")),
                "no inaccessible page below stack {i}: {line:?}"
            );
        }
        assert_eq!(stacks.top(1) - stacks.top(0), GUARD_BYTES + STACK_BYTES);
    }
}
