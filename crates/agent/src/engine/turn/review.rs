//! `review/start`: a review turn. The target (uncommitted changes, a branch against its base, a
//! commit, or free-form instructions) becomes a request with the diff gathered from git in the
//! thread's cwd; the reviewer runs with its own instructions ([`REVIEWER_INSTRUCTIONS`]) and a
//! conversation of its own, apart from the thread's history, using the thread's tools (no web
//! search). The turn shows `enteredReviewMode`, the reviewer's command items, then
//! `exitedReviewMode` whose `review` is the findings rendered as text; the reviewer's raw
//! messages (JSON) are not shown as agent messages. The rendered review is then added to the
//! thread's history so later turns know about it.
//!
//! Delivery `inline` runs the turn on the thread itself; `detached` (an extension: the
//! reference schema lists only `inline`) starts a new thread with the same cwd and settings and
//! runs it there.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::v2::ReviewDelivery;
use codex_app_server_protocol::v2::ReviewStartParams;
use codex_app_server_protocol::v2::ReviewStartResponse;
use codex_app_server_protocol::v2::ReviewTarget;
use codex_app_server_protocol::v2::ThreadItem;
use codex_model_client::InputItem;
use serde::Deserialize;

use super::Launch;
use super::TurnEnd;
use super::TurnKind;
use super::TurnTask;
use crate::config::Config;
use crate::context::SentContext;
use crate::engine::new_id;
use crate::engine::now_ms;
use crate::engine::request::TurnOrigin;
use crate::engine::Engine;
use crate::engine::EngineError;
use crate::host::AgentHost;

/// The reviewer's base instructions: what to look for, how to rank it, the JSON to answer with.
pub const REVIEWER_INSTRUCTIONS: &str = include_str!("../../../prompts/review/reviewer.md");

/// Most bytes of git output put into a review request; the reviewer runs git for the rest.
const MAX_DIFF_BYTES: usize = 120 * 1024;
/// Most untracked files whose contents are shown.
const MAX_UNTRACKED_FILES: usize = 50;
/// How long one git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(30);

/// A review to run: what the reviewer is asked, and how the client names it.
#[derive(Debug, Clone)]
pub(crate) struct ReviewRequest {
    /// The user message the reviewer receives (with the diff).
    pub prompt: String,
    /// The short name shown in `enteredReviewMode` ("current changes", "commit abc1234", …).
    pub hint: String,
}

/// The reviewer's own conversation while a review turn runs.
#[derive(Debug, Default)]
pub(crate) struct ReviewConversation {
    /// What the reviewer is sent (context, the request, its calls and their outputs).
    pub input: Vec<InputItem>,
    /// The reviewer's latest message (its findings).
    pub last_message: Option<String>,
}

/// Runs `git args` in `cwd`: its stdout, or what went wrong.
async fn git(cwd: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = tokio::process::Command::new("git");
    command
        .args(args)
        .current_dir(cwd)
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(GIT_TIMEOUT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(err)) => return Err(format!("git could not be run: {err}")),
        Err(_) => return Err(format!("git {} took longer than 30 s", args.join(" "))),
    };
    // `git diff --no-index` exits 1 when the files differ, which is its success here.
    let differ = args.contains(&"--no-index") && output.status.code() == Some(1);
    if output.status.success() || differ {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `text` cut to [`MAX_DIFF_BYTES`] at a character boundary, saying so when cut.
fn capped(text: &str) -> String {
    if text.len() <= MAX_DIFF_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_DIFF_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[… {} more bytes not shown: run git yourself to read the rest …]",
        &text[..end],
        text.len() - end
    )
}

