//! [`ListenAddress`]: the typed form of `--listen URL`, parsed once at startup.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::TransportError;

/// Where the server listens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ListenAddress {
    /// `stdio://`: newline-delimited JSON on stdin/stdout (the default).
    #[default]
    Stdio,
    /// `unix://`: the default control socket under `$CODEX_HOME`.
    DefaultControlSocket,
    /// `unix://PATH`: a control socket at an explicit path.
    UnixSocket(PathBuf),
    /// `ws://IP:PORT`: a TCP websocket listener.
    Websocket(SocketAddr),
    /// `off`: no listener.
    Off,
}

impl ListenAddress {
    /// The control socket path for the Unix forms, with `codex_home` filling in the default.
    pub fn control_socket_path(&self, codex_home: &Path) -> Option<PathBuf> {
        match self {
            ListenAddress::DefaultControlSocket => Some(default_control_socket_path(codex_home)),
            ListenAddress::UnixSocket(path) => Some(path.clone()),
            ListenAddress::Stdio | ListenAddress::Websocket(_) | ListenAddress::Off => None,
        }
    }
}

/// `$CODEX_HOME/app-server-control`: the directory of the control socket and startup lock.
pub fn control_directory(codex_home: &Path) -> PathBuf {
    codex_home.join("app-server-control")
}

/// `$CODEX_HOME/app-server-control/app-server-control.sock`.
pub fn default_control_socket_path(codex_home: &Path) -> PathBuf {
    control_directory(codex_home).join("app-server-control.sock")
}

/// `$CODEX_HOME/app-server-control/app-server-startup.lock`.
pub fn startup_lock_path(codex_home: &Path) -> PathBuf {
    control_directory(codex_home).join("app-server-startup.lock")
}

impl FromStr for ListenAddress {
    type Err = TransportError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let invalid = || TransportError::InvalidListenAddress { given: given.to_owned() };
        if given == "off" {
            return Ok(ListenAddress::Off);
        }
        if given == "stdio://" || given == "stdio" {
            return Ok(ListenAddress::Stdio);
        }
        if let Some(path) = given.strip_prefix("unix://") {
            if path.is_empty() {
                return Ok(ListenAddress::DefaultControlSocket);
            }
            return Ok(ListenAddress::UnixSocket(PathBuf::from(path)));
        }
        if let Some(address) = given.strip_prefix("ws://") {
            let address = address.strip_suffix('/').unwrap_or(address);
            return address.parse().map(ListenAddress::Websocket).map_err(|_| invalid());
        }
        Err(invalid())
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::Stdio => f.write_str("stdio://"),
            ListenAddress::DefaultControlSocket => f.write_str("unix://"),
            ListenAddress::UnixSocket(path) => write!(f, "unix://{}", path.display()),
            ListenAddress::Websocket(address) => write!(f, "ws://{address}"),
            ListenAddress::Off => f.write_str("off"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_form() {
        let cases = [
            ("stdio://", ListenAddress::Stdio),
            ("unix://", ListenAddress::DefaultControlSocket),
            ("unix:///tmp/x.sock", ListenAddress::UnixSocket("/tmp/x.sock".into())),
            ("ws://127.0.0.1:0", ListenAddress::Websocket("127.0.0.1:0".parse().unwrap())),
            ("ws://[::1]:4500", ListenAddress::Websocket("[::1]:4500".parse().unwrap())),
            ("off", ListenAddress::Off),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<ListenAddress>().unwrap(), expected, "{text}");
        }
        assert_eq!(ListenAddress::default(), ListenAddress::Stdio);
    }

    #[test]
    fn rejects_other_forms_listing_the_accepted_ones() {
        for text in ["", "tcp://1.2.3.4:5", "ws://localhost:80", "ws://1.2.3.4", "http://x", "OFF"]
        {
            let err = text.parse::<ListenAddress>().unwrap_err().to_string();
            assert!(err.contains("ws://IP:PORT") && err.contains("unix://PATH"), "{text}: {err}");
        }
    }

    #[test]
    fn default_socket_lives_under_codex_home() {
        let path =
            ListenAddress::DefaultControlSocket.control_socket_path(Path::new("/h")).unwrap();
        assert_eq!(path, Path::new("/h/app-server-control/app-server-control.sock"));
        assert_eq!(ListenAddress::Stdio.control_socket_path(Path::new("/h")), None);
    }
}
