//! Tests of the pricing analysis.
