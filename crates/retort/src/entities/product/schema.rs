//! The product on the wire: `ProductIn` (create and replace), `ProductPatch` (partial
//! change), `ProductOut` (what is sent back), the list page and the import report.
//!
//! Input types are parsed by hand through `Fields` so that every bad field is reported at
//! once; the ranges in the `#[schema]` attributes are the constants of `interface.rs`,
//! and a test checks the document against the parser.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::interface::{self as domain, Season, SpeedRating};
use super::model::ProductRow;
use crate::kernel::extract::Parse;
use crate::kernel::validation::{Fields, Record};

/// Fields the server sets; sending them is an error.
pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];

/// A product to create, or the full new state of one (PUT).
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "sku": "MIC-PS4-2254517", "brand": "Michelin", "line": "Pilot Sport 4",
    "category": "performance", "width_mm": 225, "aspect_ratio": 45, "rim_in": 17,
    "load_index": 94, "speed_rating": "Y", "season": "summer",
    "tread_warranty_miles": 30000, "runflat": false, "cost": 128.40, "list_price": 189.99
}))]
pub struct ProductIn {
    /// Stock-keeping unit, unique across products.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9_./-]+$",
        example = "MIC-PS4-2254517"
    )]
    pub sku: String,
    /// Manufacturer brand.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$",
        example = "Michelin"
    )]
    pub brand: String,
    /// Product line within the brand.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$",
        example = "Pilot Sport 4"
    )]
    pub line: String,
    /// Category as a lowercase slug, e.g. `passenger`, `suv`, `touring`, `light_truck`.
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"^[a-z][a-z0-9_]*$",
        example = "passenger"
    )]
    pub category: String,
    /// Section width in millimetres.
    #[schema(minimum = 100, maximum = 400, example = 225)]
    pub width_mm: i64,
    /// Sidewall height as a percentage of the width.
    #[schema(minimum = 20, maximum = 95, example = 45)]
    pub aspect_ratio: i64,
    /// Rim diameter in inches.
    #[schema(minimum = 12, maximum = 26, example = 17)]
    pub rim_in: i64,
    /// Load index.
    #[schema(minimum = 50, maximum = 150, example = 94)]
    pub load_index: i64,
    /// Speed-rating letter.
    pub speed_rating: SpeedRating,
    /// Season the tyre is made for.
    pub season: Season,
    /// Tread-life warranty in miles; null or absent when there is none.
    #[schema(minimum = 0, maximum = 150000, example = 50000)]
    pub tread_warranty_miles: Option<i64>,
    /// Whether the tyre is run-flat.
    pub runflat: bool,
    /// Unit cost, 0.01–100,000.
    #[schema(minimum = 0.01, maximum = 100000, example = 128.4)]
    pub cost: f64,
    /// List price, 0.01–100,000.
    #[schema(minimum = 0.01, maximum = 100000, example = 189.99)]
    pub list_price: f64,
}

impl Parse for ProductIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = ProductIn {
            sku: f.required("sku", domain::parse_sku),
            brand: f.required("brand", domain::parse_name),
            line: f.required("line", domain::parse_name),
            category: f.required("category", domain::parse_category),
            width_mm: f.required("width_mm", domain::parse_int(domain::WIDTH_MM)),
            aspect_ratio: f.required("aspect_ratio", domain::parse_int(domain::ASPECT_RATIO)),
            rim_in: f.required("rim_in", domain::parse_int(domain::RIM_IN)),
            load_index: f.required("load_index", domain::parse_int(domain::LOAD_INDEX)),
            speed_rating: f.required("speed_rating", SpeedRating::parse),
            season: f.required("season", Season::parse),
            tread_warranty_miles: f
                .optional_nullable(
                    "tread_warranty_miles",
                    domain::parse_int(domain::TREAD_WARRANTY_MILES),
                )
                .flatten(),
            runflat: f.required("runflat", |c| c.boolean()),
            cost: f.required("cost", domain::parse_price),
            list_price: f.required("list_price", domain::parse_price),
        };
        f.read_only(READ_ONLY);
        f.finish(value)
    }
}

/// A partial change: only the fields sent are changed; `tread_warranty_miles` may be
/// set to null.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "list_price": 179.99, "tread_warranty_miles": null }))]
pub struct ProductPatch {
    /// Stock-keeping unit, unique across products.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9_./-]+$"
    )]
    pub sku: Option<String>,
    /// Manufacturer brand.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$"
    )]
    pub brand: Option<String>,
    /// Product line within the brand.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$"
    )]
    pub line: Option<String>,
    /// Category slug.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 40,
        pattern = r"^[a-z][a-z0-9_]*$"
    )]
    pub category: Option<String>,
    /// Section width in millimetres.
    #[schema(nullable = false, minimum = 100, maximum = 400)]
    pub width_mm: Option<i64>,
    /// Sidewall height as a percentage of the width.
    #[schema(nullable = false, minimum = 20, maximum = 95)]
    pub aspect_ratio: Option<i64>,
    /// Rim diameter in inches.
    #[schema(nullable = false, minimum = 12, maximum = 26)]
    pub rim_in: Option<i64>,
    /// Load index.
    #[schema(nullable = false, minimum = 50, maximum = 150)]
    pub load_index: Option<i64>,
    /// Speed-rating letter.
    #[schema(nullable = false)]
    pub speed_rating: Option<SpeedRating>,
    /// Season.
    #[schema(nullable = false)]
    pub season: Option<Season>,
    /// Tread-life warranty in miles; null removes it.
    #[schema(minimum = 0, maximum = 150000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tread_warranty_miles: Option<Option<i64>>,
    /// Whether the tyre is run-flat.
    #[schema(nullable = false)]
    pub runflat: Option<bool>,
    /// Unit cost.
    #[schema(nullable = false, minimum = 0.01, maximum = 100000)]
    pub cost: Option<f64>,
    /// List price.
    #[schema(nullable = false, minimum = 0.01, maximum = 100000)]
    pub list_price: Option<f64>,
}