/// The uncommitted changes: status, the diff against HEAD (staged and unstaged), and the
/// untracked files as additions.
async fn uncommitted_changes(cwd: &Path) -> String {
    let status = git(cwd, &["status", "--porcelain=v1", "--untracked-files=all"]).await;
    let status = match status {
        Ok(status) => status,
        Err(err) => {
            return format!(
                "Reading the changes failed ({err}). Find out what changed yourself before \
                 reviewing, or report that the directory is not a git repository."
            )
        }
    };
    let diff = match git(cwd, &["diff", "HEAD", "--no-color"]).await {
        Ok(diff) => diff,
        // A repository without commits: everything staged is new.
        Err(_) => git(cwd, &["diff", "--cached", "--no-color"]).await.unwrap_or_default(),
    };
    let mut text = format!("<git_status>\n{}</git_status>\n\n<diff>\n{diff}", status);
    let untracked: Vec<&str> = status.lines().filter_map(|line| line.strip_prefix("?? ")).collect();
    for path in untracked.iter().take(MAX_UNTRACKED_FILES) {
        let path = path.trim_matches('"');
        if let Ok(added) =
            git(cwd, &["diff", "--no-color", "--no-index", "--", "/dev/null", path]).await
        {
            text.push_str(&added);
        }
        if text.len() > MAX_DIFF_BYTES {
            break;
        }
    }
    if untracked.len() > MAX_UNTRACKED_FILES {
        text.push_str(&format!(
            "\n[{} more untracked files not shown]\n",
            untracked.len() - MAX_UNTRACKED_FILES
        ));
    }
    text.push_str("</diff>");
    capped(&text)
}

/// The merge base of HEAD and `branch` (the branch's upstream when it has one).
async fn merge_base(cwd: &Path, branch: &str) -> Result<String, String> {
    let upstream_ref = format!("{branch}@{{upstream}}");
    let upstream =
        git(cwd, &["rev-parse", "--abbrev-ref", "--symbolic-full-name", &upstream_ref]).await;
    let base = match upstream {
        Ok(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => branch.to_owned(),
    };
    git(cwd, &["merge-base", "HEAD", &base]).await.map(|sha| sha.trim().to_owned())
}

impl ReviewRequest {
    /// Checks `target` and gathers what the reviewer needs from git in `cwd`.
    pub(crate) async fn prepare(target: &ReviewTarget, cwd: &Path) -> Result<Self, EngineError> {
        let invalid = |message: &str| EngineError::InvalidParams(message.to_owned());
        match target {
            ReviewTarget::UncommittedChanges {} => Ok(Self {
                prompt: format!(
                    "Review the uncommitted changes in this repository: staged, unstaged and \
                     untracked files.\n\n{}",
                    uncommitted_changes(cwd).await
                ),
                hint: "current changes".to_owned(),
            }),
            ReviewTarget::BaseBranch { branch } => {
                let branch = branch.trim();
                if branch.is_empty() {
                    return Err(invalid("branch must not be empty"));
                }
                let prompt = match merge_base(cwd, branch).await {
                    Ok(sha) => {
                        let diff = git(cwd, &["diff", "--no-color", &sha]).await;
                        let diff = diff.unwrap_or_else(|err| format!("({err})"));
                        format!(
                            "Review the changes of the current branch against the base branch \
                             '{branch}'. Their merge base is {sha}; below is `git diff {sha}` \
                             (the committed and uncommitted changes since then).\n\n<diff>\n{}\n</diff>",
                            capped(&diff)
                        )
                    }
                    Err(err) => format!(
                        "Review the changes of the current branch against the base branch \
                         '{branch}'. Finding their merge base failed ({err}): compute it \
                         yourself (`git merge-base HEAD {branch}`), then review `git diff` \
                         against it."
                    ),
                };
                Ok(Self { prompt, hint: format!("changes against '{branch}'") })
            }
            ReviewTarget::Commit { sha, title } => {
                let sha = sha.trim();
                if sha.is_empty() {
                    return Err(invalid("sha must not be empty"));
                }
                let short: String = sha.chars().take(7).collect();
                let title = title.as_deref().map(str::trim).filter(|title| !title.is_empty());
                let hint = match title {
                    Some(title) => format!("commit {short}: {title}"),
                    None => format!("commit {short}"),
                };
                let quoted = title.map(|title| format!(" (\"{title}\")")).unwrap_or_default();
                let shown = git(cwd, &["show", "--no-color", "--stat", "--patch", sha]).await;
                let shown = shown.unwrap_or_else(|err| format!("({err})"));
                Ok(Self {
                    prompt: format!(
                        "Review the changes introduced by commit {sha}{quoted}. Below is `git \
                         show {sha}`.\n\n<commit>\n{}\n</commit>",
                        capped(&shown)
                    ),
                    hint,
                })
            }
            ReviewTarget::Custom { instructions } => {
                let instructions = instructions.trim();
                if instructions.is_empty() {
                    return Err(invalid("instructions must not be empty"));
                }
                Ok(Self { prompt: instructions.to_owned(), hint: instructions.to_owned() })
            }
        }
    }
}

/// The reviewer's answer, as [`REVIEWER_INSTRUCTIONS`] asks for it (every field optional, so a
/// partial answer still renders).
#[derive(Debug, Default, Deserialize)]
struct ReviewOutput {
    #[serde(default)]
    findings: Vec<Finding>,
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Finding {
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Debug, Deserialize)]
struct Location {
    path: String,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    end_line: Option<u64>,
}

/// Reads the reviewer's message: the whole text as JSON, else its outermost `{…}`, else the
/// text itself as the summary.
fn parse_review(text: &str) -> ReviewOutput {
    let text = text.trim();
    if let Ok(output) = serde_json::from_str::<ReviewOutput>(text) {
        return output;
    }
    if let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) {
        if let Ok(output) = serde_json::from_str::<ReviewOutput>(&text[start..=end]) {
            return output;
        }
    }
    ReviewOutput { summary: Some(text.to_owned()), ..ReviewOutput::default() }
}

