//! Typed columns: how one part of the service hands another a column of values without a
//! row type or JSON in between (the catalogue to the model's input tensors).

/// One column of values, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum ColumnRef<'a> {
    /// Text.
    Text(&'a [String]),
    /// Whole numbers.
    Int(&'a [i64]),
    /// Whole numbers that may be missing.
    OptInt(&'a [Option<i64>]),
    /// Flags.
    Bool(&'a [bool]),
    /// Real numbers.
    Float(&'a [f64]),
}

impl ColumnRef<'_> {
    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::OptInt(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Float(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i` as a number, `None` when missing or not a number.
    pub fn number(&self, i: usize) -> Option<f64> {
        match self {
            Self::Int(v) => v.get(i).map(|&x| x as f64),
            Self::OptInt(v) => v.get(i).copied().flatten().map(|x| x as f64),
            Self::Float(v) => v.get(i).copied(),
            Self::Text(_) | Self::Bool(_) => None,
        }
    }
}
