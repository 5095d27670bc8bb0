//! Jupyter notebooks (nbformat 4.0–4.5): cells, their saved outputs, and the joined text.

use super::magics::{mask_cell, CellMagic, MaskedCell, ShellLine};
use crate::text::{LineCol, LineIndex, TextRange};
use serde_json::Value;
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
    Raw,
}

/// Which output channel a saved output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    Stdout,
    Stderr,
    /// `execute_result` and `display_data` text.
    Result,
    /// An `error` output: `ename: evalue` followed by the traceback.
    Error,
}

/// The text of one saved output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputText {
    pub kind: OutputKind,
    /// Shared, not copied, when an editor's notebook is rebuilt on each edit.
    pub text: std::sync::Arc<str>,
}

/// One cell as read from a file or received from an editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellInput {
    pub kind: CellKind,
    pub source: String,
    /// The saved `execution_count`, or the editor's execution order.
    pub execution_count: Option<i64>,
    pub outputs: Vec<OutputText>,
    /// The UTC day the cell last ran, `YYYY-MM-DD`, from the metadata Colab
    /// (`executionInfo.timestamp`) or JupyterLab and Kaggle (`execution.iopub.execute_input`)
    /// save with it. Cell metadata is copied along with cells, so this is a claim to be
    /// checked against the versions the outputs print, not a fact.
    pub ran_on: Option<String>,
}

/// Where one code cell sits in the joined text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellSpan {
    /// 0-based position among all cells, markdown and raw included.
    pub cell: usize,
    /// The cell's source in the joined text (without the separator newline that follows it).
    pub range: TextRange,
    pub magic: CellMagic,
}

/// The code cells' places in the joined text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellMap {
    pub spans: Vec<CellSpan>,
}

impl CellMap {
    /// The code cell that holds `offset`; the separator after a cell belongs to it.
    pub fn span_at(&self, offset: usize) -> Option<&CellSpan> {
        let idx = self.spans.partition_point(|s| s.range.start <= offset);
        idx.checked_sub(1).map(|i| &self.spans[i])
    }

    pub fn span_of_cell(&self, cell: usize) -> Option<&CellSpan> {
        self.spans.iter().find(|s| s.cell == cell)
    }
}

/// A notebook: all its cells, and its code cells joined into one text with a map.
#[derive(Clone, Debug)]
pub struct Notebook {
    pub cells: Vec<CellInput>,
    /// The code cells joined. A [`Document`](super::Document) made from the notebook takes
    /// this, `python` and `shell_lines` over (they are large, and the document is what the
    /// checks read), leaving them empty here.
    pub text: String,
    pub python: String,
    pub map: CellMap,
    pub shell_lines: Vec<ShellLine>,
    /// What the cells' saved outputs say, kept between versions of a notebook an editor
    /// changes (its outputs are shared, not copied, from one version to the next).
    pub signals: Option<std::sync::Arc<crate::outputs::SignalsMemo>>,
}

/// Why a file could not be read as a notebook, with the place the reader stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotebookError {
    pub message: String,
    /// 1-based line and column in the file, when the problem has a place.
    pub line: usize,
    pub column: usize,
}

impl Notebook {
    /// Joins cells into one text. Every code cell is followed by a newline separator so that a
    /// cell's last line never runs into the next cell's first.
    pub fn from_cells(cells: Vec<CellInput>) -> Notebook {
        Notebook::from_masked_cells(cells, |_, source| Cow::Owned(mask_cell(source)))
    }

