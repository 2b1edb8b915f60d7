//! The demo catalogue: a deterministic synthetic tire catalogue for `serve --demo` and
//! the benchmarks, written as CSV and loaded through the normal import path.
//!
//! List price follows a documented formula — a base by size, a brand-tier multiplier,
//! premiums for speed rating, run-flat, warranty and category — times noise, and cost
//! is a margin below it. The same seed always gives the same catalogue.

use std::fmt::Write as _;

use crate::entities::product::schema::ImportReport;
use crate::entities::product::service;
use crate::kernel::db::Db;
use crate::kernel::error::AppError;

/// A brand and its tier's price multiplier.
const BRANDS: [(&str, f64, [&str; 3]); 12] = [
    ("Michelin", 1.45, ["Pilot Sport", "Primacy", "CrossClimate"]),
    ("Bridgestone", 1.38, ["Potenza", "Turanza", "Blizzak"]),
    (
        "Continental",
        1.36,
        ["ExtremeContact", "PureContact", "VikingContact"],
    ),
    ("Pirelli", 1.40, ["P Zero", "Cinturato", "Scorpion"]),
    ("Goodyear", 1.22, ["Eagle", "Assurance", "Wrangler"]),
    ("Hankook", 1.05, ["Ventus", "Kinergy", "Dynapro"]),
    ("Yokohama", 1.08, ["Advan", "Avid", "Geolandar"]),
    ("Toyo", 1.02, ["Proxes", "Extensa", "Open Country"]),
    ("Kumho", 0.86, ["Ecsta", "Solus", "Crugen"]),
    ("Nexen", 0.82, ["N'Fera", "CP672", "Roadian"]),
    ("Westlake", 0.70, ["SA07", "RP18", "SL369"]),
    ("Sailun", 0.68, ["Atrezzo", "Ice Blazer", "Terramax"]),
];
const CATEGORIES: [(&str, f64); 5] = [
    ("passenger", 1.0),
    ("touring", 1.06),
    ("performance", 1.18),
    ("suv", 1.12),
    ("light_truck", 1.22),
];
const SEASONS: [&str; 4] = ["summer", "winter", "all_season", "all_weather"];
const SPEEDS: [(&str, f64); 6] = [
    ("S", 0.96),
    ("T", 0.98),
    ("H", 1.0),
    ("V", 1.04),
    ("W", 1.09),
    ("Y", 1.12),
];

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// The header of the catalogue CSV.
pub const CSV_HEADER: &str = "sku,brand,line,category,width_mm,aspect_ratio,rim_in,load_index,speed_rating,season,tread_warranty_miles,runflat,cost,list_price";

/// Writes a catalogue of `rows` products for `seed` as CSV.
pub fn catalogue_csv(rows: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut csv = String::with_capacity(rows * 120);
    csv.push_str(CSV_HEADER);
    csv.push('\n');
    for i in 0..rows {
        let (brand, tier, lines) = rng.pick(&BRANDS);
        let line = rng.pick(lines);
        let (category, category_factor) = *rng.pick(&CATEGORIES);
        let rim = rng.range(14, 22);
        let width = (rng.range(17, 32) * 10 + 5).min(395);
        let aspect = rng.range(7, 14) * 5;
        let load = rng.range(75, 115);
        let (speed, speed_factor) = *rng.pick(&SPEEDS);
        let season = *rng.pick(&SEASONS);
        let runflat = rng.unit() < 0.08;
        let warranty = if season == "winter" || rng.unit() < 0.2 {
            None
        } else {
            Some(rng.range(4, 9) * 10_000)
        };
        // Base price grows with rim and width; premiums multiply; noise is ±6 %.
        let base = 28.0 + 3.9 * rim as f64 + 0.22 * (width - 175) as f64;
        let warranty_factor = 1.0 + warranty.map_or(0.0, |w| w as f64 / 1_000_000.0);
        let noise = 0.94 + 0.12 * rng.unit();
        let price = base
            * tier
            * category_factor
            * speed_factor
            * warranty_factor
            * if runflat { 1.18 } else { 1.0 }
            * noise;
        let cost = price * (0.58 + 0.14 * rng.unit());
        let _ = writeln!(
            csv,
            "{}-{i:07},{brand},{line},{category},{width},{aspect},{rim},{load},{speed},{season},{},{runflat},{cost:.2},{:.2}",
            &brand[..3].to_uppercase(),
            warranty.map(|w| w.to_string()).unwrap_or_default(),
            price.max(1.0),
        );
    }
    csv
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::Internal(e.into())
}

/// Loads the demo catalogue into `db` if it has no products; `None` if it had some.
pub async fn load_if_empty(
    db: &Db,
    rows: usize,
    seed: u64,
) -> Result<Option<ImportReport>, AppError> {
    let first = service::list_products(db, &[("limit".into(), "1".into())]).await?;
    if first.total > 0 {
        return Ok(None);
    }
    let csv = catalogue_csv(rows, seed);
    service::import_products(db, std::io::Cursor::new(csv.into_bytes()), false, io_error)
        .await
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_catalogue() {
        assert_eq!(catalogue_csv(50, 7), catalogue_csv(50, 7));
        assert_ne!(catalogue_csv(50, 7), catalogue_csv(50, 8));
    }

    #[tokio::test]
    async fn every_generated_row_passes_validation() {
        let db = crate::testing::TestDb::sqlite().await;
        let report = load_if_empty(&db.db, 2000, 1)
            .await
            .unwrap_or_else(|e| panic!("{:?}", e.to_problem()));
        assert_eq!(report.map(|r| r.inserted), Some(2000));
        assert_eq!(load_if_empty(&db.db, 2000, 1).await.ok().flatten(), None);
    }
}
