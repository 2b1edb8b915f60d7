//! The demo data: deterministic synthetic brands (with tiers), a tire catalogue, and 52
//! weeks of sales per product, for `serve --demo` and the benchmarks — written as CSV
//! and loaded through the normal import paths.
//!
//! List price follows a documented formula — a base by size, a brand-tier multiplier,
//! premiums for speed rating, run-flat, warranty and category — times noise, and cost is
//! a margin below it. Weekly units follow constant-elasticity demand per category with
//! seasonality by tyre season and occasional promotions. The same seed always gives the
//! same data.

use std::fmt::Write as _;

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

/// One generated product.
#[derive(Debug, Clone)]
struct DemoProduct {
    line: String,
    category: &'static str,
    season: &'static str,
    tier: f64,
    price: f64,
}

/// Writes a catalogue of `rows` products for `seed` as CSV.
pub fn catalogue_csv(rows: usize, seed: u64) -> String {
    catalogue(rows, seed).0
}

/// The share of products whose list price is moved away from the formula on purpose.
pub const PLANTED_SHARE: f64 = 0.02;

/// The catalogue as CSV, what the sales model needs of each product, and the planted
/// mispricings as CSV (`sku,formula_price,list_price,direction`).
fn catalogue(rows: usize, seed: u64) -> (String, Vec<DemoProduct>, String) {
    let mut rng = Rng::new(seed);
    let mut csv = String::with_capacity(rows * 120);
    let mut planted_csv = String::from("sku,formula_price,list_price,direction\n");
    let mut products = Vec::with_capacity(rows);
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
        let price = (base
            * tier
            * category_factor
            * speed_factor
            * warranty_factor
            * if runflat { 1.18 } else { 1.0 }
            * noise)
            .max(1.0);
        let cost = price * (0.58 + 0.14 * rng.unit());
        let sku = format!("{}-{i:07}", &brand[..3].to_uppercase());
        // About 2 % of products are mispriced on purpose, half over and half under, by
        // 25–57 % (a log-distance of 0.22–0.45 from the formula price); cost stays with
        // the formula price.
        let formula_price = price;
        let planted = rng.unit() < PLANTED_SHARE;
        let shift = 0.22 + 0.23 * rng.unit();
        let over = rng.unit() < 0.5;
        let price = if planted {
            let moved = formula_price * if over { shift.exp() } else { (-shift).exp() };
            let _ = writeln!(
                planted_csv,
                "{sku},{formula_price:.2},{moved:.2},{}",
                if over { "over" } else { "under" }
            );
            moved
        } else {
            price
        };
        let _ = writeln!(
            csv,
            "{sku},{brand},{line},{category},{width},{aspect},{rim},{load},{speed},{season},{},{runflat},{cost:.2},{price:.2}",
            warranty.map(|w| w.to_string()).unwrap_or_default(),
        );
        products.push(DemoProduct {
            line: sku,
            category,
            season,
            tier: *tier,
            price: (price * 100.0).round() / 100.0,
        });
    }
    (csv, products, planted_csv)
}

/// The demo's brands and their tiers (by the tier multiplier in the price formula).
pub fn brands_csv() -> String {
    let mut csv = String::from("name,tier\n");
    for (name, multiplier, _) in BRANDS {
        let tier = if multiplier >= 1.3 {
            "premium"
        } else if multiplier >= 0.95 {
            "mid"
        } else {
            "economy"
        };
        let _ = writeln!(csv, "{name},{tier}");
    }
    csv
}

/// The price elasticity of demand per category that the sales are generated with.
pub const ELASTICITY: [(&str, f64); 5] = [
    ("passenger", -2.2),
    ("touring", -1.9),
    ("performance", -1.5),
    ("suv", -1.7),
    ("light_truck", -1.3),
];

/// The first week of the demo's sales history (a Monday); 52 weeks follow.
pub fn first_week() -> time::Date {
    time::Date::from_calendar_date(2025, time::Month::December, 1).unwrap_or(time::Date::MIN)
}

/// How much a season's tyres sell in a given month, relative to their average.
fn seasonality(season: &str, month: u8) -> f64 {
    let winter_months = matches!(month, 11 | 12 | 1 | 2);
    let summer_months = (4..=8).contains(&month);
    match season {
        "winter" if winter_months => 2.2,
        "winter" => 0.45,
        "summer" if summer_months => 1.5,
        "summer" => 0.6,
        "all_weather" if winter_months => 1.3,
        "all_weather" => 0.9,
        _ => 1.0,
    }
}

