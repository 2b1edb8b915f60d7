//! Facet counts of the in-memory analysis: per facet, the value counts among the rows
//! matching every *other* filter.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::super::super::model::FACETS;
use super::super::super::schema::FacetCount;
use super::super::{NULL_CODE, NULL_INT, ScoreIndex};
use super::{Facets, Test};
use crate::kernel::query::ListQuery;

impl ScoreIndex {
    /// Facet counts as the facets endpoint gives them (each facet among the rows
    /// matching every *other* filter, most frequent first, at most 200 values), and the
    /// rows matching every filter; `None` if a filter is not evaluated here.
    pub fn facets(&self, query: &ListQuery) -> Option<Facets> {
        let tests = self.tests(query)?;
        if tests.is_empty() {
            return Some(
                self.all_facets
                    .get_or_init(|| self.count_facets(&tests))
                    .clone(),
            );
        }
        if tests.len() > 63 {
            return None;
        }
        Some(self.count_facets(&tests))
    }

    fn count_facets(&self, tests: &[Test<'_>]) -> Facets {
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
                        Some(_) if key == i64::from(NULL_CODE) => Json::Null,
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
        (out, total)
    }
}

/// Values in SQL order: NULL first, numbers by value, text by text.
fn order(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Null, _) => Ordering::Less,
        (_, Json::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}
