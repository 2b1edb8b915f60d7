//! Tests of price optimisation.
