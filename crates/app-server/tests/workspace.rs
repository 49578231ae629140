#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The workspace methods end to end over a real websocket: `fuzzyFileSearch` (one-shot and
//! sessions) over generated trees in temp dirs, every `fs/*` method on real files, `fs/watch`
//! with real inotify events, and the refusals. Every server message is validated against the
//! reference schema by `TestClient`.

mod tools_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

use base64::Engine as _;
use codex_test_support::TestClient;
use serde_json::json;
use serde_json::Value;
use tools_common::Server;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text.as_str().unwrap()).unwrap()
}

async fn start() -> (tempfile::TempDir, Server) {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(home.path()).await;
    (home, server)
}

async fn experimental_client(server: &Server) -> TestClient {
    let mut client = TestClient::connect_ws(&server.address).await.unwrap();
    client.initialize("workspace-test", true).await.unwrap();
    client
}

fn git_init(dir: &Path) {
    let status = Command::new("git").arg("init").arg("-q").arg(dir).status().unwrap();
    assert!(status.success());
}

/// A git repository of `files` generated files (in directories of 100) with a `.gitignore`
/// hiding `ignored/` and `*.log`, plus a few files to look for.
fn generated_repo(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    std::fs::write(dir.path().join(".gitignore"), "ignored/\n*.log\n").unwrap();
    for index in 0..files {
        let sub = dir.path().join(format!("pkg{:03}", index / 100));
        if index % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("module_{index:05}.rs")), "").unwrap();
    }
    for extra in [
        "deep/nested/tree/of/dirs/needle_target.rs",
        "ignored/needle_target.rs",
        "notes/needle_target.log",
        ".hidden/needle_hidden.rs",
        "near/needle_targetx_copy.rs",
    ] {
        let path = dir.path().join(extra);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    dir
}

