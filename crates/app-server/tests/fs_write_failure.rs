#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `fs/writeFile` failing half-way leaves the old file intact. The failure is real: the process
//! file-size limit (`RLIMIT_FSIZE`, which binds root too) is lowered below the payload, so the
//! kernel refuses the temp file's writes with `EFBIG` after the first megabyte. This test has a
//! binary of its own because the limit is process-wide (the server runs in-process).

mod tools_common;

use base64::Engine as _;
use serde_json::json;
use tools_common::Server;

fn set_file_size_limit(bytes: libc::rlim_t) {
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: plain syscalls on this process; SIGXFSZ is ignored so an over-limit write fails
    // with EFBIG instead of killing the process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_half_way_leaves_the_old_file_intact() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(home.path()).await;
    let mut client = server.client().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config.json");
    std::fs::write(&target, "the old contents").unwrap();
    let big = vec![b'x'; 4 * 1024 * 1024];
    let data = base64::engine::general_purpose::STANDARD.encode(&big);

    set_file_size_limit(1024 * 1024);
    let error = client
        .request("fs/writeFile", json!({"path": target, "dataBase64": data}))
        .await
        .unwrap()
        .unwrap_err();
    set_file_size_limit(libc::RLIM_INFINITY);

    assert_eq!(error["code"], -32603, "{error}");
    assert_eq!(error["data"]["kind"], "FileTooLarge", "{error}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "the old contents");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["config.json"], "the temp file was left behind");

    // Without the limit the same write goes through.
    client.call("fs/writeFile", json!({"path": target, "dataBase64": data})).await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), big);
    server.stop().await;
}