/// The review as the client shows it: the summary and verdict, then the findings most
/// important first.
pub(crate) fn render_review(text: &str) -> String {
    let mut output = parse_review(text);
    output.findings.sort_by(|a, b| {
        let rank = |f: &Finding| f.priority.unwrap_or(3);
        rank(a)
            .cmp(&rank(b))
            .then_with(|| b.confidence.unwrap_or(0.0).total_cmp(&a.confidence.unwrap_or(0.0)))
    });
    let mut rendered = String::new();
    if let Some(summary) = output.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        rendered.push_str(summary);
        rendered.push_str("\n\n");
    }
    if let Some(verdict) = output.verdict.as_deref() {
        let judgement = match verdict {
            "correct" => "the change looks correct",
            "incorrect" => "the change has blocking problems",
            other => other,
        };
        rendered.push_str(&format!("Verdict: {judgement}"));
        if let Some(confidence) = output.confidence {
            rendered.push_str(&format!(" (confidence {confidence:.2})"));
        }
        rendered.push_str("\n\n");
    }
    if output.findings.is_empty() {
        rendered.push_str("No issues found.");
        return rendered;
    }
    let count = output.findings.len();
    rendered.push_str(&format!("{count} finding{}:\n", if count == 1 { "" } else { "s" }));
    for finding in &output.findings {
        let title = finding.title.trim();
        let title = match finding.priority {
            Some(priority) if !title.starts_with('[') => format!("[P{priority}] {title}"),
            _ => title.to_owned(),
        };
        rendered.push_str(&format!("\n- {title}"));
        if let Some(location) = &finding.location {
            let lines = match (location.start_line, location.end_line) {
                (Some(start), Some(end)) if end > start => format!(":{start}-{end}"),
                (Some(start), _) => format!(":{start}"),
                _ => String::new(),
            };
            rendered.push_str(&format!(" — {}{lines}", location.path));
        }
        rendered.push('\n');
        for line in finding.body.trim().lines() {
            rendered.push_str("  ");
            rendered.push_str(line);
            rendered.push('\n');
        }
    }
    rendered.trim_end().to_owned()
}

impl TurnTask {
    /// Runs a review: `enteredReviewMode`, the reviewer's own conversation, then
    /// `exitedReviewMode` with the rendered findings, which also join the thread's history.
    pub(super) async fn review(&mut self, request: ReviewRequest) -> Result<(), TurnEnd> {
        let entered_id = new_id();
        let started = now_ms();
        let entered = ThreadItem::EnteredReviewMode {
            started_at_ms: Some(started),
            completed_at_ms: Some(started),
            id: entered_id,
            review: request.hint.clone(),
        };
        self.items.start(entered.clone(), started).await;
        self.complete_item(entered).await?;

        // The reviewer sees the thread's context (permissions, AGENTS.md, environment), not
        // its conversation.
        let mut input = self.context_since(Some(&SentContext::default()))?.items;
        input.push(InputItem::user(request.prompt.clone()));
        self.review = Some(ReviewConversation { input, last_message: None });
        let outcome = self.review_loop().await;
        let conversation = self.review.take().unwrap_or_default();

        let review_text = match (&outcome, conversation.last_message) {
            (Ok(()), Some(message)) => render_review(&message),
            (Ok(()), None) => "The reviewer gave no answer.".to_owned(),
            (Err(TurnEnd::Interrupted), _) => "The review was interrupted.".to_owned(),
            (Err(TurnEnd::Failed(error)), _) => format!("The review failed: {}", error.message),
            (Err(TurnEnd::Completed), _) => "The review ended early.".to_owned(),
        };
        let exited_id = new_id();
        let exited_started = now_ms();
        let exited = |completed: Option<i64>| ThreadItem::ExitedReviewMode {
            started_at_ms: Some(exited_started),
            completed_at_ms: completed,
            id: exited_id.clone(),
            review: review_text.clone(),
        };
        self.items.start(exited(None), exited_started).await;
        self.complete_item(exited(Some(now_ms()))).await?;
        self.push_history(vec![
            InputItem::user(format!(
                "<user_action>\n<action>code review</action>\n<target>{}</target>\n</user_action>",
                request.hint
            )),
            InputItem::assistant(format!("Code review of {}:\n\n{review_text}", request.hint)),
        ])
        .await?;
        outcome
    }

