//! An in-memory column index of a model's mispricing analysis, so that counting and
//! faceting a filtered million-product list takes milliseconds: the exact `total` of a
//! page and the explorer's facet counts otherwise read the wide rows one by one when two
//! filters combine that no database index covers.
//!
//! It holds only what filters read (text as dictionary codes, numbers as they are,
//! ~120 bytes a product) and is keyed by the scoring run it was built from, so a new run
//! makes a new one. It evaluates the list's own parsed conditions; anything it does not
//! know (a fixed SQL predicate) makes it decline, and the caller counts in SQL.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;
use sqlx::Row;

use super::model::FACETS;
use super::schema::{FacetCount, MispricedOut};
use crate::kernel::db::{Db, get_bool};
use crate::kernel::query::{Bind, Condition, ListQuery};

const TEXT: [&str; 8] = [
    "sku",
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
    fn push(&mut self, value: Option<String>) {
        let code = match value {
            None => NULL_CODE,
            Some(v) => match self.lookup.get(&v) {
                Some(c) => *c,
                None => {
                    let c = self.values.len() as u32;
                    self.lookup.insert(v.clone(), c);
                    self.values.push(v);
                    c
                }
            },
        };
        self.codes.push(code);
    }
}

/// The filterable columns of one model's analysis.
#[derive(Debug, Default)]
pub struct ScoreIndex {
    model: String,
    rows: usize,
    text: HashMap<&'static str, TextColumn>,
    ints: HashMap<&'static str, Vec<i64>>,
    floats: HashMap<&'static str, Vec<f64>>,
    runflat: Vec<bool>,
    sku_lower: Vec<String>,
}

/// A row test and the column it reads.
type Test<'a> = (&'a str, Box<dyn Fn(usize) -> bool + Send + Sync + 'a>);

impl ScoreIndex {
    /// Reads a model's analysis from `price_scores`.
    pub async fn build(db: &Db, model: &str) -> Result<Self, sqlx::Error> {
        let columns: Vec<&str> = TEXT
            .iter()
            .chain(INTS.iter())
            .chain(FLOATS.iter())
            .copied()
            .chain(["runflat"])
            .collect();
        let mut index = Self {
            model: model.to_owned(),
            ..Self::default()
        };
        super::model::for_each_row(db, model, &columns, |r| {
            let mut text: [Option<String>; 8] = Default::default();
            for (slot, name) in text.iter_mut().zip(TEXT) {
                *slot = r.try_get(name)?;
            }
            let mut ints = [None; 6];
            for (slot, name) in ints.iter_mut().zip(INTS) {
                *slot = r.try_get(name)?;
            }
            let mut floats = [None; 8];
            for (slot, name) in floats.iter_mut().zip(FLOATS) {
                *slot = r.try_get(name)?;
            }
            index.push_row(text, ints, floats, get_bool(r, "runflat")?);
            Ok(())
        })
        .await?;
        Ok(index)
    }

    /// The index of analysed rows as written under `key` (in id order), without
    /// reading them back: what the scoring job builds from the rows it just wrote.
    pub fn from_rows(key: &str, rows: &[MispricedOut]) -> Self {
        let mut index = Self {
            model: key.to_owned(),
            ..Self::default()
        };
        for r in rows {
            let text = [
                Some(r.sku.clone()),
                Some(r.brand.clone()),
                r.tier.clone(),
                Some(r.line.clone()),
                Some(r.category.clone()),
                Some(r.speed_rating.clone()),
                Some(r.season.clone()),
                Some(r.direction.clone()),
            ];
            let ints = [
                Some(r.width_mm),
                Some(r.aspect_ratio),
                Some(r.rim_in),
                Some(r.load_index),
                r.tread_warranty_miles,
                Some(r.peer_count),
            ];
            let floats = [
                Some(r.cost),
                Some(r.list_price),
                Some(r.fair_price),
                Some(r.gap),
                Some(r.gap_pct),
                Some(r.log_ratio),
                Some(r.mispricing),
                r.peer_z,
            ];
            index.push_row(text, ints, floats, r.runflat);
        }
        index
    }

