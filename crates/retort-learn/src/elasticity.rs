//! Elasticity (to be written).
