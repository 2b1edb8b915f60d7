//! A product: one tire SKU of the pricing workbench — its size, ratings, season, cost and
//! list price. Products are created one at a time or imported from CSV, listed with
//! filters, sorting and cursor pagination, and changed or deleted by id.

pub mod controller;
pub mod import;
pub mod interface;
mod model;
pub mod schema;
pub mod score;
pub mod service;
#[cfg(test)]
mod tests;

// What the rest of the service may ask of the catalogue: typed functions, no SQL. Only
// `model.rs` touches the product tables (`products`, `product_scores`,
// `product_score_runs`).
pub use interface::{Catalogue, PriceSet};
pub use model::{
    ProductRow, catalogue_state, columns, columns_between, find_many, groups, id_boundaries,
    ids_by_sku, ids_by_sku_on, ids_matching, scores, set_price_if,
};

/// The tables this entity owns.
pub const TABLES: &[&str] = &["products", "product_scores", "product_score_runs"];

/// What the product list filters and sorts on.
pub fn list_spec() -> &'static crate::kernel::query::ListSpec {
    &model::LIST
}

/// The whole catalogue as columns, read in id order in chunks of `chunk` products.
pub async fn catalogue(db: &crate::kernel::db::Db, chunk: usize) -> Result<Catalogue, sqlx::Error> {
    read_in_chunks(db, chunk, |part, _| Some(part)).await
}

/// The products at `positions` (places in id order, 0 the lowest id; ascending and
/// distinct) as columns, read in chunks of `chunk` products of which only the chosen
/// ones are kept: a sample of a large catalogue without holding all of it.
pub async fn catalogue_at(
    db: &crate::kernel::db::Db,
    positions: &[usize],
    chunk: usize,
) -> Result<Catalogue, sqlx::Error> {
    let mut next = 0usize;
    read_in_chunks(db, chunk, |part, start| {
        let from = next;
        while next < positions.len() && positions[next] < start + part.len() {
            next += 1;
        }
        let local: Vec<usize> = positions[from..next]
            .iter()
            .filter_map(|&p| p.checked_sub(start))
            .collect();
        // Past the last position nothing more is read.
        (next < positions.len() || !local.is_empty()).then(|| part.select(&local))
    })
    .await
}

/// Reads the catalogue in id order, `chunk` products at a time, and appends what `keep`
/// makes of each chunk (given with the place of its first product); stops at the end or
/// when `keep` gives `None`.
async fn read_in_chunks(
    db: &crate::kernel::db::Db,
    chunk: usize,
    mut keep: impl FnMut(Catalogue, usize) -> Option<Catalogue>,
) -> Result<Catalogue, sqlx::Error> {
    let chunk = chunk.max(1);
    let mut all = Catalogue::default();
    let (mut after, mut start) = (i64::MIN, 0usize);
    loop {
        let part = model::columns(db, None, after, chunk).await?;
        let Some(&last) = part.id.last() else {
            return Ok(all);
        };
        let (len, done) = (part.len(), part.len() < chunk);
        match keep(part, start) {
            Some(kept) => all.append(kept),
            None => return Ok(all),
        }
        if done {
            return Ok(all);
        }
        after = last;
        start += len;
    }
}

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kernel::auth::{Access, Permission, allow};
use crate::kernel::state::AppState;

/// Adds this entity to the app: its tables, tag, routes (each with its access) and jobs.
pub fn register(r: crate::kernel::registry::Registry) -> crate::kernel::registry::Registry {
    r.entity("product", TABLES)
        .tag("products", "Tire SKUs of the pricing workbench")
        .routes(router())
        .job::<score::ScoreProducts>()
}

/// The product routes, with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    let read = Access::Needs(Permission::Read);
    let write = Access::Needs(Permission::CatalogueWrite);
    OpenApiRouter::new()
        .routes(allow(read, routes!(controller::list_products)))
        .routes(allow(write, routes!(controller::create_product)))
        .routes(allow(read, routes!(controller::get_product)))
        .routes(allow(
            write,
            routes!(
                controller::replace_product,
                controller::patch_product,
                controller::delete_product
            ),
        ))
        .routes(allow(write, routes!(controller::import_products)))
        .routes(allow(
            Access::Needs(Permission::JobsStart),
            routes!(controller::score_products),
        ))
}
