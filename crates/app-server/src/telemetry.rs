//! Logging and distributed tracing: the `tracing` subscriber, the optional OTLP span and log
//! exporters, and W3C Trace Context propagation into request spans.
//!
//! Logs always go to stderr (stdout may be the transport), filtered by `RUST_LOG` (default
//! `warn`). Export is off unless configured, with the reference's `[otel]` keys in `config.toml`:
//! `trace_exporter` sends spans, `exporter` sends `tracing` events as OTLP log records, and
//! `metrics_exporter` is accepted (this server has no metrics to export). Each exporter is
//! `"none"`, or `{ otlp-http = { endpoint = "…", protocol = "binary" | "json", headers = { … } } }`
//! (the string `"otlp-http"` with a top-level `endpoint` is accepted too). The standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` environment variables turn
//! span export on when `trace_exporter` is absent. `shutdown_timeout_ms` (default 5000) bounds the
//! final flush and each export request, so a hung collector cannot hold the process at exit.
//! A request's `trace` field (`traceparent`/`tracestate`) becomes the parent of its span; without
//! it the process-wide `TRACEPARENT` environment variable is the parent.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use codex_app_server_protocol::jsonrpc::W3cTraceContext;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_otlp::WithHttpConfig as _;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;

/// The service name spans and logs are exported under.
pub const SERVICE_NAME: &str = "codex-app-server";
/// The instrumentation scope of the server's spans.
const TRACER_NAME: &str = "codex-app-server";
/// Standard variable: base OTLP endpoint for every signal (`/v1/traces` is appended).
const ENV_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Standard variable: OTLP endpoint for traces only (used as is).
const ENV_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// Standard variable: a parent context for the whole process.
const ENV_TRACEPARENT: &str = "TRACEPARENT";
/// Standard variable: vendor state accompanying `TRACEPARENT`.
const ENV_TRACESTATE: &str = "TRACESTATE";
/// How long the final flush (and each export request) may take by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Events from the exporter's own HTTP stack are never exported as logs (they would feed back).
const LOG_EXPORT_FILTER: &str =
    "info,opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off,reqwest=off,hyper=off,hyper_util=off,h2=off,tower=off";

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `[otel]` in config.toml is malformed.
    #[error("invalid [otel] settings in {path}: {reason}")]
    InvalidSettings {
        /// The config file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An OTLP exporter could not be built.
    #[error("building the OTLP {signal} exporter failed: {reason}")]
    Exporter {
        /// `span` or `log`.
        signal: &'static str,
        /// What failed.
        reason: String,
    },
    /// A global subscriber was already installed.
    #[error("installing the tracing subscriber failed: {0}")]
    Subscriber(String),
}

/// The body encoding of OTLP over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpProtocol {
    /// Protobuf (`application/x-protobuf`), the default.
    #[default]
    Binary,
    /// JSON (`application/json`).
    Json,
}

/// One OTLP/HTTP destination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtlpHttp {
    /// The full signal URL (`…/v1/traces`, `…/v1/logs`); `None` lets the standard environment decide.
    pub endpoint: Option<String>,
    /// Body encoding.
    pub protocol: OtlpProtocol,
    /// Extra HTTP headers (e.g. an API key).
    pub headers: HashMap<String, String>,
}

/// Where one signal (spans or logs) goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Export {
    /// Not exported (the default).
    #[default]
    Off,
    /// OTLP over HTTP.
    OtlpHttp(OtlpHttp),
}

/// Which OTLP signal an exporter carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Traces,
    Logs,
}

impl Signal {
    fn path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Logs => "/v1/logs",
        }
    }
}

