//! The mispricing analysis in memory: every analysed product's attributes (joined from
//! the product and brand entities) and its analysis (derived from the list price and
//! score a run stored in `price_scores`, or computed by the run itself), in columns. Lists, counts, facets and charts are served
//! from it — a filtered, sorted page of a million products in milliseconds, with no
//! database index to maintain when a run writes its rows.
//!
//! Text is kept as dictionary codes (the sku end to end in one string), numbers as they
//! are: ~150 bytes a product. An index belongs to one scoring run (its rows key); a new
//! run makes a new one. Reading it is in `index/read.rs`.

mod read;

pub use read::Point;

use std::collections::HashMap;

use super::model::ScoredRow;
use super::schema::MispricedOut;
use crate::entities::product::Catalogue;
use crate::kernel::db::Db;

/// Fewer peers than this and the z-score is null.
pub const MIN_PEERS: usize = 5;

const TEXT: [&str; 7] = [
    "brand",
    "tier",
    "line",
    "category",
    "speed_rating",
    "season",
    "direction",
];
const INTS: [&str; 6] = [
    "width_mm",
    "aspect_ratio",
    "rim_in",
    "load_index",
    "tread_warranty_miles",
    "peer_count",
];
const FLOATS: [&str; 8] = [
    "cost",
    "list_price",
    "fair_price",
    "gap",
    "gap_pct",
    "log_ratio",
    "mispricing",
    "peer_z",
];
const NULL_CODE: u32 = u32::MAX;
const NULL_INT: i64 = i64::MIN;

/// A text column: a code per row, and the values the codes stand for.
#[derive(Debug, Default)]
struct TextColumn {
    codes: Vec<u32>,
    values: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl TextColumn {
    fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => NULL_CODE,
            Some(v) => match self.lookup.get(v) {
                Some(c) => *c,
                None => {
                    let c = self.values.len() as u32;
                    self.lookup.insert(v.to_owned(), c);
                    self.values.push(v.to_owned());
                    c
                }
            },
        };
        self.codes.push(code);
    }

    fn get(&self, i: usize) -> Option<&str> {
        self.values.get(self.codes[i] as usize).map(String::as_str)
    }
}

/// One product's analysis, derived from its list price and score.
struct AnalysisRow {
    id: i64,
    list_price: f64,
    fair_price: f64,
    gap: f64,
    gap_pct: f64,
    log_ratio: f64,
    direction: String,
    mispricing: f64,
    peer_z: Option<f64>,
    peer_count: i64,
}

/// Strings stored end to end (one allocation for a million skus).
#[derive(Debug, Default)]
struct Strings {
    bytes: String,
    ends: Vec<usize>,
}

impl Strings {
    fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// One scoring run's analysis, in columns, rows in id order.
#[derive(Debug, Default)]
pub struct ScoreIndex {
    key: String,
    version: i64,
    scored_at: String,
    rows: usize,
    ids: Vec<i64>,
    sku: Strings,
    sku_lower: Strings,
    text: HashMap<&'static str, TextColumn>,
    ints: HashMap<&'static str, Vec<i64>>,
    floats: HashMap<&'static str, Vec<f64>>,
    runflat: Vec<bool>,
    /// The model's predictions, unrounded (what a run stores).
    scores: Vec<f64>,
    /// Row numbers ordered by one column (NULL first, ties by id), ascending: made on
    /// first use, for the columns in [`PRESORTED`]; read backwards for a descending sort.
    orders: HashMap<&'static str, std::sync::OnceLock<Vec<u32>>>,
    /// The facet counts of the whole analysis (the explorer's first request).
    all_facets: std::sync::OnceLock<read::Facets>,
}

/// The sorts a page is read straight off a kept order for: the analysis' numbers.
const PRESORTED: [&str; 7] = [
    "mispricing",
    "gap",
    "gap_pct",
    "peer_z",
    "log_ratio",
    "fair_price",
    "list_price",
];

impl ScoreIndex {
    /// An empty index for the run stored under `key` (version `version`, scored at
    /// `scored_at`).
    pub fn new(key: &str, version: i64, scored_at: &str) -> Self {
        let mut index = Self {
            key: key.to_owned(),
            version,
            scored_at: scored_at.to_owned(),
            ..Self::default()
        };
        for name in TEXT {
            index.text.insert(name, TextColumn::default());
        }
        for name in INTS {
            index.ints.insert(name, Vec::new());
        }
        for name in FLOATS {
            index.floats.insert(name, Vec::new());
        }
        for name in PRESORTED {
            index.orders.insert(name, std::sync::OnceLock::new());
        }
        index
    }

