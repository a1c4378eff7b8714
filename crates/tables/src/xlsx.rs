//! XLSX reading (all columns as nullable Utf8) with calamine's streaming
//! cell reader.
//!
//! `Xlsx::worksheet_cells_reader` borrows the workbook mutably, so the pair
//! cannot live in one struct without unsafe self-reference. Instead a worker
//! thread owns the workbook and sends finished batches over a bounded channel
//! (capacity 2): memory stays at a few batches, and a panic inside calamine on
//! a hostile file ends that thread rather than the process.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use calamine::{Reader, Xlsx, XlsxCellReader, XlsxError};

use crate::batch::{StringBatchBuilder, string_schema, unique_column_names};
use crate::error::{LimitFailure, TableError, file_label, one_line, panic_message};
use crate::xlsx_render::{cell_ref, column_letters, render};
use crate::{ReadLimits, ReadOptions};

/// Excel's column limit (XFD); wider "sheets" are corrupt or hostile.
const MAX_COLUMNS: u32 = 16_384;

enum Msg {
    Schema(SchemaRef),
    Batch(Result<RecordBatch, TableError>),
}

/// Receiving end of the worker thread.
pub(crate) struct XlsxSource {
    file: String,
    rx: Option<Receiver<Msg>>,
    handle: Option<JoinHandle<()>>,
    schema: SchemaRef,
    progress: Arc<AtomicU64>,
    done: bool,
}

