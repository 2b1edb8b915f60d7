//! CSV exports: one way to write a cell, so that every export quotes alike and no text
//! cell runs as a formula when the file is opened in a spreadsheet.
//!
//! A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'` (what spreadsheets read as "this is text"). Numbers are written as
//! numbers and never changed, so a negative gap stays a negative number; only text is
//! neutralised.

use std::fmt::Display;

/// Characters that make a spreadsheet read a text cell as a formula when they start it.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell: a leading `'` when it starts like a formula, then quoted where CSV needs
/// it (a comma, a quote or a line break inside).
pub fn text(s: &str) -> String {
    let neutral = if s.starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// An optional text cell: empty when there is none.
pub fn opt_text(s: Option<&str>) -> String {
    s.map(text).unwrap_or_default()
}

/// A number (or boolean) cell, written as it displays; never neutralised.
pub fn number(v: impl Display) -> String {
    v.to_string()
}

/// An optional number cell: empty when there is none.
pub fn opt_number(v: Option<impl Display>) -> String {
    v.map(number).unwrap_or_default()
}

/// One CSV line of `cells`, ending with a newline.
pub fn line(cells: &[String]) -> String {
    let mut out = cells.join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_that_start_like_a_formula_get_a_leading_quote() {
        assert_eq!(
            text("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(text("+1"), "'+1");
        assert_eq!(text("-SKU-1"), "'-SKU-1");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("\tx"), "'\tx");
        assert_eq!(text("\rx"), "\"'\rx\"");
    }

    #[test]
    fn ordinary_text_is_kept_and_quoted_only_where_csv_needs_it() {
        assert_eq!(text("Michelin"), "Michelin");
        assert_eq!(text("a=b"), "a=b");
        assert_eq!(text("Pilot, Sport"), "\"Pilot, Sport\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(opt_text(None), "");
    }

    #[test]
    fn negative_numbers_stay_numbers() {
        assert_eq!(number(-12.5), "-12.5");
        assert_eq!(opt_number(Some(-3)), "-3");
        assert_eq!(opt_number(None::<f64>), "");
        assert_eq!(line(&[text("-x"), number(-1)]), "'-x,-1\n");
    }
}
