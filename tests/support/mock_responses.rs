//! The OpenAI Responses API stream, as api.openai.com sends it (`POST /v1/responses` with
//! `stream: true`): `event: NAME` + `data: JSON` pairs, every event with its `type` and an
//! increasing `sequence_number`, ending with `response.completed` (no `[DONE]`).
//!
//! Event shapes follow OpenAI's streaming reference: `response.created`,
//! `response.output_item.added` / `.done` around each output item, `response.reasoning_summary_*`
//! for reasoning summaries, `response.content_part.*` and `response.output_text.delta` / `.done`
//! for text, `response.function_call_arguments.delta` / `.done` for calls.
//!
//! A reasoning item's `encrypted_content` is sent only when the request asked for it in
//! `include`, and summaries only when it asked for `reasoning.summary`, as the real API does.
//! The content is a token the server can check when the item comes back ([`encrypted_for`]).

use serde_json::{json, Value};

use super::{split_arguments, split_every, Turn};

/// What the request asked for that shapes the stream.
pub struct ResponsesAsk<'a> {
    pub seq: usize,
    pub model: &'a str,
    pub encrypted: bool,
    pub summary: bool,
}

/// The encrypted content the mock issues for reasoning item `id` (checked on replay).
pub fn encrypted_for(id: &str) -> String {
    format!("gAAAAmock-{id}-{:08x}", checksum(id))
}

pub fn checksum(s: &str) -> u32 {
    s.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    })
}

/// All events of a turn, and the index of `response.completed`.
pub fn responses_events(ask: &ResponsesAsk<'_>, turn: &Turn) -> (Vec<String>, usize) {
    let mut events: Vec<String> = Vec::new();
    let mut push = |ty: &str, mut data: Value| {
        data["type"] = json!(ty);
        data["sequence_number"] = json!(events.len());
        events.push(format!("event: {ty}\ndata: {data}\n\n"));
        events.len()
    };
    let resp_id = format!("resp_mock{}", ask.seq);
    let response = |status: &str, output: Value, usage: Value| {
        json!({
            "id": resp_id, "object": "response", "created_at": 1_700_000_000u64,
            "status": status, "model": ask.model, "output": output, "usage": usage,
            "error": null, "incomplete_details": null, "store": false,
        })
    };
    push(
        "response.created",
        json!({"response": response("in_progress", json!([]), Value::Null)}),
    );
    push(
        "response.in_progress",
        json!({"response": response("in_progress", json!([]), Value::Null)}),
    );
    let mut output = Vec::new();
    if let Some(summary) = &turn.reasoning {
        let index = output.len();
        let id = format!("rs_mock{}_{index}", ask.seq);
        push(
            "response.output_item.added",
            json!({"output_index": index, "item": {"id": id, "type": "reasoning", "summary": []}}),
        );
        let mut parts = Vec::new();
        if ask.summary {
            let part = json!({"type": "summary_text", "text": ""});
            push(
                "response.reasoning_summary_part.added",
                json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part}),
            );
            for piece in split_every(summary, 8) {
                push(
                    "response.reasoning_summary_text.delta",
                    json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": piece}),
                );
            }
            push(
                "response.reasoning_summary_text.done",
                json!({"item_id": id, "output_index": index, "summary_index": 0, "text": summary}),
            );
            let part = json!({"type": "summary_text", "text": summary});
            push(
                "response.reasoning_summary_part.done",
                json!({"item_id": id, "output_index": index, "summary_index": 0, "part": part}),
            );
            parts.push(part);
        }
        let mut item = json!({"id": id, "type": "reasoning", "summary": parts});
        if ask.encrypted {
            item["encrypted_content"] = json!(encrypted_for(&id));
        }
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        output.push(item);
    }
    if !turn.text.is_empty() {
        let index = output.len();
        let id = format!("msg_mock{}_{index}", ask.seq);
        push(
            "response.output_item.added",
            json!({"output_index": index, "item": {"id": id, "type": "message",
                   "status": "in_progress", "role": "assistant", "content": []}}),
        );
        let part = json!({"type": "output_text", "text": "", "annotations": []});
        push(
            "response.content_part.added",
            json!({"item_id": id, "output_index": index, "content_index": 0, "part": part}),
        );
        for piece in split_every(&turn.text, 8) {
            push(
                "response.output_text.delta",
                json!({"item_id": id, "output_index": index, "content_index": 0,
                       "delta": piece, "logprobs": []}),
            );
        }
        push(
            "response.output_text.done",
            json!({"item_id": id, "output_index": index, "content_index": 0,
                   "text": turn.text, "logprobs": []}),
        );
        let part = json!({"type": "output_text", "text": turn.text, "annotations": []});
        push(
            "response.content_part.done",
            json!({"item_id": id, "output_index": index, "content_index": 0, "part": part}),
        );
        let item = json!({"id": id, "type": "message", "status": "completed",
                          "role": "assistant", "content": [part]});
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        output.push(item);
    }
    for call in &turn.tool_calls {
        let index = output.len();
        let id = format!("fc_mock{}_{index}", ask.seq);
        push(
            "response.output_item.added",
            json!({"output_index": index, "item": {"id": id, "type": "function_call",
                   "status": "in_progress", "call_id": call.id, "name": call.name,
                   "arguments": ""}}),
        );
        for fragment in split_arguments(&call.arguments) {
            push(
                "response.function_call_arguments.delta",
                json!({"item_id": id, "output_index": index, "delta": fragment}),
            );
        }
        push(
            "response.function_call_arguments.done",
            json!({"item_id": id, "output_index": index, "arguments": call.arguments}),
        );
        let item = json!({"id": id, "type": "function_call", "status": "completed",
                          "call_id": call.id, "name": call.name, "arguments": call.arguments});
        push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        output.push(item);
    }
    let usage = if turn.no_usage {
        Value::Null
    } else {
        let u = &turn.usage;
        json!({
            "input_tokens": u.input_tokens,
            "input_tokens_details": {"cached_tokens": u.cached_input_tokens},
            "output_tokens": u.output_tokens,
            "output_tokens_details": {"reasoning_tokens": turn.reasoning_tokens},
            "total_tokens": u.input_tokens + u.output_tokens,
        })
    };
    let finish = push(
        "response.completed",
        json!({"response": response("completed", Value::Array(output), usage)}),
    ) - 1;
    (events, finish)
}

