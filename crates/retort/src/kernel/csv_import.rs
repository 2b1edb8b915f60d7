//! Streaming CSV import, shared by every entity that imports: rows are parsed and
//! validated on a blocking thread as the bytes arrive and handed over in batches; every
//! bad row is reported (capped, with a total), and the entity's importer writes all or
//! nothing in one transaction.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::AsyncRead;
use tokio::sync::mpsc;
use tokio_util::io::SyncIoBridge;

use super::error::{AppError, RowError};
use super::extract::Parse;
use super::validation::{CsvRow, READ_ONLY_MESSAGE, UNKNOWN_FIELD_MESSAGE};

/// At most this many row errors are returned; the total is always counted.
pub const MAX_REPORTED_ERRORS: usize = 100;
/// Rows handed to the writer at a time.
pub const BATCH_ROWS: usize = 500;

/// A parsed row and its spreadsheet row number (header = 1).
pub type Numbered<T> = (u64, T);

/// Row errors gathered from the reader thread and the writer, capped.
#[derive(Debug, Default)]
pub struct ErrorLog {
    errors: Vec<RowError>,
    total: u64,
}

impl ErrorLog {
    /// Records an error.
    pub fn push(&mut self, row: u64, column: &str, message: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(RowError {
                row,
                column: column.to_owned(),
                message: message.into(),
            });
        }
    }
    /// How many errors so far.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// A shared, lockable error log.
pub type SharedLog = Arc<Mutex<ErrorLog>>;

/// Locks a log; a panic elsewhere never hides the errors gathered so far.
pub fn lock(log: &SharedLog) -> std::sync::MutexGuard<'_, ErrorLog> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a reader thread ends with.
#[derive(Debug)]
pub enum ReadEnd {
    /// The whole input was read; this many data rows.
    Rows(u64),
    /// The input stopped with an I/O error (e.g. the body limit); nothing is written.
    Failed(AppError),
}

/// The batches of a CSV input being read, and the errors found so far.
pub struct CsvBatches<T> {
    /// Validated rows, in order, in batches.
    pub batches: mpsc::Receiver<Vec<Numbered<T>>>,
    /// Every error so far, from the reader and from the writer.
    pub log: SharedLog,
    reader: tokio::task::JoinHandle<ReadEnd>,
}

/// A record with a key that must be unique within one file (a product's sku).
pub trait Keyed {
    /// The unique key and the column it is reported under.
    fn key(&self) -> (&'static str, std::borrow::Cow<'_, str>);
}

/// Starts reading CSV from `input` on a blocking thread.
///
/// The header is checked first: unknown, read-only and missing columns are reported once
/// at row 1 and no row is read. `io_error` maps a read failure (such as an exceeded size
/// limit) to the error the caller answers with.
pub fn read_csv<T, R>(input: R, io_error: fn(io::Error) -> AppError) -> CsvBatches<T>
where
    T: Parse + Keyed + Send + 'static,
    R: AsyncRead + Unpin + Send + 'static,
{
    let (tx, batches) = mpsc::channel(4);
    let log = SharedLog::default();
    let thread_log = log.clone();
    let reader = tokio::task::spawn_blocking(move || {
        read_rows(SyncIoBridge::new(input), tx, &thread_log, io_error)
    });
    CsvBatches {
        batches,
        log,
        reader,
    }
}

impl<T> CsvBatches<T> {
    /// Waits for the reader to finish and returns the number of data rows, or the error
    /// report if any row (or the writer) had errors.
    pub async fn finish(self) -> Result<u64, AppError> {
        drop(self.batches);
        let end = self
            .reader
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV reader thread failed: {e}")))?;
        let rows = match end {
            ReadEnd::Rows(n) => n,
            ReadEnd::Failed(err) => return Err(err),
        };
        let mut log = std::mem::take(&mut *lock(&self.log));
        if log.total == 0 {
            return Ok(rows);
        }
        log.errors.sort_by_key(|e| e.row);
        Err(AppError::Import {
            detail: format!(
                "{} error(s) in {} data row(s); nothing was imported",
                log.total, rows
            ),
            errors: log.errors,
            total: log.total,
        })
    }
}

fn io_or_csv_error(
    err: csv::Error,
    io_error: fn(io::Error) -> AppError,
) -> Result<String, AppError> {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Err(io_error(e)),
        csv::ErrorKind::Utf8 { err, .. } => Ok(format!("is not valid UTF-8 text ({err})")),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Ok(format!(
            "has {len} fields but the header has {expected_len}"
        )),
        other => Ok(format!("cannot be read as CSV: {other:?}")),
    }
}

fn read_rows<T, R>(
    input: R,
    tx: mpsc::Sender<Vec<Numbered<T>>>,
    log: &SharedLog,
    io_error: fn(io::Error) -> AppError,
) -> ReadEnd
where
    T: Parse + Keyed,
    R: io::Read,
{
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => {
            return match io_or_csv_error(e, io_error) {
                Ok(message) => {
                    lock(log).push(1, "", format!("the header {message}"));
                    ReadEnd::Rows(0)
                }
                Err(err) => ReadEnd::Failed(err),
            };
        }
    };
    if header.iter().all(String::is_empty) {
        lock(log).push(
            1,
            "",
            "the file is empty: expected a header row naming the columns",
        );
        return ReadEnd::Rows(0);
    }
    if let Some(dup) = header
        .iter()
        .enumerate()
        .find(|(i, c)| header[..*i].contains(c))
    {
        lock(log).push(1, dup.1, "column appears twice in the header");
        return ReadEnd::Rows(0);
    }
    // Check the columns once, against a blank row: missing, unknown and read-only
    // columns are reported for the header instead of for every row.
    let blank = csv::StringRecord::from(vec![""; header.len()]);
    if let Err(errors) = T::parse(&CsvRow {
        header: &header,
        cells: &blank,
    }) {
        let mut log = lock(log);
        for (col, msg) in &errors {
            if !header.contains(col) {
                log.push(1, col, "column is missing");
            } else if msg == UNKNOWN_FIELD_MESSAGE || msg == READ_ONLY_MESSAGE {
                log.push(1, col, format!("column {msg}"));
            }
        }
        if log.total() > 0 {
            return ReadEnd::Rows(0);
        }
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        let row = rows + 2;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => match io_or_csv_error(e, io_error) {
                Ok(message) => {
                    rows += 1;
                    lock(log).push(row, "", format!("the row {message}"));
                    continue;
                }
                Err(err) => return ReadEnd::Failed(err),
            },
        }
        rows += 1;
        match T::parse(&CsvRow {
            header: &header,
            cells: &record,
        }) {
            Ok(value) => {
                let (column, key) = value.key();
                if let Some(first) = seen.get(key.as_ref()) {
                    lock(log).push(
                        row,
                        column,
                        format!("duplicates row {first} ({column} {key:?})"),
                    );
                    continue;
                }
                seen.insert(key.into_owned(), row);
                // Valid rows go on even after an error: the writer still checks them
                // against the database (existing keys) so the report names every bad row.
                batch.push((row, value));
            }
            Err(errors) => {
                let mut log = lock(log);
                for (col, msg) in errors {
                    log.push(row, &col, msg);
                }
            }
        }
        if batch.len() == BATCH_ROWS && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
            // The writer stopped (it failed); it reports why.
            return ReadEnd::Rows(rows);
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    ReadEnd::Rows(rows)
}
