//! Tags of one source file: the names it defines (with the line they are on) and the names it
//! refers to, read with tree-sitter and the grammars' own `tags.scm` queries (the ones GitHub's
//! code navigation uses), plus a few reference patterns those queries leave out (type names,
//! `Type::function` paths), since the ranking is only as good as the reference graph.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tree_sitter::{Language, Parser, Query, QueryCursor, StreamingIterator};

/// The version of what [`extract`] reads; bump it when the queries or the filtering change, so
/// cached tags read the old way are read again.
pub const VERSION: u32 = 2;
/// Files longer than this are not parsed (generated code, minified bundles, vendored blobs).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// A definition's line is shown up to this many characters.
const LINE_CHARS: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
}

impl Lang {
    /// The language of a file, by its extension.
    pub fn of(path: &str) -> Option<Lang> {
        let ext = path.rsplit_once('.')?.1;
        Some(match ext {
            "rs" => Lang::Rust,
            "py" | "pyi" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            _ => return None,
        })
    }

    fn language(self) -> Language {
        match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// The tags query: the grammar's own, TypeScript's on top of JavaScript's (its grammar
    /// extends JavaScript's and its `tags.scm` only adds what is new), and our extra references.
    fn query_source(self) -> String {
        match self {
            Lang::Rust => format!("{}\n{RUST_EXTRA}", tree_sitter_rust::TAGS_QUERY),
            Lang::Python => format!("{}\n{PYTHON_EXTRA}", tree_sitter_python::TAGS_QUERY),
            Lang::JavaScript => tree_sitter_javascript::TAGS_QUERY.to_string(),
            Lang::TypeScript | Lang::Tsx => format!(
                "{}\n{}",
                tree_sitter_javascript::TAGS_QUERY,
                tree_sitter_typescript::TAGS_QUERY
            ),
            Lang::Go => format!("{}\n{GO_EXTRA}", tree_sitter_go::TAGS_QUERY),
        }
    }

    /// Names of the language's standard library and prelude that a project also defines now
    /// and then (a `type Result<T>` alias, an `Error` enum, a `len` method): a reference to one
    /// almost always means the standard one, so it must not draw rank to the project's.
    fn common_names(self) -> &'static [&'static str] {
        match self {
            Lang::Rust => &[
                "Result",
                "Option",
                "Vec",
                "String",
                "Box",
                "Error",
                "Ok",
                "Err",
                "Some",
                "None",
                "Self",
                "Default",
                "Clone",
                "Debug",
                "Display",
                "From",
                "Into",
                "Iterator",
                "Send",
                "Sync",
                "Path",
                "PathBuf",
                "HashMap",
                "BTreeMap",
                "HashSet",
                "BTreeSet",
                "Arc",
                "Mutex",
                "Rc",
                "Cell",
                "RefCell",
                "Duration",
                "Instant",
                "File",
                "io",
                "fmt",
                "new",
                "len",
                "is_empty",
                "default",
                "clone",
                "from",
                "into",
                "iter",
                "map",
                "get",
                "insert",
                "push",
                "remove",
                "contains",
                "to_string",
                "as_str",
                "unwrap",
                "unwrap_or",
                "expect",
                "write",
                "read",
                "next",
                "format",
                "vec",
                "println",
                "eprintln",
                "write_all",
                "create_dir_all",
                "assert",
                "assert_eq",
            ],
            Lang::Python => &[
                "self",
                "cls",
                "print",
                "len",
                "str",
                "int",
                "float",
                "list",
                "dict",
                "set",
                "tuple",
                "range",
                "isinstance",
                "super",
                "Exception",
                "ValueError",
                "open",
                "append",
                "get",
                "items",
                "keys",
                "values",
                "join",
                "format",
                "__init__",
            ],
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &[
                "console", "log", "require", "push", "map", "forEach", "filter", "then", "catch",
                "Promise", "Object", "Array", "JSON", "Error", "String", "Number", "length",
                "toString", "keys", "get", "set", "has", "Map", "Set", "string", "number",
                "boolean", "any", "void",
            ],
            Lang::Go => &[
                "Error", "String", "len", "append", "make", "new", "fmt", "Println", "Printf",
                "Sprintf", "Errorf", "New", "err", "error", "string", "int", "bool", "byte",
                "Close", "Write", "Read",
            ],
        }
    }

    /// The compiled query, built once per language per process.
    fn query(self) -> Option<&'static Query> {
        static QUERIES: [OnceLock<Option<Query>>; 6] = [const { OnceLock::new() }; 6];
        let slot = match self {
            Lang::Rust => 0,
            Lang::Python => 1,
            Lang::JavaScript => 2,
            Lang::TypeScript => 3,
            Lang::Tsx => 4,
            Lang::Go => 5,
        };
        QUERIES[slot]
            .get_or_init(|| Query::new(&self.language(), &self.query_source()).ok())
            .as_ref()
    }
}

const RUST_EXTRA: &str = r#"
(type_identifier) @name @reference.type
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(scoped_identifier path: (identifier) @name) @reference.type
(struct_expression name: (type_identifier) @name) @reference.type
"#;

const PYTHON_EXTRA: &str = r#"
(attribute attribute: (identifier) @name) @reference.attribute
(type (identifier) @name) @reference.type
"#;

