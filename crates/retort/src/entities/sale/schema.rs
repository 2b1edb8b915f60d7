//! The sale on the wire: `SaleIn`, `SalePatch`, `SaleOut`, a page, an import report.

use serde::Serialize;
use utoipa::ToSchema;

use super::interface as domain;
use super::model::SaleRow;
use crate::kernel::csv_import::Keyed;
use crate::kernel::extract::Parse;
use crate::kernel::validation::{Fields, Record};

/// Fields the server sets.
pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];

/// One week of sales of one product.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "MIC-PS4-2254517", "week": "2026-11-23", "price": 184.5, "units": 37}))]
pub struct SaleIn {
    /// The product's sku (it must exist).
    #[schema(min_length = 1, max_length = 64, example = "MIC-PS4-2254517")]
    pub sku: String,
    /// The Monday the week starts, YYYY-MM-DD.
    #[schema(format = Date, example = "2026-11-23")]
    pub week: String,
    /// Average selling price that week, 0.01–100,000.
    #[schema(minimum = 0.01, maximum = 100000, example = 184.5)]
    pub price: f64,
    /// Units sold that week.
    #[schema(minimum = 0, maximum = 10000000, example = 37)]
    pub units: i64,
}

impl Parse for SaleIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = SaleIn {
            sku: f.required("sku", crate::entities::product::interface::parse_sku),
            week: f.required("week", domain::parse_week),
            price: f.required("price", domain::parse_price),
            units: f.required("units", domain::parse_units),
        };
        f.read_only(READ_ONLY);
        f.finish(value)
    }
}

impl Keyed for SaleIn {
    fn key(&self) -> (&'static str, std::borrow::Cow<'_, str>) {
        ("week", format!("{} {}", self.sku, self.week).into())
    }
}

/// A change of price or units.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalePatch {
    /// A new price.
    #[schema(nullable = false, minimum = 0.01, maximum = 100000)]
    pub price: Option<f64>,
    /// New units.
    #[schema(nullable = false, minimum = 0, maximum = 10000000)]
    pub units: Option<i64>,
}

impl Parse for SalePatch {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = SalePatch {
            price: f.optional("price", domain::parse_price),
            units: f.optional("units", domain::parse_units),
        };
        f.read_only(&["id", "created_at", "updated_at", "sku", "week"]);
        f.finish(value)
    }
}

/// A sale as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SaleOut {
    /// Server-assigned id.
    #[schema(read_only)]
    pub id: i64,
    /// The product's sku.
    pub sku: String,
    /// The Monday the week starts.
    pub week: String,
    /// Average selling price.
    pub price: f64,
    /// Units sold.
    pub units: i64,
    /// Created.
    #[schema(read_only)]
    pub created_at: String,
    /// Last changed.
    #[schema(read_only)]
    pub updated_at: String,
}

impl From<SaleRow> for SaleOut {
    fn from(r: SaleRow) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            week: r.week,
            price: r.price,
            units: r.units,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SaleImportReport {
    /// Data rows read (all written).
    pub rows: u64,
}

crate::list_params!(
    /// Query parameters of the sales list (written from its `ListSpec`).
    SaleListParams,
    super::model::LIST,
    "id"
);
