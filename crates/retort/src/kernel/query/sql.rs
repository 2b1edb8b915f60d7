//! SQL text built piece by piece with its values bound in placeholder order, portable
//! across SQLite and PostgreSQL.

use std::fmt::Write as _;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

use super::super::db::Backend;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes.
    Blob(Vec<u8>),
    /// SQL NULL for a text column (PostgreSQL types it as text).
    Null,
    /// SQL NULL for an integer column (written into the SQL, not bound).
    NullInt,
    /// SQL NULL for a floating-point column (written into the SQL, not bound).
    NullFloat,
}

/// SQL text with its bound values in placeholder order.
///
/// Placeholders are `$1`, `$2`, … on PostgreSQL and plain `?` on SQLite: SQLite looks up
/// numbered parameters by name, which is quadratic in their count and made a 500-row
/// insert take longer to bind than to run. So a value is bound once per use.
#[derive(Debug)]
pub struct Sql {
    /// The statement.
    pub text: String,
    /// The values, in placeholder order.
    pub binds: Vec<Bind>,
    pub(super) backend: Backend,
}

impl Sql {
    /// A statement from literal `parts` with one value bound between each two:
    /// `Sql::with(b, &["SELECT id FROM t WHERE a = ", " AND b = ", ""], vec![x, y])`.
    pub fn with(backend: Backend, parts: &[&str], binds: Vec<Bind>) -> Self {
        let mut sql = Self::new(backend);
        let mut binds = binds.into_iter();
        for (i, part) in parts.iter().enumerate() {
            sql.push(part);
            if i + 1 < parts.len() {
                if let Some(b) = binds.next() {
                    sql.bind(b);
                }
            }
        }
        sql
    }

    /// An empty statement for `backend`.
    pub fn new(backend: Backend) -> Self {
        Self {
            text: String::new(),
            binds: Vec::new(),
            backend,
        }
    }

    /// Appends literal SQL (never user input).
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Appends a placeholder bound to `value` (a typed NULL is written as `NULL`: a
    /// bound NULL of a number type does not reach PostgreSQL through the Any driver).
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        if matches!(value, Bind::NullInt | Bind::NullFloat) {
            self.text.push_str("NULL");
            return self;
        }
        self.binds.push(value);
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => {
                let _ = write!(self.text, "${}", self.binds.len());
            }
        }
        self
    }
    /// Appends placeholders for `values`, separated by commas (the inside of `IN (…)`).
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = Bind>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// A query over this SQL with its values bound.
    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        self.binds.iter().fold(
            sqlx::query(AssertSqlSafe(self.text.clone())),
            |q, b| match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Float(f) => q.bind(*f),
                Bind::Bool(v) => q.bind(*v),
                Bind::Blob(b) => q.bind(b.clone()),
                Bind::Null => q.bind(None::<String>),
                Bind::NullInt | Bind::NullFloat => q,
            },
        )
    }
}
