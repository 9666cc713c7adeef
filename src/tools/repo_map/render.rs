//! The map as text within a token budget: the best-ranked definitions grouped by file (files in
//! rank order, definitions in line order, each as `line│source line`), then the names of other
//! highly ranked files while room is left. How many definitions fit is found by bisection.

use super::index::Index;
use super::rank::Ranking;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Tokens estimated as bytes / 4, as compaction estimates them.
pub fn tokens(s: &str) -> usize {
    s.len().div_ceil(4)
}

pub fn render(index: &Index, ranking: &Ranking, max_tokens: usize) -> String {
    let (mut lo, mut hi) = (0, ranking.defs.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if tokens(&with_defs(index, ranking, mid)) <= max_tokens {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut out = with_defs(index, ranking, lo);
    let shown: HashSet<&str> = ranking.defs[..lo].iter().map(|d| d.file.as_str()).collect();
    let mut used = tokens(&out);
    let mut omitted = 0;
    for (file, _) in &ranking.files {
        if shown.contains(file.as_str()) {
            continue;
        }
        let line = format!("{file}\n");
        if used + tokens(&line) <= max_tokens {
            used += tokens(&line);
            out.push_str(&line);
        } else {
            omitted += 1;
        }
    }
    if omitted > 0 {
        let note = format!("… {omitted} more files not shown\n");
        if used + tokens(&note) <= max_tokens {
            out.push_str(&note);
        }
    }
    out
}

/// The top `k` definitions, grouped by file.
fn with_defs(index: &Index, ranking: &Ranking, k: usize) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut names: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for d in &ranking.defs[..k] {
        let set = names.entry(d.file.as_str()).or_insert_with(|| {
            order.push(d.file.as_str());
            BTreeSet::new()
        });
        set.insert(d.name.as_str());
    }
    let mut out = String::new();
    for file in order {
        let Some(entry) = index.files.get(file) else {
            continue;
        };
        out.push_str(file);
        out.push_str(":\n");
        let wanted = &names[file];
        for d in entry
            .tags
            .defs
            .iter()
            .filter(|d| wanted.contains(d.name.as_str()))
        {
            out.push_str(&format!("{:>5}│{}\n", d.line, d.text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::repo_map::index::Entry;
    use crate::tools::repo_map::rank::{rank, Focus};
    use crate::tools::repo_map::tags::{Def, FileTags};

    fn idx(n: usize) -> Index {
        let mut index = Index::default();
        for i in 0..n {
            let defs = vec![Def {
                name: format!("shared_name_{i}"),
                line: 3,
                text: format!("pub fn shared_name_{i}() {{"),
            }];
            let refs = (0..n)
                .filter(|j| *j != i)
                .map(|j| format!("shared_name_{j}"))
                .collect();
            index.files.insert(
                format!("src/f{i:02}.rs"),
                Entry {
                    mtime_ns: 1,
                    size: 1,
                    tags: FileTags { defs, refs },
                },
            );
        }
        index
    }

    #[test]
    fn stays_within_the_budget_and_grows_with_it() {
        let index = idx(40);
        let ranking = rank(&index, &Focus::default());
        let small = render(&index, &ranking, 100);
        let big = render(&index, &ranking, 2000);
        assert!(tokens(&small) <= 100, "{}", tokens(&small));
        assert!(tokens(&big) <= 2000);
        assert!(big.matches('│').count() > small.matches('│').count());
        assert!(big.contains("    3│pub fn shared_name_"), "{big}");
    }

    #[test]
    fn a_tiny_budget_still_names_files() {
        let index = idx(5);
        let ranking = rank(&index, &Focus::default());
        let out = render(&index, &ranking, 8);
        assert!(tokens(&out) <= 8);
    }
}
