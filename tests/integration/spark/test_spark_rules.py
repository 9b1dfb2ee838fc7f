"""The Spark job's per-line rules against DuckDB itself, and the job's portability to EMR."""

from __future__ import annotations

import ast
import json
import random
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from taxiway.events import contract
from taxiway.jobs import event_rules

JOBS = Path(event_rules.__file__).parent
CONTRACT = "taxiway.events.contract"
#: the taxiway modules the job may import: all ship in its --py-files zip (jobs/bundle.py)
ALLOWED_OWN = (
    "taxiway.jobs",
    "taxiway.jobs.spark_core",
    CONTRACT,
    "taxiway.errors",
    "taxiway.lake",
    "taxiway.lake.contract",
    "taxiway.lake.lock",
    "taxiway.lake.s3api",
)
EMR_PYTHON = Path("/root/.pyenv/versions/3.9.18/bin/python")  # EMR 7 runs Python 3.9

TIMESTAMPS = [
    # what DuckDB's cast also takes (found by comparing it with random mutations)
    "2026-11-23T05:",
    "2026-11-23 5:",
    "2026-11-23T005:10",
    "2026-11-23T0000000005:10",
    "2026-11-23T000024:00",
    "2026-11-23T010:00Z",
    "2026-11-23T123:00",
    "2026-11-23T25:00",
    "2026-11-23T05:10:",
    "2026-11-23T05:10:Z",
    "2026-11-23T05:Z",
    "2026-11-23T05:+01",
    "2026-11-23T05:10:+01:00",
    "2026-11-23T05:-0130",
    "2026-11-23T05: Europe/Berlin",
    "2026-11-23T05:10: UTC",
    "2026-11-23T05:10: ",
    "2026-11-23  05:10",
    "2026-11-23T 05:10",
    "2026-11-23T\t05:10",
    "2026-11-23T05::00",
    "2026-11-23T05:10:.5",
    "2026-11-23T05:10:05.Z",
    "2026-11-23T05:10: Z",
    "2026-11-23T05:10: +01",
    "2026-11-23T05:UTC",
    "2026-11-23T05 :10",
    "2026-11-23T05:10:00.5:",
    "2026-11-23T" + "0" * 5000 + "5:10",
    "2026-11-23T0000000024:00",
    "2026-11-23T00000000005:00",
    "2026-11-23T05:10+2301:00",
    "2026-11-23T05:10:00\n",
    "2026-11-23T05:10:00 \n",
    "2026-11-23T05:10:00Z\n",
    "2026-11-23T05:10:00+01:00 \r",
    "2026-11-23T05:10:00 Europe/berlin\n",
    "2026-11-23T05:10:00\t",
    "2026-11-23T05:10:00 europe/BERLIN",
    "2026-11-23T\u0660\u0665:10:00",
    "2026-11-23T05:10+230100",
    "2026-11-23T05:10+23:01:00",
    "2026-11-23T05:10-23:0130",
    "2026-11-23T05:10:00Z",
    "2026-11-23T05:10:00.123Z",
    "2026-11-23T05:10:00.123456789Z",
    "2026-11-23T05:10:00.9999995Z",
    "2026-11-23T05:10:00.Z",
    "2026-11-23T05:10:00,5Z",
    "2026-11-23T05:10:00+01:00",
    "2026-11-23T05:10:00+0100",
    "2026-11-23T05:10:00+01",
    "2026-11-23T05:10:00+1",
    "2026-11-23T05:10:00-05",
    "2026-11-23T05:10:00-0530",
    "2026-11-23T05:10:00+01:00:30",
    "2026-11-23T05:10:00+99:99",
    "2026-11-23T05:10:00 +01:00",
    "2026-11-23T05:10:00+01:00Z",
    "2026-11-23T05:10:00",
    "2026-11-23 05:10:00",
    "2026-11-23T05:10Z",
    "2026-11-23T05Z",
    "2026-11-23T5:10:00Z",
    "2026-11-23T05:1:00Z",
    "2026-11-23t05:10:00z",
    "2026-11-23T05:10:00 UTC",
    "2026-11-23T05:10:00 utc",
    "2026-11-23T05:10:00UTC",
    "2026-11-23T05:10:00 Z",
    "2026-11-23T05:10:00 CET",
    "2026-11-23T05:10:00 Europe/Berlin",
    "2026-03-29T02:30:00 Europe/Berlin",
    "2026-10-25T02:30:00 Europe/Berlin",
    "2026-11-23T05:10:00 Nowhere/City",
    "2026-11-23T05:10:00Z ",
    " 2026-11-23T05:10:00Z",
    "2026-11-23T05:10:00\n",
    "2026-11-23T24:00:00Z",
    "2026-11-23T24:30:00Z",
    "2026-11-23T05:60:00Z",
    "2026-11-23T05:10:60Z",
    "2026-02-30T10:00:00Z",
    "2024-02-29T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "12026-11-23T05:10:00Z",
    "2026-1-23T05:10:00Z",
    "1700000000",
    "yesterday",
]

