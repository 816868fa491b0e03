"""Read ticket exports in chunks and write scored files atomically.

Formats follow the file's extension: CSV (``.csv``, ``.tsv``), JSON Lines (``.jsonl``, ``.ndjson``,
``.json``) and Parquet (``.parquet``, ``.pq``, or a folder of Parquet parts). CSV cells are read as
text exactly as written ("NA" stays "NA", ids keep their leading zeros); values are parsed later.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

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


def _csv_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with warnings.catch_warnings():
            # pandas reads a first row with more fields than the header as an index and shifts
            # every column; index_col=False turns that into a warning, made an error here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                path,
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
            for start in range(0, len(records), chunk_rows):
                yield pd.DataFrame.from_records(records[start : start + chunk_rows])
            return
        batch: list[dict] = []
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"'{path}' line {number} is not valid JSON ({exc.msg}); fix or remove that line.") from None
            if not isinstance(record, dict):
                raise InputError(f"'{path}' line {number} is a JSON {type(record).__name__}; expected one object per line.")
            batch.append(record)
            if len(batch) == chunk_rows:
                yield pd.DataFrame.from_records(batch)
                batch = []
        if batch:
            yield pd.DataFrame.from_records(batch)


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


def count_rows(path: str | Path) -> int | None:
    """Rows in the file when that is cheap to know (Parquet metadata), else None."""
    path = Path(path)
    if detect_format(path) != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in _parquet_files(path))
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"Cannot read the Parquet file(s) at '{path}': {exc}.") from None


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


class TableWriter:
    """Writes chunks to a temporary file next to the target and renames it into place on success,
    so a reader never sees a half-written output and a failed run leaves the old file untouched."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.suffix.lower() not in FORMATS:
            raise InputError(f"Output '{self.path}' needs an extension that names its format: one of {', '.join(sorted(FORMATS))}.")
        self.format = FORMATS[self.path.suffix.lower()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
        os.close(handle)
        self.temp = Path(temp)
        self.rows = 0
        self._handle = None
        self._parquet = None
        self._schema = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.format == "csv":
            if self._handle is None:
                self._handle = open(self.temp, "w", encoding="utf-8", newline="")
            sep = "\t" if self.path.suffix.lower() == ".tsv" else ","
            _flatten_lists(frame).to_csv(self._handle, index=False, header=self.rows == 0, sep=sep)
        elif self.format == "jsonl":
            if self._handle is None:
                self._handle = open(self.temp, "w", encoding="utf-8")
            if len(frame):
                text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
                self._handle.write(text if text.endswith("\n") else text + "\n")
        else:
            self._write_parquet(frame)
        self.rows += len(frame)

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._parquet is None:
            # A column that is all null in the first chunk is written as text, so later chunks fit.
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            self._schema = pa.schema(fields)
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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temp, 0o666 & ~umask)  # mkstemp creates owner-only files
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        """Drop the partial output; the target path is left as it was."""
        for resource in (self._handle, self._parquet):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # closing a broken writer must not hide the original error
                    pass
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
