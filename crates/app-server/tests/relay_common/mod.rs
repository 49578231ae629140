//! Shared harness of the remote-control tests: a real relay (`codex-remote-relay`) on 127.0.0.1
//! with its own state directory, and in-process app-servers dialling out to it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server::serve::serve;
use codex_app_server::serve::ServeOptions;
use codex_app_server_transport::CancellationToken;
use codex_app_server_transport::ListenAddress;
use codex_remote_relay::RelayHandle;
use codex_remote_relay::RelayOptions;
use codex_remote_relay::Store;
use codex_test_support::TestClient;
use tokio::task::JoinHandle;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Relay {
    pub handle: RelayHandle,
    pub address: SocketAddr,
    pub state: tempfile::TempDir,
    pub shutdown: CancellationToken,
    pub task: Option<JoinHandle<()>>,
}

impl Relay {
    pub async fn start(max_frame_bytes: usize) -> Self {
        Self::start_with(|options| options.max_frame_bytes = max_frame_bytes).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut RelayOptions)) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), configure).await
    }

    /// A relay with fresh state on `address` (a relay restarted on the same port, when reused).
    pub async fn start_on(address: SocketAddr, configure: impl FnOnce(&mut RelayOptions)) -> Self {
        let state = tempfile::tempdir().unwrap();
        let mut options = RelayOptions::new(state.path());
        configure(&mut options);
        let handle = RelayHandle::new(options).unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(address).unwrap();
        let listener = socket.listen(128).unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let serving = handle.clone();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move { serving.serve(listener, stop).await.unwrap() });
        Self { handle, address, state, shutdown, task: Some(task) }
    }

    /// Stops the relay and waits until its port is free.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let task = self.task.take().unwrap();
        tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The id of the only enrolled server, once it enrolled.
    pub async fn server_id(&self) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(id) = self.handle.servers().keys().next() {
                    return id.clone();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("server never enrolled")
    }

    pub async fn wait_connections(&self, server_id: &str, count: u64) {
        tokio::time::timeout(WAIT, async {
            while self.handle.server_connections(server_id) < count {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("server socket never (re)connected");
    }

    pub fn issue(&self, server_id: &str) -> String {
        Store::new(self.state.path()).issue_client_token(server_id).unwrap()
    }

    /// The id of an enrolled server other than `old`, once there is one.
    pub async fn server_id_other_than(&self, old: &str) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(id) = self.handle.servers().keys().find(|id| *id != old) {
                    return id.clone();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("no new enrollment")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub struct Server {
    pub address: String,
    pub shutdown: CancellationToken,
    pub task: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failing test must not leave the server thread running (the runtime would wait on it).
        self.shutdown.cancel();
    }
}

impl Server {
    pub async fn start(codex_home: &Path, remote_control: bool) -> Self {
        let mut options = ServeOptions::new(
            ListenAddress::Websocket("127.0.0.1:0".parse().unwrap()),
            codex_home.to_path_buf(),
        );
        options.remote_control = remote_control;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        options.on_listening = Some(Arc::new(move |address: &str| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(address.trim_start_matches("ws://").to_owned());
            }
        }));
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        // `serve` is not `Send`: it gets a runtime of its own on its own thread.
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(options, stop)).unwrap();
        });
        let task = tokio::task::spawn_blocking(move || thread.join().unwrap());
        let address = tokio::time::timeout(WAIT, rx).await.unwrap().unwrap();
        Self { address, shutdown, task: Some(task) }
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let task = self.task.take().unwrap();
        tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
    }
}

/// Config for `relay` with pairing off (`require_pairing = false`): the relay-mechanics tests
/// talk plain JSON-RPC through the relay.
pub fn write_config(codex_home: &Path, relay_url: &str, extra: &str) {
    std::fs::write(
        codex_home.join("config.toml"),
        format!("{extra}\n[remote_control]\nurl = \"{relay_url}\"\nrequire_pairing = false\n"),
    )
    .unwrap();
}

/// Config for `relay` with the default: streams must authenticate end to end.
pub fn write_paired_config(codex_home: &Path, relay_url: &str, extra: &str) {
    std::fs::write(
        codex_home.join("config.toml"),
        format!("{extra}\n[remote_control]\nurl = \"{relay_url}\"\n"),
    )
    .unwrap();
}

/// A server started with `--remote-control` against `relay`, once its relay socket is up: its
/// CODEX_HOME, the server, and its server id.
pub async fn start_relayed_server(relay: &Relay) -> (tempfile::TempDir, Server, String) {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &relay.url(), "");
    let server = Server::start(home.path(), true).await;
    let server_id = relay.server_id().await;
    relay.wait_connections(&server_id, 1).await;
    (home, server, server_id)
}

/// A server started without `--remote-control`, configured for `relay`, and a local client of
/// it that enabled the experimental API: its CODEX_HOME, the server, the client.
pub async fn start_with_local_client(relay: &Relay) -> (tempfile::TempDir, Server, TestClient) {
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), &relay.url(), "");
    let server = Server::start(home.path(), false).await;
    let mut local = TestClient::connect_ws(&server.address).await.unwrap();
    local.initialize("local", true).await.unwrap();
    (home, server, local)
}
