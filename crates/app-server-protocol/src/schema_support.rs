//! Helpers that make the derived JSON Schema say what the wire says.
//!
//! schemars treats every `Option` field as optional. A few reference fields
//! are required but may be `null` (the key must be present); those fields are
//! annotated `#[schemars(with = "Required<Option<T>>")]`, which keeps the
//! nullable schema but lists the field under `required`.

use std::marker::PhantomData;

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;

/// Schema-only marker: `T`'s schema, reported as a required (non-`Option`) field.
pub struct Required<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Required<T> {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        T::schema_name()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        T::json_schema(gen)
    }
}
