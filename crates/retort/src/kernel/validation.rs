//! Parse, don't validate: turn a loosely typed record (a JSON object or a CSV row) into a
//! domain type, collecting every problem at once instead of stopping at the first.
//!
//! An entity's schema writes one `parse` function against [`Fields`]; the same function
//! then reads JSON bodies (errors carry JSON pointers) and CSV rows (errors carry columns).

use serde_json::{Map, Value};

/// The message for a field no accessor asked for.
pub const UNKNOWN_FIELD_MESSAGE: &str = "is not a known field";
/// The message for a read-only field sent in input.
pub const READ_ONLY_MESSAGE: &str = "is read-only and set by the server; remove it";

/// The message for text containing a NUL character.
pub const NUL_MESSAGE: &str = "may not contain NUL characters";

/// One raw input value: a JSON value or the text of a CSV cell.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// A value from a JSON document.
    Json(&'a Value),
    /// The text of a CSV cell; empty text means null.
    Text(&'a str),
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Cell<'a> {
    /// Whether the value is absent-by-null: JSON `null` or an empty CSV cell.
    pub fn is_null(&self) -> bool {
        match self {
            Cell::Json(v) => v.is_null(),
            Cell::Text(t) => t.trim().is_empty(),
        }
    }

    /// The value as text, trimmed of surrounding white space.
    /// NUL characters are refused: PostgreSQL cannot store them in text.
    pub fn text(&self) -> Result<&'a str, String> {
        let t = match self {
            Cell::Json(Value::String(s)) => s.trim(),
            Cell::Json(v) => return Err(format!("expected a string, got {}", json_kind(v))),
            Cell::Text(t) => t.trim(),
        };
        if t.contains('\0') {
            Err(NUL_MESSAGE.into())
        } else {
            Ok(t)
        }
    }

    /// The value as a whole number; a JSON number with no fractional part (60000.0, as
    /// pandas writes a nullable integer column) counts as whole.
    pub fn int(&self) -> Result<i64, String> {
        match self {
            Cell::Json(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    return Ok(i);
                }
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                    _ => Err(format!("expected a whole number, got {n}")),
                }
            }
            Cell::Json(v) => Err(format!("expected an integer, got {}", json_kind(v))),
            Cell::Text(t) => {
                let t = t.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                            .map(|f| f as i64)
                    })
                    .ok_or_else(|| format!("expected a whole number, got {t:?}"))
            }
        }
    }

    /// The value as a finite number.
    pub fn number(&self) -> Result<f64, String> {
        let f = match self {
            Cell::Json(Value::Number(n)) => n.as_f64(),
            Cell::Json(v) => return Err(format!("expected a number, got {}", json_kind(v))),
            Cell::Text(t) => t.trim().parse::<f64>().ok(),
        };
        match f {
            Some(f) if f.is_finite() => Ok(f),
            _ => Err(match self {
                Cell::Text(t) => format!("expected a number, got {:?}", t.trim()),
                _ => "expected a finite number".into(),
            }),
        }
    }

    /// The value as a boolean; CSV accepts true/false, 1/0, yes/no in any case.
    pub fn boolean(&self) -> Result<bool, String> {
        match self {
            Cell::Json(Value::Bool(b)) => Ok(*b),
            Cell::Json(v) => Err(format!("expected a boolean, got {}", json_kind(v))),
            Cell::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "t" | "y" => Ok(true),
                "false" | "0" | "no" | "f" | "n" => Ok(false),
                other => Err(format!("expected true or false, got {other:?}")),
            },
        }
    }
}

/// A source of named raw values: a JSON object, or a CSV row keyed by its header.
pub trait Record {
    /// The raw value named `key`, if present.
    fn get(&self, key: &str) -> Option<Cell<'_>>;
    /// Every key present, to report unknown ones.
    fn keys(&self) -> Vec<&str>;
}

impl Record for Map<String, Value> {
    fn get(&self, key: &str) -> Option<Cell<'_>> {
        Map::get(self, key).map(Cell::Json)
    }
    fn keys(&self) -> Vec<&str> {
        Map::keys(self).map(String::as_str).collect()
    }
}

/// A CSV row: the header and the row's cells, side by side.
pub struct CsvRow<'a> {
    /// Column names, in file order.
    pub header: &'a [String],
    /// The row's cells, in file order.
    pub cells: &'a csv::StringRecord,
}

