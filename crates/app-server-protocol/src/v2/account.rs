//! Accounts: who the server is signed in as (`account/read`), signing in and out
//! (`account/login/start`, `account/logout` and their notifications), rate limits
//! (`account/rateLimits/read`) and the Bedrock GovCloud check.

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
        /// Email.
        #[schemars(with = "crate::schema_support::Required<Option<String>>")]
        email: Option<String>,
        /// Plan type.
        #[serde(rename = "planType")]
        plan_type: PlanType,
        /// Display name of the selected ChatGPT workspace, when available.
        #[serde(rename = "workspaceName", default, skip_serializing_if = "Option::is_none")]
        workspace_name: Option<String>,
    },
    /// `amazonBedrock`.
    #[serde(rename = "amazonBedrock")]
    AmazonBedrock {
        /// Uses codex managed credentials.
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
    /// Account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Requires openai auth.
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

/// `account/login/start` params, tagged by `type`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/LoginAccountParams.ts")]
pub enum LoginAccountParams {
    /// Sign in with an OpenAI API key.
    #[serde(rename = "apiKey")]
    ApiKey {
        /// The API key.
        #[serde(rename = "apiKey")]
        api_key: String,
    },
    /// Sign in with ChatGPT in a browser.
    #[serde(rename = "chatgpt")]
    Chatgpt {
        /// Which app brand the login pages show.
        #[serde(rename = "appBrand", default, skip_serializing_if = "Option::is_none")]
        app_brand: Option<LoginAppBrand>,
        /// Use the streamlined login flow.
        #[serde(
            rename = "codexStreamlinedLogin",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        codex_streamlined_login: Option<bool>,
        /// Use the hosted login success page.
        #[serde(
            rename = "useHostedLoginSuccessPage",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        use_hosted_login_success_page: Option<bool>,
    },
    /// Sign in with ChatGPT through a device code.
    #[serde(rename = "chatgptDeviceCode")]
    ChatgptDeviceCode {},
    /// Externally managed ChatGPT tokens.
    #[serde(rename = "chatgptAuthTokens")]
    ChatgptAuthTokens {
        /// Access token.
        #[serde(rename = "accessToken")]
        access_token: String,
        /// ChatGPT account id.
        #[serde(rename = "chatgptAccountId")]
        chatgpt_account_id: String,
        /// ChatGPT plan type.
        #[serde(rename = "chatgptPlanType", default, skip_serializing_if = "Option::is_none")]
        chatgpt_plan_type: Option<String>,
    },
    /// An Amazon Bedrock API key.
    #[serde(rename = "amazonBedrock")]
    AmazonBedrock {
        /// The API key.
        #[serde(rename = "apiKey")]
        api_key: String,
        /// The AWS region.
        region: String,
    },
    /// Amazon Bedrock access keys.
    #[serde(rename = "amazonBedrockAccessKeys")]
    AmazonBedrockAccessKeys {
        /// Access key id.
        #[serde(rename = "accessKeyId")]
        access_key_id: String,
        /// The AWS region.
        region: String,
        /// Secret access key.
        #[serde(rename = "secretAccessKey")]
        secret_access_key: String,
        /// Session token.
        #[serde(rename = "sessionToken", default, skip_serializing_if = "Option::is_none")]
        session_token: Option<String>,
    },
}

impl LoginAccountParams {
    /// The wire `type` of this login.
    pub fn kind(&self) -> &'static str {
        match self {
            LoginAccountParams::ApiKey { .. } => "apiKey",
            LoginAccountParams::Chatgpt { .. } => "chatgpt",
            LoginAccountParams::ChatgptDeviceCode {} => "chatgptDeviceCode",
            LoginAccountParams::ChatgptAuthTokens { .. } => "chatgptAuthTokens",
            LoginAccountParams::AmazonBedrock { .. } => "amazonBedrock",
            LoginAccountParams::AmazonBedrockAccessKeys { .. } => "amazonBedrockAccessKeys",
        }
    }
}

/// The `LoginAppBrand` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/LoginAppBrand.ts")]
pub enum LoginAppBrand {
    /// `codex`.
    #[serde(rename = "codex")]
    Codex,
    /// `chatgpt`.
    #[serde(rename = "chatgpt")]
    Chatgpt,
}

