#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Accounts end to end: a real server on `ws://127.0.0.1:0`, `TestClient` validating every
//! message against the reference schema, `MockProvider` as an OpenAI-style provider that wants
//! `OPENAI_API_KEY`. Signing in with an API key stores it in `$CODEX_HOME/auth.json` (mode 0600),
//! tells every connection, shows in `account/read` and becomes the bearer token of the next
//! model request; rate limits come from the provider's `x-ratelimit-*` headers; signing out
//! removes the key.

mod tools_common;

use codex_test_support::MockProvider;
use codex_test_support::Script;
use codex_test_support::WireFormat;
use serde_json::json;
use serde_json::Value;
use tools_common::*;

/// The mock as a provider that reads `OPENAI_API_KEY` and requires an OpenAI sign-in.
fn configure(home: &std::path::Path, mock: &MockProvider) {
    let text = format!(
        "model = \"mock-model\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\n{}\
         env_key = \"OPENAI_API_KEY\"\nrequires_openai_auth = true\n",
        mock.provider_toml("mock", WireFormat::Responses)
    );
    std::fs::write(home.join("config.toml"), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_sign_in_is_stored_announced_and_used_then_signed_out() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start().await;
    configure(home.path(), &mock);
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let mut other = server.client().await;

    let before = client.call("account/read", json!({})).await.unwrap();
    assert_eq!(before["requiresOpenaiAuth"], true);
    assert!(before.get("account").is_none_or(Value::is_null), "{before}");
    let early = client.request("account/rateLimits/read", Value::Null).await.unwrap().unwrap_err();
    assert_eq!(early["code"], -32600);
    assert!(early["message"].as_str().unwrap().contains("run a turn first"), "{early}");

    let answer = client
        .call("account/login/start", json!({"type": "apiKey", "apiKey": " sk-test-123 "}))
        .await
        .unwrap();
    assert_eq!(answer, json!({"type": "apiKey"}));
    for who in [&mut client, &mut other] {
        let completed = who.wait_for_notification("account/login/completed").await.unwrap();
        assert_eq!(completed["success"], true);
        let updated = who.wait_for_notification("account/updated").await.unwrap();
        assert_eq!(updated["authMode"], "apikey");
    }
    let auth_path = home.path().join("auth.json");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&auth_path).unwrap()).unwrap();
    assert_eq!(stored, json!({"OPENAI_API_KEY": "sk-test-123"}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&auth_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let after = other.call("account/read", json!({})).await.unwrap();
    assert_eq!(after["account"], json!({"type": "apiKey"}));

    // The stored key is the bearer token of the next model request, whose rate-limit headers
    // reach the client and `account/rateLimits/read`.
    mock.push(
        Script::text("hello")
            .with_header("x-ratelimit-limit-requests", "200")
            .with_header("x-ratelimit-remaining-requests", "150")
            .with_header("x-ratelimit-reset-requests", "1m0s")
            .with_header("x-ratelimit-limit-tokens", "40000")
            .with_header("x-ratelimit-remaining-tokens", "39000")
            .with_header("x-ratelimit-reset-tokens", "1.5s"),
    );
    let work = scratch();
    let thread_id = start_thread(&mut client, work.path()).await;
    client
        .call(
            "turn/start",
            json!({"threadId": thread_id, "input": [{"type": "text", "text": "hi"}]}),
        )
        .await
        .unwrap();
    let messages = turn_messages(&mut client).await;
    assert_eq!(completed_turn(&messages)["status"], "completed");
    let request = &mock.model_requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));
    let pushed = messages.iter().find(|m| m["method"] == "account/rateLimits/updated").unwrap();
    assert_eq!(pushed["params"]["rateLimits"]["primary"]["usedPercent"], 25);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        as i64;
    let limits = client.call("account/rateLimits/read", Value::Null).await.unwrap();
    let snapshot = &limits["rateLimits"];
    assert_eq!(snapshot["limitId"], "mock");
    assert_eq!(snapshot["primary"]["usedPercent"], 25);
    assert_eq!(snapshot["secondary"]["usedPercent"], 3);
    let resets = snapshot["primary"]["resetsAt"].as_i64().unwrap();
    assert!((now + 50..=now + 70).contains(&resets), "{resets} vs {now}");

    // Signing out removes the key and tells everyone.
    assert_eq!(other.call("account/logout", Value::Null).await.unwrap(), json!({}));
    for who in [&mut client, &mut other] {
        let updated = who.wait_for_notification("account/updated").await.unwrap();
        assert!(updated["authMode"].is_null(), "{updated}");
    }
    assert!(!auth_path.exists());
    let signed_out = client.call("account/read", json!({})).await.unwrap();
    assert!(signed_out.get("account").is_none_or(Value::is_null));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_sign_ins_and_bad_keys_are_refused_and_bedrock_does_not_apply() {
    let (home, _mock, server) = setup().await;
    let mut client = server.client().await;
    let chatgpt = client
        .request("account/login/start", json!({"type": "chatgpt"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(chatgpt["code"], -32600);
    assert!(chatgpt["message"].as_str().unwrap().contains("sign in with an API key"), "{chatgpt}");
    let empty = client
        .request("account/login/start", json!({"type": "apiKey", "apiKey": "  "}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(empty["code"], -32602);
    assert!(!home.path().join("auth.json").exists());
    let bedrock =
        client.call("account/bedrock/checkGovCloudRequirements", json!({})).await.unwrap();
    assert_eq!(bedrock, json!({"isGovCloud": false, "shouldWarn": false}));
    // Signing out without a key is fine.
    assert_eq!(client.call("account/logout", Value::Null).await.unwrap(), json!({}));
    server.stop().await;
}