/// What the real API refuses in a stateless request's input: a reasoning item without its
/// encrypted content (nothing is stored to look it up by id), encrypted content it did not issue,
/// a reasoning item with nothing after it, and a call output with no call.
pub fn check_responses_request(body: &Value) -> Result<(), String> {
    let input = body["input"].as_array().cloned().unwrap_or_default();
    let mut calls = Vec::new();
    for (i, item) in input.iter().enumerate() {
        match item["type"].as_str() {
            Some("reasoning") => {
                let id = item["id"].as_str().unwrap_or_default();
                match item["encrypted_content"].as_str() {
                    None | Some("") => {
                        return Err(format!(
                            "Item with id '{id}' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input."
                        ))
                    }
                    Some(enc) if enc != encrypted_for(id) => {
                        return Err(format!(
                            "The encrypted content for item {id} could not be verified."
                        ))
                    }
                    Some(_) => {}
                }
                if i + 1 == input.len() {
                    return Err(format!(
                        "Item '{id}' of type 'reasoning' was provided without its required following item."
                    ));
                }
            }
            Some("function_call") => calls.push(item["call_id"].as_str().unwrap_or_default()),
            Some("function_call_output") => {
                let id = item["call_id"].as_str().unwrap_or_default();
                if !calls.contains(&id) {
                    return Err(format!(
                        "No tool call found for function call output with call_id {id}."
                    ));
                }
            }
            _ => {}
        }
    }
    if body.get("messages").is_some() {
        return Err("Unsupported parameter: 'messages'. In the Responses API, this parameter has moved to 'input'.".into());
    }
    Ok(())
}
