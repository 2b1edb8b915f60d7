//! Filter values: parsing one against its column, collecting distinct ones, and checking
//! that ranges are not empty.

use super::Column;
use super::{Bind, Cond, Kind, MAX_VALUES};
use crate::kernel::error::FieldError;
use crate::kernel::validation::Cell;

pub(super) fn parse_value(col: &Column, raw: &str) -> Result<Bind, String> {
    let cell = Cell::Text(raw);
    match col.kind {
        Kind::Int => cell.int().map(Bind::Int),
        Kind::Float => cell.number().map(Bind::Float),
        Kind::Bool => cell.boolean().map(Bind::Bool),
        Kind::Text => {
            let t = raw.trim();
            match col.allowed {
                Some(allowed) if !allowed.contains(&t) => {
                    Err(format!("must be one of {}, got {t:?}", allowed.join(", ")))
                }
                _ => Ok(Bind::Text(t.to_owned())),
            }
        }
    }
}

pub(super) fn check_ranges(conds: &[Cond], errors: &mut Vec<FieldError>) {
    for cond in conds {
        if let Cond::Min(col, lo) = cond {
            for other in conds {
                if let Cond::Max(c2, hi) = other {
                    let bad = c2.name == col.name
                        && match (lo, hi) {
                            (Bind::Int(a), Bind::Int(b)) => a > b,
                            (Bind::Float(a), Bind::Float(b)) => a > b,
                            _ => false,
                        };
                    if bad {
                        errors.push(FieldError::query(
                            &format!("{}_min", col.name),
                            format!("must not be greater than {}_max", col.name),
                        ));
                    }
                }
            }
        }
    }
}

/// Adds `value` to the values of an equality filter unless it is there already; past
/// [`MAX_VALUES`] distinct values only the count of values given goes on.
pub(super) fn add_value(values: &mut Vec<Bind>, given: &mut usize, value: Bind) {
    *given += 1;
    if values.len() <= MAX_VALUES && !values.contains(&value) {
        values.push(value);
    }
}