    /// Reads the run stored under `key` from `price_scores` (list prices and scores),
    /// joined with the products (through the product entity) and the brands' tiers, and
    /// derives the analysis as the run did; products deleted since the run are left out.
    pub async fn build(
        db: &Db,
        key: &str,
        version: i64,
        scored_at: &str,
    ) -> Result<Self, sqlx::Error> {
        use futures_util::{StreamExt, TryStreamExt};
        const CHUNK: usize = 50_000;
        // The run's rows, the tiers and the catalogue's ranges at once; then the
        // products range by range, two ranges read at a time, merged by id.
        let (rows, tiers, bounds) = tokio::try_join!(
            super::model::run_rows(db, key),
            crate::entities::brand::tiers(db),
            crate::entities::product::id_boundaries(db, CHUNK),
        )?;
        let mut index = Self::new(key, version, scored_at);
        let ranges: Vec<(i64, i64)> = bounds
            .iter()
            .scan(i64::MIN, |after, &upto| {
                Some((std::mem::replace(after, upto), upto))
            })
            .collect();
        let mut chunks = futures_util::stream::iter(ranges)
            .map(|(after, upto)| crate::entities::product::columns_between(db, None, after, upto))
            .buffered(2);
        let mut next = 0usize;
        while let Some(chunk) = chunks.try_next().await? {
            for (i, id) in chunk.id.iter().enumerate() {
                while next < rows.len() && rows[next].id < *id {
                    next += 1; // scored, then deleted
                }
                if next < rows.len() && rows[next].id == *id {
                    let tier = tiers.get(&chunk.brand[i]).and_then(Option::as_deref);
                    let row = rows[next];
                    index.push_scored(&chunk, i, row.list_price, row.score, tier);
                    next += 1;
                }
            }
        }
        index.finish();
        Ok(index)
    }

    /// Adds product `i` of `chunk` at list price `list`, scored `score` by the run's
    /// model, with its brand's `tier`: its gap, relative gap and log ratio now, its peer
    /// z-score in [`Self::finish`]. A score that is not a positive number (a model can
    /// predict anything), or a list price that is not, leaves the product out. Whether
    /// it was added.
    pub fn push_scored(
        &mut self,
        chunk: &Catalogue,
        i: usize,
        list: f64,
        score: f64,
        tier: Option<&str>,
    ) -> bool {
        if !(score.is_finite() && score > 0.0 && list.is_finite() && list > 0.0) {
            return false;
        }
        let log_ratio = (list / score).ln();
        let row = AnalysisRow {
            id: chunk.id[i],
            list_price: list,
            fair_price: round(score, 2),
            gap: round(list - score, 2),
            gap_pct: round(100.0 * (list - score) / score, 3),
            log_ratio,
            direction: if log_ratio > 0.0 {
                "over"
            } else if log_ratio < 0.0 {
                "under"
            } else {
                "fair"
            }
            .into(),
            mispricing: log_ratio.abs(),
            peer_z: None,
            peer_count: 0,
        };
        self.push_product(chunk, i, tier);
        self.push_analysis(&row);
        self.scores.push(score);
        true
    }

    /// Computes every row's peer z-score — the distance of its log ratio from the mean
    /// of its peers (same category, rim size and season) in standard deviations, null
    /// with fewer than [`MIN_PEERS`] — and orders the rows for reading.
    pub fn finish(&mut self) {
        let (category, season) = (&self.text["category"].codes, &self.text["season"].codes);
        let rim = &self.ints["rim_in"];
        let log_ratio = &self.floats["log_ratio"];
        let group = |i: usize| (category[i], rim[i], season[i]);
        let mut groups: HashMap<(u32, i64, u32), (usize, f64, f64)> = HashMap::new();
        for (i, &x) in log_ratio.iter().enumerate() {
            let g = groups.entry(group(i)).or_insert((0, 0.0, 0.0));
            g.0 += 1;
            g.1 += x;
            g.2 += x * x;
        }
        let mut z = Vec::with_capacity(self.rows);
        let mut counts = Vec::with_capacity(self.rows);
        for (i, &x) in log_ratio.iter().enumerate() {
            let (n, sum, sq) = groups[&group(i)];
            let mean = sum / n as f64;
            let var = (sq / n as f64 - mean * mean).max(0.0) * n as f64 / (n.max(2) - 1) as f64;
            z.push(if n >= MIN_PEERS && var > 0.0 {
                round((x - mean) / var.sqrt(), 4)
            } else {
                f64::NAN
            });
            counts.push(n as i64);
        }
        self.floats.insert("peer_z", z);
        self.ints.insert("peer_count", counts);
        self.sort();
    }

    /// Orders the rows by mispricing now (the default order of the list), the other
    /// kept orders on first use.
    fn sort(&mut self) {
        let _ = self.order("mispricing");
    }

