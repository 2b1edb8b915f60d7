//! Domain types of a product and the ranges its numbers must lie in.

use serde::Serialize;
use utoipa::ToSchema;

use crate::kernel::validation::{Cell, int_in, number_in, one_of, text_len};

/// Tyre section width in millimetres.
pub const WIDTH_MM: (i64, i64) = (100, 400);
/// Sidewall height as a percentage of the width.
pub const ASPECT_RATIO: (i64, i64) = (20, 95);
/// Wheel rim diameter in inches.
pub const RIM_IN: (i64, i64) = (12, 26);
/// Load index (the standard table runs to 150 for these tyres).
pub const LOAD_INDEX: (i64, i64) = (50, 150);
/// Tread-life warranty in miles, when there is one.
pub const TREAD_WARRANTY_MILES: (i64, i64) = (0, 150_000);
/// Cost, list price and sale price: at least a cent (a smaller price cannot be analysed:
/// its logarithm and gaps are meaningless) …
pub const MIN_PRICE: f64 = 0.01;
/// … and at most this.
pub const MAX_PRICE: f64 = 100_000.0;

/// The season a tyre is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    /// Summer tyres.
    #[default]
    Summer,
    /// Winter tyres.
    Winter,
    /// All-season tyres.
    AllSeason,
    /// All-weather tyres (winter-rated all-season).
    AllWeather,
}

impl Season {
    /// Every season with its wire name.
    pub const ALL: [(&'static str, Season); 4] = [
        ("summer", Season::Summer),
        ("winter", Season::Winter),
        ("all_season", Season::AllSeason),
        ("all_weather", Season::AllWeather),
    ];
    /// Wire names, for filters.
    pub const NAMES: &'static [&'static str] = &["summer", "winter", "all_season", "all_weather"];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("summer", |(n, _)| n)
    }

    /// Parses a wire name.
    pub fn parse(cell: Cell<'_>) -> Result<Self, String> {
        one_of(cell, &Self::ALL)
    }
}

/// The standard speed-rating letter: the top speed the tyre is certified for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub enum SpeedRating {
    /// 120 km/h.
    L,
    /// 130 km/h.
    M,
    /// 140 km/h.
    N,
    /// 150 km/h.
    P,
    /// 160 km/h.
    Q,
    /// 170 km/h.
    R,
    /// 180 km/h.
    S,
    /// 190 km/h.
    #[default]
    T,
    /// 200 km/h.
    U,
    /// 210 km/h.
    H,
    /// 240 km/h.
    V,
    /// 270 km/h.
    W,
    /// 300 km/h.
    Y,
    /// Over 240 km/h.
    Z,
}

impl SpeedRating {
    /// Every rating with its letter, slowest first.
    pub const ALL: [(&'static str, SpeedRating); 14] = [
        ("L", Self::L),
        ("M", Self::M),
        ("N", Self::N),
        ("P", Self::P),
        ("Q", Self::Q),
        ("R", Self::R),
        ("S", Self::S),
        ("T", Self::T),
        ("U", Self::U),
        ("H", Self::H),
        ("V", Self::V),
        ("W", Self::W),
        ("Y", Self::Y),
        ("Z", Self::Z),
    ];
    /// Letters, for filters.
    pub const NAMES: &'static [&'static str] = &[
        "L", "M", "N", "P", "Q", "R", "S", "T", "U", "H", "V", "W", "Y", "Z",
    ];

    /// The letter.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("T", |(n, _)| n)
    }

    /// Parses a letter (upper case, as printed on the sidewall).
    pub fn parse(cell: Cell<'_>) -> Result<Self, String> {
        one_of(cell, &Self::ALL)
    }
}

/// Parses a SKU: 1–64 characters of letters, digits, `-`, `_`, `.` or `/`.
pub fn parse_sku(cell: Cell<'_>) -> Result<String, String> {
    let s = text_len(cell, 1, 64)?;
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        Ok(s)
    } else {
        Err("may contain only letters, digits, '-', '_', '.' and '/'".into())
    }
}

/// Parses a category: a lowercase slug such as `light_truck`, 1–40 characters.
pub fn parse_category(cell: Cell<'_>) -> Result<String, String> {
    let s = text_len(cell, 1, 40)?;
    let mut chars = s.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if starts_with_letter && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(s)
    } else {
        Err(format!(
            "must be a lowercase slug such as light_truck (a-z, 0-9, _), got {s:?}"
        ))
    }
}

/// Parses a brand or line name: 1–64 characters.
pub fn parse_name(cell: Cell<'_>) -> Result<String, String> {
    text_len(cell, 1, 64)
}

/// Parses an integer in one of the ranges above.
pub fn parse_int(range: (i64, i64)) -> impl Fn(Cell<'_>) -> Result<i64, String> {
    move |cell| int_in(cell, range.0, range.1)
}

/// Parses a cost or list price: from [`MIN_PRICE`] to [`MAX_PRICE`].
pub fn parse_price(cell: Cell<'_>) -> Result<f64, String> {
    number_in(cell, MIN_PRICE, MAX_PRICE)
}

