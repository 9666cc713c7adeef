//! `reins map`: the repository map as the model gets it, read under the workspace's read rules.

use crate::cli::GlobalArgs;
use crate::frontend::setup;
use crate::frontend::ExitError;
use crate::tools::repo_map;

pub fn run(
    tokens: usize,
    focus: &[String],
    stats: bool,
    global: GlobalArgs,
) -> Result<i32, ExitError> {
    let ws = setup::workspace(&global)?;
    let ctx = setup::tool_context(&ws, crate::cancel::pair().1, setup::SandboxFlags::default())?;
    let cache = ws
        .home
        .as_deref()
        .map(|h| repo_map::index::cache_path(h, &ctx.root));
    let started = std::time::Instant::now();
    let map = repo_map::build(&ctx.root, &ctx.reader(), cache.as_deref(), focus, tokens);
    print!("{}", map.text);
    if !map.text.ends_with('\n') {
        println!();
    }
    if stats {
        eprintln!(
            "reins map: {} source files, {} parsed, {} from the cache, {} ms",
            map.stats.files,
            map.stats.parsed,
            map.stats.from_cache,
            started.elapsed().as_millis()
        );
    }
    Ok(0)
}