/// Telemetry settings resolved from config.toml and the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetrySettings {
    /// Span export (`trace_exporter`, or the standard environment).
    pub spans: Export,
    /// Log export (`exporter`).
    pub logs: Export,
    /// `metrics_exporter` named an exporter; there are no metrics to export, so it is only noted.
    pub metrics_requested: bool,
    /// Bound on the final flush at exit and on each export request (`shutdown_timeout_ms`).
    pub shutdown_timeout: Duration,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            spans: Export::Off,
            logs: Export::Off,
            metrics_requested: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl TelemetrySettings {
    /// Reads `[otel]` from `codex_home/config.toml` (a missing file means defaults), then lets the
    /// standard OTLP environment variables turn span export on when the file did not.
    pub fn load(codex_home: &Path) -> Result<Self, TelemetryError> {
        let path = codex_home.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(err) => {
                return Err(TelemetryError::InvalidSettings {
                    path: path.display().to_string(),
                    reason: err.to_string(),
                })
            }
        };
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self::from_toml_and_env(&text, env).map_err(|reason| TelemetryError::InvalidSettings {
            path: path.display().to_string(),
            reason,
        })
    }

    /// Resolves settings from config.toml text and an environment lookup.
    pub fn from_toml_and_env(
        config_toml: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let document: toml::Table = if config_toml.trim().is_empty() {
            toml::Table::new()
        } else {
            config_toml.parse().map_err(|err: toml::de::Error| err.to_string())?
        };
        let empty = toml::Table::new();
        let otel = match document.get("otel") {
            None => &empty,
            Some(toml::Value::Table(table)) => table,
            Some(_) => return Err("`otel` must be a table".to_owned()),
        };
        let top_level_endpoint = otel.get("endpoint");
        let spans = match otel.get("trace_exporter") {
            Some(value) => exporter("trace_exporter", value, top_level_endpoint, Signal::Traces)?,
            None if env(ENV_OTLP_TRACES_ENDPOINT).is_some() || env(ENV_OTLP_ENDPOINT).is_some() => {
                Export::OtlpHttp(OtlpHttp::default())
            }
            None => Export::Off,
        };
        let logs = match otel.get("exporter") {
            Some(value) => exporter("exporter", value, top_level_endpoint, Signal::Logs)?,
            None => Export::Off,
        };
        let metrics_requested = match otel.get("metrics_exporter") {
            None => false,
            Some(toml::Value::String(kind)) => kind != "none",
            Some(toml::Value::Table(_)) => true,
            Some(_) => return Err("`metrics_exporter` must be a string or a table".to_owned()),
        };
        let shutdown_timeout = match otel.get("shutdown_timeout_ms") {
            None => DEFAULT_SHUTDOWN_TIMEOUT,
            Some(toml::Value::Integer(ms)) if *ms > 0 => Duration::from_millis(*ms as u64),
            Some(_) => return Err("`shutdown_timeout_ms` must be a positive integer".to_owned()),
        };
        Ok(Self { spans, logs, metrics_requested, shutdown_timeout })
    }
}

/// Reads one exporter setting (`key` is its name in `[otel]`, for messages).
fn exporter(
    key: &str,
    value: &toml::Value,
    top_level_endpoint: Option<&toml::Value>,
    signal: Signal,
) -> Result<Export, String> {
    match value {
        toml::Value::String(kind) => {
            exporter_from_kind(key, kind, None, top_level_endpoint, signal)
        }
        toml::Value::Table(table) => {
            let mut entries = table.iter();
            match (entries.next(), entries.next()) {
                (Some((kind, toml::Value::Table(options))), None) => {
                    exporter_from_kind(key, kind, Some(options), None, signal)
                }
                _ => Err(format!(
                    "`{key}` table must name exactly one exporter, e.g. \
                     {{ otlp-http = {{ endpoint = \"http://127.0.0.1:4318\" }} }}"
                )),
            }
        }
        _ => Err(format!("`{key}` must be a string or a table")),
    }
}

