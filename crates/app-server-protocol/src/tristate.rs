//! Fields where leaving the key out and sending `null` mean different things.
//!
//! Such a field is an `Option<Option<T>>`: `None` when the key is absent, `Some(None)` for
//! `null`, `Some(Some(value))` otherwise. Annotate it with `#[serde(default, deserialize_with =
//! "crate::tristate::deserialize", skip_serializing_if = "Option::is_none")]`.

use serde::Deserialize;
use serde::Deserializer;

/// Deserializes a present key (value or `null`) into `Some(..)`; `#[serde(default)]` gives `None`
/// for an absent key.
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
