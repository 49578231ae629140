//! Logging and distributed tracing: the `tracing` subscriber, the optional OTLP span exporter,
//! and W3C Trace Context propagation into request spans.
//!
//! Logs always go to stderr (stdout may be the transport), filtered by `RUST_LOG` (default
//! `warn`). Span export is off unless configured: `[otel]` in `config.toml` (`exporter =
//! "otlp-http"` with `endpoint = "http://HOST:4318"`, or the reference's table form
//! `exporter = { otlp-http = { endpoint = "…", headers = { … } } }`; `trace_exporter` wins over
//! `exporter`), or the standard `OTEL_EXPORTER_OTLP_ENDPOINT` /
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` environment variables. Export uses OTLP over HTTP with
//! protobuf bodies. A request's `trace` field (`traceparent`/`tracestate`) becomes the parent of
//! its span; without it the process-wide `TRACEPARENT` environment variable is the parent.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use codex_app_server_protocol::jsonrpc::W3cTraceContext;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_otlp::WithHttpConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;

/// The service name spans are exported under.
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
    /// The OTLP exporter could not be built.
    #[error("building the OTLP span exporter failed: {0}")]
    Exporter(String),
    /// A global subscriber was already installed.
    #[error("installing the tracing subscriber failed: {0}")]
    Subscriber(String),
}

/// Where spans go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SpanExport {
    /// Spans are not exported (the default).
    #[default]
    Off,
    /// OTLP over HTTP with protobuf bodies.
    OtlpHttp {
        /// The full traces URL (`…/v1/traces`); `None` lets the standard environment decide.
        endpoint: Option<String>,
        /// Extra HTTP headers (e.g. an API key).
        headers: HashMap<String, String>,
    },
}

/// Telemetry settings resolved from config.toml and the environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TelemetrySettings {
    /// Span export.
    pub export: SpanExport,
}

impl TelemetrySettings {
    /// Reads `[otel]` from `codex_home/config.toml` (a missing file means defaults), then lets the
    /// standard OTLP environment variables turn export on when the file did not.
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
        let otel = match document.get("otel") {
            None => None,
            Some(toml::Value::Table(table)) => Some(table),
            Some(_) => return Err("`otel` must be a table".to_owned()),
        };
        let exporter = otel.and_then(|otel| otel.get("trace_exporter").or(otel.get("exporter")));
        let from_file = match exporter {
            None => None,
            Some(toml::Value::String(kind)) => {
                let endpoint = otel.and_then(|otel| otel.get("endpoint"));
                Some(exporter_from_kind(kind, endpoint, None)?)
            }
            Some(toml::Value::Table(table)) => {
                let mut entries = table.iter();
                match (entries.next(), entries.next()) {
                    (Some((kind, toml::Value::Table(options))), None) => Some(exporter_from_kind(
                        kind,
                        options.get("endpoint"),
                        options.get("headers"),
                    )?),
                    _ => {
                        return Err("`exporter` table must name exactly one exporter, e.g. \
                             { otlp-http = { endpoint = \"http://127.0.0.1:4318\" } }"
                            .to_owned())
                    }
                }
            }
            Some(_) => return Err("`exporter` must be a string or a table".to_owned()),
        };
        let export = match from_file {
            Some(export) => export,
            None if env(ENV_OTLP_TRACES_ENDPOINT).is_some() || env(ENV_OTLP_ENDPOINT).is_some() => {
                SpanExport::OtlpHttp { endpoint: None, headers: HashMap::new() }
            }
            None => SpanExport::Off,
        };
        Ok(Self { export })
    }
}

fn exporter_from_kind(
    kind: &str,
    endpoint: Option<&toml::Value>,
    headers: Option<&toml::Value>,
) -> Result<SpanExport, String> {
    match kind {
        "none" => Ok(SpanExport::Off),
        "otlp-http" => {
            let endpoint = match endpoint {
                None => None,
                Some(toml::Value::String(url)) => Some(traces_url(url)),
                Some(_) => return Err("`endpoint` must be a string URL".to_owned()),
            };
            let headers = match headers {
                None => HashMap::new(),
                Some(toml::Value::Table(table)) => table
                    .iter()
                    .map(|(name, value)| match value {
                        toml::Value::String(value) => Ok((name.clone(), value.clone())),
                        _ => Err(format!("header `{name}` must be a string")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("`headers` must be a table of strings".to_owned()),
            };
            Ok(SpanExport::OtlpHttp { endpoint, headers })
        }
        other => {
            Err(format!("unsupported exporter `{other}` (supported: \"none\", \"otlp-http\")"))
        }
    }
}

/// A base URL gets the standard `/v1/traces` path; a URL that names a path is used as is.
fn traces_url(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let has_path = trimmed.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1/traces")
    }
}

/// Keeps span export alive; dropping it flushes and shuts the exporter down.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Flushes pending spans and stops the exporter.
    pub fn shutdown(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(err) = provider.shutdown() {
                eprintln!("warning: flushing OpenTelemetry spans failed: {err}");
            }
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds the tracer provider for `settings` (`None` when export is off).
///
/// Call it outside any async runtime: the HTTP exporter uses a blocking client.
pub fn tracer_provider(
    settings: &TelemetrySettings,
) -> Result<Option<SdkTracerProvider>, TelemetryError> {
    let SpanExport::OtlpHttp { endpoint, headers } = &settings.export else {
        return Ok(None);
    };
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if !headers.is_empty() {
        builder = builder.with_headers(headers.clone());
    }
    let exporter = builder.build().map_err(|err| TelemetryError::Exporter(err.to_string()))?;
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(SERVICE_NAME)
                    .with_attribute(opentelemetry::KeyValue::new(
                        "service.version",
                        env!("CARGO_PKG_VERSION"),
                    ))
                    .build(),
            )
            .build(),
    ))
}

/// The log filter: `RUST_LOG`, else `warn`.
pub fn log_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"))
}

/// Installs the process-wide subscriber: stderr logs filtered by `log_filter`, plus span export
/// through `provider` (request spans at `info` and above, whatever `RUST_LOG` says).
pub fn install_subscriber(
    log_filter: EnvFilter,
    provider: Option<&SdkTracerProvider>,
) -> Result<(), TelemetryError> {
    let logs =
        // Colour only on a terminal: the daemon's stderr is a log file.
        tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .with_filter(log_filter);
    let spans = provider.map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(TRACER_NAME))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .try_init()
        .map_err(|err| TelemetryError::Subscriber(err.to_string()))
}

/// Sets up logging and span export for the `codex` binary from `codex_home`'s config and the
/// environment. Problems with the OTel settings are reported on stderr and leave export off.
pub fn init(codex_home: &Path) -> TelemetryGuard {
    let provider = TelemetrySettings::load(codex_home)
        .and_then(|settings| tracer_provider(&settings))
        .unwrap_or_else(|err| {
            eprintln!("warning: OpenTelemetry export disabled: {err}");
            None
        });
    if let Err(err) = install_subscriber(log_filter(), provider.as_ref()) {
        eprintln!("warning: {err}");
    }
    TelemetryGuard { provider }
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

    #[test]
    fn export_is_off_by_default() {
        let settings = TelemetrySettings::from_toml_and_env("model = \"x\"\n", no_env).unwrap();
        assert_eq!(settings.export, SpanExport::Off);
    }

    #[test]
    fn string_exporter_with_base_endpoint_gets_traces_path() {
        let toml = "[otel]\nexporter = \"otlp-http\"\nendpoint = \"http://127.0.0.1:4318\"\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert_eq!(
            settings.export,
            SpanExport::OtlpHttp {
                endpoint: Some("http://127.0.0.1:4318/v1/traces".to_owned()),
                headers: HashMap::new()
            }
        );
    }

    #[test]
    fn table_exporter_keeps_explicit_path_and_headers() {
        let toml = "[otel.trace_exporter.otlp-http]\nendpoint = \"http://h:1/custom/traces\"\n\
                    headers = { x-key = \"k\" }\n";
        let settings = TelemetrySettings::from_toml_and_env(toml, no_env).unwrap();
        assert_eq!(
            settings.export,
            SpanExport::OtlpHttp {
                endpoint: Some("http://h:1/custom/traces".to_owned()),
                headers: HashMap::from([("x-key".to_owned(), "k".to_owned())])
            }
        );
    }

    #[test]
    fn standard_environment_turns_export_on_and_config_none_wins() {
        let env =
            |name: &str| (name == ENV_OTLP_ENDPOINT).then(|| "http://127.0.0.1:4318".to_owned());
        let on = TelemetrySettings::from_toml_and_env("", env).unwrap();
        assert_eq!(on.export, SpanExport::OtlpHttp { endpoint: None, headers: HashMap::new() });
        let off =
            TelemetrySettings::from_toml_and_env("[otel]\nexporter = \"none\"\n", env).unwrap();
        assert_eq!(off.export, SpanExport::Off);
    }

    #[test]
    fn unknown_exporter_is_a_clear_error() {
        let err = TelemetrySettings::from_toml_and_env("[otel]\nexporter = \"zipkin\"\n", no_env)
            .unwrap_err();
        assert!(err.contains("zipkin") && err.contains("otlp-http"), "{err}");
    }
}