    /// The reviewer's requests and tool calls until it answers without calls.
    async fn review_loop(&mut self) -> Result<(), TurnEnd> {
        loop {
            if self.cancel.is_cancelled() {
                return Err(TurnEnd::Interrupted);
            }
            let request = self.build_request();
            let calls = self.sample(request).await?;
            if calls.is_empty() {
                return Ok(());
            }
            self.run_calls(calls).await?;
        }
    }
}

impl Engine {
    /// `review/start`: a review turn on the thread (`inline`) or on a new thread (`detached`,
    /// which the requester is subscribed to).
    pub async fn start_review(
        self: &Arc<Self>,
        host: &Arc<dyn AgentHost>,
        config: &Config,
        subscribe: impl FnOnce(&str),
        params: ReviewStartParams,
        origin: TurnOrigin,
    ) -> Result<ReviewStartResponse, EngineError> {
        let parent = match self.loaded(&params.thread_id) {
            Some(thread) => thread,
            None => {
                return Err(match self.state().thread(&params.thread_id).await? {
                    Some(_) => EngineError::ThreadNotLoaded(params.thread_id),
                    None => EngineError::ThreadNotFound(params.thread_id),
                })
            }
        };
        let cwd = std::path::PathBuf::from(&parent.lock().record.cwd);
        let request = ReviewRequest::prepare(&params.target, &cwd).await?;
        let thread_id = match params.delivery {
            None | Some(ReviewDelivery::Inline) => params.thread_id.clone(),
            Some(ReviewDelivery::Detached) => {
                let name = format!("Review: {}", request.hint);
                let thread = self.start_review_thread(host, &parent, name, subscribe).await?;
                thread.id.clone()
            }
        };
        let launch = Launch { output_schema: None, origin, kind: TurnKind::Review(request) };
        let turn = self.launch(host, config, &thread_id, launch, |_| {})?;
        Ok(ReviewStartResponse { review_thread_id: thread_id, turn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_render_most_important_first_with_their_place() {
        let text = r#"{"findings": [
            {"title": "Typo in log", "body": "minor", "priority": 3, "confidence": 0.9},
            {"title": "[P0] Deletes the wrong file", "body": "It removes `a`.\nUse `b`.",
             "priority": 0, "confidence": 0.7,
             "location": {"path": "/r/src/x.rs", "start_line": 4, "end_line": 6}}],
            "verdict": "incorrect", "summary": "Removes files.", "confidence": 0.8}"#;
        let rendered = render_review(text);
        assert!(rendered.starts_with("Removes files.\n\nVerdict: the change has blocking problems"));
        let first = rendered.find("[P0] Deletes the wrong file — /r/src/x.rs:4-6").unwrap();
        let second = rendered.find("[P3] Typo in log").unwrap();
        assert!(first < second, "{rendered}");
        assert!(rendered.contains("\n  It removes `a`.\n  Use `b`."), "{rendered}");
    }

    #[test]
    fn answers_that_are_not_clean_json_still_render() {
        let fenced = "Here you go:\n```json\n{\"findings\": [], \"summary\": \"Fine.\"}\n```";
        assert_eq!(render_review(fenced), "Fine.\n\nNo issues found.");
        assert_eq!(render_review("Looks good to me."), "Looks good to me.\n\nNo issues found.");
    }
}