/// What a conditional price change found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriceSet {
    /// The price was as expected and is now the new one.
    Changed,
    /// The price is no longer the expected one (this is it); nothing changed.
    Moved(f64),
    /// The product is gone.
    Gone,
}

/// Products as columns, in id order: what models read (one feature path for training and
/// scoring) without a row type or JSON in between.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    /// Ids, ascending.
    pub id: Vec<i64>,
    /// Stock-keeping unit.
    pub sku: Vec<String>,
    /// Brand.
    pub brand: Vec<String>,
    /// Line.
    pub line: Vec<String>,
    /// Category slug.
    pub category: Vec<String>,
    /// Width in mm.
    pub width_mm: Vec<i64>,
    /// Aspect ratio.
    pub aspect_ratio: Vec<i64>,
    /// Rim in inches.
    pub rim_in: Vec<i64>,
    /// Load index.
    pub load_index: Vec<i64>,
    /// Speed-rating letter.
    pub speed_rating: Vec<String>,
    /// Season name.
    pub season: Vec<String>,
    /// Warranty miles, if any.
    pub tread_warranty_miles: Vec<Option<i64>>,
    /// Run-flat.
    pub runflat: Vec<bool>,
    /// Unit cost.
    pub cost: Vec<f64>,
    /// List price.
    pub list_price: Vec<f64>,
}

impl Catalogue {
    /// An empty catalogue with room for `n` products.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            id: Vec::with_capacity(n),
            sku: Vec::with_capacity(n),
            brand: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            width_mm: Vec::with_capacity(n),
            aspect_ratio: Vec::with_capacity(n),
            rim_in: Vec::with_capacity(n),
            load_index: Vec::with_capacity(n),
            speed_rating: Vec::with_capacity(n),
            season: Vec::with_capacity(n),
            tread_warranty_miles: Vec::with_capacity(n),
            runflat: Vec::with_capacity(n),
            cost: Vec::with_capacity(n),
            list_price: Vec::with_capacity(n),
        }
    }

    /// How many products.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The column called `name` (a product field), if there is one.
    pub fn column(&self, name: &str) -> Option<crate::kernel::columns::ColumnRef<'_>> {
        use crate::kernel::columns::ColumnRef as C;
        Some(match name {
            "id" => C::Int(&self.id),
            "sku" => C::Text(&self.sku),
            "brand" => C::Text(&self.brand),
            "line" => C::Text(&self.line),
            "category" => C::Text(&self.category),
            "width_mm" => C::Int(&self.width_mm),
            "aspect_ratio" => C::Int(&self.aspect_ratio),
            "rim_in" => C::Int(&self.rim_in),
            "load_index" => C::Int(&self.load_index),
            "speed_rating" => C::Text(&self.speed_rating),
            "season" => C::Text(&self.season),
            "tread_warranty_miles" => C::OptInt(&self.tread_warranty_miles),
            "runflat" => C::Bool(&self.runflat),
            "cost" => C::Float(&self.cost),
            "list_price" => C::Float(&self.list_price),
            _ => return None,
        })
    }

    /// The products at `rows` (distinct places in this catalogue; a place past the end
    /// is skipped), in that order. Each value is moved out, so a place named twice would
    /// read as empty the second time.
    pub fn select(mut self, rows: &[usize]) -> Self {
        fn pick<T>(v: &mut [T], rows: &[usize]) -> Vec<T>
        where
            T: Default,
        {
            rows.iter()
                .filter_map(|&r| v.get_mut(r).map(std::mem::take))
                .collect()
        }
        Self {
            id: pick(&mut self.id, rows),
            sku: pick(&mut self.sku, rows),
            brand: pick(&mut self.brand, rows),
            line: pick(&mut self.line, rows),
            category: pick(&mut self.category, rows),
            width_mm: pick(&mut self.width_mm, rows),
            aspect_ratio: pick(&mut self.aspect_ratio, rows),
            rim_in: pick(&mut self.rim_in, rows),
            load_index: pick(&mut self.load_index, rows),
            speed_rating: pick(&mut self.speed_rating, rows),
            season: pick(&mut self.season, rows),
            tread_warranty_miles: pick(&mut self.tread_warranty_miles, rows),
            runflat: pick(&mut self.runflat, rows),
            cost: pick(&mut self.cost, rows),
            list_price: pick(&mut self.list_price, rows),
        }
    }

    /// Appends `other` (the next ids).
    pub fn append(&mut self, mut other: Self) {
        self.id.append(&mut other.id);
        self.sku.append(&mut other.sku);
        self.brand.append(&mut other.brand);
        self.line.append(&mut other.line);
        self.category.append(&mut other.category);
        self.width_mm.append(&mut other.width_mm);
        self.aspect_ratio.append(&mut other.aspect_ratio);
        self.rim_in.append(&mut other.rim_in);
        self.load_index.append(&mut other.load_index);
        self.speed_rating.append(&mut other.speed_rating);
        self.season.append(&mut other.season);
        self.tread_warranty_miles
            .append(&mut other.tread_warranty_miles);
        self.runflat.append(&mut other.runflat);
        self.cost.append(&mut other.cost);
        self.list_price.append(&mut other.list_price);
    }
}