DECIMALS = [
    "12.5", "12.34565", "-12.34565", "12.34575", " 12.5", "12.5 ", "1e2", "1E-2", "+3", ".5",
    "5.", "-0", "1_000", "1__0", "1_", "NaN", "Infinity", "1,5", "0x10", "", "12.5abc",
    "99999999999999.9999", "99999999999999.99995", "100000000000000", "1e100", "1e-100",
    "\u0661\u0662", "\uff11\uff12", "\u00a012.5", "12.5\u2003", "\t12.5\n", "\x0b12.5\x0c",
]  # fmt: skip

JSON_VALUES = [
    "12.5", "1e2", "1E+2", "100", "-5", "0", "18446744073709551615", "18446744073709551616",
    "-9223372036854775808", "-9223372036854775809", "true", "false", "1e16", "1e15",
    "1.5e-7", "0.30000000000000004", "5e-324", "1.7976931348623157e308", "NaN", "-Infinity",
    '"caf\\u00e9\\/"', '{"x": 1, "y": "caf\\u00e9", "z": [1, 2.50, null]}', "[1e2, 100]",
    "{}", "[]", '"x\\ny"',
    # what DuckDB's reader takes beyond JSON: NaN and infinities in any case, trailing commas
    "nan", "-NaN", "INF", "-inf", "infinity", "-Infinity", '[1, nan, "inf",]',
    '{"x": -inf, "y": [1, 2,], }', '{"s": "a,}", "t": "nan",}',
    # a nested object keeps every pair of a repeated key in its text
    '{"k": 1, "k": 2, "n": {"a": [1, {"b": 1.5e-7, "b": "x"}]}}', '[{"k": [], "k": {}}]',
]  # fmt: skip

#: whole lines: DuckDB's `json_valid` and the rules' parser must agree on every one
DOCUMENTS = [
    # a lone surrogate is invalid anywhere: in a key, in a dropped duplicate, in an array
    '{"a":1,"a":"\\ud800"}', '{"\\ud800":1}', '{"a":["\\udc00"],}', '{"a":"\\\\ud800"}',
    '{"a":"\\ud83d\\ude00"}',
    '{"a":1,}', '{"a":1 ,\t}', '{"a":[1,2,],}', '{"a":{"b":1,},}', '{,}', '{"a":[,]}',
    '{"a":[1,,]}', '{"a":1,,}', '[1,]', '{"a":"x,}"}', '{"a":"x",}', '{"a":+nan}',
    '{"a":+inf}', '{"a":Infinit}', '{"a":nana}', '{"a":infx}', '{"a":1nan}', '{"a":-nan}',
    '{"a":NAN, "b":Inf}', '{"a":"\\"nan\\","}', '{"a":1}', '{"a":1e400}', '{"a":.5}',
    '{"a":1}x', '{"a":tru}', '{"a":1,}}', '{"a":"\\",}"}',
]  # fmt: skip


def _duck() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


@pytest.mark.parametrize("text", TIMESTAMPS)
def test_timestamps_parse_like_duckdb(text: str) -> None:
    (expected,) = (
        _duck()
        .execute(
            """SELECT CASE WHEN substr(?, 11, 1) IN ('T', ' ')
        THEN timezone('UTC', try_cast(? AS TIMESTAMPTZ)) END""",
            [text, text],
        )
        .fetchone()
    )  # type: ignore[misc]
    assert event_rules.parse_ts(text) == expected


def test_decimals_cast_like_duckdb() -> None:
    con = _duck()
    for text in DECIMALS:
        (expected,) = con.execute("SELECT try_cast(? AS DECIMAL(18,4))", [text]).fetchone()  # type: ignore[misc]
        assert event_rules.to_decimal(text) == expected, text


def test_json_types_and_texts_like_duckdb() -> None:
    con = _duck()
    for value in JSON_VALUES:
        doc = f'{{"a": {value}}}'
        types, text = con.execute(
            """SELECT json_type(?, ['$.a']), json_transform(?, '{"a": "VARCHAR"}').a""",
            [doc, doc],
        ).fetchone()  # type: ignore[misc]
        ok, parsed = event_rules.parse_json(doc)
        assert ok and event_rules.json_type(parsed["a"]) == types[0], value
        assert event_rules.json_text(parsed["a"]) == text, value


