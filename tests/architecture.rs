//! The module graph keeps its shape: no import circles between source files, and the shared leaf
//! (`src/types/`) imports nothing from the crate. The edges are read from the code itself (every
//! `crate::` and `super::` path), so a new circle fails here before it reaches review.
//!
//! A parent module naming its own children (`mod x; pub use x::Y;`) is containment, not an import,
//! and is not an edge; tests at the bottom of a file (`#[cfg(test)]`) are not part of the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<PathBuf, BTreeSet<PathBuf>>;

#[test]
fn source_files_import_each_other_without_circles() {
    let graph = read_graph();
    assert!(graph.len() > 50, "the source tree was not read");
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles (each line is one strongly connected set of files):\n{}",
        circles
            .iter()
            .map(|c| describe(c, &graph))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_shared_leaf_imports_nothing_from_the_crate() {
    let graph = read_graph();
    let leaf = Path::new("src/types");
    let outside: Vec<String> = graph
        .iter()
        .filter(|(from, _)| from.starts_with(leaf))
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(_, to)| !to.starts_with(leaf))
        .map(|(from, to)| format!("{} -> {}", from.display(), to.display()))
        .collect();
    assert!(
        outside.is_empty(),
        "src/types must stay a leaf: {outside:#?}"
    );
}

#[test]
fn the_edge_reader_sees_grouped_and_nested_imports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = use_paths("use crate::a::{b::C, d::{E, F}};\nlet x = crate::g::h();\n");
    assert_eq!(
        paths,
        vec![
            vec!["crate", "a", "b", "C"],
            vec!["crate", "a", "d", "E"],
            vec!["crate", "a", "d", "F"],
            vec!["crate", "g", "h"],
        ]
    );
    // A tiny circle must be found, so the main test cannot pass by reading nothing.
    let mut g = Graph::new();
    g.entry(root.join("a.rs"))
        .or_default()
        .insert(root.join("b.rs"));
    g.entry(root.join("b.rs"))
        .or_default()
        .insert(root.join("a.rs"));
    assert_eq!(circles(&g).len(), 1);
}

fn read_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut graph = Graph::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).expect("read source file");
        let body = text.split("#[cfg(test)]").next().unwrap_or("");
        let rel = file.strip_prefix(root).expect("under root").to_path_buf();
        let module = module_of(&rel);
        let mut targets = BTreeSet::new();
        for path in use_paths(body) {
            let Some(absolute) = absolute(&module, &path) else {
                continue;
            };
            let Some(target) = resolve(root, &absolute) else {
                continue;
            };
            if target != rel && !is_containment(&rel, &target) {
                targets.insert(target);
            }
        }
        graph.insert(rel, targets);
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `src/a/b.rs` -> `[a, b]`; `src/a/mod.rs` -> `[a]`; `src/lib.rs`, `src/main.rs` -> `[]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .skip(1)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// Every `crate::…`, `super::…` path in the code, with `use` trees expanded.
fn use_paths(code: &str) -> Vec<Vec<String>> {
    let code = strip_comments(code);
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != ':';
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (tree, end) = read_tree(&bytes, i);
            expand(&tree, &mut Vec::new(), &mut out);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The use tree starting at `start`: identifiers, `::`, and balanced `{…}` groups.
fn read_tree(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    let mut depth = 0usize;
    let mut out = String::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' if out.ends_with("::") => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ',' | ' ' | '\n' | '\t' if depth > 0 => {}
            c if is_ident(c) || c == ':' || c == '*' => {}
            _ => break,
        }
        if !c.is_whitespace() {
            out.push(c);
        }
        i += 1;
        if depth == 0 && c == '}' {
            break;
        }
    }
    (out, i)
}

fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim_end_matches("::");
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = split_path(&tree[..open]);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let depth = prefix.len();
        prefix.extend(head);
        for part in split_top_level(inner) {
            expand(&part, prefix, out);
        }
        prefix.truncate(depth);
    } else {
        let mut path = prefix.clone();
        path.extend(split_path(tree));
        path.retain(|s| s != "*" && s != "self");
        if !path.is_empty() {
            out.push(path);
        }
    }
}

fn split_path(s: &str) -> Vec<String> {
    s.split("::")
        .filter(|p| !p.is_empty())
        .map(|p| p.split(" as ").next().unwrap_or(p).to_string())
        .collect()
}

fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Removes `//` comments and string literals, where paths are prose, not imports.
fn strip_comments(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' && prev != '\'' {
                in_str = !in_str;
            } else if !in_str {
                kept.push(c);
            }
            prev = c;
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The path from the crate root, or `None` for paths into other crates.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The deepest source file the path walks through: `a::b::C` -> `src/a/b.rs` when it exists.
fn resolve(root: &Path, path: &[String]) -> Option<PathBuf> {
    let mut dir = PathBuf::from("src");
    let mut found = PathBuf::from("src/lib.rs");
    for seg in path {
        let file = dir.join(format!("{seg}.rs"));
        let module = dir.join(seg).join("mod.rs");
        if root.join(&file).is_file() {
            found = file;
            dir = dir.join(seg);
        } else if root.join(&module).is_file() {
            found = module;
            dir = dir.join(seg);
        } else {
            break;
        }
    }
    Some(found)
}

/// A module file naming a file inside its own folder (its children).
fn is_containment(from: &Path, to: &Path) -> bool {
    let name = from.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match name {
        "mod.rs" | "lib.rs" | "main.rs" => from.parent().is_some_and(|dir| to.starts_with(dir)),
        _ => {
            let own_dir = from.with_extension("");
            to.starts_with(own_dir)
        }
    }
}

/// Strongly connected sets of more than one file (Tarjan).
fn circles(graph: &Graph) -> Vec<Vec<PathBuf>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g PathBuf, usize>,
        low: BTreeMap<&'g PathBuf, usize>,
        stack: Vec<&'g PathBuf>,
        on_stack: BTreeSet<&'g PathBuf>,
        next: usize,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                set.push(w.clone());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                set.sort();
                s.out.push(set);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn describe(set: &[PathBuf], graph: &Graph) -> String {
    let members: BTreeSet<&PathBuf> = set.iter().collect();
    let edges: Vec<String> = set
        .iter()
        .flat_map(|from| {
            graph[from]
                .iter()
                .filter(|to| members.contains(to))
                .map(move |to| format!("{} -> {}", from.display(), to.display()))
        })
        .collect();
    edges.join("; ")
}
