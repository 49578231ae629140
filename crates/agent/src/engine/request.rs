//! What a model request carries besides the history: the user's input turned into model
//! content (text and images), the reasoning and verbosity options the model and config call for,
//! and the identity headers (`session-id`, `thread-id`, `originator`, `User-Agent`).

use codex_app_server_protocol::v2::UserInput;
use codex_model_client::ContentPart;
use codex_model_client::InputItem;
use codex_model_client::ReasoningEffort;
use codex_model_client::ReasoningOptions;
use codex_model_client::ReasoningSummary;
use codex_model_client::Verbosity;

use crate::config::AgentSettings;
use crate::context::load_local_image;
use crate::context::ModelInfo;
use crate::engine::EngineError;
use crate::engine::ThreadSettings;

/// Most characters of text one `turn/start` or `turn/steer` may carry (1 MiB of characters).
pub const MAX_INPUT_CHARS: usize = 1 << 20;

/// The originator used when the client did not name itself.
pub const DEFAULT_ORIGINATOR: &str = "codex_app_server";

/// Who a turn's model requests are made for: sent as `originator` and `User-Agent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnOrigin {
    /// The `originator` header (the client's name).
    pub originator: String,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for TurnOrigin {
    fn default() -> Self {
        Self::for_client(None)
    }
}

impl TurnOrigin {
    /// The origin for a client that named itself `(name, version)` at `initialize`.
    pub fn for_client(client: Option<(&str, &str)>) -> Self {
        let originator = client
            .map(|(name, _)| header_safe(name))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| DEFAULT_ORIGINATOR.to_owned());
        Self { user_agent: user_agent(client), originator }
    }
}

/// The server's product token.
pub const PRODUCT: &str = "codex-app-server";

/// `codex-app-server/<version> (<os>; <arch>)`, then ` (<client name>; <client version>)` when
/// the client named itself (the reference's suffix), so providers and proxies see who calls.
pub fn user_agent(client: Option<(&str, &str)>) -> String {
    let mut agent = format!(
        "{PRODUCT}/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Some((name, version)) = client {
        agent.push_str(&format!(" ({}; {})", header_safe(name), header_safe(version)));
    }
    agent
}

/// `text` with every character a header value must not hold replaced by `_`.
fn header_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect()
}

/// The user's input as the model reads it: one user message, text and images in order.
///
/// Text over [`MAX_INPUT_CHARS`] is refused, and so is a local image that cannot be read (not a
/// regular file, too large, not an image); both errors say which input was wrong.
pub fn model_input(input: &[UserInput]) -> Result<InputItem, EngineError> {
    let chars: usize = input
        .iter()
        .map(|part| match part {
            UserInput::Text { text, .. } => text.chars().count(),
            _ => 0,
        })
        .sum();
    if chars > MAX_INPUT_CHARS {
        return Err(EngineError::InvalidParams(format!(
            "input text is {chars} characters; at most {MAX_INPUT_CHARS} are accepted per \
             request (send large files as paths the agent can read instead)"
        )));
    }
    let mut parts = Vec::with_capacity(input.len());
    for (index, part) in input.iter().enumerate() {
        match part {
            UserInput::Image { url: Some(url), .. } => parts.push(ContentPart::image(url.clone())),
            UserInput::LocalImage { path, .. } => {
                let data_url = load_local_image(std::path::Path::new(path)).map_err(|err| {
                    EngineError::InvalidParams(format!("input[{index}] (localImage): {err}"))
                })?;
                parts.push(ContentPart::image(data_url));
            }
            other => parts.push(ContentPart::text(crate::engine::wire::user_input_text(
                std::slice::from_ref(other),
            ))),
        }
    }
    let has_image = parts.iter().any(|part| matches!(part, ContentPart::InputImage { .. }));
    if has_image {
        Ok(InputItem::user_parts(parts))
    } else {
        Ok(InputItem::user(crate::engine::wire::user_input_text(input)))
    }
}

/// The reasoning options of a request: effort from the turn or thread, then config, then the
/// model's default; summary likewise, `auto` for models that stream summaries. Models that take
/// no reasoning parameters get none unless the user asked for an effort.
pub fn reasoning_options(
    info: &ModelInfo,
    thread: &ThreadSettings,
    config: &AgentSettings,
) -> Option<ReasoningOptions> {
    let asked_effort = thread
        .reasoning_effort
        .as_deref()
        .and_then(|effort| effort.parse::<ReasoningEffort>().ok())
        .or(config.model_reasoning_effort);
    if !info.reasoning && asked_effort.is_none() {
        return None;
    }
    let effort = asked_effort.or(info.default_effort);
    let summary = thread
        .reasoning_summary
        .as_deref()
        .and_then(|summary| summary.parse::<ReasoningSummary>().ok())
        .or(config.model_reasoning_summary)
        .or(info.supports_reasoning_summary.then_some(ReasoningSummary::Auto));
    Some(ReasoningOptions { effort, summary })
}

