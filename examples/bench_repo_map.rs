//! The repository map on a real tree: a cold scan (every file parsed, the cache written), a
//! warm one (nothing changed: the cache serves every file), one after a single file changed,
//! and the ranking and rendering alone, with the files per language and the cache's size. This
//! is what `reins map`, the `repo_map` tool and a first request with the map on pay; with the
//! map off (the default for large context windows) nothing walks the tree before the first
//! request.
//!
//! Run: `cargo run --release --example bench_repo_map [DIR]` (default: this repository, which
//! holds Rust, Python and JavaScript). Medians of 5 runs for the warm figures.

use reins::tools::repo_map::{self, index, rank, render};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let (_canceller, cancel) = reins::cancel::pair();
    let ctx = reins::tools::ToolContext::new(&dir, cancel).expect("workspace");
    let reader = ctx.reader();
    let home = tempfile::tempdir().expect("cache dir");
    let cache = index::cache_path(home.path(), &ctx.root);

    let t = Instant::now();
    let cold = repo_map::build(&ctx.root, &reader, Some(&cache), &[], 1024);
    let cold_time = t.elapsed();
    let idx = index::load(&cache);
    let mut per_lang = std::collections::BTreeMap::<&str, usize>::new();
    for path in idx.files.keys() {
        let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
        *per_lang.entry(ext).or_default() += 1;
    }
    let (defs, refs) = idx.files.values().fold((0, 0), |(d, r), e| {
        (d + e.tags.defs.len(), r + e.tags.refs.len())
    });
    let cache_bytes = std::fs::metadata(&cache).map_or(0, |m| m.len());
    println!("tree: {}", ctx.root.display());
    println!(
        "source files: {} ({per_lang:?}); {defs} definitions, {refs} references; cache {} KiB",
        cold.stats.files,
        cache_bytes / 1024
    );
    println!(
        "cold scan + rank + render (1024 tokens): {:.0} ms",
        ms(cold_time)
    );

    let warm = median(|| {
        let m = repo_map::build(&ctx.root, &reader, Some(&cache), &[], 1024);
        assert_eq!(m.stats.parsed, 0, "a warm scan parses nothing");
    });
    println!("warm (nothing changed): {:.0} ms", ms(warm));

    if let Some(first) = idx.files.keys().next() {
        let path = ctx.root.join(first);
        let original = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        let touched = median(|| {
            let f = std::fs::File::options()
                .append(true)
                .open(&path)
                .expect("open");
            f.set_modified(std::time::SystemTime::now()).expect("touch");
            let m = repo_map::build(&ctx.root, &reader, Some(&cache), &[], 1024);
            assert_eq!(m.stats.parsed, 1, "only the touched file is parsed again");
        });
        // Leave the tree as it was (a build tool would see the file as changed).
        let f = std::fs::File::options()
            .append(true)
            .open(&path)
            .expect("open");
        f.set_modified(original).expect("restore mtime");
        println!("one file changed ({first}): {:.0} ms", ms(touched));
    }

    let ranking_only = median(|| {
        let ranking = rank::rank(&idx, &rank::Focus::default());
        render::render(&idx, &ranking, 1024);
    });
    println!("rank + render alone: {:.0} ms", ms(ranking_only));
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
