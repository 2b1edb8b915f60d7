//! A list query string parsed as the product list and the mispricing list parse it, and
//! the SQL built from it: every bad parameter becomes a field error, nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use retort::kernel::db::Backend;
use retort::kernel::extract::QueryPairs;
use retort::kernel::query::ListQuery;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(QueryPairs(pairs)) = QueryPairs::from_request(Some(&text)) else {
        return;
    };
    if let Ok(query) = ListQuery::parse(retort::entities::product::list_spec(), &pairs, &[]) {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let _ = query.page_sql(backend, "id");
            let _ = query.count_sql(backend);
        }
    }
    let _ = retort::entities::pricing::service::parse(&pairs);
});