const GO_EXTRA: &str = r#"
(qualified_type name: (type_identifier) @name) @reference.type
(selector_expression field: (field_identifier) @name) @reference.field
"#;

/// One definition: its name, 1-based line and the line's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Def {
    pub name: String,
    pub line: u32,
    pub text: String,
}

/// What one file defines and refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTags {
    pub defs: Vec<Def>,
    /// Names referred to, one entry per reference.
    pub refs: Vec<String>,
}

/// Reads the tags of `source`; `None` when the grammar fails on it.
pub fn extract(lang: Lang, source: &str) -> Option<FileTags> {
    let query = lang.query()?;
    let mut parser = Parser::new();
    parser.set_language(&lang.language()).ok()?;
    let tree = parser.parse(source, None)?;
    let names = query.capture_names();
    let lines: Vec<&str> = source.lines().collect();
    let mut tags = FileTags::default();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), source.as_bytes());
    while let Some(m) = matches.next() {
        let mut name = None;
        let mut def = None;
        for c in m.captures {
            let capture = names[c.index as usize];
            if capture == "name" {
                name = c.node.utf8_text(source.as_bytes()).ok();
            } else if capture.starts_with("definition.") {
                if implements_a_trait(lang, c.node) {
                    break;
                }
                def = Some(true);
            } else if capture.starts_with("reference.") {
                def = def.or(Some(false));
            }
        }
        let (Some(name), Some(is_def)) = (name, def) else {
            continue;
        };
        if name.is_empty() || name.len() > 200 {
            continue;
        }
        if is_def {
            let row = m
                .captures
                .iter()
                .find(|c| names[c.index as usize] == "name")
                .map_or(0, |c| c.node.start_position().row);
            let text = lines.get(row).map_or("", |l| l.trim_end());
            let def = Def {
                name: name.to_string(),
                line: row as u32 + 1,
                text: text.chars().take(LINE_CHARS).collect(),
            };
            // The same definition matched by two patterns (a Rust method is also a function).
            if !tags
                .defs
                .iter()
                .any(|d| d.line == def.line && d.name == def.name)
            {
                tags.defs.push(def);
            }
        } else if !lang.common_names().contains(&name) {
            tags.refs.push(name.to_string());
        }
    }
    tags.defs.sort_by_key(|d| d.line);
    Some(tags)
}

/// Whether a Rust definition is a member of a trait impl (`fn fmt`, `type Err`): it names the
/// trait's item, not a new one, and as a definition it would draw every `fmt` call in the code.
fn implements_a_trait(lang: Lang, node: tree_sitter::Node) -> bool {
    lang == Lang::Rust
        && node
            .parent()
            .filter(|p| p.kind() == "declaration_list")
            .and_then(|p| p.parent())
            .is_some_and(|i| i.kind() == "impl_item" && i.child_by_field_name("trait").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def_names(t: &FileTags) -> Vec<&str> {
        t.defs.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn every_language_query_compiles() {
        for lang in [
            Lang::Rust,
            Lang::Python,
            Lang::JavaScript,
            Lang::TypeScript,
            Lang::Tsx,
            Lang::Go,
        ] {
            assert!(lang.query().is_some(), "{lang:?}");
        }
    }

    #[test]
    fn rust_definitions_and_references() {
        let t = extract(
            Lang::Rust,
            "struct Parser { n: u32 }\nimpl Parser {\n    fn run(&self) -> Token { helper(); Token::new() }\n}\nimpl Display for Parser {\n    fn fmt(&self) {}\n}\n",
        )
        .unwrap();
        assert_eq!(
            def_names(&t),
            ["Parser", "run"],
            "a trait impl's members define nothing new"
        );
        assert_eq!(t.defs[1].line, 3);
        assert!(t.defs[1].text.contains("fn run"));
        for r in ["helper", "Token", "Parser"] {
            assert!(t.refs.iter().any(|x| x == r), "{r} in {:?}", t.refs);
        }
        assert!(
            !t.refs.iter().any(|x| x == "new"),
            "std names are not references"
        );
    }

    #[test]
    fn python_javascript_typescript_go() {
        let py = extract(Lang::Python, "class A:\n    def f(self):\n        g()\n").unwrap();
        assert_eq!(def_names(&py), ["A", "f"]);
        assert!(py.refs.contains(&"g".to_string()));
        let js = extract(
            Lang::JavaScript,
            "function main() { render(); }\nclass View {}\n",
        )
        .unwrap();
        assert_eq!(def_names(&js), ["main", "View"]);
        assert!(js.refs.contains(&"render".to_string()));
        let ts = extract(
            Lang::TypeScript,
            "interface Shape { area(): number }\nfunction draw(s: Shape) { paint(s); }\n",
        )
        .unwrap();
        assert!(def_names(&ts).contains(&"Shape") && def_names(&ts).contains(&"draw"));
        assert!(ts.refs.contains(&"paint".to_string()));
        let go = extract(
            Lang::Go,
            "package m\nfunc Serve() { Listen() }\ntype Server struct{}\n",
        )
        .unwrap();
        assert_eq!(def_names(&go), ["Serve", "Server"]);
        assert!(go.refs.contains(&"Listen".to_string()));
    }
}
