//! [`AbsolutePath`]: a filesystem path that is absolute by construction.
//!
//! Paths that clients send for working directories, writable roots and
//! permission roots are checked when they are deserialised, so a relative
//! path is refused with a serde error that names it instead of being
//! silently resolved against whatever directory the server runs in. On the
//! wire (JSON Schema and TypeScript) it is a plain string; the reference
//! calls the same shape `AbsolutePathBuf`.

use std::fmt;
use std::path::Path;
use std::path::PathBuf;

use schemars::gen::SchemaGenerator;
use schemars::schema::InstanceType;
use schemars::schema::Metadata;
use schemars::schema::Schema;
use schemars::schema::SchemaObject;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use ts_rs::TS;

/// A path that is guaranteed to be absolute (not canonicalised, not guaranteed to exist).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string", rename = "AbsolutePathBuf", export_to = "AbsolutePathBuf.ts")]
pub struct AbsolutePath(PathBuf);

/// Why a path could not become an [`AbsolutePath`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("path {path:?} is not absolute; an absolute path is required")]
pub struct RelativePathError {
    /// The refused path, as given.
    pub path: PathBuf,
}

/// The refused path quoted in a [`RelativePathError`] message (also when wrapped by serde,
/// e.g. `… at line 1 column 9`), or `None` when `message` is not one.
pub(crate) fn relative_path_in_error(message: &str) -> Option<String> {
    let start = message.find("path \"")? + "path \"".len();
    let end = start + message[start..].find("\" is not absolute")?;
    let quoted = &message[start..end];
    Some(
        serde_json::from_str::<String>(&format!("\"{quoted}\""))
            .unwrap_or_else(|_| quoted.to_owned()),
    )
}

impl AbsolutePath {
    /// Accepts `path` if it is absolute.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, RelativePathError> {
        let path = path.into();
        if path.is_absolute() {
            Ok(Self(path))
        } else {
            Err(RelativePathError { path })
        }
    }

    /// The path.
    pub fn as_path(&self) -> &Path {
        &self.0
    }

    /// The owned path.
    pub fn into_path_buf(self) -> PathBuf {
        self.0
    }

    /// `self` joined with `relative` (still absolute; `..` is not resolved).
    pub fn join(&self, relative: impl AsRef<Path>) -> Self {
        Self(self.0.join(relative))
    }
}

impl AsRef<Path> for AbsolutePath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl TryFrom<PathBuf> for AbsolutePath {
    type Error = RelativePathError;
    fn try_from(value: PathBuf) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for AbsolutePath {
    type Error = RelativePathError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<AbsolutePath> for PathBuf {
    fn from(value: AbsolutePath) -> Self {
        value.0
    }
}

impl fmt::Display for AbsolutePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

impl Serialize for AbsolutePath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Lossy only for non-UTF-8 paths, which JSON cannot carry anyway.
        serializer.serialize_str(&self.0.to_string_lossy())
    }
}

impl<'de> Deserialize<'de> for AbsolutePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for AbsolutePath {
    fn schema_name() -> String {
        "AbsolutePathBuf".to_owned()
    }

    fn json_schema(_gen: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            metadata: Some(Box::new(Metadata {
                description: Some("A path that is guaranteed to be absolute.".to_owned()),
                ..Default::default()
            })),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_relative_paths_naming_them() {
        let err = serde_json::from_str::<AbsolutePath>(r#""src/lib.rs""#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("src/lib.rs"), "{text}");
        assert!(text.contains("not absolute"), "{text}");
        assert!(serde_json::from_str::<AbsolutePath>(r#""""#).is_err());
        assert!(serde_json::from_str::<AbsolutePath>(r#""./x""#).is_err());
    }

    #[test]
    fn accepts_and_round_trips_absolute_paths() {
        let path: AbsolutePath = serde_json::from_str(r#""/tmp/work""#).unwrap();
        assert_eq!(path.as_path(), Path::new("/tmp/work"));
        assert_eq!(serde_json::to_string(&path).unwrap(), r#""/tmp/work""#);
        assert_eq!(path.join("a").as_path(), Path::new("/tmp/work/a"));
    }

    #[test]
    fn refusal_propagates_through_params() {
        let err = serde_json::from_value::<crate::v2::ThreadStartParams>(
            serde_json::json!({"cwd": "relative/dir"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("relative/dir"), "{err}");
    }
}
