"""On the real corpus (skipped, saying why, without ../shared): the Python index and scores equal
the `cannery` command's on the same rows, byte for byte."""

import json
import struct

import pandas as pd
import pytest

import cannery
from conftest import run_cli


def bits(x):
    """The eight bytes of a float, to compare scores byte for byte."""
    return struct.pack("<d", x)


@pytest.fixture(scope="module")
def corpus(replies_path):
    return pd.read_json(replies_path, lines=True, dtype={"id": str})


def test_index_equals_the_commands(corpus, replies_path, cli, tmp_path):
    path = tmp_path / "cli.cannery"
    run_cli(cli, "index", "--corpus", replies_path, "--output", path, "--quiet")
    index = cannery.Index(corpus, threads=2)
    assert index.to_bytes() == path.read_bytes()


def test_score_frame_equals_cannery_score(corpus, replies_path, cli, tmp_path):
    index = cannery.Index(corpus, threads=2)
    path = tmp_path / "cli.cannery"
    index.save(path)
    out = tmp_path / "scores.jsonl"
    run_cli(cli, "score", "--index", path, "--input", replies_path, "--exclude-self",
            "--scope-by-group", "--output", out, "--quiet")
    expected = [json.loads(line) for line in out.read_text().splitlines()]
    got = index.score_frame(corpus, text="text", message="in_reply_to_text", id="id",
                            group="brand", exclude_self=True)
    assert len(got) == len(expected) == len(corpus)
    for (_, row), want in zip(got.iterrows(), expected):
        assert bits(row["canned"]) == bits(want["canned"]), want["id"]
        assert bits(row["personalisation"]) == bits(want["personalisation"]), want["id"]
        assert row["verdict"] == want["verdict"]
        assert row["left_out"] == want["left_out"]
        assert row["nearest_id"] == want["nearest_id"]
        template = None if pd.isna(row["template"]) else int(row["template"])
        assert template == want["template"]
        assert row["language"] == want["language"]


def test_templates_equal_the_commands(corpus, replies_path, cli):
    listed = [json.loads(line) for line in
              run_cli(cli, "templates", "--corpus", replies_path, "--format", "json").splitlines()]
    templates = cannery.Index(corpus).templates()
    assert [(t["id"], t["count"], t["text"]) for t in templates] == \
        [(t["id"], t["count"], t["text"]) for t in listed]
