//! How good the current analysis is: the fair-price model on its holdout, its interval,
//! the elasticities and, on the demo catalogue, the planted mispricings found.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as Json;

use super::model;
use super::schema::{EvaluationOut, FlagOut, HoldoutOut, IntervalOut, PlantedOut};
use super::service::{index, scoring};
use crate::entities::model::service::{self as models, Selector};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::state::AppState;

/// How good the current analysis is (see [`EvaluationOut`]). 404 when the model does
/// not exist or has not scored the catalogue; the parts that do not apply are null.
pub async fn evaluation(state: &AppState, model: &str, k: i64) -> AppResult<EvaluationOut> {
    if !(1..=10_000).contains(&k) {
        return Err(AppError::Validation(vec![FieldError::query(
            "k",
            "must be from 1 to 10000",
        )]));
    }
    let scoring = scoring(state, model).await?;
    let metrics = match models::resolve(state, model, &Selector::Version(scoring.version)).await {
        Ok(row) => serde_json::from_str::<Json>(&row.metrics).unwrap_or(Json::Null),
        Err(AppError::NotFound(_)) => Json::Null,
        Err(e) => return Err(e),
    };
    let holdout = match (metrics["r2"].as_f64(), metrics["mape"].as_f64()) {
        (Some(r2), Some(mape)) => Some(HoldoutOut {
            r2,
            mape,
            mae: metrics["mae"].as_f64(),
            rows: metrics["rows_holdout"].as_i64(),
        }),
        _ => None,
    };
    let elasticities = match crate::entities::elasticity::service::list(state).await {
        Ok(e) => Some(e),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let scored = index(state, &scoring).await?.gaps();
    let planted: BTreeMap<String, String> = model::planted(&state.db).await?.into_iter().collect();
    Ok(EvaluationOut {
        model: model.to_owned(),
        version: scoring.version,
        scored: scored.len() as i64,
        holdout,
        elasticities,
        planted: against_planted(scored, &planted, k, scoring.interval.as_ref()),
        interval: scoring.interval,
    })
}

/// The analysis judged against the planted mispricings among `scored` (`(sku,
/// mispricing, |gap|, log ratio)` rows); `None` when none of them is scored.
fn against_planted(
    mut scored: Vec<(String, f64, f64, f64)>,
    planted: &BTreeMap<String, String>,
    k: i64,
    interval: Option<&IntervalOut>,
) -> Option<PlantedOut> {
    let present: HashSet<&str> = scored.iter().map(|s| s.0.as_str()).collect();
    let here = planted
        .keys()
        .filter(|s| present.contains(s.as_str()))
        .count();
    if here == 0 {
        return None;
    }
    let n = scored.len();
    let is_planted = |s: &(String, f64, f64, f64)| planted.contains_key(&s.0);
    let top_share = |sorted: &[(String, f64, f64, f64)], count: usize| {
        sorted[..count.min(n)]
            .iter()
            .filter(|s| is_planted(s))
            .count() as f64
    };
    let precision = |sorted: &[(String, f64, f64, f64)], k: usize| {
        top_share(sorted, k) / k.min(n).max(1) as f64
    };
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top2 = ((n as f64) * 0.02).ceil() as usize;
    let out_flag = interval.map(|iv| {
        let flagged: Vec<&(String, f64, f64, f64)> =
            scored.iter().filter(|s| s.1 > iv.log_halfwidth).collect();
        let hits = flagged.iter().filter(|s| is_planted(s)).count() as f64;
        FlagOut {
            flagged: flagged.len() as i64,
            precision: if flagged.is_empty() {
                0.0
            } else {
                hits / flagged.len() as f64
            },
            recall: hits / here as f64,
        }
    });
    let agree = scored
        .iter()
        .filter(|s| match planted.get(&s.0).map(String::as_str) {
            Some("over") => s.3 > 0.0,
            Some("under") => s.3 < 0.0,
            _ => false,
        })
        .count() as f64
        / here as f64;
    let mut out = PlantedOut {
        products: here as i64,
        k,
        precision_at_k: precision(&scored, k as usize),
        precision_at_100: precision(&scored, 100),
        precision_at_1000: precision(&scored, 1000),
        recall_top_2pct_relative: top_share(&scored, top2) / here as f64,
        recall_top_2pct_dollars: 0.0,
        direction_agreement: agree,
        outside_interval: out_flag,
    };
    scored.sort_by(|a, b| b.2.total_cmp(&a.2));
    out.recall_top_2pct_dollars = top_share(&scored, top2) / here as f64;
    Some(out)
}