    /// Adds one row: its values in the order of [`TEXT`], [`INTS`] and [`FLOATS`].
    fn push_row(
        &mut self,
        text: [Option<String>; 8],
        ints: [Option<i64>; 6],
        floats: [Option<f64>; 8],
        runflat: bool,
    ) {
        for (name, v) in TEXT.into_iter().zip(text) {
            if name == "sku" {
                self.sku_lower
                    .push(v.as_deref().unwrap_or("").to_lowercase());
            }
            self.text.entry(name).or_default().push(v);
        }
        for (name, v) in INTS.into_iter().zip(ints) {
            self.ints
                .entry(name)
                .or_default()
                .push(v.unwrap_or(NULL_INT));
        }
        for (name, v) in FLOATS.into_iter().zip(floats) {
            self.floats
                .entry(name)
                .or_default()
                .push(v.unwrap_or(f64::NAN));
        }
        self.runflat.push(runflat);
        self.rows += 1;
    }

    /// Products in the index.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether it holds no product.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// One test per condition of `query`, or `None` if one cannot be evaluated here.
    fn tests<'a>(&'a self, query: &'a ListQuery) -> Option<Vec<Test<'a>>> {
        let mut tests: Vec<Test<'a>> = Vec::new();
        for c in query.conditions() {
            let test: Test<'a> = match c {
                Condition::Literal(_) => return None,
                Condition::In("model", values) => {
                    let ours = values
                        .iter()
                        .any(|v| matches!(v, Bind::Text(m) if *m == self.model));
                    ("model", Box::new(move |_| ours))
                }
                Condition::In("runflat", values) => {
                    let wanted: Vec<bool> = values
                        .iter()
                        .filter_map(|v| match v {
                            Bind::Bool(b) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    let col = &self.runflat;
                    ("runflat", Box::new(move |i| wanted.contains(&col[i])))
                }
                Condition::In(name, values) => {
                    if let Some(col) = self.text.get(name) {
                        let codes: Vec<u32> = values
                            .iter()
                            .filter_map(|v| match v {
                                Bind::Text(t) => col.lookup.get(t).copied(),
                                _ => None,
                            })
                            .collect();
                        (name, Box::new(move |i| codes.contains(&col.codes[i])))
                    } else if let Some(col) = self.ints.get(name) {
                        let wanted: Vec<i64> = values
                            .iter()
                            .filter_map(|v| match v {
                                Bind::Int(x) => Some(*x),
                                _ => None,
                            })
                            .collect();
                        (
                            name,
                            Box::new(move |i| col[i] != NULL_INT && wanted.contains(&col[i])),
                        )
                    } else {
                        return None;
                    }
                }
                Condition::Min(name, v) | Condition::Max(name, v) => {
                    let at_least = matches!(c, Condition::Min(..));
                    match (self.ints.get(name), self.floats.get(name), v) {
                        (Some(col), _, Bind::Int(x)) => {
                            let x = *x;
                            (
                                name,
                                Box::new(move |i| {
                                    col[i] != NULL_INT
                                        && if at_least { col[i] >= x } else { col[i] <= x }
                                }),
                            )
                        }
                        (_, Some(col), Bind::Float(x)) => {
                            let x = *x;
                            (
                                name,
                                Box::new(move |i| if at_least { col[i] >= x } else { col[i] <= x }),
                            )
                        }
                        _ => return None,
                    }
                }
            };
            tests.push(test);
        }
        if let Some((q, columns)) = query.search() {
            let q = q.to_lowercase();
            let matching = |name: &str| -> Option<Vec<bool>> {
                let col = self.text.get(name)?;
                Some(
                    col.values
                        .iter()
                        .map(|v| v.to_lowercase().contains(&q))
                        .collect(),
                )
            };
            if !columns.iter().all(|c| ["sku", "brand", "line"].contains(c)) {
                return None;
            }
            let brands = matching("brand")?;
            let lines = matching("line")?;
            let (brand, line) = (self.text.get("brand")?, self.text.get("line")?);
            let skus = &self.sku_lower;
            tests.push((
                "q",
                Box::new(move |i| {
                    skus[i].contains(&q)
                        || brands
                            .get(brand.codes[i] as usize)
                            .copied()
                            .unwrap_or(false)
                        || lines.get(line.codes[i] as usize).copied().unwrap_or(false)
                }),
            ));
        }
        Some(tests)
    }

    /// Rows matching every filter of `query`; `None` if it has a filter the index does
    /// not evaluate.
    pub fn count(&self, query: &ListQuery) -> Option<i64> {
        let tests = self.tests(query)?;
        Some(
            (0..self.rows)
                .filter(|&i| tests.iter().all(|(_, t)| t(i)))
                .count() as i64,
        )
    }

    /// Facet counts as the facets endpoint gives them (each facet among the rows
    /// matching every *other* filter, most frequent first, at most 200 values), and the
    /// rows matching every filter; `None` if a filter is not evaluated here.
    pub fn facets(&self, query: &ListQuery) -> Option<(BTreeMap<String, Vec<FacetCount>>, i64)> {
        let tests = self.tests(query)?;
        if tests.len() > 63 {
            return None;
        }
        // Per facet, the tests on its own column (which its counts ignore), as a mask.
        let own: Vec<u64> = FACETS
            .iter()
            .map(|facet| {
                tests
                    .iter()
                    .enumerate()
                    .filter(|(_, (c, _))| c == facet)
                    .fold(0u64, |m, (k, _)| m | (1 << k))
            })
            .collect();
        // The key of each facet's value per row: a text code or a number.
        let keys: Vec<Box<dyn Fn(usize) -> i64 + '_>> = FACETS
            .iter()
            .map(|facet| -> Box<dyn Fn(usize) -> i64 + '_> {
                match (self.text.get(facet), self.ints.get(facet)) {
                    (Some(col), _) => Box::new(move |i| i64::from(col.codes[i])),
                    (None, Some(col)) => Box::new(move |i| col[i]),
                    (None, None) => Box::new(|_| NULL_INT),
                }
            })
            .collect();
        let mut counts: Vec<HashMap<i64, i64>> = vec![HashMap::new(); FACETS.len()];
        let mut total = 0;
        for i in 0..self.rows {
            let failing = tests
                .iter()
                .enumerate()
                .filter(|(_, (_, t))| !t(i))
                .fold(0u64, |m, (k, _)| m | (1 << k));
            if failing == 0 {
                total += 1;
            }
            for (f, key) in keys.iter().enumerate() {
                if failing & !own[f] == 0 {
                    *counts[f].entry(key(i)).or_insert(0) += 1;
                }
            }
        }
        let mut out = BTreeMap::new();
        for (f, facet) in FACETS.iter().enumerate() {
            let mut list: Vec<(Json, i64)> = counts[f]
                .iter()
                .map(|(&key, &n)| {
                    let value = match self.text.get(facet) {
                        Some(col) => col
                            .values
                            .get(key as usize)
                            .map_or(Json::Null, |v| Json::from(v.clone())),
                        None if key == NULL_INT => Json::Null,
                        None => Json::from(key),
                    };
                    (value, n)
                })
                .collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| order(&a.0, &b.0)));
            list.truncate(200);
            out.insert(
                (*facet).to_owned(),
                list.into_iter()
                    .map(|(value, count)| FacetCount { value, count })
                    .collect(),
            );
        }
        Some((out, total))
    }
}

/// Values in SQL order: NULL first, numbers by value, text by text.
fn order(a: &Json, b: &Json) -> std::cmp::Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Null, Json::Null) => std::cmp::Ordering::Equal,
        (Json::Null, _) => std::cmp::Ordering::Less,
        (_, Json::Null) => std::cmp::Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}
