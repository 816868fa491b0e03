"""Read ticket exports in chunks and write scored files atomically.

Formats follow the file's extension: CSV (``.csv``, ``.tsv``), JSON Lines (``.jsonl``, ``.ndjson``,
``.json``) and Parquet (``.parquet``, ``.pq``, or a folder of Parquet parts). CSV cells are read as
text exactly as written ("NA" stays "NA", ids keep their leading zeros); values are parsed later.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pandas as pd

from .errors import InputError

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
LIST_SEPARATORS = {"categories": "; ", "reasons": " | ", "actions": "; ", "rules_fired": "; ", "rules_overriding": "; "}


def detect_format(path: str | Path) -> str:
    path = Path(path)
    if path.is_dir():
        return "parquet"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Cannot tell the format of '{path}' from its extension '{path.suffix}'; "
            f"use one of {', '.join(sorted(FORMATS))} (or a folder of Parquet files)."
        )
    return fmt


class _LoneCarriageReturns:
    """A text file read with every carriage return that does not end a line turned into a space.

    In a file whose lines end in "\n" or "\r\n", a bare "\r" is a stray character inside a
    field (pasted from an old Mac or a web form); CSV readers take it for a line end and split the
    ticket in two, its second half read as a row of its own with shifted columns."""

    def __init__(self, handle):
        self._handle = handle

    def read(self, size: int = -1) -> str:
        text = self._handle.read(size)
        while text.endswith("\r"):  # a line end's "\n" may start the next block
            more = self._handle.read(1)
            if not more:
                break
            text += more
        return _LONE_CR.sub(" ", text)

    def close(self) -> None:
        self._handle.close()


_LONE_CR = re.compile(r"\r(?!\r*\n)")  # "\r\r\n" (a Windows csv.writer without newline="") is a line end


def _lines_end_in_line_feeds(path: Path, encoding: str) -> bool:
    """The header's line end holds a line feed ("\n", "\r\n", "\r\r\n"), so a carriage return
    anywhere else ends no line. Files whose lines end in bare carriage returns (Excel for Mac) are
    read as they are."""
    with open(path, encoding=encoding, newline="") as handle:
        head = handle.read(1 << 16)
    first_end = re.search(r"\r*\n|\r", head)
    return first_end is not None and "\n" in first_end.group()


def _csv_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    source: Path | _LoneCarriageReturns = path
    try:
        if _lines_end_in_line_feeds(path, encoding):  # one pass: replacing nothing costs little
            source = _LoneCarriageReturns(open(path, encoding=encoding, newline=""))  # noqa: SIM115
        with warnings.catch_warnings():
            # pandas reads a first row with more fields than the header as an index and shifts
            # every column; index_col=False turns that into a warning, made an error here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                source,
                sep=separator,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                chunksize=chunk_rows,
                encoding=encoding,
                index_col=False,
            )
            first = next(reader, None)
        with reader:
            if first is not None:
                yield first
            yield from reader
    except UnicodeDecodeError as exc:
        raise InputError(
            f"'{path}' is not valid {encoding} text (byte {exc.start}); re-save it as UTF-8 or pass --encoding, e.g. --encoding cp1252."
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"'{path}' is empty: expected a header line naming the columns.") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"'{path}' is not a well-formed CSV file: {exc}. Check the quoting around that line.") from None
    except pd.errors.ParserWarning:
        raise InputError(
            f"'{path}' is not a well-formed CSV file: its first data row has more fields than the header names. "
            "Quote fields that contain the separator, or add the missing column names to the header."
        ) from None
    finally:
        if not isinstance(source, Path):
            source.close()


def _jsonl_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    with open(path, encoding=encoding) as handle:
        first = handle.read(1)
        handle.seek(0)
        if first == "[":  # a plain JSON array of records
            try:
                records = json.load(handle)
            except json.JSONDecodeError as exc:
                raise InputError(f"'{path}' is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
            _check_records(records, path)
            columns = _all_keys(records)
            for start in range(0, len(records), chunk_rows):
                yield _records_frame(records[start : start + chunk_rows], columns)
            return
        # Records need not share their keys, but every chunk must have the same columns in the same
        # order (a CSV output has one header; a key first seen in a late chunk must not be dropped),
        # so a first pass collects every key.
        columns = _all_keys(record for _, record in json_lines(handle, path))
        handle.seek(0)
        batch: list[dict] = []
        for _, record in json_lines(handle, path):
            batch.append(record)
            if len(batch) == chunk_rows:
                yield _records_frame(batch, columns)
                batch = []
        if batch:
            yield _records_frame(batch, columns)


def _records_frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """A chunk of JSON records; a key none of them has is a column of None (type unknown), not of
    NaN (a number), so a later chunk's text values still fit a Parquet output."""
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in frame.columns[frame.isna().all()]:
        frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame


