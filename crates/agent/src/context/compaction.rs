//! Compaction: how a thread's history is shrunk to fit the model's context window.
//!
//! When the tokens in use cross the automatic limit ([`auto_compact_limit`]: 90 % of the
//! window, lowered by `model_auto_compact_token_limit`), the model is asked for a hand-off
//! summary ([`SUMMARY_REQUEST`]) and the history is replaced by the initial context, the most
//! recent real user messages verbatim up to [`KEPT_USER_TOKENS`], and the summary
//! ([`summary_message`]). Tokens are estimated at 4 bytes each where the provider has not
//! reported them.

use codex_model_client::ContentPart;
use codex_model_client::InputItem;
use codex_model_client::MessageRole;

use crate::context::truncate::approx_tokens;
use crate::context::truncate::truncate_for_model;
use crate::context::turn_context::is_context_text;

/// The user message that asks the model for a hand-off summary.
pub const SUMMARY_REQUEST: &str = include_str!("../../prompts/compact/summary_request.md");
/// Put before the summary in the compacted history.
pub const SUMMARY_PREFIX: &str = include_str!("../../prompts/compact/summary_prefix.md");
/// How many tokens of recent user messages a compacted history keeps verbatim.
pub const KEPT_USER_TOKENS: usize = 20_000;
/// The automatic compaction limit, as a percentage of the context window.
pub const AUTO_COMPACT_PERCENT: u64 = 90;
/// The share of the window reported to clients as usable (`modelContextWindow`).
pub const EFFECTIVE_WINDOW_PERCENT: u64 = 95;
/// Written when the model returned an empty summary.
const NO_SUMMARY: &str = "(no summary available)";

/// The token count above which a thread is compacted: 90 % of `window`, or the configured
/// limit when it is lower; `None` when neither is known.
pub fn auto_compact_limit(window: Option<u64>, configured: Option<u64>) -> Option<u64> {
    let from_window = window.map(|window| window * AUTO_COMPACT_PERCENT / 100);
    match (from_window, configured) {
        (Some(limit), Some(configured)) => Some(limit.min(configured)),
        (limit, configured) => limit.or(configured),
    }
}

/// How many tokens of recent user messages a compaction keeps: [`KEPT_USER_TOKENS`], but never
/// more than a quarter of the compaction `limit`, so a small window is not filled again by the
/// user messages alone (the reference's fixed 20,000 would exceed a 20,000-token window).
pub fn kept_user_budget(limit: Option<u64>) -> usize {
    let quarter =
        limit.map_or(KEPT_USER_TOKENS, |limit| usize::try_from(limit / 4).unwrap_or(usize::MAX));
    KEPT_USER_TOKENS.min(quarter)
}

/// The window size reported to clients (95 % of the model's window).
pub fn reported_window(window: Option<u64>) -> Option<u64> {
    window.map(|window| window * EFFECTIVE_WINDOW_PERCENT / 100)
}

/// Estimated tokens of one history item (its text payload at 4 bytes a token).
pub fn item_tokens(item: &InputItem) -> u64 {
    let bytes = match item {
        InputItem::UserMessage { text } | InputItem::AssistantMessage { text } => text.len(),
        InputItem::Message { content, .. } => content
            .iter()
            .map(|part| match part {
                ContentPart::InputText { text } => text.len(),
                ContentPart::InputImage { image_url } => image_url.len(),
            })
            .sum(),
        InputItem::Reasoning { summary, encrypted_content, .. } => {
            summary.iter().map(String::len).sum::<usize>()
                + encrypted_content.as_ref().map_or(0, String::len)
        }
        InputItem::FunctionCall { name, arguments, .. } => name.len() + arguments.len(),
        InputItem::FunctionCallOutput { output, .. } => output.len(),
    };
    approx_tokens(bytes) as u64
}

/// Whether `item` is a summary written by an earlier compaction.
pub fn is_summary(item: &InputItem) -> bool {
    user_texts(item).first().is_some_and(|text| text.starts_with(SUMMARY_PREFIX.trim()))
}