    /// [`Notebook::from_cells`] with each code cell's masked text from `masked` (called with
    /// the cell's index and source), which may hand out one kept from an earlier version of
    /// the notebook when the cell has not changed since.
    pub fn from_masked_cells<'m>(
        cells: Vec<CellInput>,
        mut masked: impl FnMut(usize, &str) -> Cow<'m, MaskedCell>,
    ) -> Notebook {
        let mut text = String::new();
        let mut python = String::new();
        let mut map = CellMap::default();
        let mut shell_lines = Vec::new();
        for (index, cell) in cells.iter().enumerate() {
            if cell.kind != CellKind::Code {
                continue;
            }
            let start = text.len();
            let masked = masked(index, &cell.source);
            text.push_str(&cell.source);
            python.push_str(&masked.python);
            shell_lines.extend(masked.shell_lines.iter().map(|l| l.clone().offset(start)));
            map.spans.push(CellSpan {
                cell: index,
                range: TextRange::new(start, text.len()),
                magic: masked.magic,
            });
            text.push('\n');
            python.push('\n');
        }
        Notebook {
            cells,
            text,
            python,
            map,
            shell_lines,
            signals: None,
        }
    }

    /// Reads nbformat 4 JSON. Anything else is an error that names the place.
    pub fn parse(bytes: &[u8]) -> Result<Notebook, NotebookError> {
        // The typed reader skips what tunelint never looks at (images, widget state) without
        // allocating it; anything unusual goes to the general reader, which explains problems.
        Notebook::from_typed(serde_json::from_slice::<typed::RawNotebook>(bytes))
            .unwrap_or_else(|| Notebook::parse_value(bytes))
    }

    /// [`Notebook::parse`] for text already known to be UTF-8, which the JSON reader then need
    /// not check again string by string.
    pub fn parse_text(text: &str) -> Result<Notebook, NotebookError> {
        Notebook::from_typed(serde_json::from_str::<typed::RawNotebook>(text))
            .unwrap_or_else(|| Notebook::parse_value(text.as_bytes()))
    }

    /// The typed reader's result, or `None` when the general reader must look: the JSON has a
    /// shape the typed reader does not take, and the general reader explains what is wrong.
    /// Broken JSON syntax is reported straight away; the general reader would stop at the same
    /// place, after reading the whole file a second time.
    fn from_typed(
        read: Result<typed::RawNotebook, serde_json::Error>,
    ) -> Option<Result<Notebook, NotebookError>> {
        match read {
            Ok(fast) => fast
                .into_cells()
                .map(|cells| Ok(Notebook::from_cells(cells))),
            Err(e) if e.is_syntax() || e.is_eof() => Some(Err(invalid_json(&e))),
            Err(_) => None,
        }
    }

    fn parse_value(bytes: &[u8]) -> Result<Notebook, NotebookError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| invalid_json(&e))?;
        let at_start = |message: String| NotebookError {
            message,
            line: 1,
            column: 1,
        };
        let Some(object) = value.as_object() else {
            return Err(at_start(
                "not a notebook: the top level is not a JSON object".into(),
            ));
        };
        match object.get("nbformat").and_then(Value::as_u64) {
            Some(4) => {}
            Some(other) => {
                return Err(at_start(format!(
                    "nbformat {other} is not supported (only nbformat 4); convert it with `jupyter nbconvert --to notebook`"
                )))
            }
            None => return Err(at_start("not a notebook: no integer `nbformat` field".into())),
        }
        let Some(cells) = object.get("cells").and_then(Value::as_array) else {
            return Err(at_start(
                "malformed notebook: `cells` is missing or not a list".into(),
            ));
        };
        let mut inputs = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            inputs.push(
                read_cell(cell)
                    .map_err(|m| at_start(format!("malformed notebook: cell {}: {m}", i + 1)))?,
            );
        }
        Ok(Notebook::from_cells(inputs))
    }

    /// The 1-based cell number, and the 0-based line and character column inside that cell,
    /// of a byte offset in the joined text.
    pub fn locate(&self, offset: usize) -> Option<(usize, LineCol)> {
        let span = self.map.span_at(offset)?;
        // A span's text is its cell's source, which stays here when a document takes `text`.
        let cell_text = self.cells[span.cell].source.as_str();
        let local = offset.saturating_sub(span.range.start).min(cell_text.len());
        Some((
            span.cell + 1,
            LineIndex::line_col_chars_once(local, cell_text),
        ))
    }
}

fn invalid_json(e: &serde_json::Error) -> NotebookError {
    NotebookError {
        message: format!("not valid JSON: {}", strip_position(&e.to_string())),
        line: e.line().max(1),
        column: e.column().max(1),
    }
}

/// Typed nbformat 4, reading only the fields tunelint uses.
mod typed {
    use super::{strip_ansi, CellInput, CellKind, OutputKind, OutputText};
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use serde::Deserialize;

    /// nbformat's multiline string: a string or a list of strings, concatenated.
    pub struct MultiLine(pub String);

