//! Conditions added by the caller (fixed predicates, equalities on a leading index
//! column) and read back (for an in-memory evaluation of the same filters).

use super::{Bind, Cond, ListQuery};

/// A filter of a parsed list request, read back by [`ListQuery::conditions`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition<'a> {
    /// The column equals one of the values.
    In(&'static str, &'a [Bind]),
    /// The column is at least the value (NULL never is).
    Min(&'static str, &'a Bind),
    /// The column is at most the value (NULL never is).
    Max(&'static str, &'a Bind),
    /// A fixed SQL predicate from the code.
    Literal(&'static str),
}

impl ListQuery {
    /// The filters, for a caller that evaluates them itself (an in-memory index).
    pub fn conditions(&self) -> Vec<Condition<'_>> {
        self.conds
            .iter()
            .map(|c| match c {
                Cond::In(col, values) => Condition::In(col.name, values),
                Cond::Min(col, v) => Condition::Min(col.name, v),
                Cond::Max(col, v) => Condition::Max(col.name, v),
                Cond::Literal(p) => Condition::Literal(p),
                Cond::Is(col, v) => Condition::In(col, std::slice::from_ref(v)),
            })
            .collect()
    }

    /// The lower-cased `q` search, if any, and the columns it searches.
    pub fn search(&self) -> Option<(&str, &'static [&'static str])> {
        self.q.as_deref().map(|q| (q, self.spec.search))
    }

    /// Adds a fixed predicate from the code, e.g. `"log_ratio > 0"`, to the filters.
    pub fn require(&mut self, predicate: &'static str) -> &mut Self {
        self.conds.insert(0, Cond::Literal(predicate));
        self
    }

    /// Adds `column ≥ min` and/or `column ≤ max` on a range column of the spec (a name
    /// from the code), beside any range the request gave. Panics on a column the spec
    /// does not have or cannot range over: a programming error.
    pub fn require_range(
        &mut self,
        column: &str,
        min: Option<Bind>,
        max: Option<Bind>,
    ) -> &mut Self {
        let col = self
            .spec
            .columns
            .iter()
            .find(|c| c.name == column && c.filter == super::Filter::Range)
            .unwrap_or_else(|| panic!("{column} is not a range column of {}", self.spec.table));
        if let Some(v) = min {
            self.conds.push(Cond::Min(col, v));
        }
        if let Some(v) = max {
            self.conds.push(Cond::Max(col, v));
        }
        self
    }

    /// Adds `column = value` (a column name from the code) in front of the filters, so
    /// an index led by that column serves the query.
    pub fn require_equal(&mut self, column: &'static str, value: Bind) -> &mut Self {
        self.conds.insert(0, Cond::Is(column, value));
        self
    }
}
