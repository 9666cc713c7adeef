//! Ranking definitions by the reference graph, as aider's repo map does: files are nodes, an
//! edge goes from a file that refers to a name to each file that defines it, and a personalised
//! PageRank finds the files (and the definitions in them) the rest of the code leans on most.
//! The walk restarts at the files the session is working on and weighs the names it mentioned,
//! so the map is about the task at hand, not only about the repository's centre.

use super::index::Index;
use std::collections::{BTreeSet, HashMap};

const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 40;

/// What the session is working on: files (workspace-relative) and names.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    pub files: BTreeSet<String>,
    pub names: BTreeSet<String>,
}

/// A definition's score: the file, the name, and how much rank flows to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub file: String,
    pub name: String,
    pub score: f64,
}

/// The ranking: definitions best first, and every file's own rank (for files that define
/// nothing anyone refers to).
pub struct Ranking {
    pub defs: Vec<Ranked>,
    pub files: Vec<(String, f64)>,
}

/// How much a reference to `name` counts: names the session mentioned count more, long
/// compound names (rarely ambiguous) more; private-looking and very short names, and names
/// defined in many files (`new`, `len`), less.
fn weight(name: &str, definers: usize, focus: &Focus) -> f64 {
    let mut w = 1.0;
    if focus.names.contains(name) {
        w *= 10.0;
    }
    let compound = name.contains('_')
        || (name.chars().any(|c| c.is_ascii_uppercase())
            && name.chars().any(|c| c.is_ascii_lowercase()));
    if compound && name.len() >= 8 {
        w *= 10.0;
    }
    if name.starts_with('_') || name.len() <= 3 {
        w *= 0.1;
    }
    if definers > 5 {
        w *= 0.1;
    }
    w
}

pub fn rank(index: &Index, focus: &Focus) -> Ranking {
    let files: Vec<&str> = index.files.keys().map(String::as_str).collect();
    let id: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let n = files.len();
    let mut definers: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut refs: HashMap<&str, HashMap<usize, usize>> = HashMap::new();
    for (i, entry) in index.files.values().enumerate() {
        let mut seen = BTreeSet::new();
        for d in &entry.tags.defs {
            if seen.insert(d.name.as_str()) {
                definers.entry(d.name.as_str()).or_default().push(i);
            }
        }
        for r in &entry.tags.refs {
            *refs.entry(r.as_str()).or_default().entry(i).or_default() += 1;
        }
    }
    // Edges: (from, to, name, weight).
    let mut edges: Vec<(usize, usize, &str, f64)> = Vec::new();
    for (name, by) in &refs {
        let Some(defs) = definers.get(name) else {
            continue;
        };
        // A reference goes to one of the definitions: split its weight among them.
        let w = weight(name, defs.len(), focus) / defs.len() as f64;
        for (&from, &count) in by {
            let boost = if focus.files.contains(files[from]) {
                50.0
            } else {
                1.0
            };
            for &to in defs {
                if to != from {
                    edges.push((from, to, name, w * boost * (count as f64).sqrt()));
                }
            }
        }
    }
    let mut out_weight = vec![0.0; n];
    for &(from, _, _, w) in &edges {
        out_weight[from] += w;
    }
    let personal = personalisation(&files, &id, focus);
    let mut r = personal.clone();
    for _ in 0..ITERATIONS {
        let dangling: f64 = (0..n).filter(|&i| out_weight[i] == 0.0).map(|i| r[i]).sum();
        let mut next: Vec<f64> = personal
            .iter()
            .map(|p| (1.0 - DAMPING) * p + DAMPING * dangling * p)
            .collect();
        for &(from, to, _, w) in &edges {
            next[to] += DAMPING * r[from] * w / out_weight[from];
        }
        r = next;
    }
    let mut scores: HashMap<(usize, &str), f64> = HashMap::new();
    for &(from, to, name, w) in &edges {
        *scores.entry((to, name)).or_default() += r[from] * w / out_weight[from];
    }
    let mut defs: Vec<Ranked> = scores
        .into_iter()
        .map(|((file, name), score)| Ranked {
            file: files[file].to_string(),
            name: name.to_string(),
            score,
        })
        .collect();
    defs.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut ranked_files: Vec<(String, f64)> = files
        .iter()
        .zip(&r)
        .map(|(f, s)| (f.to_string(), *s))
        .collect();
    ranked_files.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ranking {
        defs,
        files: ranked_files,
    }
}

/// Where the random walk restarts: the focus files when any are in the index, else anywhere.
fn personalisation(files: &[&str], id: &HashMap<&str, usize>, focus: &Focus) -> Vec<f64> {
    let n = files.len();
    let focused: Vec<usize> = focus
        .files
        .iter()
        .filter_map(|f| id.get(f.as_str()).copied())
        .collect();
    let mut p = vec![0.0; n];
    if focused.is_empty() {
        p.iter_mut().for_each(|x| *x = 1.0 / n as f64);
    } else {
        // Mostly the focus, a little everywhere, so unrelated parts are not ranked zero.
        p.iter_mut().for_each(|x| *x = 0.1 / n as f64);
        for i in &focused {
            p[*i] += 0.9 / focused.len() as f64;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::repo_map::index::Entry;
    use crate::tools::repo_map::tags::{Def, FileTags};

    fn file(defs: &[&str], refs: &[&str]) -> Entry {
        Entry {
            mtime_ns: 1,
            size: 1,
            tags: FileTags {
                defs: defs
                    .iter()
                    .enumerate()
                    .map(|(i, d)| Def {
                        name: d.to_string(),
                        line: i as u32 + 1,
                        text: format!("fn {d}()"),
                    })
                    .collect(),
                refs: refs.iter().map(|r| r.to_string()).collect(),
            },
        }
    }

    fn index(files: &[(&str, Entry)]) -> Index {
        Index {
            version: 0,
            files: files
                .iter()
                .map(|(p, e)| (p.to_string(), e.clone()))
                .collect(),
        }
    }

    #[test]
    fn the_file_everyone_refers_to_ranks_first() {
        let idx = index(&[
            ("core.rs", file(&["parse_input"], &[])),
            ("a.rs", file(&["a_only"], &["parse_input"])),
            ("b.rs", file(&["b_only"], &["parse_input", "a_only"])),
            ("c.rs", file(&[], &["parse_input"])),
        ]);
        let r = rank(&idx, &Focus::default());
        assert_eq!(r.defs[0].file, "core.rs");
        assert_eq!(r.defs[0].name, "parse_input");
        assert_eq!(r.files[0].0, "core.rs");
    }

    #[test]
    fn focus_moves_the_ranking_toward_what_the_session_works_on() {
        let idx = index(&[
            ("core.rs", file(&["parse_input"], &[])),
            ("x.rs", file(&[], &["parse_input"])),
            ("y.rs", file(&[], &["parse_input"])),
            ("side.rs", file(&["side_helper"], &[])),
            ("task.rs", file(&[], &["side_helper"])),
        ]);
        let plain = rank(&idx, &Focus::default());
        assert_eq!(plain.defs[0].name, "parse_input");
        let focus = Focus {
            files: ["task.rs".to_string()].into(),
            names: BTreeSet::new(),
        };
        let focused = rank(&idx, &focus);
        assert_eq!(focused.defs[0].name, "side_helper", "{:?}", focused.defs);
    }
}