    impl<'de> Deserialize<'de> for MultiLine {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = MultiLine;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a string or a list of strings")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MultiLine, E> {
                    Ok(MultiLine(v.to_string()))
                }
                fn visit_string<E: serde::de::Error>(self, v: String) -> Result<MultiLine, E> {
                    Ok(MultiLine(v))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MultiLine, A::Error> {
                    let mut out = String::new();
                    while let Some(part) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                        out.push_str(&part);
                    }
                    Ok(MultiLine(out))
                }
            }
            d.deserialize_any(V)
        }
    }

    #[derive(Deserialize)]
    pub struct RawNotebook {
        nbformat: u64,
        cells: Vec<RawCell>,
    }

    #[derive(Deserialize)]
    struct RawCell {
        cell_type: String,
        source: MultiLine,
        #[serde(default)]
        execution_count: Option<i64>,
        #[serde(default)]
        outputs: Vec<RawOutput>,
        #[serde(default)]
        metadata: Option<RawCellMetadata>,
    }

    /// The run-time records editors keep in a cell's metadata.
    #[derive(Deserialize)]
    struct RawCellMetadata {
        #[serde(rename = "executionInfo", default)]
        execution_info: Option<ExecutionInfo>,
        #[serde(default)]
        execution: Option<Execution>,
    }

    #[derive(Deserialize)]
    struct ExecutionInfo {
        #[serde(default)]
        timestamp: Option<f64>,
    }

    #[derive(Deserialize)]
    struct Execution {
        #[serde(rename = "iopub.execute_input", default)]
        execute_input: Option<String>,
    }

    impl RawCellMetadata {
        fn ran_on(&self) -> Option<String> {
            let colab = self.execution_info.as_ref().and_then(|e| e.timestamp);
            let jupyter = self
                .execution
                .as_ref()
                .and_then(|e| e.execute_input.as_deref());
            super::run_day(colab, jupyter)
        }
    }

    #[derive(Deserialize)]
    struct RawOutput {
        output_type: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        text: Option<MultiLine>,
        #[serde(default)]
        data: Option<RawData>,
        #[serde(default)]
        ename: Option<String>,
        #[serde(default)]
        evalue: Option<String>,
        #[serde(default)]
        traceback: Option<Vec<String>>,
    }

    #[derive(Deserialize)]
    struct RawData {
        #[serde(rename = "text/plain", default)]
        text_plain: Option<MultiLine>,
        #[serde(rename = "application/vnd.colab-display-data+json", default)]
        colab: Option<ColabData>,
    }

    #[derive(Deserialize)]
    struct ColabData {
        #[serde(default)]
        pip_warning: Option<PipWarning>,
    }

    #[derive(Deserialize)]
    struct PipWarning {
        #[serde(default)]
        packages: Vec<String>,
    }

    impl RawNotebook {
        /// The cells, or `None` when the notebook needs the general reader's judgement.
        pub fn into_cells(self) -> Option<Vec<CellInput>> {
            if self.nbformat != 4 {
                return None;
            }
            let mut out = Vec::with_capacity(self.cells.len());
            for c in self.cells {
                let kind = match c.cell_type.as_str() {
                    "code" => CellKind::Code,
                    "markdown" => CellKind::Markdown,
                    "raw" => CellKind::Raw,
                    _ => return None,
                };
                let outputs = if kind == CellKind::Code {
                    c.outputs
                        .into_iter()
                        .filter_map(RawOutput::into_text)
                        .collect()
                } else {
                    Vec::new()
                };
                out.push(CellInput {
                    kind,
                    source: c.source.0,
                    execution_count: c.execution_count,
                    outputs,
                    ran_on: c.metadata.as_ref().and_then(RawCellMetadata::ran_on),
                });
            }
            Some(out)
        }
    }

    impl RawOutput {
        fn into_text(self) -> Option<OutputText> {
            match self.output_type.as_str() {
                "stream" => {
                    let kind = if self.name.as_deref() == Some("stderr") {
                        OutputKind::Stderr
                    } else {
                        OutputKind::Stdout
                    };
                    Some(OutputText {
                        kind,
                        text: self.text?.0.into(),
                    })
                }
                "execute_result" | "display_data" => {
                    let data = self.data?;
                    if let Some(w) = data.colab.and_then(|c| c.pip_warning) {
                        return Some(OutputText {
                            kind: OutputKind::Result,
                            text: super::restart_warning_text(&w.packages).into(),
                        });
                    }
                    Some(OutputText {
                        kind: OutputKind::Result,
                        text: data.text_plain?.0.into(),
                    })
                }
                "error" => {
                    let mut text = format!(
                        "{}: {}\n",
                        self.ename.unwrap_or_default(),
                        self.evalue.unwrap_or_default()
                    );
                    for line in self.traceback.unwrap_or_default() {
                        text.push_str(&strip_ansi(&line));
                        text.push('\n');
                    }
                    Some(OutputText {
                        kind: OutputKind::Error,
                        text: text.into(),
                    })
                }
                _ => None,
            }
        }
    }
}