def test_doubles_inside_objects_are_written_like_duckdb() -> None:
    """DuckDB writes a nested double its own way (``1.5e-7``, ``10000000000000000.0``), not
    as Python's ``repr``: every magnitude and random bit patterns, at the top and nested."""
    rng = random.Random(7)
    values = ["1e16", "1e15", "1.5e-7", "1e-5", "1e-6", "1e-7", "1e21", "1e20", "5e-324",
              "1.7976931348623157e308", "-2.5e-9", "4.35e+17", "123456789012345678901234.5"]  # fmt: skip
    for _ in range(1000):
        values.append(repr(rng.random() * 10.0 ** rng.randint(-30, 30)))
        bits = struct.unpack("d", struct.pack("Q", rng.getrandbits(63)))[0]
        values.append(repr(bits))
    docs = [f'{{"a": {v}, "p": {{"x": [{v}, 1]}}}}' for v in values if v not in ("nan", "inf")]
    got = _duck().execute(
        """SELECT d, json_type(d, '$.a'), json_transform(d, '{"a": "VARCHAR", "p": "VARCHAR"}')
        FROM unnest(?) t(d)""",
        [docs],
    )
    for doc, duck_type, duck in got.fetchall():
        ok, parsed = event_rules.parse_json(doc)
        assert ok, doc
        mine = (event_rules.json_type(parsed["a"]), event_rules.json_text(parsed["a"]))
        assert mine == (duck_type, duck["a"]), doc
        assert event_rules.json_text(parsed["p"]) == duck["p"], doc


def test_json_documents_are_valid_exactly_when_duckdb_says_so() -> None:
    con = _duck()
    for doc in DOCUMENTS:
        (valid,) = con.execute("SELECT json_valid(?)", [doc]).fetchone()  # type: ignore[misc]
        assert event_rules.parse_json(doc)[0] == valid, doc


def test_the_job_uses_the_one_contract() -> None:
    assert event_rules.FIELDS is contract.FIELDS  # imported, not copied
    assert event_rules.REQUIRED is contract.REQUIRED
    assert event_rules.EVENT_TYPES is contract.EVENT_TYPES
    assert tuple(n for n, _ in contract.CURATED_COLUMNS) == event_rules.CURATED_NAMES
    reasons = {r for r in contract.REASONS}
    source = (JOBS / "event_rules.py").read_text()
    assert all(f'"{r}"' in source for r in reasons), "every reason code is produced"


def test_jobs_import_only_stdlib_pyspark_and_themselves() -> None:
    allowed = set(sys.stdlib_module_names) | {"pyspark", "taxiway"}
    for path in sorted(JOBS.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                assert mod.split(".")[0] in allowed, f"{path.name} imports `{mod}`"
                if mod.startswith("taxiway"):
                    assert mod in ALLOWED_OWN, (path.name, mod)
    tree = ast.parse(Path(contract.__file__).read_text())  # shipped in the zip too
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in imports), (
        "the contract imports nothing: it ships in the job's zip"
    )
    # the curate contract, the lock and the errors ship too: stdlib and each other only
    from taxiway import errors
    from taxiway.lake import contract as lake_contract
    from taxiway.lake import lock, s3api

    for module in (lake_contract, lock, s3api, errors):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            for mod in mods:
                ok = mod.split(".")[0] in sys.stdlib_module_names or mod in ALLOWED_OWN
                ok = ok or (mod == "typing_extensions" and module is lock)  # TYPE_CHECKING only
                assert ok, f"{module.__name__} imports `{mod}`"


def test_rules_run_on_the_python_of_emr() -> None:
    if not EMR_PYTHON.exists():
        pytest.fail(f"`{EMR_PYTHON}` is missing: install it with `pyenv install 3.9.18`.")
    script = f"""
import sys, json, datetime
sys.path.insert(0, {str(JOBS.parent.parent)!r})
import glob
for f in glob.glob({str(JOBS)!r} + '/*.py') + [{contract.__file__!r}]:
    compile(open(f).read(), f, 'exec')  # a SyntaxError here: not Python 3.9
from taxiway.jobs import event_rules as r, spark_core, curate_spark, bundle  # no pyspark here
hour = datetime.datetime(2026, 11, 23, 5)
data = b'{{"event_id":"a","event_type":"click","event_ts":"2026-11-23T05:00:00+01:00",' \\
    b'"anonymous_id":"x","revenue":"1.5"}}\\n[1]\\n' \\
    b'{{"event_id":"b","event_type":"click","event_ts":"2026-11-23T07:00:01Z","anonymous_id":"x"}}\\n'
out = [row[-3:] if row[-3] else (row[0], str(row[2]), str(row[12])) for row in
       r.classify_file("f.json", hour, data, 7)]
print(json.dumps(out))
"""
    done = subprocess.run(
        [str(EMR_PYTHON), "-I", "-B", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        ["a", "2026-11-23 04:00:00", "1.5000"],
        ["malformed-json", "JSON value is not an object", "[1]"],
        [
            "future-timestamp",
            "event_ts `2026-11-23T07:00:01Z` is more than 1 hour(s) after its landing hour ends",
            '{"event_id":"b","event_type":"click","event_ts":"2026-11-23T07:00:01Z",'
            '"anonymous_id":"x"}',
        ],
    ]