impl Parse for ProductPatch {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = ProductPatch {
            sku: f.optional("sku", domain::parse_sku),
            brand: f.optional("brand", domain::parse_name),
            line: f.optional("line", domain::parse_name),
            category: f.optional("category", domain::parse_category),
            width_mm: f.optional("width_mm", domain::parse_int(domain::WIDTH_MM)),
            aspect_ratio: f.optional("aspect_ratio", domain::parse_int(domain::ASPECT_RATIO)),
            rim_in: f.optional("rim_in", domain::parse_int(domain::RIM_IN)),
            load_index: f.optional("load_index", domain::parse_int(domain::LOAD_INDEX)),
            speed_rating: f.optional("speed_rating", SpeedRating::parse),
            season: f.optional("season", Season::parse),
            tread_warranty_miles: f.optional_nullable(
                "tread_warranty_miles",
                domain::parse_int(domain::TREAD_WARRANTY_MILES),
            ),
            runflat: f.optional("runflat", |c| c.boolean()),
            cost: f.optional("cost", domain::parse_price),
            list_price: f.optional("list_price", domain::parse_price),
        };
        f.read_only(READ_ONLY);
        f.finish(value)
    }
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProductOut {
    /// Server-assigned id.
    #[schema(read_only, example = 42)]
    pub id: i64,
    /// Stock-keeping unit.
    pub sku: String,
    /// Manufacturer brand.
    pub brand: String,
    /// Product line.
    pub line: String,
    /// Category slug.
    pub category: String,
    /// Section width in millimetres.
    pub width_mm: i64,
    /// Aspect ratio in percent.
    pub aspect_ratio: i64,
    /// Rim diameter in inches.
    pub rim_in: i64,
    /// Load index.
    pub load_index: i64,
    /// Speed-rating letter.
    #[schema(value_type = SpeedRating)]
    pub speed_rating: String,
    /// Season.
    #[schema(value_type = Season)]
    pub season: String,
    /// Tread-life warranty in miles, or null.
    pub tread_warranty_miles: Option<i64>,
    /// Whether the tyre is run-flat.
    pub runflat: bool,
    /// Unit cost.
    pub cost: f64,
    /// List price.
    pub list_price: f64,
    /// When the product was created (RFC 3339, UTC).
    #[schema(read_only, example = "2026-11-26T01:54:35.123456Z")]
    pub created_at: String,
    /// When the product last changed (RFC 3339, UTC).
    #[schema(read_only, example = "2026-11-26T01:54:35.123456Z")]
    pub updated_at: String,
}

impl From<ProductRow> for ProductOut {
    fn from(r: ProductRow) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            brand: r.brand,
            line: r.line,
            category: r.category,
            width_mm: r.width_mm,
            aspect_ratio: r.aspect_ratio,
            rim_in: r.rim_in,
            load_index: r.load_index,
            speed_rating: r.speed_rating,
            season: r.season,
            tread_warranty_miles: r.tread_warranty_miles,
            runflat: r.runflat,
            cost: r.cost,
            list_price: r.list_price,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What a successful import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Products created.
    pub inserted: u64,
    /// Existing products replaced (with `upsert`).
    pub updated: u64,
}

crate::list_params!(
    /// Query parameters of the product list (written from the list's `ListSpec`).
    ProductListParams,
    super::model::LIST,
    "id"
);

/// Query parameters of the CSV import.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ImportParams {
    /// Replace products whose sku exists instead of reporting a conflict.
    upsert: Option<bool>,
}

/// Product list filters as a JSON object, e.g. `{"brand": ["Kumho"], "rim_in_min": 17}`:
/// the filters of `GET /api/products` (a value or a list of values each, ranges with
/// `_min` and `_max`, `q`), as scoring jobs and optimisation scopes read them.
#[derive(Debug, Serialize)]
pub struct ProductFilters;

impl utoipa::PartialSchema for ProductFilters {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let doc = crate::kernel::query::docs::filters_schema(&super::model::LIST);
        serde_json::from_value(doc).unwrap_or_else(|_| utoipa::openapi::ObjectBuilder::new().into())
    }
}

impl ToSchema for ProductFilters {}

/// What to score with (documentation only; `score::start_scoring` reads it): a deployed
/// regression model, a version or an alias of it (default: `production`, else the
/// latest), and the products.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"model": "fair-price", "alias": "production", "filters": {"category": ["suv"], "rim_in_min": 17}}))]
#[allow(dead_code)]
pub struct ScoreIn {
    /// The model's name.
    #[schema(min_length = 1)]
    model: String,
    /// A version of it (not with `alias`).
    #[schema(nullable = false, minimum = 1)]
    version: Option<i64>,
    /// An alias of it (not with `version`).
    #[schema(nullable = false)]
    alias: Option<String>,
    /// Which products (default: all).
    #[schema(nullable = false)]
    filters: Option<ProductFilters>,
}