/// The text Colab shows for its restart prompt.
fn restart_warning_text(packages: &[String]) -> String {
    format!(
        "WARNING: The following packages were previously imported in this runtime:\n  [{}]\nYou must restart the runtime in order to use newly installed versions.\n",
        packages.join(",")
    )
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn read_cell(cell: &Value) -> Result<CellInput, String> {
    let obj = cell.as_object().ok_or("not an object")?;
    let kind = match obj.get("cell_type").and_then(Value::as_str) {
        Some("code") => CellKind::Code,
        Some("markdown") => CellKind::Markdown,
        Some("raw") => CellKind::Raw,
        Some(other) => return Err(format!("unknown cell_type `{other}`")),
        None => return Err("no `cell_type`".into()),
    };
    let source = match obj.get("source") {
        Some(v) => multiline_text(v).ok_or("`source` is neither a string nor a list of strings")?,
        None => return Err("no `source`".into()),
    };
    let execution_count = obj.get("execution_count").and_then(Value::as_i64);
    let mut outputs = Vec::new();
    if kind == CellKind::Code {
        if let Some(list) = obj.get("outputs").and_then(Value::as_array) {
            outputs.extend(list.iter().filter_map(read_output));
        }
    }
    let metadata = obj.get("metadata");
    let colab = metadata
        .and_then(|m| m.get("executionInfo"))
        .and_then(|e| e.get("timestamp"))
        .and_then(Value::as_f64);
    let jupyter = metadata
        .and_then(|m| m.get("execution"))
        .and_then(|e| e.get("iopub.execute_input"))
        .and_then(Value::as_str);
    Ok(CellInput {
        kind,
        source,
        execution_count,
        outputs,
        ran_on: run_day(colab, jupyter),
    })
}

/// The UTC day of a cell's run from Colab's millisecond timestamp or Jupyter's ISO 8601 time.
fn run_day(colab_ms: Option<f64>, jupyter_iso: Option<&str>) -> Option<String> {
    if let Some(ms) = colab_ms.filter(|ms| ms.is_finite() && *ms > 0.0) {
        let days = (ms / 86_400_000.0).floor() as i64;
        let (y, m, d) = civil_from_days(days);
        return Some(format!("{y:04}-{m:02}-{d:02}"));
    }
    let iso = jupyter_iso?;
    let day = iso.get(..10)?;
    let b = day.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped.then(|| day.to_string())
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// nbformat's multiline string: a string, or a list of strings to concatenate.
fn multiline_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let mut out = String::new();
            for part in parts {
                out.push_str(part.as_str()?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn read_output(output: &Value) -> Option<OutputText> {
    let obj = output.as_object()?;
    match obj.get("output_type")?.as_str()? {
        "stream" => {
            let kind = if obj.get("name").and_then(Value::as_str) == Some("stderr") {
                OutputKind::Stderr
            } else {
                OutputKind::Stdout
            };
            Some(OutputText {
                kind,
                text: multiline_text(obj.get("text")?)?.into(),
            })
        }
        "execute_result" | "display_data" => {
            let data = obj.get("data")?;
            // Colab saves its restart prompt as display data and draws the words in the browser.
            if let Some(packages) = data
                .get("application/vnd.colab-display-data+json")
                .and_then(|d| d.get("pip_warning"))
                .and_then(|w| w.get("packages"))
                .and_then(Value::as_array)
            {
                let names: Vec<&str> = packages.iter().filter_map(Value::as_str).collect();
                let text = format!(
                    "WARNING: The following packages were previously imported in this runtime:\n  [{}]\nYou must restart the runtime in order to use newly installed versions.\n",
                    names.join(",")
                );
                return Some(OutputText {
                    kind: OutputKind::Result,
                    text: text.into(),
                });
            }
            let text = multiline_text(data.get("text/plain")?)?;
            Some(OutputText {
                kind: OutputKind::Result,
                text: text.into(),
            })
        }
        "error" => {
            let ename = obj.get("ename").and_then(Value::as_str).unwrap_or("");
            let evalue = obj.get("evalue").and_then(Value::as_str).unwrap_or("");
            let mut text = format!("{ename}: {evalue}\n");
            if let Some(tb) = obj.get("traceback").and_then(Value::as_array) {
                for line in tb.iter().filter_map(Value::as_str) {
                    text.push_str(&strip_ansi(line));
                    text.push('\n');
                }
            }
            Some(OutputText {
                kind: OutputKind::Error,
                text: text.into(),
            })
        }
        _ => None,
    }
}

/// Removes ANSI colour sequences, which IPython puts in every traceback line.
/// A line without terminal colour codes (`\x1b[31m`).
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_day_reads_colab_milliseconds_and_jupyter_iso_times() {
        assert_eq!(
            run_day(Some(1721901600000.0), None).as_deref(),
            Some("2024-07-25")
        );
        assert_eq!(
            run_day(Some(951782400000.0), None).as_deref(),
            Some("2000-02-29")
        );
        assert_eq!(
            run_day(None, Some("2025-03-22T00:48:54.511089Z")).as_deref(),
            Some("2025-03-22")
        );
        assert_eq!(run_day(None, Some("yesterday")), None);
        assert_eq!(run_day(Some(f64::NAN), None), None);
    }

    #[test]
    fn both_readers_take_the_run_day_from_cell_metadata() {
        let typed = r#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "source": "x", "outputs": [], "execution_count": 1,
             "metadata": {"execution": {"iopub.execute_input": "2024-07-25T10:00:00Z"}}}]}"#;
        let nb = Notebook::parse_text(typed).unwrap();
        assert_eq!(nb.cells[0].ran_on.as_deref(), Some("2024-07-25"));
        // An unknown cell type sends the notebook to the general reader.
        let general = typed.replace(r#""nbformat": 4,"#, r#""nbformat": 4, "cells_extra": 1,"#);
        let nb = Notebook::parse_value(general.as_bytes()).unwrap();
        assert_eq!(nb.cells[0].ran_on.as_deref(), Some("2024-07-25"));
    }

    use super::*;

    fn nb(cells: &str) -> String {
        format!(r#"{{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [{cells}]}}"#)
    }

    #[test]
    fn joins_code_cells_and_maps_offsets_back() {
        let json = nb(
            r##"{"cell_type": "markdown", "source": ["# Title"], "metadata": {}},
            {"cell_type": "code", "source": ["!pip install peft\n", "import peft"], "outputs": [], "execution_count": 1, "metadata": {}},
            {"cell_type": "code", "source": "from unsloth import FastLanguageModel", "outputs": [{"output_type": "stream", "name": "stderr", "text": ["Unsloth 2024.7 patched"]}], "execution_count": 2, "metadata": {}}"##,
        );
        let notebook = Notebook::parse(json.as_bytes()).unwrap();
        assert_eq!(
            notebook.text,
            "!pip install peft\nimport peft\nfrom unsloth import FastLanguageModel\n"
        );
        assert_eq!(notebook.python.len(), notebook.text.len());
        let offset = notebook.text.find("unsloth").unwrap();
        assert_eq!(
            notebook.locate(offset),
            Some((3, LineCol { line: 0, col: 5 }))
        );
        let offset = notebook.text.find("import peft").unwrap();
        assert_eq!(
            notebook.locate(offset),
            Some((2, LineCol { line: 1, col: 0 }))
        );
        assert_eq!(notebook.cells[2].outputs[0].kind, OutputKind::Stderr);
        assert_eq!(notebook.shell_lines.len(), 1);
    }

    #[test]
    fn errors_carry_a_position() {
        let err = Notebook::parse(b"{\n  \"cells\": [,]\n}").unwrap_err();
        assert_eq!((err.line, err.column), (2, 13));
        assert!(err.message.starts_with("not valid JSON"), "{}", err.message);
        let err = Notebook::parse(br#"{"nbformat": 3, "worksheets": []}"#).unwrap_err();
        assert!(err.message.contains("nbformat 3"));
        let err = Notebook::parse(br#"{"nbformat": 4, "cells": {}}"#).unwrap_err();
        assert!(err.message.contains("`cells`"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(Notebook::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn error_outputs_lose_their_colours() {
        let json = nb(
            r#"{"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 1, "outputs": [{"output_type": "error", "ename": "ImportError", "evalue": "boom", "traceback": ["\u001b[0;31mImportError\u001b[0m: boom"]}]}"#,
        );
        let notebook = Notebook::parse(json.as_bytes()).unwrap();
        assert_eq!(
            &*notebook.cells[0].outputs[0].text,
            "ImportError: boom\nImportError: boom\n"
        );
    }
}
