//! Domain types of a sale: the week it covers (a Monday), its price and units.

use time::{Date, Weekday};

use crate::kernel::validation::{Cell, int_in};

/// Most units one product sells in one week.
pub const MAX_UNITS: i64 = 10_000_000;

/// Parses a week: the Monday it starts, as `YYYY-MM-DD`.
pub fn parse_week(cell: Cell<'_>) -> Result<String, String> {
    let text = cell.text()?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text, &format)
        .map_err(|_| format!("must be a date as YYYY-MM-DD, got {text:?}"))?;
    if date.weekday() != Weekday::Monday {
        return Err(format!(
            "must be the Monday the week starts, got a {} ({text})",
            date.weekday()
        ));
    }
    Ok(text.to_owned())
}

/// Parses an average selling price: the same range as a product's prices.
pub fn parse_price(cell: Cell<'_>) -> Result<f64, String> {
    crate::entities::product::interface::parse_price(cell)
}

/// Parses units sold: 0 or more.
pub fn parse_units(cell: Cell<'_>) -> Result<i64, String> {
    int_in(cell, 0, MAX_UNITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_a_monday_written_as_a_date() {
        assert_eq!(
            parse_week(Cell::Text("2026-11-23")),
            Ok("2026-11-23".into())
        );
        assert!(
            parse_week(Cell::Text("2026-11-24"))
                .unwrap_err()
                .contains("Tuesday")
        );
        assert!(parse_week(Cell::Text("23/11/2026")).is_err());
        assert!(parse_week(Cell::Text("2026-02-30")).is_err());
    }
}