/// The text of a message the user typed (images and context messages are not), if `item` is one.
pub fn real_user_text(item: &InputItem) -> Option<String> {
    let texts = user_texts(item);
    if texts.is_empty() || is_summary(item) || texts.iter().any(|text| is_context_text(text)) {
        return None;
    }
    Some(texts.join("\n\n"))
}

fn user_texts(item: &InputItem) -> Vec<&str> {
    match item {
        InputItem::UserMessage { text } => vec![text.as_str()],
        InputItem::Message { role: MessageRole::User, content } => content
            .iter()
            .filter_map(|part| match part {
                ContentPart::InputText { text } => Some(text.as_str()),
                ContentPart::InputImage { .. } => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The most recent real user messages of `history`, newest first until `budget` tokens are
/// spent (the one that crosses it is cut in the middle), returned oldest first.
pub fn kept_user_messages(history: &[InputItem], budget: usize) -> Vec<InputItem> {
    let mut kept = Vec::new();
    let mut left = budget;
    for text in history.iter().rev().filter_map(real_user_text) {
        if left == 0 {
            break;
        }
        let tokens = approx_tokens(text.len());
        if tokens <= left {
            left -= tokens;
            kept.push(InputItem::user(text));
        } else {
            kept.push(InputItem::user(truncate_for_model(&text, left).into_owned()));
            left = 0;
        }
    }
    kept.reverse();
    kept
}

/// The user message that carries a compaction's summary.
pub fn summary_message(summary: &str) -> InputItem {
    let summary = summary.trim();
    let summary = if summary.is_empty() { NO_SUMMARY } else { summary };
    InputItem::user(format!("{}\n\n{summary}", SUMMARY_PREFIX.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_ninety_percent_lowered_never_raised_by_config() {
        assert_eq!(auto_compact_limit(Some(4000), None), Some(3600));
        assert_eq!(auto_compact_limit(Some(4000), Some(2000)), Some(2000));
        assert_eq!(auto_compact_limit(Some(4000), Some(9000)), Some(3600));
        assert_eq!(auto_compact_limit(None, Some(2000)), Some(2000));
        assert_eq!(auto_compact_limit(None, None), None);
        assert_eq!(reported_window(Some(4000)), Some(3800));
        assert_eq!(kept_user_budget(None), KEPT_USER_TOKENS);
        assert_eq!(kept_user_budget(Some(244_800)), KEPT_USER_TOKENS);
        assert_eq!(kept_user_budget(Some(18_000)), 4_500);
    }

    #[test]
    fn only_real_user_messages_are_kept_newest_first_within_the_budget() {
        let context = InputItem::user_parts(vec![ContentPart::text(
            "<environment_context>\n  <cwd>/x</cwd>\n</environment_context>",
        )]);
        let image_only =
            InputItem::user_parts(vec![ContentPart::image("data:image/png;base64,AAAA")]);
        let history = vec![
            context,
            InputItem::user("first question"),
            InputItem::assistant("an answer"),
            InputItem::function_call("c", "shell", "{}"),
            InputItem::function_call_output("c", "output"),
            image_only,
            summary_message("old summary"),
            InputItem::user("x".repeat(400)),
            InputItem::user("last question"),
        ];
        let kept = kept_user_messages(&history, 1000);
        assert_eq!(
            kept,
            vec![
                InputItem::user("first question"),
                InputItem::user("x".repeat(400)),
                InputItem::user("last question"),
            ]
        );
        // A budget of 50 tokens: the newest fits, the 100-token one is cut, older ones dropped.
        let kept = kept_user_messages(&history, 50);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1], InputItem::user("last question"));
        let InputItem::UserMessage { text } = &kept[0] else { panic!("{kept:?}") };
        assert!(text.len() < 400 && text.contains("cut from the middle"), "{text}");
    }

    #[test]
    fn summaries_are_marked_and_never_empty() {
        let message = summary_message("  ");
        assert!(is_summary(&message));
        assert_eq!(real_user_text(&message), None);
        let InputItem::UserMessage { text } = message else { panic!() };
        assert!(text.ends_with(NO_SUMMARY));
    }
}
