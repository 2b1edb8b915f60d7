//! Gradient-boosted trees (to be written).