fn exporter_from_kind(
    key: &str,
    kind: &str,
    options: Option<&toml::Table>,
    top_level_endpoint: Option<&toml::Value>,
    signal: Signal,
) -> Result<Export, String> {
    match kind {
        "none" => Ok(Export::Off),
        "otlp-http" => {
            let option = |name: &str| options.and_then(|options| options.get(name));
            let endpoint = match option("endpoint").or(top_level_endpoint) {
                None => None,
                Some(toml::Value::String(url)) => Some(signal_url(url, signal)),
                Some(_) => return Err(format!("`{key}` endpoint must be a string URL")),
            };
            let protocol = match option("protocol") {
                None => OtlpProtocol::Binary,
                Some(toml::Value::String(protocol)) if protocol == "binary" => OtlpProtocol::Binary,
                Some(toml::Value::String(protocol)) if protocol == "json" => OtlpProtocol::Json,
                Some(other) => {
                    return Err(format!(
                        "`{key}` protocol must be \"binary\" or \"json\", not {other}"
                    ))
                }
            };
            let headers = match option("headers") {
                None => HashMap::new(),
                Some(toml::Value::Table(table)) => table
                    .iter()
                    .map(|(name, value)| match value {
                        toml::Value::String(value) => Ok((name.clone(), value.clone())),
                        _ => Err(format!("`{key}` header `{name}` must be a string")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(format!("`{key}` headers must be a table of strings")),
            };
            Ok(Export::OtlpHttp(OtlpHttp { endpoint, protocol, headers }))
        }
        other => Err(format!(
            "unsupported `{key}` `{other}` (supported: \"none\", \"otlp-http\"; OTLP over gRPC is not)"
        )),
    }
}

/// A base URL gets the signal's standard path; a URL that names a path is used as is.
fn signal_url(url: &str, signal: Signal) -> String {
    let trimmed = url.trim_end_matches('/');
    let has_path = trimmed.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        trimmed.to_owned()
    } else {
        format!("{trimmed}{}", signal.path())
    }
}

/// Keeps export alive; dropping it flushes and shuts the exporters down.
#[derive(Debug)]
pub struct TelemetryGuard {
    spans: Option<SdkTracerProvider>,
    logs: Option<SdkLoggerProvider>,
    shutdown_timeout: Duration,
}

impl Default for TelemetryGuard {
    fn default() -> Self {
        Self { spans: None, logs: None, shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT }
    }
}

impl TelemetryGuard {
    /// Flushes pending spans and logs and stops the exporters, both at once, each bounded by the
    /// configured shutdown timeout.
    pub fn shutdown(&mut self) {
        let (spans, logs, timeout) = (self.spans.take(), self.logs.take(), self.shutdown_timeout);
        std::thread::scope(|scope| {
            if let Some(logs) = logs {
                scope.spawn(move || {
                    if let Err(err) = logs.shutdown_with_timeout(timeout) {
                        eprintln!("warning: flushing OpenTelemetry logs failed: {err}");
                    }
                });
            }
            if let Some(spans) = spans {
                if let Err(err) = spans.shutdown_with_timeout(timeout) {
                    eprintln!("warning: flushing OpenTelemetry spans failed: {err}");
                }
            }
        });
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn resource() -> Resource {
    Resource::builder()
        .with_service_name(SERVICE_NAME)
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

fn otlp_protocol(protocol: OtlpProtocol) -> opentelemetry_otlp::Protocol {
    match protocol {
        OtlpProtocol::Binary => opentelemetry_otlp::Protocol::HttpBinary,
        OtlpProtocol::Json => opentelemetry_otlp::Protocol::HttpJson,
    }
}

/// Builds the tracer provider for `settings` (`None` when span export is off).
///
/// Call it outside any async runtime: the HTTP exporter uses a blocking client.
pub fn tracer_provider(
    settings: &TelemetrySettings,
) -> Result<Option<SdkTracerProvider>, TelemetryError> {
    let Export::OtlpHttp(target) = &settings.spans else {
        return Ok(None);
    };
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(otlp_protocol(target.protocol))
        .with_timeout(settings.shutdown_timeout);
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if !target.headers.is_empty() {
        builder = builder.with_headers(target.headers.clone());
    }
    let exporter = builder
        .build()
        .map_err(|err| TelemetryError::Exporter { signal: "span", reason: err.to_string() })?;
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource())
            .build(),
    ))
}

/// Builds the logger provider for `settings` (`None` when log export is off).
///
/// Call it outside any async runtime: the HTTP exporter uses a blocking client.
pub fn logger_provider(
    settings: &TelemetrySettings,
) -> Result<Option<SdkLoggerProvider>, TelemetryError> {
    let Export::OtlpHttp(target) = &settings.logs else {
        return Ok(None);
    };
    let mut builder = opentelemetry_otlp::LogExporter::builder()
        .with_http()
        .with_protocol(otlp_protocol(target.protocol))
        .with_timeout(settings.shutdown_timeout);
    // Without an endpoint the standard OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT variables decide.
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if !target.headers.is_empty() {
        builder = builder.with_headers(target.headers.clone());
    }
    let exporter = builder
        .build()
        .map_err(|err| TelemetryError::Exporter { signal: "log", reason: err.to_string() })?;
    Ok(Some(
        SdkLoggerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource())
            .build(),
    ))
}

/// The log filter: `RUST_LOG`, else `warn`.
pub fn log_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"))
}