fn paths(files: &Value) -> Vec<String> {
    files.as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_over_a_10k_file_repo_honours_gitignore_and_ranks_the_exact_name_first() {
    let repo = generated_repo(10_000);
    let (_home, server) = start().await;
    let mut client = server.client().await;
    let root = repo.path().to_str().unwrap();

    let started = Instant::now();
    let result = client
        .call("fuzzyFileSearch", json!({"query": "needle_target.rs", "roots": [root]}))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let files = &result["files"];
    let found = paths(files);
    assert_eq!(found[0], "deep/nested/tree/of/dirs/needle_target.rs", "{files}");
    assert_eq!(files[0]["file_name"], "needle_target.rs");
    assert_eq!(files[0]["match_type"], "file");
    assert_eq!(files[0]["root"], root);
    assert!(!found.iter().any(|p| p.starts_with("ignored/")), "gitignored dir searched: {found:?}");
    assert!(!found.iter().any(|p| p.ends_with(".log")), "gitignored file found: {found:?}");
    // Match indices are character positions in `path`.
    let indices: Vec<usize> = files[0]["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    let path: Vec<char> = found[0].chars().collect();
    let matched: String = indices.iter().map(|&i| path[i]).collect();
    assert_eq!(matched.to_lowercase(), "needle_target.rs");
    // Scores are sorted, highest first.
    let scores: Vec<u64> =
        files.as_array().unwrap().iter().map(|f| f["score"].as_u64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    eprintln!("fuzzyFileSearch over 10,000 files: {elapsed:?}");

    // Hidden files are searched; directories match too.
    let hidden = client
        .call("fuzzyFileSearch", json!({"query": "needle_hidden", "roots": [root]}))
        .await
        .unwrap();
    assert_eq!(paths(&hidden["files"])[0], ".hidden/needle_hidden.rs");
    let dirs =
        client.call("fuzzyFileSearch", json!({"query": "pkg042", "roots": [root]})).await.unwrap();
    assert_eq!(dirs["files"][0]["path"], "pkg042");
    assert_eq!(dirs["files"][0]["match_type"], "directory");

    // At most 50 results, and an empty query walks nothing.
    let broad =
        client.call("fuzzyFileSearch", json!({"query": "module", "roots": [root]})).await.unwrap();
    assert_eq!(broad["files"].as_array().unwrap().len(), 50);
    let empty =
        client.call("fuzzyFileSearch", json!({"query": "", "roots": [root]})).await.unwrap();
    assert_eq!(empty, json!({"files": []}));

    // Outside a git repository a .gitignore is not applied (the reference's require_git).
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join(".gitignore"), "*\n").unwrap();
    std::fs::write(plain.path().join("visible_file.txt"), "").unwrap();
    let outside = client
        .call("fuzzyFileSearch", json!({"query": "visible_file", "roots": [plain.path()]}))
        .await
        .unwrap();
    assert_eq!(paths(&outside["files"]), ["visible_file.txt"]);

    // A relative root is refused, naming it.
    let error = client
        .request("fuzzyFileSearch", json!({"query": "x", "roots": [root, "relative/dir"]}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32602, "{error}");
    assert!(error["message"].as_str().unwrap().contains("roots[1]"), "{error}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_is_cancelled_by_a_later_one_with_the_same_token_and_does_not_block_the_connection(
) {
    let repo = generated_repo(10_000);
    let (_home, server) = start().await;
    let mut client = server.client().await;
    let root = repo.path().to_str().unwrap();
    let params =
        |query: &str| json!({"query": query, "roots": [root], "cancellationToken": "typing"});
    let first = client.send_request("fuzzyFileSearch", params("mod")).await.unwrap();
    let second = client.send_request("fuzzyFileSearch", params("needle_target.rs")).await.unwrap();
    // The connection is not held up by the searches: another request is served meanwhile.
    client.call("account/read", json!({})).await.unwrap();
    let first = client.response(&first).await.unwrap().unwrap();
    let second = client.response(&second).await.unwrap().unwrap();
    assert!(first["files"].as_array().unwrap().len() <= 50);
    assert_eq!(paths(&second["files"])[0], "deep/nested/tree/of/dirs/needle_target.rs");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_session_reports_only_the_latest_query_and_completes() {
    let repo = generated_repo(10_000);
    let (_home, server) = start().await;
    let root = repo.path().to_str().unwrap();

    // The session methods are experimental.
    let mut plain = server.client().await;
    let refused = plain
        .request("fuzzyFileSearch/sessionStart", json!({"sessionId": "s", "roots": [root]}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused["code"], -32004, "{refused}");

    let mut client = experimental_client(&server).await;
    let empty_id = client
        .request("fuzzyFileSearch/sessionStart", json!({"sessionId": "", "roots": [root]}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(empty_id["message"].as_str().unwrap().contains("sessionId"), "{empty_id}");
    client
        .call("fuzzyFileSearch/sessionStart", json!({"sessionId": "s1", "roots": [root]}))
        .await
        .unwrap();
    // The first query is replaced at once by a second: whatever the first produced, nothing
    // of it arrives after the second's results do.
    client
        .call("fuzzyFileSearch/sessionUpdate", json!({"sessionId": "s1", "query": "module_0"}))
        .await
        .unwrap();
    client
        .call("fuzzyFileSearch/sessionUpdate", json!({"sessionId": "s1", "query": "needle_target"}))
        .await
        .unwrap();
    let mut latest_seen = false;
    let mut last_files = Value::Null;
    loop {
        let message = client.next_message(Duration::from_secs(20)).await.unwrap();
        let params = &message["params"];
        assert_eq!(params["sessionId"], "s1", "{message}");
        match message["method"].as_str().unwrap() {
            "fuzzyFileSearch/sessionUpdated" => {
                if params["query"] == "needle_target" {
                    latest_seen = true;
                    last_files = params["files"].clone();
                } else {
                    assert_eq!(params["query"], "module_0");
                    assert!(!latest_seen, "an update for the old query after the new one");
                }
            }
            "fuzzyFileSearch/sessionCompleted" if latest_seen => break,
            "fuzzyFileSearch/sessionCompleted" => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(paths(&last_files)[0], "deep/nested/tree/of/dirs/needle_target.rs", "{last_files}");

    // An empty query reports no files.
    client
        .call("fuzzyFileSearch/sessionUpdate", json!({"sessionId": "s1", "query": ""}))
        .await
        .unwrap();
    let update = client.wait_for_notification("fuzzyFileSearch/sessionUpdated").await.unwrap();
    assert_eq!(update["files"], json!([]));
    client.wait_for_notification("fuzzyFileSearch/sessionCompleted").await.unwrap();

    // Stop is idempotent; an update after it finds no session.
    for _ in 0..2 {
        client.call("fuzzyFileSearch/sessionStop", json!({"sessionId": "s1"})).await.unwrap();
    }
    let gone = client
        .request("fuzzyFileSearch/sessionUpdate", json!({"sessionId": "s1", "query": "x"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(gone["code"], -32600);
    assert_eq!(gone["message"], "fuzzy file search session not found: s1");
    assert!(client.is_quiet_for(Duration::from_millis(300)).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_methods_round_trip_real_files() {
    let (_home, server) = start().await;
    let mut client = server.client().await;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let file = base.join("a.bin");
    let payload: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();

    client.call("fs/writeFile", json!({"path": file, "dataBase64": b64(&payload)})).await.unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), payload);
    let read = client.call("fs/readFile", json!({"path": file})).await.unwrap();
    assert_eq!(unb64(&read["dataBase64"]), payload);
    // Overwrite keeps the file's mode.
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    client.call("fs/writeFile", json!({"path": file, "dataBase64": b64(b"new")})).await.unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), b"new");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o640);
    // An empty file round-trips too.
    let empty = base.join("empty");
    client.call("fs/writeFile", json!({"path": empty, "dataBase64": ""})).await.unwrap();
    assert_eq!(client.call("fs/readFile", json!({"path": empty})).await.unwrap()["dataBase64"], "");

    // Directories.
    let nested = base.join("x/y/z");
    client.call("fs/createDirectory", json!({"path": nested})).await.unwrap();
    assert!(nested.is_dir());
    let error = client
        .request("fs/createDirectory", json!({"path": base.join("p/q"), "recursive": false}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["data"]["kind"], "NotFound", "{error}");
    std::os::unix::fs::symlink(&file, base.join("link")).unwrap();
    let listing = client.call("fs/readDirectory", json!({"path": base})).await.unwrap();
    assert_eq!(
        listing["entries"],
        json!([
            {"fileName": "a.bin", "isDirectory": false, "isFile": true},
            {"fileName": "empty", "isDirectory": false, "isFile": true},
            {"fileName": "link", "isDirectory": false, "isFile": true},
            {"fileName": "x", "isDirectory": true, "isFile": false},
        ])
    );
    let meta = client.call("fs/getMetadata", json!({"path": base.join("link")})).await.unwrap();
    assert_eq!(meta["isSymlink"], true);
    assert_eq!(meta["isFile"], true);
    assert!(meta["modifiedAtMs"].as_i64().unwrap() > 1_600_000_000_000);
    let meta = client.call("fs/getMetadata", json!({"path": nested})).await.unwrap();
    assert_eq!(
        (meta["isDirectory"].clone(), meta["isSymlink"].clone()),
        (json!(true), json!(false))
    );

    // Copies: a file, then a tree (symlinks recreated as symlinks).
    client
        .call("fs/copy", json!({"sourcePath": file, "destinationPath": nested.join("copy.bin")}))
        .await
        .unwrap();
    assert_eq!(std::fs::read(nested.join("copy.bin")).unwrap(), b"new");
    std::os::unix::fs::symlink("copy.bin", nested.join("rel-link")).unwrap();
    let error = client
        .request(
            "fs/copy",
            json!({"sourcePath": base.join("x"), "destinationPath": base.join("x2")}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32600);
    assert_eq!(error["message"], "fs/copy requires recursive: true when sourcePath is a directory");
    client
        .call(
            "fs/copy",
            json!({"sourcePath": base.join("x"), "destinationPath": base.join("x2"), "recursive": true}),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(base.join("x2/y/z/copy.bin")).unwrap(), b"new");
    assert_eq!(std::fs::read_link(base.join("x2/y/z/rel-link")).unwrap(), Path::new("copy.bin"));
    let into_itself = client
        .request(
            "fs/copy",
            json!({"sourcePath": base.join("x"), "destinationPath": base.join("x/y/inner"), "recursive": true}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert!(into_itself["message"].as_str().unwrap().contains("into itself"), "{into_itself}");
    let onto_itself = client
        .request("fs/copy", json!({"sourcePath": file, "destinationPath": base.join("./a.bin")}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(onto_itself["message"].as_str().unwrap().contains("onto itself"), "{onto_itself}");
    assert_eq!(std::fs::read(&file).unwrap(), b"new");

    // Removes: non-recursive on a full directory fails; force ignores a missing path.
    let error = client
        .request("fs/remove", json!({"path": base.join("x2"), "recursive": false}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32603, "{error}");
    client.call("fs/remove", json!({"path": base.join("x2")})).await.unwrap();
    assert!(!base.join("x2").exists());
    client.call("fs/remove", json!({"path": base.join("link")})).await.unwrap();
    assert!(file.exists(), "removing a symlink removed its target");
    client.call("fs/remove", json!({"path": base.join("missing")})).await.unwrap();
    let error = client
        .request("fs/remove", json!({"path": base.join("missing"), "force": false}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["data"]["kind"], "NotFound", "{error}");
    assert!(error["message"].as_str().unwrap().contains("missing"), "{error}");
    // Nothing but the written files was left behind (no temp files).
    let names: Vec<String> = std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".codex-write-")), "{names:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_refusals_are_clear_and_immediate() {
    let (_home, server) = start().await;
    let mut client = server.client().await;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();

    // Relative paths: -32602 naming the field, and nothing is created.
    let cases = [
        ("fs/readFile", json!({"path": "rel.txt"}), "path"),
        ("fs/writeFile", json!({"path": "rel.txt", "dataBase64": ""}), "path"),
        ("fs/readDirectory", json!({"path": "."}), "path"),
        ("fs/getMetadata", json!({"path": "rel"}), "path"),
        ("fs/createDirectory", json!({"path": "newdir"}), "path"),
        ("fs/remove", json!({"path": "rel"}), "path"),
        ("fs/copy", json!({"sourcePath": base, "destinationPath": "rel"}), "destinationPath"),
        ("fs/copy", json!({"sourcePath": "rel", "destinationPath": base}), "sourcePath"),
        ("fs/watch", json!({"path": "rel", "watchId": "w"}), "path"),
    ];
    for (method, params, field) in cases {
        let error = client.request(method, params).await.unwrap().unwrap_err();
        assert_eq!(error["code"], -32602, "{method}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(&format!("{field}:")), "{method}: {message}");
        assert!(message.contains("not absolute"), "{method}: {message}");
    }
    assert!(!Path::new("newdir").exists());

    // Not regular files: refused at once, never read.
    let fifo = base.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, what) in [
        (fifo.as_path(), "a FIFO"),
        (Path::new("/dev/zero"), "a character device"),
        (base, "a directory"),
    ] {
        let started = Instant::now();
        let error =
            client.request("fs/readFile", json!({"path": path})).await.unwrap().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error["code"], -32600, "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("is not a file") && message.contains(what), "{message}");
    }
    let error = client
        .request("fs/writeFile", json!({"path": fifo, "dataBase64": b64(b"x")}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("a FIFO"), "{error}");
    let error = client
        .request("fs/copy", json!({"sourcePath": fifo, "destinationPath": base.join("f2")}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32600, "{error}");

    // Bad base64: -32602 naming the field, the target untouched.
    let target = base.join("keep.txt");
    std::fs::write(&target, "old").unwrap();
    let error = client
        .request("fs/writeFile", json!({"path": target, "dataBase64": "not base64!"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().starts_with("dataBase64:"), "{error}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");

    // Missing files and permission errors carry the OS message and kind.
    let error = client
        .request("fs/readFile", json!({"path": base.join("nope")}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error["code"], -32603);
    assert_eq!(error["data"]["kind"], "NotFound");
    assert!(error["message"].as_str().unwrap().contains("No such file or directory"), "{error}");
    // sysfs refuses new files even to root.
    let error = client
        .request("fs/writeFile", json!({"path": "/sys/kernel/codex-test", "dataBase64": ""}))
        .await
        .unwrap()
        .unwrap_err();
    let kind = error["data"]["kind"].as_str().unwrap();
    assert!(["PermissionDenied", "ReadOnlyFilesystem"].contains(&kind), "{error}");
    server.stop().await;
}

/// Threads of this process whose name starts with `prefix` (the server runs in-process).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

async fn changed(client: &mut TestClient) -> Value {
    client.wait_for_notification("fs/changed").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_watch_reports_create_modify_delete_to_its_connection_only_until_unwatch_or_close() {
    let (_home, server) = start().await;
    let mut client = server.client().await;
    let mut other = server.client().await;
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let threads_before = threads_named("notify-rs inoti");

    let result =
        client.call("fs/watch", json!({"watchId": "w1", "path": dir.path()})).await.unwrap();
    assert_eq!(result["path"], base.to_str().unwrap());
    let duplicate = client
        .request("fs/watch", json!({"watchId": "w1", "path": dir.path()}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(duplicate["message"], "watchId already exists: w1");
    // The same id on another connection is that connection's own.
    other.call("fs/watch", json!({"watchId": "w1", "path": base.join("elsewhere")})).await.unwrap();

    let file = base.join("new.txt");
    let created = Instant::now();
    std::fs::write(&file, "1").unwrap();
    let event = changed(&mut client).await;
    let latency = created.elapsed();
    assert_eq!(event, json!({"watchId": "w1", "changedPaths": [file]}));
    assert!(latency >= Duration::from_millis(150), "not debounced: {latency:?}");
    // A burst of writes is one notification.
    for round in 0..5 {
        std::fs::write(&file, format!("{round}")).unwrap();
    }
    assert_eq!(changed(&mut client).await["changedPaths"], json!([file]));
    assert!(client.is_quiet_for(Duration::from_millis(500)).await, "{:?}", client.take_inbox());
    std::fs::remove_file(&file).unwrap();
    assert_eq!(changed(&mut client).await["changedPaths"], json!([file]));
    // The other connection saw nothing of it.
    assert!(other.is_quiet_for(Duration::from_millis(300)).await);

    // A file watch (also of a file that does not exist yet) sees creation and atomic replace.
    let single = base.join("single.txt");
    client.call("fs/watch", json!({"watchId": "w2", "path": single})).await.unwrap();
    std::fs::write(base.join("unrelated.txt"), "x").unwrap();
    std::fs::write(base.join("tmp"), "y").unwrap();
    std::fs::rename(base.join("tmp"), &single).unwrap();
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &Value| e["watchId"] == "w2") {
        seen.push(changed(&mut client).await);
    }
    let w2: Vec<&Value> = seen.iter().filter(|e| e["watchId"] == "w2").collect();
    assert_eq!(w2[0]["changedPaths"], json!([single]));

    // After unwatch (idempotent), nothing more.
    for _ in 0..2 {
        client.call("fs/unwatch", json!({"watchId": "w1"})).await.unwrap();
        client.call("fs/unwatch", json!({"watchId": "w2"})).await.unwrap();
    }
    let _ = client.take_inbox();
    std::fs::write(base.join("after.txt"), "x").unwrap();
    std::fs::write(&single, "z").unwrap();
    assert!(client.is_quiet_for(Duration::from_millis(600)).await, "{:?}", client.take_inbox());

    // Closing a connection drops its watches (their threads end).
    client.call("fs/watch", json!({"watchId": "w3", "path": base})).await.unwrap();
    assert!(threads_named("notify-rs inoti") > threads_before);
    client.close().await;
    other.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while threads_named("notify-rs inoti") > threads_before && Instant::now() < deadline {
        std::fs::write(base.join("poke.txt"), "x").unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        threads_named("notify-rs inoti"),
        threads_before,
        "watch threads outlived the connection"
    );
    server.stop().await;
}
