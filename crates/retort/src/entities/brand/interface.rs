//! Domain types of a brand: its name and price tier.

use serde::Serialize;
use utoipa::ToSchema;

use crate::kernel::validation::{Cell, one_of, text_len};

/// Where a brand sits in the market; the price ladder orders products by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Premium brands.
    Premium,
    /// Mid-range brands.
    #[default]
    Mid,
    /// Economy brands.
    Economy,
}

impl Tier {
    /// Every tier with its wire name.
    pub const ALL: [(&'static str, Tier); 3] = [
        ("premium", Tier::Premium),
        ("mid", Tier::Mid),
        ("economy", Tier::Economy),
    ];
    /// Wire names, for filters.
    pub const NAMES: &'static [&'static str] = &["premium", "mid", "economy"];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("mid", |(n, _)| n)
    }

    /// Parses a wire name.
    pub fn parse(cell: Cell<'_>) -> Result<Self, String> {
        one_of(cell, &Self::ALL)
    }
}

/// Parses a brand name: 1–64 characters, as products spell it.
pub fn parse_name(cell: Cell<'_>) -> Result<String, String> {
    text_len(cell, 1, 64)
}
