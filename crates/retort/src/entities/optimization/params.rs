//! An optimisation request read from JSON: every bad field named, defaults filled in.

use retort_learn::optimize::DemandModel;
use serde_json::{Value as Json, json};

use super::schema::OptimizationIn;
use super::service::MAX_PRODUCTS;
use crate::entities::product::score::filter_pairs;
use crate::kernel::error::FieldError;

const FIELDS: [&str; 8] = [
    "scope",
    "objective",
    "demand_model",
    "max_change_pct",
    "min_margin_pct",
    "price_ladder",
    "price_ending",
    "baseline_weeks",
];

/// Reads a request, every bad field reported: defaults filled in.
pub fn params_from_json(body: &Json) -> Result<OptimizationIn, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "expected an object with \"scope\"",
        )]);
    };
    for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(format!("/{k}"), "is not a known field"));
    }
    let scope = match obj.get("scope").and_then(Json::as_object) {
        None => {
            errors.push(FieldError::new(
                "/scope",
                "is required: {\"filters\": {product filters}} or {\"skus\": [...]}",
            ));
            json!({})
        }
        Some(s) => {
            match (s.get("filters"), s.get("skus")) {
                (Some(f), None) => {
                    if let Err(e) = filter_pairs(f) {
                        errors.extend(
                            e.into_iter()
                                .map(|e| FieldError::new(format!("/scope{}", e.path), e.message)),
                        );
                    }
                }
                (None, Some(Json::Array(skus))) => {
                    if skus.is_empty() || skus.len() > MAX_PRODUCTS {
                        errors.push(FieldError::new(
                            "/scope/skus",
                            format!("must list 1 to {MAX_PRODUCTS} skus"),
                        ));
                    }
                    for (i, s) in skus.iter().enumerate() {
                        if s.as_str().is_none_or(|s| s.trim().is_empty()) {
                            errors.push(FieldError::new(
                                format!("/scope/skus/{i}"),
                                "must be a sku (text)",
                            ));
                        }
                    }
                }
                (None, Some(_)) => {
                    errors.push(FieldError::new("/scope/skus", "must be a list of skus"))
                }
                _ => errors.push(FieldError::new(
                    "/scope",
                    "give exactly one of \"filters\" or \"skus\"",
                )),
            }
            for k in s.keys().filter(|k| *k != "filters" && *k != "skus") {
                errors.push(FieldError::new(
                    format!("/scope/{k}"),
                    "is not a known field",
                ));
            }
            Json::Object(s.clone())
        }
    };
    let objective = match obj.get("objective") {
        None => "profit".to_owned(),
        Some(Json::String(o)) if o == "profit" || o == "revenue" => o.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                "/objective",
                "must be \"profit\" or \"revenue\"",
            ));
            String::new()
        }
    };
    let demand_model = match obj.get("demand_model") {
        None => DemandModel::ConstantElasticity.as_str().to_owned(),
        Some(Json::String(m)) if DemandModel::parse(m).is_some() => m.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                "/demand_model",
                "must be \"constant_elasticity\" or \"linear\"",
            ));
            String::new()
        }
    };
    let mut number = |name: &str,
                      default: Option<f64>,
                      lo: f64,
                      hi: f64,
                      lo_open: bool,
                      hi_open: bool|
     -> Option<f64> {
        match obj.get(name) {
            None => default,
            Some(Json::Null) if default.is_none() => None,
            Some(v) => match v.as_f64() {
                Some(x)
                    if (if lo_open { x > lo } else { x >= lo })
                        && (if hi_open { x < hi } else { x <= hi }) =>
                {
                    Some(x)
                }
                _ => {
                    let (l, h) = (
                        if lo_open { "above" } else { "from" },
                        if hi_open { "below" } else { "to" },
                    );
                    errors.push(FieldError::new(
                        format!("/{name}"),
                        format!("must be a number {l} {lo} {h} {hi}"),
                    ));
                    default
                }
            },
        }
    };
    let max_change_pct =
        number("max_change_pct", Some(10.0), 0.0, 100.0, true, true).unwrap_or(10.0);
    let min_margin_pct = number("min_margin_pct", None, 0.0, 100.0, false, true);
    let price_ending = number("price_ending", None, 0.0, 1.0, false, true);
    let baseline_weeks =
        number("baseline_weeks", Some(13.0), 1.0, 52.0, false, false).unwrap_or(13.0);
    if baseline_weeks.fract() != 0.0 {
        errors.push(FieldError::new(
            "/baseline_weeks",
            "must be a whole number of weeks",
        ));
    }
    let price_ladder = match obj.get("price_ladder") {
        None => true,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("/price_ladder", "must be true or false"));
            true
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(OptimizationIn {
        scope,
        objective,
        demand_model,
        max_change_pct,
        min_margin_pct,
        price_ladder,
        price_ending,
        baseline_weeks: baseline_weeks as i64,
    })
}
