//! The brand on the wire: `BrandIn` (create, replace), `BrandPatch`, `BrandOut`, a page.

use serde::Serialize;
use utoipa::ToSchema;

use super::interface::{self as domain, Tier};
use super::model::BrandRow;
use crate::kernel::extract::Parse;
use crate::kernel::validation::{Fields, Record};

/// Fields the server sets.
pub const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];

/// A brand to create, or the full new state of one (PUT).
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Michelin", "tier": "premium"}))]
pub struct BrandIn {
    /// The brand's name, unique, as products spell it.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$",
        example = "Michelin"
    )]
    pub name: String,
    /// Its price tier; null or absent when unset.
    pub tier: Option<Tier>,
}

impl Parse for BrandIn {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = BrandIn {
            name: f.required("name", domain::parse_name),
            tier: f.optional_nullable("tier", Tier::parse).flatten(),
        };
        f.read_only(READ_ONLY);
        f.finish(value)
    }
}

/// A partial change; `tier` may be set to null.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandPatch {
    /// A new name.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$"
    )]
    pub name: Option<String>,
    /// A new tier; null unsets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Option<Tier>>,
}

impl Parse for BrandPatch {
    fn parse<R: Record + ?Sized>(record: &R) -> Result<Self, Vec<(String, String)>> {
        let mut f = Fields::new(record);
        let value = BrandPatch {
            name: f.optional("name", domain::parse_name),
            tier: f.optional_nullable("tier", Tier::parse),
        };
        f.read_only(READ_ONLY);
        f.finish(value)
    }
}

/// A brand as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BrandOut {
    /// Server-assigned id.
    #[schema(read_only)]
    pub id: i64,
    /// The name.
    pub name: String,
    /// The tier, or null.
    #[schema(value_type = Option<Tier>)]
    pub tier: Option<String>,
    /// Created (RFC 3339, UTC).
    #[schema(read_only)]
    pub created_at: String,
    /// Last changed (RFC 3339, UTC).
    #[schema(read_only)]
    pub updated_at: String,
}

impl From<BrandRow> for BrandOut {
    fn from(r: BrandRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            tier: r.tier,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

crate::list_params!(
    /// Query parameters of the brand list (written from its `ListSpec`).
    BrandListParams,
    super::model::LIST,
    "id"
);
