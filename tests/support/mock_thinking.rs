//! Claude's thinking on the mock's Anthropic side: signed `thinking` blocks and
//! `redacted_thinking` blocks in the stream, and the checks the real Messages API makes on a
//! request that sends them back.
//!
//! The signature is a checksum of the thinking text, so a block that comes back altered fails
//! the check the way a real one does.

use serde_json::Value;

use super::responses::checksum;

pub fn signature_for(thinking: &str) -> String {
    format!("EqMockSig{:08x}", checksum(thinking))
}

/// The data of a redacted block the mock sends (`seq` is the request number).
pub fn redacted_data(seq: usize) -> String {
    let body = format!("mock-redacted-{seq}");
    format!("{body}.{:08x}", checksum(&body))
}

fn redacted_ok(data: &str) -> bool {
    data.rsplit_once('.')
        .is_some_and(|(body, sum)| format!("{:08x}", checksum(body)) == sum)
}

/// What the real API refuses: thinking blocks whose signature (or redacted data) does not
/// verify, a budget outside 1024..max_tokens, more than four cache breakpoints, and — with
/// `thinking.type = "enabled"` — a tool loop whose last assistant turn no longer starts with its
/// thinking block.
pub fn check_anthropic_request(body: &Value) -> Result<(), String> {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    for (i, m) in messages.iter().enumerate() {
        for (j, b) in m["content"].as_array().into_iter().flatten().enumerate() {
            match b["type"].as_str() {
                Some("thinking") => {
                    let text = b["thinking"].as_str().unwrap_or_default();
                    if b["signature"].as_str() != Some(signature_for(text).as_str()) {
                        return Err(format!(
                            "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                        ));
                    }
                }
                Some("redacted_thinking")
                    if !redacted_ok(b["data"].as_str().unwrap_or_default()) =>
                {
                    return Err(format!(
                        "messages.{i}.content.{j}: Invalid `data` in `redacted_thinking` block"
                    ));
                }
                _ => {}
            }
        }
    }
    let breakpoints = count_cache_control(body);
    if breakpoints > 4 {
        return Err(format!(
            "A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
        ));
    }
    if body["thinking"]["type"] != "enabled" {
        return Ok(());
    }
    let budget = body["thinking"]["budget_tokens"].as_u64().unwrap_or(0);
    let max_tokens = body["max_tokens"].as_u64().unwrap_or(0);
    if budget < 1024 || budget >= max_tokens {
        return Err(format!(
            "thinking.budget_tokens: must be at least 1024 and less than max_tokens ({max_tokens}), got {budget}"
        ));
    }
    let has = |m: &Value, kind: &str| {
        m["content"]
            .as_array()
            .is_some_and(|c| c.iter().any(|b| b["type"] == kind))
    };
    let Some(last) = messages.last() else {
        return Ok(());
    };
    if !has(last, "tool_result") {
        return Ok(());
    }
    let Some((i, assistant)) = messages
        .iter()
        .enumerate()
        .rev()
        .find(|(_, m)| m["role"] == "assistant")
    else {
        return Ok(());
    };
    let first = assistant["content"][0]["type"].as_str().unwrap_or("");
    if has(assistant, "tool_use") && first != "thinking" && first != "redacted_thinking" {
        return Err(format!(
            "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`."
        ));
    }
    Ok(())
}

fn count_cache_control(v: &Value) -> usize {
    match v {
        Value::Object(map) => {
            usize::from(map.contains_key("cache_control"))
                + map.values().map(count_cache_control).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(count_cache_control).sum(),
        _ => 0,
    }
}