impl Record for CsvRow<'_> {
    fn get(&self, key: &str) -> Option<Cell<'_>> {
        let i = self.header.iter().position(|h| h == key)?;
        self.cells.get(i).map(Cell::Text)
    }
    fn keys(&self) -> Vec<&str> {
        self.header.iter().map(String::as_str).collect()
    }
}

/// Reads fields from a [`Record`] and collects `(field, message)` for every problem.
///
/// Accessors return a default when a field is missing or bad, so the caller can build its
/// type unconditionally; [`Fields::finish`] then returns it only if nothing was wrong.
pub struct Fields<'r, R: Record + ?Sized> {
    record: &'r R,
    known: Vec<&'static str>,
    errors: Vec<(String, String)>,
}

impl<'r, R: Record + ?Sized> Fields<'r, R> {
    /// Starts reading `record`.
    pub fn new(record: &'r R) -> Self {
        Self {
            record,
            known: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Records a problem with `field`.
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_owned(), message.into()));
    }

    fn take<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(Cell<'_>) -> Result<T, String>,
        cell: Cell<'_>,
    ) -> Option<T> {
        match parse(cell) {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push((key.to_owned(), message));
                None
            }
        }
    }

    /// A field that must be present and not null.
    pub fn required<T: Default>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(Cell<'_>) -> Result<T, String>,
    ) -> T {
        self.known.push(key);
        match self.record.get(key) {
            None => {
                self.error(key, "is required");
                T::default()
            }
            Some(cell) if cell.is_null() => {
                self.error(key, "is required and may not be null");
                T::default()
            }
            Some(cell) => self.take(key, parse, cell).unwrap_or_default(),
        }
    }

    /// A field that must be present and may be null.
    pub fn nullable<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(Cell<'_>) -> Result<T, String>,
    ) -> Option<T> {
        self.known.push(key);
        match self.record.get(key) {
            None => {
                self.error(key, "is required (send null for no value)");
                None
            }
            Some(cell) if cell.is_null() => None,
            Some(cell) => self.take(key, parse, cell),
        }
    }

    /// A field that may be absent but, when present, may not be null (for patches).
    pub fn optional<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(Cell<'_>) -> Result<T, String>,
    ) -> Option<T> {
        self.known.push(key);
        match self.record.get(key) {
            None => None,
            Some(cell) if cell.is_null() => {
                self.error(key, "may not be null");
                None
            }
            Some(cell) => self.take(key, parse, cell),
        }
    }

    /// A field that may be absent or null (for patches of nullable fields): absent is
    /// `None`, null is `Some(None)`.
    pub fn optional_nullable<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(Cell<'_>) -> Result<T, String>,
    ) -> Option<Option<T>> {
        self.known.push(key);
        match self.record.get(key) {
            None => None,
            Some(cell) if cell.is_null() => Some(None),
            Some(cell) => self.take(key, parse, cell).map(Some),
        }
    }

    /// Marks fields the server sets: sending them is an error that says so.
    pub fn read_only(&mut self, keys: &[&'static str]) {
        for key in keys {
            self.known.push(key);
            if self.record.get(key).is_some() {
                self.error(key, READ_ONLY_MESSAGE);
            }
        }
    }

    /// Returns `value` if every field was valid, else every `(field, message)`; keys that
    /// no accessor asked for are reported as unknown.
    pub fn finish<T>(mut self, value: T) -> Result<T, Vec<(String, String)>> {
        let unknown: Vec<String> = self
            .record
            .keys()
            .into_iter()
            .filter(|k| !self.known.iter().any(|n| n == k))
            .map(str::to_owned)
            .collect();
        for key in unknown {
            self.error(&key, UNKNOWN_FIELD_MESSAGE);
        }
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// Escapes a key for use as one JSON pointer segment (RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Checks an integer against an inclusive range.
pub fn int_in(cell: Cell<'_>, min: i64, max: i64) -> Result<i64, String> {
    let v = cell.int()?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between {min} and {max}, got {v}"))
    }
}

/// Checks a number is above `min` (exclusive) and at most `max`.
pub fn number_above(cell: Cell<'_>, min: f64, max: f64) -> Result<f64, String> {
    let v = cell.number()?;
    if v > min && v <= max {
        Ok(v)
    } else {
        Err(format!(
            "must be greater than {min} and at most {max}, got {v}"
        ))
    }
}

/// Checks a number against an inclusive range.
pub fn number_in(cell: Cell<'_>, min: f64, max: f64) -> Result<f64, String> {
    let v = cell.number()?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        // Debug keeps tiny and huge numbers short (`5e-324`, not 324 digits).
        Err(format!("must be between {min} and {max}, got {v:?}"))
    }
}

