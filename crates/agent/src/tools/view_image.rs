//! The `view_image` tool: the model asks to look at an image file in the workspace. The file is
//! read like a pasted image (regular files only, size-capped, PNG/JPEG/GIF/WebP), recorded as an
//! `imageView` item, and shown to the model as an image right after the call's output.

use codex_app_server_protocol::v2::ThreadItem;
use codex_model_client::FunctionTool;
use serde::Deserialize;
use serde_json::json;

use crate::context::load_local_image;
use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::tools::ToolContext;
use crate::engine::tools::ToolOutcome;

/// The tool's description for the model.
const DESCRIPTION: &str = include_str!("../../prompts/tools/view_image.md");

#[derive(Deserialize)]
struct Arguments {
    path: String,
}

/// The `view_image` function the model is offered.
pub fn view_image_tool() -> FunctionTool {
    FunctionTool::new(
        "view_image",
        DESCRIPTION.trim(),
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Path of an image file (PNG, JPEG, GIF or WebP), absolute or relative to the working directory"}
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    )
}

/// Runs one `view_image` call.
pub async fn run_view_image(context: &ToolContext, arguments: &str) -> ToolOutcome {
    let arguments: Arguments = match serde_json::from_str(arguments) {
        Ok(arguments) => arguments,
        Err(err) => {
            return ToolOutcome::failure(format!(
                "invalid view_image arguments: {err}; pass {{\"path\": \"<image file>\"}}"
            ))
        }
    };
    let path = context.cwd.as_path().join(&arguments.path);
    let started_ms = now_ms();
    let id = new_id();
    let item = |completed: Option<i64>| ThreadItem::ImageView {
        started_at_ms: Some(started_ms),
        completed_at_ms: completed,
        id: id.clone(),
        path: path.display().to_string(),
    };
    context.items.start(item(None), started_ms).await;
    let read_path = path.clone();
    let loaded = tokio::task::spawn_blocking(move || load_local_image(&read_path)).await;
    let outcome = match loaded {
        Ok(Ok(data_url)) => {
            let mut outcome =
                ToolOutcome::success(format!("The image at {} is attached below.", path.display()));
            outcome.images.push(data_url);
            outcome
        }
        Ok(Err(err)) => ToolOutcome::failure(format!("cannot show the image: {err}")),
        Err(err) => ToolOutcome::failure(format!("cannot show the image: {err}")),
    };
    if let Err(err) = context.items.complete(item(Some(now_ms()))).await {
        tracing::warn!(thread = %context.thread_id, "imageView item not stored: {err}");
    }
    outcome
}