/// 52 weeks of sales for each product: the weekly price is the list price with small
/// noise and occasional 15 % promotions; units follow a constant-elasticity demand
/// `base · (price / list)^elasticity(category) · seasonality(season, month) · noise`,
/// where premium brands sell fewer units than economy ones.
fn sales_csv(products: &[DemoProduct], seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x5A1E5);
    let mut csv = String::with_capacity(products.len() * 52 * 30);
    csv.push_str("sku,week,price,units\n");
    let start = first_week();
    for p in products {
        let elasticity = ELASTICITY
            .iter()
            .find(|(c, _)| *c == p.category)
            .map_or(-2.0, |(_, e)| *e);
        let base = 14.0 / p.tier.powf(1.5);
        for w in 0..52 {
            let week = start + time::Duration::weeks(w);
            let promo = if rng.unit() < 0.1 { 0.85 } else { 1.0 };
            let price = (p.price * promo * (0.97 + 0.06 * rng.unit()) * 100.0).round() / 100.0;
            // A log-normal-ish noise from the sum of uniforms.
            let noise = ((rng.unit() + rng.unit() + rng.unit() - 1.5) * 0.35).exp();
            let expected = base
                * (price / p.price).powf(elasticity)
                * seasonality(p.season, u8::from(week.month()))
                * noise;
            let units = expected.round().max(0.0) as i64;
            let _ = writeln!(csv, "{},{week},{price:.2},{units}", p.line);
        }
    }
    csv
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::Internal(e.into())
}

/// What the demo loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Brands imported.
    pub brands: u64,
    /// Products imported.
    pub products: u64,
    /// Weekly sales rows imported.
    pub sales: u64,
    /// Products whose price was moved away from the formula on purpose.
    pub planted: u64,
    /// Generating and importing the brands and the catalogue took this long.
    pub catalogue_time: std::time::Duration,
    /// Generating and importing the sales took this long.
    pub sales_time: std::time::Duration,
}

/// Records the planted mispricings (`sku,formula_price,list_price,direction` CSV).
async fn record_planted(db: &Db, csv: &str) -> Result<u64, AppError> {
    let rows: Vec<(String, f64, f64, String)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let r: Vec<&str> = l.split(',').collect();
            let number = |k: usize| r.get(k).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            (r.len() == 4).then(|| (r[0].to_owned(), number(1), number(2), r[3].to_owned()))
        })
        .collect();
    crate::entities::pricing::record_planted(db, &rows).await?;
    Ok(rows.len() as u64)
}

/// Products given a sales history by default: 52 weeks each, 2.6M rows at most. A larger
/// catalogue gets the history on this many products spread evenly over it — enough for
/// every group's elasticity, where 52 weeks for each of a million products would be 52M
/// rows (minutes to import, gigabytes on disk).
pub const SALES_PRODUCTS: usize = 50_000;

/// Loads the demo — brands, a catalogue of `rows` products, 52 weeks of sales for up to
/// [`SALES_PRODUCTS`] of them — into `db` if it has no products; `None` if it had some.
pub async fn load_if_empty(
    db: &Db,
    rows: usize,
    seed: u64,
) -> Result<Option<DemoReport>, AppError> {
    load(db, rows, seed, rows.min(SALES_PRODUCTS)).await
}

/// Which `of` products, spread evenly over `rows`, get a sales history: every product
/// when `of >= rows`, none when `of` is 0.
fn with_sales(rows: usize, of: usize) -> impl Iterator<Item = usize> {
    let of = of.min(rows);
    (0..of).map(move |k| k * rows / of)
}

