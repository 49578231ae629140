//! Account state: who the server is signed in as (`account/read`).

#[allow(unused_imports)]
use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

/// The `Account` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/Account.ts")]
pub enum Account {
    /// `apiKey`.
    #[serde(rename = "apiKey")]
    ApiKey {},
    /// `chatgpt`.
    #[serde(rename = "chatgpt")]
    Chatgpt {
        /// `email` field.
        #[schemars(with = "crate::schema_support::Required<Option<String>>")]
        email: Option<String>,
        /// `planType` field.
        #[serde(rename = "planType")]
        plan_type: PlanType,
        /// Display name of the selected ChatGPT workspace, when available.
        #[serde(rename = "workspaceName", default, skip_serializing_if = "Option::is_none")]
        workspace_name: Option<String>,
    },
    /// `amazonBedrock`.
    #[serde(rename = "amazonBedrock")]
    AmazonBedrock {
        /// `usesCodexManagedCredentials` field.
        #[serde(
            rename = "usesCodexManagedCredentials",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        uses_codex_managed_credentials: Option<bool>,
    },
    /// Google Cloud Vertex AI with externally managed credentials.
    #[serde(rename = "gcp")]
    Gcp {},
}

/// The `GetAccountParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/GetAccountParams.ts")]
pub struct GetAccountParams {
    /// When `true`, requests a proactive token refresh before returning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<bool>,
}

/// The `GetAccountResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/GetAccountResponse.ts")]
pub struct GetAccountResponse {
    /// `account` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// `requiresOpenaiAuth` field.
    pub requires_openai_auth: bool,
    /// ChatGPT user ID belonging to this account response, when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The `PlanType` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/PlanType.ts")]
pub enum PlanType {
    /// `free`.
    #[serde(rename = "free")]
    Free,
    /// `go`.
    #[serde(rename = "go")]
    Go,
    /// `plus`.
    #[serde(rename = "plus")]
    Plus,
    /// `pro`.
    #[serde(rename = "pro")]
    Pro,
    /// `prolite`.
    #[serde(rename = "prolite")]
    Prolite,
    /// `promax`.
    #[serde(rename = "promax")]
    Promax,
    /// `team`.
    #[serde(rename = "team")]
    Team,
    /// `self_serve_business_prolite`.
    #[serde(rename = "self_serve_business_prolite")]
    SelfServeBusinessProlite,
    /// `self_serve_business_usage_based`.
    #[serde(rename = "self_serve_business_usage_based")]
    SelfServeBusinessUsageBased,
    /// `business`.
    #[serde(rename = "business")]
    Business,
    /// `ent26`.
    #[serde(rename = "ent26")]
    Ent26,
    /// `enterprise_cbp_automation`.
    #[serde(rename = "enterprise_cbp_automation")]
    EnterpriseCbpAutomation,
    /// `enterprise_cbp_usage_based`.
    #[serde(rename = "enterprise_cbp_usage_based")]
    EnterpriseCbpUsageBased,
    /// `enterprise`.
    #[serde(rename = "enterprise")]
    Enterprise,
    /// `edu`.
    #[serde(rename = "edu")]
    Edu,
    /// `edu_plus`.
    #[serde(rename = "edu_plus")]
    EduPlus,
    /// `edu_pro`.
    #[serde(rename = "edu_pro")]
    EduPro,
    /// `sci`.
    #[serde(rename = "sci")]
    Sci,
    /// `sci_plus`.
    #[serde(rename = "sci_plus")]
    SciPlus,
    /// `unknown`.
    #[serde(rename = "unknown")]
    Unknown,
}
