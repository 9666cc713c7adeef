//! The fixed prefix every request pays for (system prompt + tool schemas) stays small.

use reins::agent::prompt::SYSTEM_PROMPT;
use reins::tools::Registry;

/// Tokens (o200k_base) of the system prompt and every registered tool's name, description and schema.
fn prefix_tokens() -> usize {
    let bpe = tiktoken_rs::o200k_base().expect("o200k_base ships with tiktoken-rs");
    let specs = serde_json::to_string(&Registry::builtin().specs()).expect("specs serialise");
    bpe.encode_with_special_tokens(SYSTEM_PROMPT).len()
        + bpe.encode_with_special_tokens(&specs).len()
}

#[test]
fn fixed_prefix_is_under_3500_tokens() {
    let n = prefix_tokens();
    println!("fixed prefix: {n} tokens (o200k_base)");
    assert!(n < 3500, "the fixed prefix grew to {n} tokens");
}