    fn push_product(&mut self, c: &Catalogue, i: usize, tier: Option<&str>) {
        let text = |s: &mut Self, name: &str, v: Option<&str>| {
            if let Some(col) = s.text.get_mut(name) {
                col.push(v);
            }
        };
        let int = |s: &mut Self, name: &str, v: Option<i64>| {
            if let Some(col) = s.ints.get_mut(name) {
                col.push(v.unwrap_or(NULL_INT));
            }
        };
        self.ids.push(c.id[i]);
        self.sku.push(&c.sku[i]);
        self.sku_lower.push(&c.sku[i].to_lowercase());
        text(self, "brand", Some(&c.brand[i]));
        text(self, "tier", tier);
        text(self, "line", Some(&c.line[i]));
        text(self, "category", Some(&c.category[i]));
        text(self, "speed_rating", Some(&c.speed_rating[i]));
        text(self, "season", Some(&c.season[i]));
        int(self, "width_mm", Some(c.width_mm[i]));
        int(self, "aspect_ratio", Some(c.aspect_ratio[i]));
        int(self, "rim_in", Some(c.rim_in[i]));
        int(self, "load_index", Some(c.load_index[i]));
        int(self, "tread_warranty_miles", c.tread_warranty_miles[i]);
        if let Some(col) = self.floats.get_mut("cost") {
            col.push(c.cost[i]);
        }
        self.runflat.push(c.runflat[i]);
    }

    fn push_analysis(&mut self, r: &AnalysisRow) {
        if let Some(col) = self.text.get_mut("direction") {
            col.push(Some(&r.direction));
        }
        if let Some(col) = self.ints.get_mut("peer_count") {
            col.push(r.peer_count);
        }
        for (name, v) in [
            ("list_price", r.list_price),
            ("fair_price", r.fair_price),
            ("gap", r.gap),
            ("gap_pct", r.gap_pct),
            ("log_ratio", r.log_ratio),
            ("mispricing", r.mispricing),
            ("peer_z", r.peer_z.unwrap_or(f64::NAN)),
        ] {
            if let Some(col) = self.floats.get_mut(name) {
                col.push(v);
            }
        }
        self.rows += 1;
    }

    /// Sets when the run scored (known once its predictions are in).
    pub fn set_scored_at(&mut self, scored_at: &str) {
        scored_at.clone_into(&mut self.scored_at);
    }

    /// Products in the index.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether it holds no product.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Row `i` as a run stores it in `price_scores`.
    pub fn scored(&self, i: usize) -> ScoredRow {
        ScoredRow {
            id: self.ids[i],
            list_price: self.floats["list_price"][i],
            score: self.scores[i],
        }
    }

    /// Row `i`'s analysis.
    fn analysis(&self, i: usize) -> AnalysisRow {
        let f = |name: &str| self.floats[name][i];
        let z = f("peer_z");
        AnalysisRow {
            id: self.ids[i],
            list_price: f("list_price"),
            fair_price: f("fair_price"),
            gap: f("gap"),
            gap_pct: f("gap_pct"),
            log_ratio: f("log_ratio"),
            direction: self.text["direction"].get(i).unwrap_or("fair").to_owned(),
            mispricing: f("mispricing"),
            peer_z: (!z.is_nan()).then_some(z),
            peer_count: self.ints["peer_count"][i],
        }
    }

    /// Row `i` as the list shows it.
    pub fn row(&self, i: usize) -> MispricedOut {
        let text = |name: &str| self.text[name].get(i).unwrap_or_default().to_owned();
        let int = |name: &str| self.ints[name][i];
        let a = self.analysis(i);
        let tread = int("tread_warranty_miles");
        MispricedOut {
            id: a.id,
            sku: self.sku.get(i).to_owned(),
            brand: text("brand"),
            tier: self.text["tier"].get(i).map(str::to_owned),
            line: text("line"),
            category: text("category"),
            width_mm: int("width_mm"),
            aspect_ratio: int("aspect_ratio"),
            rim_in: int("rim_in"),
            load_index: int("load_index"),
            speed_rating: text("speed_rating"),
            season: text("season"),
            tread_warranty_miles: (tread != NULL_INT).then_some(tread),
            runflat: self.runflat[i],
            cost: self.floats["cost"][i],
            list_price: a.list_price,
            fair_price: a.fair_price,
            gap: a.gap,
            gap_pct: a.gap_pct,
            log_ratio: a.log_ratio,
            direction: a.direction,
            mispricing: a.mispricing,
            peer_z: a.peer_z,
            peer_count: a.peer_count,
            fair_low: None,
            fair_high: None,
            outside_interval: None,
            version: self.version,
            scored_at: self.scored_at.clone(),
        }
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
