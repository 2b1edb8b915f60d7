//! Tests of elasticity estimates.
