//! The table of dashboard files, read into the binary at compile time from
//! `crates/retort/web/`. A test checks that every file there is listed here.

/// One file of the dashboard.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `web/` (and under `/assets/{version}/` in URLs).
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Lists `web/` files: `asset!("js/main.js")`.
macro_rules! asset {
    ($path:literal) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

/// The app shell; `{{ASSETS}}` stands for the versioned asset prefix.
pub const SHELL: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/index.html"));

/// Every asset but the shell.
pub static ASSETS: &[Asset] = &[
    asset!("app.css"),
    asset!("favicon.svg"),
    asset!("js/api.js"),
    asset!("js/charts.js"),
    asset!("js/dom.js"),
    asset!("js/filters.js"),
    asset!("js/jobwatch.js"),
    asset!("js/main.js"),
    asset!("js/pricing.js"),
    asset!("js/session.js"),
    asset!("js/ui.js"),
    asset!("js/pages/evaluation.js"),
    asset!("js/pages/explorer.js"),
    asset!("js/pages/jobs.js"),
    asset!("js/pages/models.js"),
    asset!("js/pages/notfound.js"),
    asset!("js/pages/optimization.js"),
    asset!("js/pages/optimizations.js"),
    asset!("js/pages/overview.js"),
    asset!("js/pages/product.js"),
    asset!("js/pages/signin.js"),
    asset!("vendor/plotly.LICENSE.txt"),
    asset!("vendor/plotly.min.js"),
];

/// The media type of an asset, from its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
