//! JSON bodies parsed with a bound on how many values they hold, so a large body of tiny
//! values (`[0,0,0,…]`, `{"rows":[{},{},…]}`) cannot turn into gigabytes of parsed
//! values: each parsed value costs tens of bytes, up to 30 times its text.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::AppError;
use super::extract::parse_json;

/// The marker in the error raised when the count runs out.
const TOO_MANY: &str = "more JSON values than the limit of";

/// Parses `bytes` as JSON holding at most `max_values` values (every number, string,
/// boolean, null, array and object counts one); past it, a 413 naming the limit.
pub fn parse_json_bounded(bytes: &[u8], max_values: usize) -> Result<Value, AppError> {
    let left = Cell::new(max_values);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Bounded { left: &left }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(e) if e.to_string().contains(TOO_MANY) => Err(AppError::TooLarge(format!(
            "the body holds more than {max_values} JSON values, the most one request may carry"
        ))),
        // Re-parse plainly for the syntax error's line and column in the usual words.
        Err(_) => parse_json(bytes),
    }
}

struct Bounded<'a> {
    left: &'a Cell<usize>,
}

impl Bounded<'_> {
    fn take<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.left.get() {
            0 => Err(E::custom(TOO_MANY)),
            n => {
                self.left.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.take()?;
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Bounded { left: self.left })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.take()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // A repeated key keeps its last value, as everywhere else in the API.
            let value = map.next_value_seed(Bounded { left: self.left })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_within_the_bound_parses_like_serde_json() {
        let text = br#"{"rows": [{"a": 1, "b": "x", "c": null, "d": [true, 2.5]}]}"#;
        let plain: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(parse_json_bounded(text, 100).unwrap(), plain);
        assert_eq!(parse_json_bounded(text, 9).unwrap(), plain);
    }

    #[test]
    fn a_body_past_the_bound_is_413_naming_the_limit() {
        let text = format!("[{}0]", "0,".repeat(1000));
        match parse_json_bounded(text.as_bytes(), 500) {
            Err(AppError::TooLarge(m)) => assert!(m.contains("500"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_still_a_400_with_line_and_column() {
        match parse_json_bounded(b"{\"a\": }", 100) {
            Err(AppError::BadRequest(m)) => assert!(m.contains("line 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_json_bounded(b"{} {}", 100),
            Err(AppError::BadRequest(_))
        ));
    }
}