/// Installs the process-wide subscriber: stderr logs filtered by `log_filter`, plus span export
/// through `spans` (request spans at `info` and above, whatever `RUST_LOG` says) and log export
/// through `logs` (events at `info` and above, except the exporters' own).
pub fn install_subscriber(
    log_filter: EnvFilter,
    spans: Option<&SdkTracerProvider>,
    logs: Option<&SdkLoggerProvider>,
) -> Result<(), TelemetryError> {
    let stderr =
        // Colour only on a terminal: the daemon's stderr is a log file.
        tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .with_filter(log_filter);
    let spans = spans.map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(TRACER_NAME))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    let logs = logs.map(|provider| {
        opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
            .with_filter(EnvFilter::new(LOG_EXPORT_FILTER))
    });
    tracing_subscriber::registry()
        .with(stderr)
        .with(spans)
        .with(logs)
        .try_init()
        .map_err(|err| TelemetryError::Subscriber(err.to_string()))
}

/// Sets up logging and export for the `codex` binary from `codex_home`'s config and the
/// environment. Problems with the OTel settings are reported on stderr and leave export off.
pub fn init(codex_home: &Path) -> TelemetryGuard {
    let settings = TelemetrySettings::load(codex_home).unwrap_or_else(|err| {
        eprintln!("warning: OpenTelemetry export disabled: {err}");
        TelemetrySettings::default()
    });
    fn build<P>(provider: Result<Option<P>, TelemetryError>) -> Option<P> {
        provider.unwrap_or_else(|err| {
            eprintln!("warning: OpenTelemetry export disabled: {err}");
            None
        })
    }
    let spans = build(tracer_provider(&settings));
    let logs = build(logger_provider(&settings));
    if let Err(err) = install_subscriber(log_filter(), spans.as_ref(), logs.as_ref()) {
        eprintln!("warning: {err}");
    }
    if settings.metrics_requested {
        tracing::info!("[otel] metrics_exporter is accepted but this server exports no metrics");
    }
    TelemetryGuard { spans, logs, shutdown_timeout: settings.shutdown_timeout }
}

/// The W3C trace headers of the current span (empty when it is not exported).
pub fn current_trace_headers() -> Vec<(String, String)> {
    let context = tracing::Span::current().context();
    let mut headers: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut headers);
    let mut headers: Vec<(String, String)> = headers.into_iter().collect();
    headers.sort();
    headers
}

/// Makes `trace` (or, without it, the `TRACEPARENT` environment variable) the parent of `span`.
/// Must be called before the span is first entered. Invalid headers are ignored.
pub fn set_remote_parent(span: &tracing::Span, trace: Option<&W3cTraceContext>) {
    let headers = match trace.and_then(trace_headers) {
        Some(headers) => headers,
        None => match process_trace_headers() {
            Some(headers) => headers.clone(),
            None => return,
        },
    };
    let context = TraceContextPropagator::new().extract(&headers);
    if let Err(err) = span.set_parent(context) {
        tracing::debug!("could not attach remote trace parent: {err}");
    }
}

fn trace_headers(trace: &W3cTraceContext) -> Option<HashMap<String, String>> {
    let traceparent = trace.traceparent.as_ref()?;
    let mut headers = HashMap::from([("traceparent".to_owned(), traceparent.clone())]);
    if let Some(tracestate) = &trace.tracestate {
        headers.insert("tracestate".to_owned(), tracestate.clone());
    }
    Some(headers)
}

