//! Review of a proposal: accept all or selected products (prices and audit rows in one
//! transaction, each product decided once) or reject them.

use serde_json::Value as Json;

use super::model;
use super::schema::{ConflictOut, DecisionOut};
use super::service::get;
use crate::entities::price_change;
use crate::entities::product::{self, PriceSet};
use crate::kernel::error::{AppError, AppResult, FieldError};
use crate::kernel::state::AppState;
use crate::kernel::time;

/// The body's optional `skus` list; 422 naming bad entries and skus not in the proposal.
async fn selected_skus(state: &AppState, id: i64, body: &Json) -> AppResult<Option<Vec<String>>> {
    let mut errors = Vec::new();
    if let Some(obj) = body.as_object() {
        for k in obj.keys().filter(|k| *k != "skus") {
            let message = if k == "actor" {
                "is set from the credential (the key's name), never from the body; remove it"
            } else {
                "is not a known field"
            };
            errors.push(FieldError::new(format!("/{k}"), message));
        }
    } else {
        return Err(AppError::Validation(vec![FieldError::new(
            "",
            "expected an object, e.g. {\"skus\": [...]}",
        )]));
    }
    let skus = match body.get("skus") {
        None | Some(Json::Null) => None,
        Some(Json::Array(list)) => {
            let mut skus = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match s.as_str() {
                    Some(s) => skus.push(s.to_owned()),
                    None => errors.push(FieldError::new(
                        format!("/skus/{i}"),
                        "must be a sku (text)",
                    )),
                }
            }
            if errors.is_empty() {
                let unknown = model::unknown_skus(&state.db, id, &skus).await?;
                for (i, s) in skus.iter().enumerate() {
                    if unknown.contains(s) {
                        errors.push(FieldError::new(
                            format!("/skus/{i}"),
                            format!("{s:?} is not in optimization {id}"),
                        ));
                    }
                }
            }
            Some(skus)
        }
        Some(_) => {
            errors.push(FieldError::new("/skus", "must be a list of skus"));
            None
        }
    };
    if errors.is_empty() {
        Ok(skus)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Accepts all or the selected pending products of a ready proposal: their prices
/// change and an audit row is written for each, in one transaction. Products already
/// decided are left alone, so accepting twice changes nothing the second time; products
/// whose price changed since the proposal are not applied and are reported as conflicts.
pub async fn accept(state: &AppState, id: i64, body: &Json, actor: &str) -> AppResult<DecisionOut> {
    decide(state, id, body, actor, true).await
}

/// Rejects all or the selected pending products.
pub async fn reject(state: &AppState, id: i64, body: &Json, actor: &str) -> AppResult<DecisionOut> {
    decide(state, id, body, actor, false).await
}

async fn decide(
    state: &AppState,
    id: i64,
    body: &Json,
    actor: &str,
    accept: bool,
) -> AppResult<DecisionOut> {
    let opt = get(state, id).await?;
    if !matches!(
        opt.status.as_str(),
        "ready" | "partially_accepted" | "accepted" | "rejected"
    ) {
        return Err(AppError::Conflict(format!(
            "optimization {id} is {}: only a ready proposal can be accepted or rejected",
            opt.status
        )));
    }
    let actor = actor.to_owned();
    let skus = selected_skus(state, id, body).await?;
    let backend = state.db.backend();
    let now = time::now();
    let mut tx = state.db.begin_write().await?;
    let pending = model::pending_items(&mut tx, backend, id, skus.as_deref()).await?;
    let selected = skus.as_ref().map_or(pending.len(), Vec::len) as i64;
    let mut changed = 0i64;
    let mut conflicts = Vec::new();
    let decision = if accept { "accepted" } else { "rejected" };
    for (item, product, sku, old, new) in &pending {
        // Deciding first takes the item's lock: of two concurrent accepts, one decides
        // it and the other finds it decided.
        if !model::decide_item(&mut tx, backend, *item, decision).await? {
            continue;
        }
        if accept {
            match product::set_price_if(&mut tx, *product, *old, *new, &now).await? {
                PriceSet::Changed => {
                    price_change::record(
                        &mut tx,
                        *product,
                        sku,
                        *old,
                        *new,
                        Some(id),
                        &actor,
                        &now,
                    )
                    .await?;
                }
                PriceSet::Moved(current) => {
                    model::undecide_item(&mut tx, backend, *item).await?;
                    conflicts.push(ConflictOut {
                        sku: sku.clone(),
                        old_price: *old,
                        current_price: Some(current),
                    });
                    continue;
                }
                PriceSet::Gone => {
                    model::undecide_item(&mut tx, backend, *item).await?;
                    conflicts.push(ConflictOut {
                        sku: sku.clone(),
                        old_price: *old,
                        current_price: None,
                    });
                    continue;
                }
            }
        }
        changed += 1;
    }
    let counts = model::status_counts(&mut tx, backend, id).await?;
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let (pending_left, accepted, rejected) =
        (count("pending"), count("accepted"), count("rejected"));
    let status = if pending_left == 0 && accepted == 0 {
        "rejected"
    } else if pending_left == 0 && rejected == 0 {
        "accepted"
    } else if accepted > 0 {
        "partially_accepted"
    } else {
        "ready"
    };
    model::set_decided(&mut tx, backend, id, status, &actor, &now).await?;
    tx.commit().await?;
    if accept && changed > 0 {
        crate::entities::pricing::score::catalogue_changed(state);
    }
    let unchanged = selected - changed - conflicts.len() as i64;
    Ok(DecisionOut {
        changed,
        unchanged,
        conflicts,
        optimization: get(state, id).await?,
    })
}