/// `text.verbosity`: the configured value, else the model's default, for models that take it.
pub fn verbosity(info: &ModelInfo, config: &AgentSettings) -> Option<Verbosity> {
    if info.known && !info.supports_verbosity {
        return None;
    }
    config.model_verbosity.or(info.default_verbosity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::model_info;

    fn thread() -> ThreadSettings {
        serde_json::from_value(serde_json::json!({
            "approvalPolicy": "never",
            "sandbox": {"type": "dangerFullAccess"},
        }))
        .unwrap()
    }

    #[test]
    fn reasoning_models_get_effort_and_summary_and_others_nothing() {
        let config = AgentSettings::default();
        let options = reasoning_options(&model_info("gpt-5"), &thread(), &config).unwrap();
        assert_eq!(options.effort, Some(ReasoningEffort::Medium));
        assert_eq!(options.summary, Some(ReasoningSummary::Auto));
        assert_eq!(reasoning_options(&model_info("gpt-4o"), &thread(), &config), None);
        assert_eq!(reasoning_options(&model_info("mystery-model"), &thread(), &config), None);
    }

    #[test]
    fn the_turn_beats_the_config_which_beats_the_model() {
        let config = AgentSettings {
            model_reasoning_effort: Some(ReasoningEffort::Low),
            model_reasoning_summary: Some(ReasoningSummary::Detailed),
            ..AgentSettings::default()
        };
        let options = reasoning_options(&model_info("gpt-5"), &thread(), &config).unwrap();
        assert_eq!(options.effort, Some(ReasoningEffort::Low));
        assert_eq!(options.summary, Some(ReasoningSummary::Detailed));
        let mut settings = thread();
        settings.reasoning_effort = Some("high".into());
        settings.reasoning_summary = Some("concise".into());
        let options = reasoning_options(&model_info("gpt-5"), &settings, &config).unwrap();
        assert_eq!(options.effort, Some(ReasoningEffort::High));
        assert_eq!(options.summary, Some(ReasoningSummary::Concise));
        // An unknown model gets reasoning only because the user asked for an effort.
        let options = reasoning_options(&model_info("mystery"), &settings, &config).unwrap();
        assert_eq!(options.effort, Some(ReasoningEffort::High));
    }

    #[test]
    fn verbosity_only_for_models_that_take_it() {
        let config =
            AgentSettings { model_verbosity: Some(Verbosity::Low), ..AgentSettings::default() };
        assert_eq!(verbosity(&model_info("gpt-5"), &config), Some(Verbosity::Low));
        assert_eq!(verbosity(&model_info("o3"), &config), None);
        assert_eq!(verbosity(&model_info("mystery"), &config), Some(Verbosity::Low));
        assert_eq!(verbosity(&model_info("mystery"), &AgentSettings::default()), None);
    }

    #[test]
    fn the_user_agent_names_the_client() {
        let origin = TurnOrigin::for_client(Some(("codex-tui", "0.169.0")));
        assert_eq!(origin.originator, "codex-tui");
        assert!(origin.user_agent.starts_with(&format!("{PRODUCT}/{}", env!("CARGO_PKG_VERSION"))));
        assert!(origin.user_agent.ends_with(" (codex-tui; 0.169.0)"), "{}", origin.user_agent);
        let anonymous = TurnOrigin::default();
        assert_eq!(anonymous.originator, DEFAULT_ORIGINATOR);
        assert!(!anonymous.user_agent.contains("(;"));
        assert_eq!(TurnOrigin::for_client(Some(("bad\nname", "1"))).originator, "bad_name");
    }

    #[test]
    fn oversized_text_and_unreadable_images_are_refused() {
        let big = UserInput::Text { text: "x".repeat(MAX_INPUT_CHARS + 1), text_elements: vec![] };
        let err = model_input(&[big]).unwrap_err().to_string();
        assert!(err.contains("1048577 characters"), "{err}");
        let fifo = UserInput::LocalImage { detail: None, path: "/dev/zero".into() };
        let err = model_input(&[fifo]).unwrap_err().to_string();
        assert!(err.contains("input[0]") && err.contains("/dev/zero"), "{err}");
    }
}
