//! Price optimisation (to be written).
