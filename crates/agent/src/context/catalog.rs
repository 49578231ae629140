//! The built-in model catalog: what the agent knows about a model slug before talking to it
//! (context window, whether it takes reasoning parameters, verbosity support). Slugs are matched by
//! family prefix; anything unrecognised gets conservative defaults and `known: false` so the caller
//! can warn once.

use codex_model_client::ReasoningEffort;
pub use codex_model_client::Verbosity;

/// What the agent knows about one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The slug as given by the caller.
    pub slug: String,
    /// The catalog family the slug matched, or `unknown`.
    pub family: &'static str,
    /// Context window in tokens, when known.
    pub context_window: Option<u64>,
    /// Whether the model accepts reasoning parameters and returns encrypted reasoning.
    pub reasoning: bool,
    /// The reasoning effort used when neither the turn nor the config sets one.
    pub default_effort: Option<ReasoningEffort>,
    /// Whether the request may carry `reasoning.summary`.
    pub supports_reasoning_summary: bool,
    /// Whether the request may carry `text.verbosity`.
    pub supports_verbosity: bool,
    /// The verbosity used when the config sets none.
    pub default_verbosity: Option<Verbosity>,
    /// Whether the slug matched a catalog family.
    pub known: bool,
}

/// One catalog row: every slug starting with `prefix` belongs to `family`.
struct Family {
    prefix: &'static str,
    family: &'static str,
    window: u64,
    reasoning: bool,
    verbosity: bool,
}

const fn family(
    prefix: &'static str,
    family: &'static str,
    window: u64,
    reasoning: bool,
    verbosity: bool,
) -> Family {
    Family { prefix, family, window, reasoning, verbosity }
}

/// Catalog rows, most specific prefix first (the first match wins).
const FAMILIES: &[Family] = &[
    family("gpt-5", "gpt-5", 272_000, true, true),
    family("codex-mini-latest", "codex-mini", 200_000, true, false),
    family("o3", "o3", 200_000, true, false),
    family("o4-mini", "o4-mini", 200_000, true, false),
    family("gpt-4.1", "gpt-4.1", 1_047_576, false, false),
    family("gpt-4o", "gpt-4o", 128_000, false, false),
    family("gpt-oss", "gpt-oss", 131_072, true, false),
    family("llama3.1", "llama3", 131_072, false, false),
    family("llama3.2", "llama3", 131_072, false, false),
    family("llama3.3", "llama3", 131_072, false, false),
    family("llama3", "llama3", 8_192, false, false),
    family("qwen3-coder", "qwen3-coder", 262_144, false, false),
    family("qwen3", "qwen3", 40_960, false, false),
    family("qwen", "qwen", 32_768, false, false),
    family("devstral", "devstral", 131_072, false, false),
    family("mistral", "mistral", 32_768, false, false),
    family("deepseek", "deepseek", 131_072, false, false),
    family("gemma3", "gemma3", 131_072, false, false),
];

/// Looks a slug up in the built-in catalog (case-insensitive, ignoring a `provider/` prefix).
pub fn model_info(slug: &str) -> ModelInfo {
    let name = normalized_name(slug);
    match FAMILIES.iter().find(|row| name.starts_with(row.prefix)) {
        Some(row) => known_model(slug, &name, row),
        None => unknown_model(slug),
    }
}

/// The context window to use: the config's `model_context_window` wins over the catalog.
pub fn effective_context_window(info: &ModelInfo, config_override: Option<u64>) -> Option<u64> {
    config_override.or(info.context_window)
}

fn normalized_name(slug: &str) -> String {
    let base = slug.rsplit('/').next().unwrap_or(slug);
    base.trim().to_ascii_lowercase()
}

fn known_model(slug: &str, name: &str, row: &Family) -> ModelInfo {
    let is_codex_variant = name.contains("codex");
    let (family, verbosity) = if row.family == "gpt-5" && is_codex_variant {
        ("gpt-5-codex", false)
    } else {
        (row.family, row.verbosity)
    };
    ModelInfo {
        slug: slug.to_string(),
        family,
        context_window: Some(row.window),
        reasoning: row.reasoning,
        default_effort: row.reasoning.then_some(ReasoningEffort::Medium),
        supports_reasoning_summary: row.reasoning,
        supports_verbosity: verbosity,
        default_verbosity: verbosity.then_some(Verbosity::Medium),
        known: true,
    }
}

