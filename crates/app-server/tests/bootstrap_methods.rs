//! The session bootstrap methods over a real websocket, with every server message validated
//! against the reference schema by `TestClient`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ListenAddress;
use codex_test_support::TestClient;
use serde_json::json;

/// A server on `ws://127.0.0.1:0` with state in `home`; returns its address and stop token.
async fn start_server(home: &Path) -> (String, CancellationToken, tokio::task::JoinHandle<()>) {
    let address = Arc::new(Mutex::new(None::<String>));
    let mut options = ServeOptions::new(
        ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
        home.to_path_buf(),
    );
    let seen = Arc::clone(&address);
    options.on_listening = Some(Arc::new(move |url: &str| {
        *seen.lock().unwrap() = Some(url.trim_start_matches("ws://").to_owned());
    }));
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { serve(options, stop).await.unwrap() });
    for _ in 0..500 {
        if let Some(address) = address.lock().unwrap().clone() {
            return (address, shutdown, task);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("server did not start listening");
}

#[tokio::test]
async fn bootstrap_methods_answer_with_reference_shaped_results() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let skill_dir = project.path().join(".codex/skills/lint");
    std::fs::create_dir_all(&skill_dir).unwrap();
    std::fs::write(
        skill_dir.join("SKILL.md"),
        "---\nname: lint\ndescription: Run the linter\n---\nSteps.",
    )
    .unwrap();
    let broken = project.path().join(".codex/skills/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("SKILL.md"), "no front matter").unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "# keep me\nmodel = \"gpt-test\" # the model\n\n[features]\nremote_control = true\n",
    )
    .unwrap();

    let (address, shutdown, task) = start_server(home.path()).await;
    let mut client = TestClient::connect_ws(&address).await.unwrap();

    let before = client.request("account/read", json!({})).await.unwrap().unwrap_err();
    assert_eq!(before["code"], -32002, "requests before initialize are refused: {before}");
    let init = client.initialize("bootstrap-test", false).await.unwrap();
    assert_eq!(init["codexHome"], home.path().display().to_string());
    assert_eq!(init["platformFamily"], "unix");

    let account = client.call("account/read", json!({})).await.unwrap();
    assert_eq!(account["requiresOpenaiAuth"], false);
    client.call("configRequirements/read", json!(null)).await.unwrap();
    let modes = client.call("collaborationMode/list", json!({})).await.unwrap();
    assert!(modes["data"].as_array().unwrap().len() >= 2, "{modes}");
    let hooks = client.call("hooks/list", json!({"cwds": [project.path()]})).await.unwrap();
    assert_eq!(hooks["data"][0]["cwd"], project.path().display().to_string());

    let skills = client.call("skills/list", json!({"cwds": [project.path()]})).await.unwrap();
    let entry = &skills["data"][0];
    assert_eq!(entry["skills"][0]["name"], "lint", "{skills}");
    assert_eq!(entry["skills"][0]["scope"], "repo");
    assert_eq!(
        entry["errors"].as_array().unwrap().len(),
        1,
        "the broken skill is reported: {skills}"
    );

    let features = client.call("experimentalFeature/list", json!({})).await.unwrap();
    let remote = features["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "remote_control")
        .unwrap();
    assert_eq!(remote["stage"], "removed");

    // The Codex TUI sends `cwd: "."`; it must be accepted.
    let config =
        client.call("config/read", json!({"includeLayers": true, "cwd": "."})).await.unwrap();
    assert_eq!(config["config"]["model"], "gpt-test");
    let version = config["layers"][0]["version"].as_str().unwrap().to_owned();

    let written = client
        .call(
            "config/value/write",
            json!({"keyPath": "model", "value": "gpt-next", "mergeStrategy": "replace", "expectedVersion": version}),
        )
        .await
        .unwrap();
    assert_eq!(written["status"], "ok");
    let stale = client
        .request(
            "config/value/write",
            json!({"keyPath": "model", "value": "x", "mergeStrategy": "replace", "expectedVersion": version}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(stale["message"].as_str().unwrap().contains("changed"), "{stale}");
    client
        .call(
            "config/batchWrite",
            json!({"edits": [
                {"keyPath": "model_providers.local", "value": {"base_url": "http://127.0.0.1:1/v1", "wire_api": "chat"}, "mergeStrategy": "upsert"},
                {"keyPath": "approval_policy", "value": "never", "mergeStrategy": "replace"}
            ]}),
        )
        .await
        .unwrap();
    let text = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(text.contains("# keep me") && text.contains("# the model"), "comments survive: {text}");
    assert!(text.contains("model = \"gpt-next\""), "{text}");
    assert!(text.contains("[model_providers.local]"), "{text}");
    let reread = client.call("config/read", json!({})).await.unwrap();
    assert_eq!(reread["config"]["approval_policy"], "never");

    let bad = client
        .request(
            "config/value/write",
            json!({"keyPath": "approval_policy", "value": "sometimes", "mergeStrategy": "replace"}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(bad["code"], -32602, "{bad}");
    assert_eq!(
        std::fs::read_to_string(home.path().join("config.toml")).unwrap(),
        text,
        "a refused write changes nothing"
    );

    let unknown = client.request("nope/unknown", json!({})).await.unwrap().unwrap_err();
    assert_eq!(unknown["code"], -32601);
    let bad_params = client.request("skills/list", json!({"cwds": 5})).await.unwrap().unwrap_err();
    assert_eq!(bad_params["code"], -32602);
    let gated =
        client.request("remoteControl/status/read", json!(null)).await.unwrap().unwrap_err();
    assert!(gated["message"].as_str().unwrap().contains("experimentalApi"), "{gated}");
    assert!(client.validated >= 15, "every message was validated: {}", client.validated);

    client.close().await;
    shutdown.cancel();
    task.await.unwrap();
}
