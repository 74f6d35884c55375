"""The Spark recipe in local mode (`local[2]`): shard indexes built on the executors and merged
in a tree equal `cannery index` of the same rows byte for byte, and the rows scored with
mapInPandas equal `cannery score`'s byte for byte. On the real corpus when ../shared is present,
on the sample archive otherwise. Skipped without PySpark unless CANNERY_REQUIRE_SPARK=1 (as
.ci/run sets it)."""

import json
import os
import struct
import sys

import pytest

import cannery
from conftest import SHARED, SAMPLE, run_cli

if os.environ.get("CANNERY_REQUIRE_SPARK") != "1":
    pytest.importorskip("pyspark", reason="PySpark is not installed: the Spark tests are skipped")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from cannery import spark as cs  # noqa: E402


@pytest.fixture(scope="module")
def session():
    # The executors' Python is this one (which has cannery installed).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("cannery-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # Small input splits, so that even the sample archive makes several shards.
        .config("spark.sql.files.maxPartitionBytes", "1m")
        .config("spark.sql.files.openCostInBytes", "0")
        .getOrCreate()
    )
    yield spark
    spark.stop()


@pytest.fixture(scope="module")
def archive():
    path = SHARED / "replies.jsonl"
    if not path.is_file():
        print(f"the real corpus is absent ({path}): the Spark tests run on {SAMPLE}")
        path = SAMPLE
    return path


def frame(session, path):
    schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in ("id", "brand", "text", "in_reply_to_text")]
    )
    return session.read.schema(schema).json(str(path))


def test_shards_merged_in_a_tree_equal_cannery_index(session, archive, cli, tmp_path):
    df = frame(session, archive)
    if archive != SAMPLE:
        assert df.rdd.getNumPartitions() >= 3, "the corpus should split into several shards"
    shards = cs.build_shards(df, str(tmp_path / "shards"))
    assert shards == sorted(shards) and len(shards) == df.rdd.getNumPartitions()
    merged = cs.merge_tree(shards, str(tmp_path / "merged.cannery"), spark=session)
    whole = tmp_path / "whole.cannery"
    run_cli(cli, "index", "--corpus", archive, "--output", whole, "--quiet")
    assert open(merged, "rb").read() == whole.read_bytes()
    # The chain of `cannery merge` gives the same bytes.
    chained = tmp_path / "chained.cannery"
    run_cli(cli, "merge", "--output", chained, *shards)
    assert chained.read_bytes() == whole.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["chained.cannery", "merged.cannery", "shards", "whole.cannery"]


@pytest.mark.parametrize("ship", [False, True])
def test_scores_equal_cannery_score(session, archive, cli, tmp_path, ship):
    index = tmp_path / "archive.cannery"
    run_cli(cli, "index", "--corpus", archive, "--output", index, "--quiet")
    out = tmp_path / "scores.jsonl"
    run_cli(cli, "score", "--index", index, "--input", archive, "--exclude-self",
            "--scope-by-group", "--output", out, "--quiet")
    expected = {}
    for line in out.read_text().splitlines():
        row = json.loads(line)
        expected[row["id"]] = row
    scored = cs.score(frame(session, archive), str(index), message="in_reply_to_text", id="id",
                      group="brand", exclude_self=True, ship=ship)
    rows = scored.select("id", "canned", "personalisation", "verdict", "template", "nearest_id",
                         "left_out", "language", "error").collect()
    assert len(rows) == len(expected)
    bits = lambda x: struct.pack("<d", x)  # noqa: E731
    for row in rows:
        want = expected[row["id"]]
        assert row["error"] is None
        assert bits(row["canned"]) == bits(want["canned"]), row["id"]
        assert bits(row["personalisation"]) == bits(want["personalisation"]), row["id"]
        assert (row["verdict"], row["template"], row["nearest_id"], row["left_out"], row["language"]) == (
            want["verdict"], want["template"], want["nearest_id"], want["left_out"], want["language"])


def test_bad_input_is_a_clear_error(session, archive, tmp_path):
    df = frame(session, archive)
    with pytest.raises(cannery.CanneryError, match="no column 'body'"):
        cs.score(df, str(tmp_path / "none.cannery"), text="body")
    with pytest.raises(cannery.CanneryError, match="no index file"):
        cs.score(df, str(tmp_path / "none.cannery"))
    with pytest.raises(cannery.CanneryError, match="already has columns named as cannery's output: verdict"):
        cs.score(df.withColumnRenamed("brand", "verdict"), str(archive))
    with pytest.raises(cannery.CanneryError, match="at least one shard"):
        cs.merge_tree([], str(tmp_path / "x.cannery"))
    # A row with no text fails the build with cannery's message naming it.
    broken = df.limit(3).union(session.createDataFrame([("x", None, None, None)], df.schema))
    with pytest.raises(Exception, match=r'has no text \(field "text"\)'):
        cs.build_shards(broken.coalesce(1), str(tmp_path / "broken"))


def test_score_keeps_error_rows(session, tmp_path):
    index = tmp_path / "stock.cannery"
    cannery.Index.stock().save(index)
    df = session.createDataFrame(
        [("a", "Thank you for your message. You can find our policies by clicking this link."), ("b", None)],
        "id string, text string",
    )
    rows = {r["id"]: r for r in cs.score(df, str(index)).collect()}
    assert rows["a"]["verdict"] == "canned" and rows["a"]["spans"][0][0] == 0
    assert rows["b"]["error"] == "no text (text is missing)" and rows["b"]["verdict"] is None