def _all_keys(records) -> list[str]:
    """Every key of the records, in the order each first appears."""
    keys: dict[str, None] = {}
    for record in records:
        if not keys.keys() >= record.keys():
            keys.update(dict.fromkeys(record))
    return list(keys)


def json_lines(handle, path: str | Path, expected: str = "one object per line") -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON Lines file; a line that is not a
    JSON object stops the read with its number."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"'{path}' line {number} is not valid JSON ({exc.msg}); fix or remove that line.") from None
        if not isinstance(record, dict):
            raise InputError(f"'{path}' line {number} is a JSON {type(record).__name__}; expected {expected}.")
        yield number, record


def _check_records(records: object, path: Path) -> None:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"'{path}' must hold a list of objects (one per ticket).")


def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise InputError(f"Folder '{path}' holds no .parquet files.")
        return files
    return [path]


def _parquet_schema(files: list[Path]):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schemas = [pq.read_schema(f) for f in files]
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read the Parquet file(s) at '{files[0]}': {exc}.") from None
    try:
        # A part whose column is all null has type null; "permissive" takes the other parts' type.
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"The Parquet parts of '{files[0].parent}' disagree on a column's type (schema): {exc}.") from None


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    schema = _parquet_schema(files)
    for file in files:
        parquet = pq.ParquetFile(file)
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            table = pa.Table.from_batches([batch])
            for field in schema:
                if field.name not in table.column_names:
                    table = table.append_column(field.name, pa.nulls(len(table), field.type))
            try:
                table = table.select(schema.names).cast(schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                raise InputError(f"'{file}' does not fit the schema of the other parts: {exc}.") from None
            yield table.to_pandas()


def count_rows(path: str | Path, exact: bool = False, encoding: str = "utf-8-sig") -> int | None:
    """Rows in the file, or None when not known.

    Parquet says in its metadata. CSV and JSON Lines are counted only when ``exact`` is given (a
    quick pass over the file, for a progress bar that shows the time left): CSV with Arrow's
    multi-threaded parser on the first column only, so quoted line breaks count right; JSON Lines
    by its non-blank lines. A file that pass cannot read gives None; reading it for real reports
    the problem.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return sum(pq.ParquetFile(f).metadata.num_rows for f in _parquet_files(path))
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise InputError(f"Cannot read the Parquet file(s) at '{path}': {exc}.") from None
    if not exact or not path.is_file():
        return None
    import csv

    import pyarrow as pa

    try:
        return _count_csv_rows(path, encoding) if fmt == "csv" else _count_json_lines(path)
    except (OSError, ValueError, csv.Error, pa.ArrowException):  # the bar then shows no total
        return None


def _count_csv_rows(path: Path, encoding: str) -> int:
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding=encoding, newline="") as handle:
        header = next(csv.reader(handle, delimiter=separator), None)
    if not header:
        return 0
    utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8" if utf8 else encoding, block_size=1 << 24, skip_rows=1, column_names=header),
        parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(include_columns=[header[0]], column_types={header[0]: pa.string()}),
    )
    return sum(batch.num_rows for batch in reader)


def _count_json_lines(path: Path) -> int | None:
    with open(path, "rb") as handle:
        start = handle.read(64).lstrip()
        if start.startswith((b"[", b"\xef\xbb\xbf[")):
            return None  # a JSON array is read whole anyway
        handle.seek(0)
        return sum(1 for line in handle if line.strip())


def read_chunks(path: str | Path, chunk_rows: int = 2000, encoding: str = "utf-8-sig") -> Iterator[pd.DataFrame]:
    """Yield the file's rows as DataFrames of at most ``chunk_rows`` rows, in file order."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Input '{path}' does not exist.")
    fmt = detect_format(path)
    if fmt == "csv":
        yield from _csv_chunks(path, chunk_rows, encoding)
    elif fmt == "jsonl":
        yield from _jsonl_chunks(path, chunk_rows, encoding)
    else:
        yield from _parquet_chunks(path, chunk_rows)


def read_table(path: str | Path, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """The whole file as one DataFrame (for small files; large ones go through ``read_chunks``)."""
    chunks = list(read_chunks(path, encoding=encoding))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def _flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column, separator in LIST_SEPARATORS.items():
        if column in out.columns:
            out[column] = [separator.join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in out[column]]
    return out


def output_format(path: str | Path) -> str:
    """The format an output path names by its extension ("csv", "jsonl" or "parquet")."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"Output '{path}' needs an extension that names its format: one of {', '.join(sorted(FORMATS))}.")
    return FORMATS[path.suffix.lower()]


def output_fragment(frame: pd.DataFrame, path: str | Path, header: bool):
    """What a scored chunk adds to the output at ``path``: text for CSV and JSON Lines (starting
    with the header line when ``header``), an Arrow table for Parquet."""
    if output_format(path) == "parquet":
        return arrow_fragment(frame)
    return text_fragment(frame, path, header)


def text_fragment(frame: pd.DataFrame, path: str | Path, header: bool) -> str:
    """The text a chunk adds to a CSV, TSV or JSON Lines output (``header``: with the header line)."""
    path = Path(path)
    if FORMATS[path.suffix.lower()] == "csv":
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        return _flatten_lists(frame).to_csv(index=False, header=header, sep=sep, lineterminator=os.linesep)
    if not len(frame):
        return ""
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    return text if text.endswith("\n") else text + "\n"


def arrow_fragment(frame: pd.DataFrame):
    """A chunk as the Arrow table a Parquet output stores."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _text_for_null(arrow_type):
    import pyarrow as pa

    if pa.types.is_null(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type):
        return pa.list_(_text_for_null(arrow_type.value_type))
    if pa.types.is_large_list(arrow_type):
        return pa.large_list(_text_for_null(arrow_type.value_type))
    return arrow_type


class CommitsOnSuccess:
    """A writer used as a context manager: ``close()`` when the block succeeds, ``abort()`` when
    it raises, so the target is either complete or untouched."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class TableWriter(CommitsOnSuccess):
    """Writes chunks to a temporary file next to the target and renames it into place on success,
    so a reader never sees a half-written output and a failed run leaves the old file untouched.

    ``write`` takes a scored chunk; ``fragment`` and ``write_fragment`` split that in two, so a
    resumable run can keep each chunk's bytes on disk and put them together later into exactly
    the file one pass would have written."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.format = output_format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
        os.close(handle)
        self.temp = Path(temp)
        self.rows = 0
        self._handle = None
        self._parquet = None
        self._schema = None

    def fragment(self, frame: pd.DataFrame, header: bool | None = None):
        """What ``frame`` adds to this output: text for CSV and JSON Lines (the header line when
        ``header``, by default when nothing was written yet), an Arrow table for Parquet."""
        return output_fragment(frame, self.path, header=self.rows == 0 if header is None else header)

    def write(self, frame: pd.DataFrame) -> None:
        self.write_fragment(self.fragment(frame), len(frame))

    def write_fragment(self, fragment, rows: int) -> None:
        """Append a fragment made by :meth:`fragment` (or read back from disk) holding ``rows`` rows."""
        if self.format == "parquet":
            self._write_parquet(fragment)
        else:
            if self._handle is None:  # stays open from chunk to chunk; close() or abort() closes it
                self._handle = open(self.temp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._handle.write(fragment)
        self.rows += rows

    def _write_parquet(self, table) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            # A column whose type the first chunk cannot tell (all None, or lists that are all empty)
            # is written as text, so later chunks that have values fit. Typed columns keep their type.
            self._schema = pa.schema([field.with_type(_text_for_null(field.type)) for field in table.schema])
            self._parquet = pq.ParquetWriter(self.temp, self._schema)
        try:
            table = table.select(self._schema.names).cast(self._schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, KeyError) as exc:
            raise InputError(f"A later chunk of the input does not fit the first chunk's column types: {exc}.") from None
        self._parquet.write_table(table)

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._handle is not None:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), self.temp)
        publish(self.temp, self.path)

    def abort(self) -> None:
        """Drop the partial output; the target path is left as it was."""
        for resource in (self._handle, self._parquet):
            if resource is not None:
                with contextlib.suppress(Exception):  # closing a broken writer must not hide the original error
                    resource.close()
        self.temp.unlink(missing_ok=True)


def sibling_path(path: Path, tag: str, suffix: str | None = None) -> Path:
    """A file beside ``path`` named after it: ``tickets.csv`` -> ``tickets.TAG.csv`` (or ``SUFFIX``
    in place of ``.csv``); a folder's whole name is kept: ``exports/`` -> ``exports.TAG SUFFIX``."""
    stem = path.name if path.is_dir() else path.stem
    return path.with_name(f"{stem}.{tag}{path.suffix if suffix is None else suffix}")


def publish(temp: str | Path, path: str | Path, mode: int = 0o666) -> None:
    """Rename a finished temporary file (or folder: ``mode=0o777``) to ``path``, with the
    permissions a plain new file would get: mkstemp and mkdtemp create owner-only ones."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, mode & ~umask)
    os.replace(temp, path)


def write_atomically(path: str | Path, data: str | bytes, durable: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to a temporary file next to ``path`` and rename it into place,
    so a reader never sees half a file and a failure leaves the old one untouched. ``durable``:
    flush it to disk before the rename, so it survives a crash of the machine, not just the process."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        publish(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