/// Like [`load_if_empty`], with a sales history for `sales` products (at most `rows`;
/// 0 for none).
pub async fn load(
    db: &Db,
    rows: usize,
    seed: u64,
    sales: usize,
) -> Result<Option<DemoReport>, AppError> {
    let first = service::list_products(db, &[("limit".into(), "1".into())]).await?;
    if first.total > 0 {
        return Ok(None);
    }
    let cursor = |s: String| std::io::Cursor::new(s.into_bytes());
    let started = std::time::Instant::now();
    let brands =
        crate::entities::brand::service::import_brands(db, cursor(brands_csv()), true, io_error)
            .await?;
    let (csv, products, planted) = catalogue(rows, seed);
    let report = service::import_products(db, cursor(csv), false, io_error).await?;
    let catalogue_time = started.elapsed();
    let started = std::time::Instant::now();
    let sales = if sales > 0 {
        let selling: Vec<DemoProduct> = with_sales(rows, sales)
            .filter_map(|i| products.get(i).cloned())
            .collect();
        crate::entities::sale::service::import_sales(
            db,
            cursor(sales_csv(&selling, seed)),
            false,
            io_error,
        )
        .await?
    } else {
        0
    };
    let sales_time = started.elapsed();
    let planted = record_planted(db, &planted).await?;
    Ok(Some(DemoReport {
        brands,
        products: report.inserted,
        sales,
        planted,
        catalogue_time,
        sales_time,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sales_history_goes_to_products_spread_over_the_catalogue() {
        assert_eq!(with_sales(5, 9).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(with_sales(5, 0).count(), 0);
        assert_eq!(with_sales(10, 4).collect::<Vec<_>>(), [0, 2, 5, 7]);
        let spread: Vec<usize> = with_sales(1_000_000, SALES_PRODUCTS).collect();
        assert_eq!(spread.len(), SALES_PRODUCTS);
        assert!(spread.windows(2).all(|w| w[1] - w[0] == 20));
    }

    #[test]
    fn the_same_seed_gives_the_same_catalogue() {
        assert_eq!(catalogue_csv(50, 7), catalogue_csv(50, 7));
        assert_ne!(catalogue_csv(50, 7), catalogue_csv(50, 8));
    }

    #[tokio::test]
    async fn every_generated_row_passes_validation() {
        let db = crate::testing::TestDb::sqlite().await;
        let report = load_if_empty(&db.db, 300, 1)
            .await
            .unwrap_or_else(|e| panic!("{:?}", e.to_problem()));
        assert_eq!(
            report,
            Some(DemoReport {
                brands: 12,
                products: 300,
                sales: 300 * 52,
                planted: report.as_ref().map_or(0, |r| r.planted),
                catalogue_time: report
                    .as_ref()
                    .map_or_else(Default::default, |r| r.catalogue_time),
                sales_time: report
                    .as_ref()
                    .map_or_else(Default::default, |r| r.sales_time),
            })
        );
        // About 2 % of 300, each recorded with a direction that matches its move.
        let planted = report.map_or(0, |r| r.planted);
        assert!((1..=20).contains(&planted), "{planted}");
        let rows = crate::entities::pricing::planted_details(&db.db)
            .await
            .unwrap();
        assert_eq!(rows.len() as u64, planted);
        let skus: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let ids = crate::entities::product::ids_by_sku(&db.db, &skus)
            .await
            .unwrap();
        let mut ids: Vec<i64> = ids.into_values().collect();
        ids.sort_unstable();
        let products = crate::entities::product::find_many(&db.db, &ids)
            .await
            .unwrap();
        assert_eq!(products.len() as u64, planted);
        for (_, direction, formula, listed) in &rows {
            let (direction, formula, listed) = (direction.clone(), *formula, *listed);
            assert!(products.iter().any(|p| p.list_price == listed));
            let shift = (listed / formula).ln();
            assert!((0.2..0.47).contains(&shift.abs()), "{shift}");
            assert_eq!(direction == "over", shift > 0.0);
        }
        assert_eq!(load_if_empty(&db.db, 300, 1).await.ok().flatten(), None);
    }

    #[test]
    fn the_sales_history_starts_on_a_monday_and_prices_move_units_as_the_elasticity_says() {
        assert_eq!(first_week().weekday(), time::Weekday::Monday);
        let (_, products, _) = catalogue(400, 3);
        let csv = sales_csv(&products, 3);
        // Promotions (15 % off) sell more than full-price weeks: log-units rise by about
        // -elasticity · log(0.85) on average.
        let (mut promo, mut full) = ((0.0, 0), (0.0, 0));
        for (line, p) in csv
            .lines()
            .skip(1)
            .zip(products.iter().flat_map(|p| std::iter::repeat_n(p, 52)))
        {
            let cells: Vec<&str> = line.split(',').collect();
            let (price, units): (f64, f64) = (
                cells[2].parse().unwrap_or(0.0),
                cells[3].parse().unwrap_or(0.0),
            );
            let bucket = if price < p.price * 0.9 {
                &mut promo
            } else {
                &mut full
            };
            bucket.0 += (units + 1.0).ln();
            bucket.1 += 1;
        }
        assert!(promo.0 / promo.1 as f64 > full.0 / full.1 as f64 + 0.1);
    }
}
