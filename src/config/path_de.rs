//! Deserializes a configuration struct from a `serde_json::Value` and, on failure, says where
//! in the value it failed (`remote_jwks.timeout_ms`, `from_headers[0].name`): users need the
//! field to find it in a large WasmPlugin. It stands in for serde_json's own `Value`
//! deserializer, so it costs the module about as much; wrapping that one with a generic
//! path tracker doubled the code of every configuration struct (23 KB).

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Where a value sits: a chain back to the root, kept on the stack while descending.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str, &'a Seg<'a>),
    Index(usize, &'a Seg<'a>),
}

impl Seg<'_> {
    fn render(&self, out: &mut String) {
        match self {
            Seg::Root => {}
            Seg::Key(key, parent) => {
                parent.render(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i, parent) => {
                parent.render(out);
                out.push_str(&format!("[{i}]"));
            }
        }
    }
}

/// The path of the innermost failure: recorded once, where the error arose.
#[derive(Default)]
struct Track(RefCell<Option<String>>);

impl Track {
    fn failed_at<T>(&self, at: &Seg<'_>, result: Result<T, Error>) -> Result<T, Error> {
        if result.is_err() {
            let mut slot = self.0.borrow_mut();
            if slot.is_none() {
                let mut path = String::new();
                at.render(&mut path);
                *slot = Some(path);
            }
        }
        result
    }
}

/// `T` from `value`; on failure the path inside `value` ("" for the value itself) and the
/// reason.
pub fn from_value<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, (String, Error)> {
    let track = Track::default();
    T::deserialize(At {
        value,
        at: &Seg::Root,
        track: &track,
    })
    .map_err(|e| (track.0.into_inner().unwrap_or_default(), e))
}

struct At<'a, 'de> {
    value: &'de Value,
    at: &'a Seg<'a>,
    track: &'a Track,
}

impl<'de> de::Deserializer<'de> for At<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, Some(f)) => visitor.visit_f64(f),
                (None, None, None) => Err(de::Error::custom("unsupported number")),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter().enumerate(),
                at: self.at,
                track: self.track,
            }),
            Value::Object(map) => visitor.visit_map(Fields {
                fields: map.iter(),
                value: None,
                at: self.at,
                track: self.track,
            }),
        };
        self.track.failed_at(self.at, result)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// Only an object: serde would also fill a struct from a list, by position, which no
    /// one writing a configuration means.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.value.is_object() {
            return self.deserialize_any(visitor);
        }
        let unexpected = match self.value {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Number(_) => de::Unexpected::Other("number"),
            Value::String(s) => de::Unexpected::Str(s),
            _ => de::Unexpected::Seq,
        };
        let result = Err(de::Error::invalid_type(unexpected, &visitor));
        self.track.failed_at(self.at, result)
    }

    /// Unit variants only, spelled as strings (`presence: REQUIRED`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match self.value {
            Value::String(s) => {
                let variant: de::value::StrDeserializer<'_, Error> = s.as_str().into_deserializer();
                visitor.visit_enum(variant)
            }
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("a value that is not a string"),
                &visitor,
            )),
        };
        self.track.failed_at(self.at, result)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct Items<'a, 'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
    at: &'a Seg<'a>,
    track: &'a Track,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((i, value)) = self.items.next() else {
            return Ok(None);
        };
        let at = Seg::Index(i, self.at);
        seed.deserialize(At {
            value,
            at: &at,
            track: self.track,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Fields<'a, 'de> {
    fields: serde_json::map::Iter<'de>,
    value: Option<(&'de str, &'de Value)>,
    at: &'a Seg<'a>,
    track: &'a Track,
}

impl<'de> MapAccess<'de> for Fields<'_, 'de> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((key, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        // An unknown field is refused while its name is read: the path names it.
        let name: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
        let result = seed.deserialize(name);
        self.track
            .failed_at(&Seg::Key(key, self.at), result)
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value without its key"));
        };
        let at = Seg::Key(key, self.at);
        seed.deserialize(At {
            value,
            at: &at,
            track: self.track,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;

    fn refusal(config: &str) -> String {
        parse(config.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn refusals_name_the_field_where_reading_failed() {
        let p = |body: &str| format!(r#"{{"providers":{{"p":{{"issuer":"i",{body}}}}}}}"#);
        let cases = [
            (
                p(r#""remote_jwks":{"uri":"https://i/j","timeout_ms":"5"}"#),
                "providers.p.remote_jwks.timeout_ms: invalid type: string \"5\", expected u64",
            ),
            (
                p(r#""remote_jwks":{"uri":"https://i/j","timeout":1}"#),
                "providers.p.remote_jwks.timeout: unknown field `timeout`",
            ),
            (
                p(r#""remote_jwks":{"cluster":"c"}"#),
                "providers.p.remote_jwks: missing field `uri`",
            ),
            (
                p(
                    r#""remote_jwks":{"uri":"https://i/j"},"from_headers":[{"name":"a"},{"name":7}]"#,
                ),
                "providers.p.from_headers[1].name: invalid type: integer `7`, expected a string",
            ),
            (
                p(r#""remote_jwks":{"uri":"https://i/j"},"audiences":"api""#),
                "providers.p.audiences: invalid type: string \"api\", expected a sequence",
            ),
            (
                p(r#""remote_jwks":{"uri":"https://i/j"},"forward":null,"hold_for_keys_ms":-1"#),
                "providers.p.hold_for_keys_ms: invalid value: integer `-1`, expected u64",
            ),
            (
                r#"{"providers":{},"mode":1.5}"#.to_string(),
                "mode: invalid type: floating point `1.5`, expected a string",
            ),
            (
                r#"{"providers":{},"extra":true}"#.to_string(),
                "extra: unknown field `extra`",
            ),
            (
                r#"[]"#.to_string(),
                "config: invalid type: sequence, expected struct RawConfig",
            ),
        ];
        for (config, want) in cases {
            let got = refusal(&config);
            assert!(
                got.contains(want),
                "{config}\n  got:  {got}\n  want: {want}"
            );
        }
    }
}