impl XlsxSource {
    /// Starts the worker and waits for the header (or the first error).
    pub(crate) fn open(
        path: &Path,
        file: File,
        total: u64,
        opts: &ReadOptions,
    ) -> Result<XlsxSource, TableError> {
        let label = file_label(path);
        let (tx, rx) = sync_channel(2);
        let progress = Arc::new(AtomicU64::new(0));
        let job = Job {
            file: label.clone(),
            sheet: opts.sheet.clone(),
            has_header: opts.has_header,
            batch_size: opts.batch_size,
            total,
            limits: opts.limits,
            progress: progress.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("pubdata-xlsx".into())
            .spawn(move || {
                if let Err(e) = job.run(file, &tx) {
                    let _ = tx.send(Msg::Batch(Err(e)));
                }
            })
            .map_err(|e| TableError::Internal {
                file: label.clone(),
                message: e.to_string(),
            })?;
        let mut src = XlsxSource {
            file: label,
            rx: Some(rx),
            handle: Some(handle),
            schema: string_schema(Vec::new()),
            progress,
            done: false,
        };
        match src.recv() {
            Some(Msg::Schema(schema)) => {
                src.schema = schema;
                Ok(src)
            }
            Some(Msg::Batch(Err(e))) => Err(e),
            Some(Msg::Batch(Ok(_))) | None => Err(src.worker_died()),
        }
    }

    fn recv(&mut self) -> Option<Msg> {
        self.rx.as_ref().and_then(|rx| rx.recv().ok())
    }

    /// The channel closed without an error message: the worker panicked.
    fn worker_died(&mut self) -> TableError {
        let message = match self.handle.take().map(JoinHandle::join) {
            Some(Err(payload)) => panic_message(payload.as_ref()),
            _ => "worksheet reader stopped unexpectedly".to_string(),
        };
        TableError::Internal {
            file: self.file.clone(),
            message,
        }
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, TableError>> {
        if self.done {
            return None;
        }
        let msg = self.recv();
        match msg {
            Some(Msg::Batch(Ok(b))) => Some(Ok(b)),
            Some(Msg::Batch(Err(e))) => {
                self.done = true;
                Some(Err(e))
            }
            Some(Msg::Schema(_)) => {
                self.done = true;
                Some(Err(self.worker_died()))
            }
            None => {
                self.done = true;
                // A clean finish drops the sender after the last batch; only a
                // panic leaves a payload to report.
                match self.handle.take().map(JoinHandle::join) {
                    Some(Err(payload)) => Some(Err(TableError::Internal {
                        file: self.file.clone(),
                        message: panic_message(payload.as_ref()),
                    })),
                    _ => None,
                }
            }
        }
    }
}

impl Drop for XlsxSource {
    fn drop(&mut self) {
        // Closing the channel first makes the worker's next send fail, so the
        // join below waits for at most one batch of parsing.
        self.rx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Everything the worker needs, moved into the thread.
struct Job {
    file: String,
    sheet: Option<String>,
    has_header: bool,
    batch_size: usize,
    total: u64,
    limits: ReadLimits,
    progress: Arc<AtomicU64>,
}

impl Job {
    fn workbook_error(&self, e: XlsxError) -> TableError {
        TableError::Workbook {
            file: self.file.clone(),
            message: one_line(&e.to_string()),
        }
    }

    fn run(&self, file: File, tx: &SyncSender<Msg>) -> Result<(), TableError> {
        // calamine loads all shared strings as it opens the workbook, so the
        // limits must be checked on the zip before it gets the file.
        crate::xlsx_limits::check(&file, &self.file, &self.limits)?;
        let mut wb: Xlsx<BufReader<File>> =
            Xlsx::new(BufReader::new(file)).map_err(|e| self.workbook_error(e))?;
        let names = wb.sheet_names();
        let sheet = match &self.sheet {
            Some(s) if names.iter().any(|n| n == s) => s.clone(),
            Some(s) => {
                return Err(TableError::SheetNotFound {
                    file: self.file.clone(),
                    sheet: s.clone(),
                    available: names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            None => names.first().cloned().ok_or_else(|| TableError::Workbook {
                file: self.file.clone(),
                message: "workbook has no sheets".into(),
            })?,
        };
        let cells = wb
            .worksheet_cells_reader(&sheet)
            .map_err(|e| self.workbook_error(e))?;
        let dims = cells.dimensions();
        let mut rows = RowReader {
            cells,
            lookahead: None,
            finished: false,
            max_cell: self.limits.max_cell_bytes,
        };
        let sheet_err = |e: RowError| match e {
            RowError::Xlsx(e) => TableError::Workbook {
                file: self.file.clone(),
                message: one_line(&format!("sheet {sheet:?}: {e}")),
            },
            // The streaming check in `xlsx_limits` normally stops long text
            // earlier; this is the exact check on the decoded value.
            RowError::TooLong { row, col, len } => LimitFailure::bytes(
                format!("sheet {sheet:?}, cell {}", cell_ref(row, col)),
                format!("text is {len} bytes long"),
                "ReadLimits::max_cell_bytes",
                self.limits.max_cell_bytes,
            )
            .into_error(self.file.clone()),
        };
        let Some((first_row, first_vals)) = rows.next_row().map_err(sheet_err)? else {
            return Err(TableError::Empty {
                file: self.file.clone(),
                what: "sheet has no cells",
            });
        };
        let mut lo = first_vals.iter().map(|v| v.0).min().unwrap_or(0);
        let mut hi = first_vals.iter().map(|v| v.0).max().unwrap_or(0);
        // Without a header the first row may be shorter than later ones; the
        // declared <dimension> (when present) is the best width we can know up front.
        if !self.has_header && (dims.start != (0, 0) || dims.end != (0, 0)) {
            lo = lo.min(dims.start.1);
            hi = hi.max(dims.end.1);
        }
        if hi - lo >= MAX_COLUMNS {
            return Err(TableError::Workbook {
                file: self.file.clone(),
                message: format!("sheet {sheet:?} is wider than {MAX_COLUMNS} columns"),
            });
        }
        let width = (hi - lo + 1) as usize;
        let names = if self.has_header {
            let mut header = vec![None; width];
            for (c, v) in &first_vals {
                header[(c - lo) as usize] = Some(v.clone());
            }
            unique_column_names(header)
        } else {
            unique_column_names((0..width).map(|_| None))
        };
        let schema = string_schema(names);
        if tx.send(Msg::Schema(schema.clone())).is_err() {
            return Ok(());
        }
        let total_rows = u64::from(dims.end.0) + 1;
        let mut builder = StringBatchBuilder::new(schema, self.batch_size);
        let mut pending = (!self.has_header).then_some((first_row, first_vals));
        loop {
            let next = match pending.take() {
                Some(r) => Some(r),
                None => rows.next_row().map_err(sheet_err)?,
            };
            let Some((r, vals)) = next else { break };
            let mut row = vec![None; width];
            for (c, v) in vals {
                if c < lo || c > hi {
                    // No value in the message: cells may hold personal data.
                    return Err(TableError::Cell {
                        file: self.file.clone(),
                        sheet: sheet.clone(),
                        cell: cell_ref(r, c),
                        message: format!(
                            "a value lies outside the table's columns {}..{}",
                            column_letters(lo),
                            column_letters(hi)
                        ),
                    });
                }
                row[(c - lo) as usize] = Some(v);
            }
            builder.append_row(row.iter().map(Option::as_deref));
            if builder.rows() >= self.batch_size {
                let estimate = self.total.saturating_mul(u64::from(r) + 1) / total_rows.max(1);
                self.progress
                    .store(estimate.min(self.total), Ordering::Relaxed);
                if tx.send(Msg::Batch(builder.finish(&self.file))).is_err() {
                    return Ok(());
                }
            }
        }
        self.progress.store(self.total, Ordering::Relaxed);
        if builder.rows() > 0 {
            let _ = tx.send(Msg::Batch(builder.finish(&self.file)));
        }
        Ok(())
    }
}

/// Groups the cell stream into rows of non-empty cells; rows without any
/// non-empty cell never appear, so blank spreadsheet rows are skipped.
struct RowReader<'a> {
    cells: XlsxCellReader<'a, BufReader<File>>,
    lookahead: Option<(u32, u32, String)>,
    /// calamine errors if asked for a cell after `</sheetData>`.
    finished: bool,
    /// [`ReadLimits::max_cell_bytes`].
    max_cell: u64,
}

type Row = (u32, Vec<(u32, String)>);

/// Why the next row could not be read.
enum RowError {
    Xlsx(XlsxError),
    /// A cell's text is longer than `max_cell_bytes`.
    TooLong {
        row: u32,
        col: u32,
        len: usize,
    },
}

impl From<XlsxError> for RowError {
    fn from(e: XlsxError) -> Self {
        RowError::Xlsx(e)
    }
}

impl RowReader<'_> {
    fn next_nonempty(&mut self) -> Result<Option<(u32, u32, String)>, RowError> {
        while !self.finished {
            let Some(cell) = self.cells.next_cell()? else {
                self.finished = true;
                break;
            };
            let (r, c) = cell.get_position();
            if let Some(s) = render(cell.get_value()) {
                if s.len() as u64 > self.max_cell {
                    return Err(RowError::TooLong {
                        row: r,
                        col: c,
                        len: s.len(),
                    });
                }
                return Ok(Some((r, c, s)));
            }
        }
        Ok(None)
    }

    fn next_row(&mut self) -> Result<Option<Row>, RowError> {
        let mut current: Option<u32> = None;
        let mut vals = Vec::new();
        loop {
            let next = match self.lookahead.take() {
                Some(x) => Some(x),
                None => self.next_nonempty()?,
            };
            let Some((r, c, v)) = next else {
                return Ok(current.map(|row| (row, vals)));
            };
            if let Some(row) = current
                && row != r
            {
                self.lookahead = Some((r, c, v));
                return Ok(Some((row, vals)));
            }
            current = Some(r);
            vals.push((c, v));
        }
    }
}
