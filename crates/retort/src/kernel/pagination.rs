//! Pages of results: `{ items, next_cursor, total }`, with opaque keyset cursors.
//!
//! A cursor holds the sort key values of the last row of a page (and the sort it was
//! made for), so the next page starts right after it however the table changes between
//! requests: stable, and as fast on page 1,000 as on page 1.

use serde::Serialize;
use serde_json::Value;

/// Rows per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most rows one page returns; a larger `limit` is capped to this.
pub const MAX_LIMIT: u32 = 1000;

/// One page of a list: the page type of every list endpoint (`Page_ProductOut`, …, in
/// the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many rows match the filters, over all pages.
    pub total: i64,
}

impl<T> Page<T> {
    /// Converts the rows of a page, keeping the cursor and total.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

/// Encodes the sort spec and last-row key values as an opaque, URL-safe token.
pub fn encode_cursor(sort: &str, values: &[Value]) -> String {
    let json = serde_json::json!({ "s": sort, "k": values }).to_string();
    json.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a cursor made by [`encode_cursor`] for the same sort; `None` if it is not one.
pub fn decode_cursor(token: &str, sort: &str) -> Option<Vec<Value>> {
    if token.len() % 2 != 0 || token.len() > 8192 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let value: Value = serde_json::from_slice(&bytes?).ok()?;
    if value.get("s")?.as_str()? != sort {
        return None;
    }
    value.get("k")?.as_array().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_for_the_same_sort_only() {
        let token = encode_cursor("-list_price", &[json!(99.5), json!(7)]);
        assert_eq!(
            decode_cursor(&token, "-list_price"),
            Some(vec![json!(99.5), json!(7)])
        );
        assert_eq!(decode_cursor(&token, "list_price"), None);
        assert_eq!(decode_cursor("zz", "-list_price"), None);
        assert_eq!(decode_cursor("abc", "-list_price"), None);
    }
}
