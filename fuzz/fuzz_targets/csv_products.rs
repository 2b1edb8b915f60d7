//! A CSV product upload parsed and validated as an import parses it (header checks, every
//! row's fields, duplicate skus): every bad row becomes a row error, nothing panics.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use retort::entities::product::schema::ProductIn;
use retort::kernel::csv_import::read_csv;
use retort::kernel::csv_upload::local_error;

/// One runtime for every input: the reader runs on its blocking pool, as in the server.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let input = std::io::Cursor::new(data.to_vec());
    runtime().block_on(async move {
        let mut csv = read_csv::<ProductIn, _>(input, local_error);
        while csv.batches.recv().await.is_some() {}
        let _ = csv.finish().await;
    });
});
