//! Plotly figures as data: the `{"data": [...], "layout": {...}}` JSON that plotly.py's
//! `Figure.to_json()` emits and `plotly.io.from_json` / `Plotly.newPlot` read.

use serde_json::{Value as Json, json};

/// The colours of categorical traces (Plotly's default qualitative sequence).
pub const COLOURS: [&str; 10] = [
    "#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880",
    "#FF97FF", "#FECB52",
];

/// A figure with `traces` and a layout with `title` and axis titles, in the house style.
pub fn figure(traces: Vec<Json>, title: &str, x_title: &str, y_title: &str) -> Json {
    json!({
        "data": traces,
        "layout": {
            "title": { "text": title },
            "xaxis": { "title": { "text": x_title }, "automargin": true },
            "yaxis": { "title": { "text": y_title }, "automargin": true },
            "legend": { "orientation": "h", "y": -0.2 },
            "margin": { "t": 50, "r": 20 },
            "template": { "layout": { "font": { "family": "system-ui, sans-serif" } } },
        }
    })
}