/// `TRACEPARENT`/`TRACESTATE` as read once at first use.
fn process_trace_headers() -> Option<&'static HashMap<String, String>> {
    static HEADERS: OnceLock<Option<HashMap<String, String>>> = OnceLock::new();
    HEADERS
        .get_or_init(|| {
            let traceparent = std::env::var(ENV_TRACEPARENT).ok().filter(|v| !v.is_empty());
            let tracestate = std::env::var(ENV_TRACESTATE).ok().filter(|v| !v.is_empty());
            trace_headers(&W3cTraceContext { traceparent, tracestate })
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn otlp(endpoint: &str) -> Export {
        Export::OtlpHttp(OtlpHttp { endpoint: Some(endpoint.to_owned()), ..OtlpHttp::default() })
    }

    #[test]
    fn export_is_off_by_default() {
        let settings = TelemetrySettings::from_toml_and_env("model = \"x\"\n", no_env).unwrap();
        assert_eq!(settings, TelemetrySettings::default());
    }

    #[test]
    fn exporter_is_for_logs_and_trace_exporter_for_spans() {
        let toml = "[otel]\nexporter = \"otlp-http\"\nendpoint = \"http://127.0.0.1:4318\"\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert_eq!(settings.spans, Export::Off);
        assert_eq!(settings.logs, otlp("http://127.0.0.1:4318/v1/logs"));
        let toml = "[otel]\ntrace_exporter = \"otlp-http\"\nendpoint = \"http://127.0.0.1:4318\"\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert_eq!(settings.spans, otlp("http://127.0.0.1:4318/v1/traces"));
        assert_eq!(settings.logs, Export::Off);
    }

    #[test]
    fn table_exporter_keeps_explicit_path_protocol_and_headers() {
        let toml = "[otel.trace_exporter.otlp-http]\nendpoint = \"http://h:1/custom/traces\"\n\
                    protocol = \"json\"\nheaders = { x-key = \"k\" }\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert_eq!(
            settings.spans,
            Export::OtlpHttp(OtlpHttp {
                endpoint: Some("http://h:1/custom/traces".to_owned()),
                protocol: OtlpProtocol::Json,
                headers: HashMap::from([("x-key".to_owned(), "k".to_owned())])
            })
        );
    }

    #[test]
    fn standard_environment_turns_span_export_on_and_config_none_wins() {
        let env =
            |name: &str| (name == ENV_OTLP_ENDPOINT).then(|| "http://127.0.0.1:4318".to_owned());
        let on = TelemetrySettings::from_toml_and_env("", env).unwrap();
        assert_eq!(on.spans, Export::OtlpHttp(OtlpHttp::default()));
        assert_eq!(on.logs, Export::Off);
        let off = TelemetrySettings::from_toml_and_env("[otel]\ntrace_exporter = \"none\"\n", env)
            .unwrap();
        assert_eq!(off.spans, Export::Off);
    }

    #[test]
    fn metrics_exporter_and_shutdown_timeout_are_read() {
        let toml = "[otel]\nmetrics_exporter = \"statsig\"\nshutdown_timeout_ms = 250\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert!(settings.metrics_requested);
        assert_eq!(settings.shutdown_timeout, Duration::from_millis(250));
        let err = TelemetrySettings::from_toml_and_env("[otel]\nshutdown_timeout_ms = 0\n", no_env)
            .unwrap_err();
        assert!(err.contains("shutdown_timeout_ms"), "{err}");
    }

    #[test]
    fn unknown_exporter_or_protocol_is_a_clear_error() {
        let err = TelemetrySettings::from_toml_and_env("[otel]\nexporter = \"zipkin\"\n", no_env)
            .unwrap_err();
        assert!(err.contains("zipkin") && err.contains("otlp-http"), "{err}");
        let toml = "[otel.trace_exporter.otlp-http]\nprotocol = \"grpc\"\n";
        let err = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap_err();
        assert!(err.contains("binary") && err.contains("json"), "{err}");
    }
}
