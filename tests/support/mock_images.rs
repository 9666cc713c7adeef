//! Image parts as the three APIs take them, checked the way the real servers check them: a
//! request with an image part for a model without vision is refused (OpenAI answers 400 "Invalid
//! content type. image_url is only supported by certain models."), and so is a part of the wrong
//! shape, a data URL or base64 payload that does not decode, bytes that are not the type the
//! part claims ("Image does not match the provided media type"), and an image where the API
//! takes none (a Chat Completions `tool` message takes text only).
//!
//! Shapes, from the providers' references:
//! - Chat Completions user content part: `{"type":"image_url","image_url":{"url":"data:image/png;base64,…"}}`
//! - Responses `input_image`: `{"type":"input_image","image_url":"data:…","detail":"auto"}`, in a
//!   user message's content or a `function_call_output`'s `output` list
//! - Anthropic `image`: `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"…"}}`,
//!   in a user message's content or a `tool_result`'s `content` list

use base64::Engine as _;
use serde_json::Value;

/// The wire a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageWire {
    Chat,
    Responses,
    Anthropic,
}

/// Every image of the request, checked; `Err` is the 400 message. `blind` lists the model ids
/// without vision.
pub fn check_images(body: &Value, wire: ImageWire, blind: &[String]) -> Result<usize, String> {
    let mut found = Vec::new();
    match wire {
        ImageWire::Chat => chat_images(body, &mut found)?,
        ImageWire::Responses => responses_images(body, &mut found)?,
        ImageWire::Anthropic => anthropic_images(body, &mut found)?,
    }
    let model = body["model"].as_str().unwrap_or("");
    if !found.is_empty() && blind.iter().any(|m| m == model) {
        return Err(format!(
            "Invalid content type. image_url is only supported by certain models. (`{model}` does not take image input)"
        ));
    }
    for (claimed, data) in &found {
        check_bytes(claimed, data)?;
    }
    Ok(found.len())
}

/// (claimed media type, base64 payload) of each image part.
type Found = Vec<(String, String)>;

fn chat_images(body: &Value, found: &mut Found) -> Result<(), String> {
    for (i, m) in body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(parts) = m["content"].as_array() else {
            continue;
        };
        for part in parts {
            match part["type"].as_str() {
                Some("text") if part["text"].is_string() => {}
                Some("image_url") if m["role"] == "user" => {
                    let url = part["image_url"]["url"].as_str().ok_or_else(|| {
                        format!("messages[{i}]: image_url.url must be a string")
                    })?;
                    found.push(data_url(url)?);
                }
                Some("image_url") => {
                    return Err(format!(
                        "messages[{i}]: Image URLs are only allowed for messages with role 'user', but this message with role '{}' contains an image URL.",
                        m["role"].as_str().unwrap_or("?")
                    ))
                }
                other => return Err(format!("messages[{i}]: invalid content part type {other:?}")),
            }
        }
    }
    Ok(())
}

fn responses_images(body: &Value, found: &mut Found) -> Result<(), String> {
    for (i, item) in body["input"].as_array().into_iter().flatten().enumerate() {
        let parts = match item["type"].as_str() {
            Some("message") if item["role"] == "user" => item["content"].as_array(),
            Some("function_call_output") => match &item["output"] {
                Value::String(_) => None,
                Value::Array(a) => Some(a),
                _ => {
                    return Err(format!(
                        "input[{i}].output: must be a string or a list of input parts"
                    ))
                }
            },
            _ => None,
        };
        for part in parts.into_iter().flatten() {
            match part["type"].as_str() {
                Some("input_text") if part["text"].is_string() => {}
                Some("input_image") => {
                    let detail = part["detail"].as_str().unwrap_or("auto");
                    if !["low", "high", "auto"].contains(&detail) {
                        return Err(format!("input[{i}]: invalid detail `{detail}`"));
                    }
                    let url = part["image_url"].as_str().ok_or_else(|| {
                        format!("input[{i}]: input_image.image_url must be a string")
                    })?;
                    found.push(data_url(url)?);
                }
                other => return Err(format!("input[{i}]: invalid input part type {other:?}")),
            }
        }
    }
    Ok(())
}

fn anthropic_images(body: &Value, found: &mut Found) -> Result<(), String> {
    for (i, m) in body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for block in m["content"].as_array().into_iter().flatten() {
            let inner = match block["type"].as_str() {
                Some("image") if m["role"] == "user" => {
                    found.push(anthropic_source(i, block)?);
                    continue;
                }
                Some("image") => {
                    return Err(format!("messages.{i}: images may only be in user turns"))
                }
                Some("tool_result") => match &block["content"] {
                    Value::Array(parts) => parts,
                    _ => continue,
                },
                _ => continue,
            };
            for part in inner {
                match part["type"].as_str() {
                    Some("text") => {}
                    Some("image") => found.push(anthropic_source(i, part)?),
                    other => {
                        return Err(format!(
                            "messages.{i}: tool_result content type {other:?} is not text or image"
                        ))
                    }
                }
            }
        }
    }
    Ok(())
}

fn anthropic_source(i: usize, block: &Value) -> Result<(String, String), String> {
    let s = &block["source"];
    if s["type"] != "base64" {
        return Err(format!(
            "messages.{i}: image.source.type must be base64 here"
        ));
    }
    let media = s["media_type"].as_str().unwrap_or("");
    if !["image/jpeg", "image/png", "image/gif", "image/webp"].contains(&media) {
        return Err(format!("messages.{i}: image.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"));
    }
    let data = s["data"]
        .as_str()
        .ok_or_else(|| format!("messages.{i}: image.source.data must be a string"))?;
    Ok((media.to_string(), data.to_string()))
}

/// `data:TYPE;base64,PAYLOAD` split.
fn data_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| format!("image url is not a data URL: {}", &url[..url.len().min(40)]))?;
    let (media, data) = rest
        .split_once(";base64,")
        .ok_or("image data URL is not base64")?;
    Ok((media.to_string(), data.to_string()))
}

/// The payload decodes and its bytes are the type claimed.
fn check_bytes(claimed: &str, data: &str) -> Result<(), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("image data is not valid base64: {e}"))?;
    let actual = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return Err("Could not process image: the data is not a supported image".into());
    };
    if actual != claimed {
        return Err(format!(
            "Image does not match the provided media type {claimed} (it is {actual})"
        ));
    }
    Ok(())
}
