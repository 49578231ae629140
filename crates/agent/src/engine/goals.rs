//! A thread's goal (`thread/goal/get|set|clear`): an objective with a status and an optional
//! token budget, stored per thread in the state database's key/value table (so it survives a
//! restart) and announced to the thread's subscribers as `thread/goal/updated` or
//! `thread/goal/cleared`. The goal is kept and reported; it does not steer turns on this server
//! (`timeUsedSeconds` and `tokensUsed` stay 0).

use codex_app_server_protocol::v2::ThreadGoal;
use codex_app_server_protocol::v2::ThreadGoalClearParams;
use codex_app_server_protocol::v2::ThreadGoalClearResponse;
use codex_app_server_protocol::v2::ThreadGoalClearedNotification;
use codex_app_server_protocol::v2::ThreadGoalGetParams;
use codex_app_server_protocol::v2::ThreadGoalGetResponse;
use codex_app_server_protocol::v2::ThreadGoalSetParams;
use codex_app_server_protocol::v2::ThreadGoalSetResponse;
use codex_app_server_protocol::v2::ThreadGoalStatus;
use codex_app_server_protocol::v2::ThreadGoalUpdatedNotification;
use codex_app_server_protocol::ServerNotification;

use crate::engine::now_secs;
use crate::engine::Engine;
use crate::engine::EngineError;

/// The key/value key holding thread `id`'s goal.
fn goal_key(thread_id: &str) -> String {
    format!("thread_goal:{thread_id}")
}

impl Engine {
    /// Fails unless `id` is a loaded or stored thread.
    pub(crate) async fn check_thread_exists(&self, id: &str) -> Result<(), EngineError> {
        if self.loaded(id).is_some() || self.state().thread(id).await?.is_some() {
            Ok(())
        } else {
            Err(EngineError::ThreadNotFound(id.to_owned()))
        }
    }

    async fn stored_goal(&self, thread_id: &str) -> Result<Option<ThreadGoal>, EngineError> {
        let Some(value) = self.state().get_value(&goal_key(thread_id)).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_value(value).ok())
    }

    /// `thread/goal/get`.
    pub async fn goal(
        &self,
        params: ThreadGoalGetParams,
    ) -> Result<ThreadGoalGetResponse, EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        Ok(ThreadGoalGetResponse { goal: self.stored_goal(&params.thread_id).await? })
    }

    /// `thread/goal/set`: creates the goal (an objective is required then) or changes the given
    /// fields of the existing one.
    pub async fn set_goal(
        &self,
        params: ThreadGoalSetParams,
    ) -> Result<(ThreadGoalSetResponse, ServerNotification), EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        let objective = params.objective.as_deref().map(str::trim);
        if objective == Some("") {
            return Err(EngineError::InvalidParams("objective must not be empty".into()));
        }
        if params.token_budget.is_some_and(|budget| budget < 0) {
            return Err(EngineError::InvalidParams("tokenBudget must not be negative".into()));
        }
        let now = now_secs();
        let goal = match (self.stored_goal(&params.thread_id).await?, objective) {
            (Some(mut goal), objective) => {
                if let Some(objective) = objective {
                    goal.objective = objective.to_owned();
                }
                if let Some(status) = params.status {
                    goal.status = status;
                }
                if params.token_budget.is_some() {
                    goal.token_budget = params.token_budget;
                }
                goal.updated_at = now;
                goal
            }
            (None, Some(objective)) => ThreadGoal {
                created_at: now,
                objective: objective.to_owned(),
                status: params.status.unwrap_or(ThreadGoalStatus::Active),
                thread_id: params.thread_id.clone(),
                time_used_seconds: 0,
                token_budget: params.token_budget,
                tokens_used: 0,
                updated_at: now,
            },
            (None, None) => {
                return Err(EngineError::InvalidParams(format!(
                    "thread {} has no goal yet: pass an objective to set one",
                    params.thread_id
                )))
            }
        };
        let value = serde_json::to_value(&goal).map_err(codex_state::StateError::from)?;
        self.state().set_value(&goal_key(&params.thread_id), &value).await?;
        let notification = ServerNotification::ThreadGoalUpdated(ThreadGoalUpdatedNotification {
            goal: goal.clone(),
            thread_id: params.thread_id,
            turn_id: None,
        });
        Ok((ThreadGoalSetResponse { goal }, notification))
    }

    /// `thread/goal/clear`: removes the goal; the notification is there when there was one.
    pub async fn clear_goal(
        &self,
        params: ThreadGoalClearParams,
    ) -> Result<(ThreadGoalClearResponse, Option<ServerNotification>), EngineError> {
        self.check_thread_exists(&params.thread_id).await?;
        let cleared = self.state().delete_value(&goal_key(&params.thread_id)).await?;
        let notification = cleared.then(|| {
            ServerNotification::ThreadGoalCleared(ThreadGoalClearedNotification {
                thread_id: params.thread_id.clone(),
            })
        });
        Ok((ThreadGoalClearResponse { cleared }, notification))
    }
}
