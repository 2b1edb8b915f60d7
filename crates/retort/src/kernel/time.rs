//! Timestamps as stored and sent: RFC 3339 in UTC with microseconds, fixed width so
//! that text order is time order on every database.

use time::OffsetDateTime;
use time::macros::format_description;

/// The current time in the stored form, e.g. `2026-11-26T01:54:35.123456Z`.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The time `d` from now, in the stored form.
pub fn after(d: std::time::Duration) -> String {
    format(OffsetDateTime::now_utc() + d)
}

/// Formats a time in the stored form.
pub fn format(at: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// Reads a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_fixed_width_utc_with_microseconds() {
        let at = OffsetDateTime::from_unix_timestamp(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(format(at), "1970-01-01T00:00:00.000000Z");
        assert_eq!(now().len(), 27);
    }
}
