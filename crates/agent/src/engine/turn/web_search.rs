//! Hosted web searches inside a turn: the provider runs them (Responses API `web_search`
//! tool) and streams `web_search_call` output items, which become `webSearch` thread items
//! (`item/started` when the search begins, `item/completed` with its query and action).

use std::collections::HashMap;

use codex_app_server_protocol::v2::ThreadItem;
use codex_app_server_protocol::v2::WebSearchAction;
use serde_json::Value;

use super::TurnEnd;
use super::TurnTask;
use crate::engine::new_id;
use crate::engine::now_ms;

/// One `web_search_call` output item.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WebSearchCall {
    provider_id: String,
    query: String,
    action: Option<WebSearchAction>,
}

impl WebSearchCall {
    /// The search call in a raw output item, if it is one.
    pub(super) fn from_raw(raw: &Value) -> Option<Self> {
        if raw.get("type").and_then(Value::as_str) != Some("web_search_call") {
            return None;
        }
        let provider_id = raw.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let text =
            |action: &Value, key: &str| action.get(key).and_then(Value::as_str).map(str::to_owned);
        let action =
            raw.get("action").map(|action| match action.get("type").and_then(Value::as_str) {
                Some("search") => WebSearchAction::Search {
                    queries: action.get("queries").and_then(|queries| {
                        serde_json::from_value::<Vec<String>>(queries.clone()).ok()
                    }),
                    query: text(action, "query"),
                },
                Some("open_page") => WebSearchAction::OpenPage { url: text(action, "url") },
                Some("find_in_page") => WebSearchAction::FindInPage {
                    pattern: text(action, "pattern"),
                    url: text(action, "url"),
                },
                _ => WebSearchAction::Other {},
            });
        let query = match &action {
            Some(WebSearchAction::Search { query: Some(query), .. }) => query.clone(),
            Some(WebSearchAction::Search { queries: Some(queries), .. }) => queries.join(" | "),
            Some(WebSearchAction::OpenPage { url: Some(url) }) => url.clone(),
            Some(WebSearchAction::FindInPage { url: Some(url), .. }) => url.clone(),
            _ => String::new(),
        };
        Some(Self { provider_id, query, action })
    }
}

/// The searches of one response that started and did not complete yet: provider item id →
/// (our item id, start time).
#[derive(Debug, Default)]
pub(super) struct OpenSearches {
    items: HashMap<String, (String, i64)>,
}

impl TurnTask {
    /// Starts a `webSearch` item for `call` unless it is already open.
    pub(super) async fn open_web_search(&self, open: &mut OpenSearches, call: WebSearchCall) {
        if open.items.contains_key(&call.provider_id) {
            return;
        }
        let (id, started_ms) = (new_id(), now_ms());
        open.items.insert(call.provider_id.clone(), (id.clone(), started_ms));
        let item = ThreadItem::WebSearch {
            started_at_ms: Some(started_ms),
            completed_at_ms: None,
            action: call.action,
            id,
            query: call.query,
            results: None,
        };
        self.items.start(item, started_ms).await;
    }

    /// Completes (and stores) the `webSearch` item of `call`, starting it first if needed.
    pub(super) async fn close_web_search(
        &mut self,
        open: &mut OpenSearches,
        call: WebSearchCall,
    ) -> Result<(), TurnEnd> {
        self.open_web_search(open, call.clone()).await;
        let Some((id, started_ms)) = open.items.remove(&call.provider_id) else { return Ok(()) };
        let item = ThreadItem::WebSearch {
            started_at_ms: Some(started_ms),
            completed_at_ms: Some(now_ms()),
            action: call.action,
            id,
            query: call.query,
            results: None,
        };
        self.complete_item(item).await
    }

    /// Completes every search still open (the response ended without finishing them).
    pub(super) async fn close_open_searches(
        &mut self,
        open: &mut OpenSearches,
    ) -> Result<(), TurnEnd> {
        for (_, (id, started_ms)) in std::mem::take(&mut open.items) {
            let item = ThreadItem::WebSearch {
                started_at_ms: Some(started_ms),
                completed_at_ms: Some(now_ms()),
                action: None,
                id,
                query: String::new(),
                results: None,
            };
            self.complete_item(item).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_calls_map_to_wire_actions() {
        let search = WebSearchCall::from_raw(&json!({"type": "web_search_call", "id": "ws_1",
            "status": "completed", "action": {"type": "search", "query": "rust 2024 edition"}}))
        .unwrap();
        assert_eq!(search.query, "rust 2024 edition");
        assert!(matches!(search.action, Some(WebSearchAction::Search { .. })));
        let page = WebSearchCall::from_raw(&json!({"type": "web_search_call", "id": "ws_2",
            "action": {"type": "open_page", "url": "https://example.com"}}))
        .unwrap();
        assert_eq!(page.query, "https://example.com");
        assert!(WebSearchCall::from_raw(&json!({"type": "message"})).is_none());
    }
}
