//! The numerical work behind Retort's pricing workbench, with no database and no I/O:
//!
//! - [`gbdt`]: gradient-boosted regression trees trained natively, exported as a
//!   standard ONNX `TreeEnsembleRegressor` graph that Retort's engine (and onnxruntime)
//!   evaluates;
//! - [`elasticity`]: price elasticity by Poisson pseudo-maximum likelihood (or a log-log
//!   regression) with product and week effects, with standard errors;
//! - [`optimize`]: price optimisation as a convex quadratic programme solved by Clarabel
//!   (a sequence of them under constant-elasticity demand);
//! - [`conformal`]: prediction intervals calibrated on a holdout (split conformal).

pub mod conformal;
pub mod elasticity;
pub mod gbdt;
pub mod optimize;
mod rng;