/// `account/login/start` response, tagged by `type`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(tag = "type")]
#[ts(export_to = "v2/LoginAccountResponse.ts")]
pub enum LoginAccountResponse {
    /// The API key was stored.
    #[serde(rename = "apiKey")]
    ApiKey {},
    /// A browser login started.
    #[serde(rename = "chatgpt")]
    Chatgpt {
        /// The URL to open.
        #[serde(rename = "authUrl")]
        auth_url: String,
        /// The login's id.
        #[serde(rename = "loginId")]
        login_id: String,
    },
    /// A device-code login started.
    #[serde(rename = "chatgptDeviceCode")]
    ChatgptDeviceCode {
        /// The login's id.
        #[serde(rename = "loginId")]
        login_id: String,
        /// The code to enter.
        #[serde(rename = "userCode")]
        user_code: String,
        /// Where to enter it.
        #[serde(rename = "verificationUrl")]
        verification_url: String,
    },
    /// External tokens were accepted.
    #[serde(rename = "chatgptAuthTokens")]
    ChatgptAuthTokens {},
    /// Bedrock credentials were stored.
    #[serde(rename = "amazonBedrock")]
    AmazonBedrock {},
}

/// The `LogoutAccountResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/LogoutAccountResponse.ts")]
pub struct LogoutAccountResponse {}

/// Authentication mode for OpenAI-backed providers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/AuthMode.ts")]
pub enum AuthMode {
    /// `apikey`.
    #[serde(rename = "apikey")]
    Apikey,
    /// `chatgpt`.
    #[serde(rename = "chatgpt")]
    Chatgpt,
    /// `chatgptAuthTokens`.
    #[serde(rename = "chatgptAuthTokens")]
    ChatgptAuthTokens,
    /// `headers`.
    #[serde(rename = "headers")]
    Headers,
    /// `agentIdentity`.
    #[serde(rename = "agentIdentity")]
    AgentIdentity,
    /// `personalAccessToken`.
    #[serde(rename = "personalAccessToken")]
    PersonalAccessToken,
    /// `bedrockApiKey`.
    #[serde(rename = "bedrockApiKey")]
    BedrockApiKey,
    /// `bedrockAccessKeys`.
    #[serde(rename = "bedrockAccessKeys")]
    BedrockAccessKeys,
}

/// The `AccountLoginCompletedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/AccountLoginCompletedNotification.ts")]
pub struct AccountLoginCompletedNotification {
    /// Why the login failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The login's id (`null` for an API-key login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
    /// Whether the login succeeded.
    pub success: bool,
}

/// The `AccountUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/AccountUpdatedNotification.ts")]
pub struct AccountUpdatedNotification {
    /// How the server authenticates now (`null`: signed out).
    #[schemars(with = "crate::schema_support::Required<Option<AuthMode>>")]
    pub auth_mode: Option<AuthMode>,
    /// The plan, for ChatGPT accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<PlanType>,
}

/// Usage-read capabilities of the requesting client.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/GetAccountRateLimitsParams.ts")]
pub struct GetAccountRateLimitsParams {
    /// Skip the separate reset-credit detail lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_reset_credit_details: Option<bool>,
    /// The client supports automatic reserve fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_luna_reserve: Option<bool>,
}

/// One rate-limit window.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RateLimitWindow.ts")]
pub struct RateLimitWindow {
    /// Unix time (seconds) when the window resets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
    /// How much of the window is used, in percent.
    pub used_percent: i32,
    /// The window's length in minutes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_duration_mins: Option<i64>,
}

/// The `RateLimitSnapshot` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/RateLimitSnapshot.ts")]
pub struct RateLimitSnapshot {
    /// The metered limit's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_id: Option<String>,
    /// The limit's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_name: Option<String>,
    /// The primary (shorter) window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<RateLimitWindow>,
    /// The secondary window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<RateLimitWindow>,
    /// The plan, for ChatGPT accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<PlanType>,
}

/// The `GetAccountRateLimitsResponse` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/GetAccountRateLimitsResponse.ts")]
pub struct GetAccountRateLimitsResponse {
    /// Backward-compatible single-bucket view.
    pub rate_limits: RateLimitSnapshot,
    /// Multi-bucket view keyed by limit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits_by_limit_id: Option<std::collections::BTreeMap<String, RateLimitSnapshot>>,
}

/// The `AccountRateLimitsUpdatedNotification` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/AccountRateLimitsUpdatedNotification.ts")]
pub struct AccountRateLimitsUpdatedNotification {
    /// The latest snapshot.
    pub rate_limits: RateLimitSnapshot,
}

/// The `BedrockCheckGovCloudRequirementsParams` wire type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[ts(export_to = "v2/BedrockCheckGovCloudRequirementsParams.ts")]
pub struct BedrockCheckGovCloudRequirementsParams {}

/// Advisory check of the current Bedrock configuration after login or setup.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "v2/BedrockCheckGovCloudRequirementsResponse.ts")]
pub struct BedrockCheckGovCloudRequirementsResponse {
    /// Whether the active Bedrock authentication resolves to a GovCloud region.
    pub is_gov_cloud: bool,
    /// Whether GovCloud is selected and the managed requirements miss the baseline.
    pub should_warn: bool,
}
