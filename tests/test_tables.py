import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from triage.errors import InputError
from triage.tables import (
    TableWriter,
    count_rows,
    detect_format,
    output_fragment,
    read_chunks,
    read_table,
)


def test_csv_cells_are_read_as_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,description,ltv\n007,NA,\n2,None,\"$1,200.00\"\n3,null,5\n", encoding="utf-8")
    frame = read_table(path)
    assert frame["ticket_id"].tolist() == ["007", "2", "3"]
    assert frame["description"].tolist() == ["NA", "None", "null"]
    assert frame["ltv"].tolist() == ["", "$1,200.00", "5"]


def test_csv_with_byte_order_mark(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfticket_id,description\n1,Hi\n")
    assert list(read_table(path).columns) == ["ticket_id", "description"]


def test_quoted_multiline_csv_field_stays_one_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'ticket_id,description\r\n1,"Line one\r\nline two, with a comma"\r\n2,Short\r\n')
    frame = read_table(path)
    assert len(frame) == 2
    assert frame["description"][0] == "Line one\r\nline two, with a comma"


def test_chunks_keep_order(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"ticket_id": [str(i) for i in range(25)], "text": "x"}).to_csv(path, index=False)
    chunks = list(read_chunks(path, chunk_rows=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert pd.concat(chunks)["ticket_id"].tolist() == [str(i) for i in range(25)]


def test_jsonl_and_json_array(tmp_path):
    lines = tmp_path / "t.jsonl"
    lines.write_text('{"ticket_id": 1, "text": "a"}\n\n{"ticket_id": "002", "text": "b"}\n', encoding="utf-8")
    assert read_table(lines)["ticket_id"].tolist() == [1, "002"]
    array = tmp_path / "t.json"
    array.write_text(json.dumps([{"ticket_id": "9", "text": "c"}]), encoding="utf-8")
    assert read_table(array)["text"].tolist() == ["c"]


def test_bad_json_line_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2 is not valid JSON"):
        read_table(path)


def test_parquet_folder_whose_first_part_has_an_all_null_column(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    pq.write_table(pa.table({"ticket_id": [1, 2], "description": ["x", "y"], "tags": pa.nulls(2)}), folder / "a.parquet")
    pq.write_table(pa.table({"ticket_id": [3], "description": ["z"], "tags": ["vip"]}), folder / "b.parquet")
    frame = read_table(folder)
    assert frame["ticket_id"].tolist() == [1, 2, 3]
    assert frame["tags"].tolist()[2] == "vip"
    assert count_rows(folder) == 3


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="Cannot tell the format"):
        detect_format(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "absent.csv")


def test_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("text\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid utf-8-sig text"):
        read_table(path)
    assert read_table(path, encoding="latin-1")["text"][0] == "café"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_writer_round_trips_and_flattens_lists_only_for_csv(tmp_path, suffix):
    frame = pd.DataFrame({"ticket_id": ["1", "2"], "categories": [["legal", "billing"], []], "tier": [4, 1]})
    out = tmp_path / f"out{suffix}"
    with TableWriter(out) as writer:
        writer.write(frame.iloc[:1])
        writer.write(frame.iloc[1:])
    back = read_table(out)
    assert back["ticket_id"].astype(str).tolist() == ["1", "2"]
    first = back["categories"][0]
    if suffix == ".csv":
        assert first == "legal; billing"
    else:
        assert list(first) == ["legal", "billing"]
    assert not list(tmp_path.glob(".*partial"))


def test_failed_write_leaves_no_output_and_keeps_an_old_file(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), TableWriter(out) as writer:
        writer.write(pd.DataFrame({"a": [1]}))
        raise RuntimeError("scoring failed")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert not list(tmp_path.glob(".*partial"))


def test_first_row_with_extra_fields_is_an_error_not_a_shift(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,text\n1,a,b,c\n2,hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="first data row has more fields than the header"):
        read_table(path)
    path.write_text("ticket_id,text\n1,ok\n2,a,b,c\n", encoding="utf-8")
    with pytest.raises(InputError, match="Expected 2 fields in line 3, saw 4"):
        read_table(path)


def test_damaged_parquet_is_a_clear_error(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="Cannot read the Parquet file"):
        read_table(path)


def test_exact_row_counts_for_the_progress_bar(tmp_path):
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes(b'\xef\xbb\xbfticket_id,description\r\n1,"two\r\nlines, one row"\r\n\r\n2,b\r\n3,c\r\n')
    assert count_rows(csv_path) is None  # not counted unless asked
    assert count_rows(csv_path, exact=True) == len(read_table(csv_path)) == 3
    tsv = tmp_path / "t.tsv"
    tsv.write_text("id\ttext\n1\ta\n2\tb\n", encoding="utf-8")
    assert count_rows(tsv, exact=True) == 2
    lines = tmp_path / "t.jsonl"
    lines.write_text('{"text": "a"}\n\n{"text": "b"}\n  \n', encoding="utf-8")
    assert count_rows(lines, exact=True) == 2
    array = tmp_path / "t.json"
    array.write_text('[{"text": "a"}]', encoding="utf-8")
    assert count_rows(array, exact=True) is None
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text\ncaf\xe9\n".encode("latin-1"))
    assert count_rows(latin, exact=True) is None  # reading it for real says what is wrong


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_fragments_kept_apart_make_the_same_file(tmp_path, suffix):
    """What a resumable run keeps per chunk, written later, gives the bytes of one pass."""
    import pyarrow as pa

    frame = pd.DataFrame(
        {"ticket_id": ["007", "2", "3"], "categories": [["legal"], [], ["billing", "bug"]], "tier": [4, 1, 2], "note": [None, None, "x"]}
    )
    one_pass = tmp_path / f"one{suffix}"
    with TableWriter(one_pass) as writer:
        writer.write(frame.iloc[:2])  # the first chunk's "note" is all null
        writer.write(frame.iloc[2:])
    kept = []
    for position, part in enumerate((frame.iloc[:2], frame.iloc[2:])):
        fragment = output_fragment(part, one_pass, header=position == 0)
        if suffix == ".parquet":  # kept on disk as an Arrow IPC file
            sink = pa.BufferOutputStream()
            with pa.ipc.new_file(sink, fragment.schema) as ipc:
                ipc.write_table(fragment)
            fragment = pa.ipc.open_file(pa.BufferReader(sink.getvalue())).read_all()
        kept.append((fragment, len(part)))
    later = tmp_path / f"later{suffix}"
    with TableWriter(later) as writer:
        for fragment, rows in kept:
            writer.write_fragment(fragment, rows)
    assert later.read_bytes() == one_pass.read_bytes()
    assert read_table(later)["ticket_id"].astype(str).tolist() == ["007", "2", "3"]


@pytest.mark.parametrize("array", [False, True])
def test_json_records_with_different_keys_give_every_chunk_every_column(tmp_path, array):
    records = [{"ticket_id": "1", "text": "a"}, {"ticket_id": "2", "text": "b", "plan": "gold"}, {"region": "eu", "ticket_id": "3", "text": "c"}]
    path = tmp_path / ("t.json" if array else "t.jsonl")
    path.write_text(json.dumps(records) if array else "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    chunks = list(read_chunks(path, chunk_rows=1))
    assert [list(c.columns) for c in chunks] == [["ticket_id", "text", "plan", "region"]] * 3
    joined = pd.concat(chunks, ignore_index=True)
    assert joined["plan"].tolist()[1] == "gold" and joined["region"].tolist()[2] == "eu"


def test_parquet_columns_empty_in_the_first_chunk_take_later_values(tmp_path):
    # Lists that are all empty in the first chunk infer as list<null>, missing values as null or NaN.
    out = tmp_path / "out.parquet"
    with TableWriter(out) as writer:
        writer.write(pd.DataFrame({"id": ["1"], "actions": [[]], "note": [None], "revenue": [float("nan")]}))
        writer.write(pd.DataFrame({"id": ["2"], "actions": [["notify manager"]], "note": ["hi"], "revenue": [5000.0]}))
    table = pq.read_table(out)
    assert table.column("actions").to_pylist() == [[], ["notify manager"]]
    assert table.column("note").to_pylist() == [None, "hi"]
    # A typed column keeps its type even when the first chunk has no value in it.
    assert table.schema.field("revenue").type == pa.float64() and table.column("revenue").to_pylist() == [None, 5000.0]


def test_json_keys_missing_from_a_whole_chunk_still_take_text_later(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"ticket_id": "1", "text": "a"}\n{"ticket_id": "2", "text": "b", "plan": "gold"}\n', encoding="utf-8")
    out = tmp_path / "out.parquet"
    with TableWriter(out) as writer:
        for chunk in read_chunks(path, chunk_rows=1):
            writer.write(chunk)
    assert pq.read_table(out).column("plan").to_pylist() == [None, "gold"]


def test_a_lone_carriage_return_inside_a_field_does_not_split_the_row(tmp_path):
    # Real exports (customer_support_twitter) hold stray "\r" in unquoted text; read as a line end it
    # would make two rows with shifted columns out of one ticket.
    path = tmp_path / "export.csv"
    path.write_bytes(b'ticket_id,text,contact_count\n1,first half\rsecond half,1\n2,"quoted\r\nbreak",2\n')
    table = read_table(path)
    assert table.to_dict("records") == [
        {"ticket_id": "1", "text": "first half second half", "contact_count": "1"},
        {"ticket_id": "2", "text": "quoted\r\nbreak", "contact_count": "2"},
    ]
    classic_mac = tmp_path / "mac.csv"  # no line feeds at all: carriage returns end the lines
    classic_mac.write_bytes(b"ticket_id,text\r1,one\r2,two\r")
    assert read_table(classic_mac)["text"].tolist() == ["one", "two"]
    excel_mac = tmp_path / "excel_mac.csv"  # carriage returns end the lines, a line feed inside a quoted cell
    excel_mac.write_bytes(b'ticket_id,text\r1,"line one\nline two"\r2,plain\r')
    assert read_table(excel_mac)["text"].tolist() == ["line one\nline two", "plain"]
    doubled = tmp_path / "doubled.csv"  # Python's csv.writer on Windows without newline="" ends lines in \r\r\n
    doubled.write_bytes(b"ticket_id,subject,text\r\r\n1,Login,I cannot log in\r\r\n")
    assert read_table(doubled).to_dict("records") == [{"ticket_id": "1", "subject": "Login", "text": "I cannot log in"}]


def test_a_lone_carriage_return_on_a_block_boundary_is_found(tmp_path):
    row = b"1," + b"a" * 90 + b",1\n"
    data = bytearray(b"ticket_id,text,n\n" + row * 12_000)
    data[(1 << 20) - 1] = ord("\r")  # inside a text cell, the last character of the first 1 MiB block
    path = tmp_path / "big.csv"
    path.write_bytes(bytes(data))
    assert len(read_table(path)) == 12_000