/// Checks text length (in characters, after trimming) against an inclusive range; the
/// text as sent may not be longer than `max` either (the schema's `maxLength` is of what
/// is sent, so a long value is refused even when trimming would shorten it).
pub fn text_len(cell: Cell<'_>, min: usize, max: usize) -> Result<String, String> {
    let t = cell.text()?;
    let sent = match cell {
        Cell::Json(Value::String(s)) => s.chars().count(),
        Cell::Text(raw) => raw.chars().count(),
        Cell::Json(_) => 0,
    };
    if sent > max {
        return Err(format!(
            "must have at most {max} characters, got {sent} (with the white space around it)"
        ));
    }
    let n = t.chars().count();
    if n < min {
        Err(if min == 1 {
            "may not be empty".into()
        } else {
            format!("must have at least {min} characters")
        })
    } else if n > max {
        Err(format!("must have at most {max} characters, got {n}"))
    } else {
        Ok(t.to_owned())
    }
}

/// Parses one of a closed set of lowercase names; the message lists the allowed ones.
pub fn one_of<T: Copy>(cell: Cell<'_>, options: &[(&str, T)]) -> Result<T, String> {
    let t = cell.text()?;
    options
        .iter()
        .find(|(name, _)| *name == t)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            format!("must be one of {}, got {t:?}", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_trimmed_but_may_not_be_sent_longer_than_the_limit() {
        let padded = serde_json::json!("  abc  ");
        assert_eq!(text_len(Cell::Json(&padded), 1, 7), Ok("abc".into()));
        let long = serde_json::json!(format!(" {}", "x".repeat(64)));
        let e = text_len(Cell::Json(&long), 1, 64).unwrap_err();
        assert!(e.contains("at most 64 characters, got 65"), "{e}");
        assert!(text_len(Cell::Text(" ab "), 1, 3).is_err());
        assert_eq!(text_len(Cell::Text(" ab"), 1, 3), Ok("ab".into()));
    }
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn fields_collects_every_problem_at_once() {
        let rec = obj(json!({"a": "x", "c": 5, "id": 1, "zz": true}));
        let mut f = Fields::new(&rec);
        let a = f.required("a", |c| c.int());
        let b = f.required("b", |c| c.text().map(str::to_owned));
        f.read_only(&["id"]);
        let c = f.optional("c", |c| int_in(c, 1, 3));
        let errors = f.finish((a, b, c)).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(fields, ["a", "b", "id", "c", "zz"]);
    }

    #[test]
    fn whole_floats_count_as_integers_but_fractions_do_not() {
        assert_eq!(Cell::Json(&json!(60000.0)).int(), Ok(60000));
        assert!(Cell::Json(&json!(1.5)).int().is_err());
        assert_eq!(Cell::Text(" 17 ").int(), Ok(17));
        assert!(Cell::Text("17x").int().is_err());
    }

    #[test]
    fn text_cells_parse_booleans_in_common_spellings() {
        for t in ["true", "TRUE", "1", "yes"] {
            assert_eq!(Cell::Text(t).boolean(), Ok(true));
        }
        assert!(Cell::Text("maybe").boolean().is_err());
        assert!(Cell::Json(&json!("true")).boolean().is_err());
    }

    #[test]
    fn number_ranges_are_inclusive_and_name_the_value_refused() {
        assert_eq!(number_in(Cell::Json(&json!(0.01)), 0.01, 100.0), Ok(0.01));
        assert_eq!(number_in(Cell::Text("100"), 0.01, 100.0), Ok(100.0));
        let tiny = number_in(Cell::Json(&json!(5e-324)), 0.01, 100.0);
        assert_eq!(tiny, Err("must be between 0.01 and 100, got 5e-324".into()));
        assert!(number_in(Cell::Text("1e-300"), 0.01, 100.0).is_err());
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(pointer_segment("a/b~c"), "a~1b~0c");
    }
}