fn unknown_model(slug: &str) -> ModelInfo {
    ModelInfo {
        slug: slug.to_string(),
        family: "unknown",
        context_window: None,
        reasoning: false,
        default_effort: None,
        supports_reasoning_summary: false,
        supports_verbosity: false,
        default_verbosity: None,
        known: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt5_family_reasons_with_verbosity() {
        for slug in ["gpt-5", "gpt-5.1", "gpt-5-mini", "gpt-5-nano", "gpt-5.2"] {
            let info = model_info(slug);
            assert_eq!(info.family, "gpt-5", "{slug}");
            assert_eq!(info.context_window, Some(272_000), "{slug}");
            assert!(info.reasoning && info.supports_reasoning_summary, "{slug}");
            assert_eq!(info.default_effort, Some(ReasoningEffort::Medium), "{slug}");
            assert!(info.supports_verbosity, "{slug}");
            assert_eq!(info.default_verbosity, Some(Verbosity::Medium), "{slug}");
            assert!(info.known);
        }
    }

    #[test]
    fn gpt5_codex_variants_have_no_verbosity() {
        for slug in ["gpt-5-codex", "gpt-5.1-codex", "gpt-5.1-codex-max"] {
            let info = model_info(slug);
            assert_eq!(info.family, "gpt-5-codex", "{slug}");
            assert_eq!(info.context_window, Some(272_000));
            assert!(info.reasoning);
            assert!(!info.supports_verbosity);
            assert_eq!(info.default_verbosity, None);
        }
    }

    #[test]
    fn o_series_and_codex_mini_reason_without_verbosity() {
        for slug in ["o3", "o3-mini", "o4-mini", "codex-mini-latest"] {
            let info = model_info(slug);
            assert_eq!(info.context_window, Some(200_000), "{slug}");
            assert!(info.reasoning, "{slug}");
            assert!(!info.supports_verbosity, "{slug}");
        }
    }

    #[test]
    fn gpt4_models_do_not_reason() {
        let info = model_info("gpt-4.1-mini");
        assert_eq!(info.context_window, Some(1_047_576));
        assert!(!info.reasoning);
        assert_eq!(info.default_effort, None);
        assert!(!info.supports_reasoning_summary);
        let info = model_info("gpt-4o");
        assert_eq!(info.context_window, Some(128_000));
        assert!(!info.reasoning);
    }

    #[test]
    fn local_models_match_by_prefix() {
        assert_eq!(model_info("gpt-oss:20b").context_window, Some(131_072));
        assert!(model_info("gpt-oss:120b").reasoning);
        assert_eq!(model_info("llama3.1:8b").context_window, Some(131_072));
        assert_eq!(model_info("llama3:8b").context_window, Some(8_192));
        assert_eq!(model_info("qwen2.5-coder:7b").context_window, Some(32_768));
        assert_eq!(model_info("qwen3-coder:30b").context_window, Some(262_144));
        assert_eq!(model_info("mistral-nemo").family, "mistral");
    }

    #[test]
    fn provider_prefix_and_case_are_ignored() {
        let info = model_info("openai/GPT-5");
        assert_eq!(info.family, "gpt-5");
        assert_eq!(info.slug, "openai/GPT-5");
    }

    #[test]
    fn unknown_slug_gets_conservative_defaults() {
        let info = model_info("my-private-model");
        assert!(!info.known);
        assert_eq!(info.family, "unknown");
        assert_eq!(info.context_window, None);
        assert!(!info.reasoning);
        assert!(!info.supports_verbosity);
    }

    #[test]
    fn config_window_overrides_catalog() {
        let info = model_info("gpt-4o");
        assert_eq!(effective_context_window(&info, None), Some(128_000));
        assert_eq!(effective_context_window(&info, Some(64_000)), Some(64_000));
        let unknown = model_info("mystery");
        assert_eq!(effective_context_window(&unknown, None), None);
        assert_eq!(effective_context_window(&unknown, Some(4_096)), Some(4_096));
    }
}
