"""score_frame: aligned with its input, row errors in place, the same reports as score_many."""

import math

import pandas as pd
import pytest

import cannery
from test_index import ARCHIVE, DRAFT


@pytest.fixture
def index():
    return cannery.Index(ARCHIVE)


def frame():
    return pd.DataFrame(
        {
            "reply": [DRAFT, None, ARCHIVE[2]["text"], 17, "Café 😀 " + DRAFT],
            "msg": ["where is my parcel", None, None, None, float("nan")],
            "rid": ["x", "y", "3", "z", 1],
            "brand": ["AcmeHelp", "AcmeHelp", "AcmeHelp", None, "GlobexCare"],
        },
        index=[10, 20, 30, 40, 50],
    )


def test_columns_and_alignment(index):
    df = frame()
    out = index.score_frame(df, text="reply", message="msg", id="rid")
    assert list(out.index) == list(df.index)
    assert list(out.columns) == [
        "canned", "personalisation", "verdict", "language", "template", "template_text",
        "nearest_id", "nearest_similarity", "spans", "left_out", "error",
    ]
    assert str(out["template"].dtype) == "Int64"
    assert out.loc[10, "template"] == 1
    # Each scored row is the report of score() on the same input.
    for i, text, msg in [(10, DRAFT, "where is my parcel"), (50, "Café 😀 " + DRAFT, None)]:
        report = index.score(text, msg)
        assert out.loc[i, "canned"] == report["canned"]
        assert out.loc[i, "verdict"] == report["verdict"]
        assert out.loc[i, "spans"] == [(s["start"], s["end"]) for s in report["spans"]]
    text = df.loc[50, "reply"]
    start, end = out.loc[50, "spans"][0]
    assert text[start:end] == index.score(text)["spans"][0]["text"]


def test_bad_rows_are_error_rows(index):
    out = index.score_frame(frame(), text="reply")
    assert out.loc[20, "error"] == "no text (reply is missing)"
    assert out.loc[40, "error"] == "reply is a int, not a string"
    assert math.isnan(out.loc[20, "canned"]) and out.loc[20, "verdict"] is None
    assert out["error"].isna().sum() == 3
    lone = index.score_frame(pd.DataFrame({"text": ["a\ud800b", "fine"]}))
    assert list(lone["error"]) == ["text is not valid Unicode (a lone surrogate)", None]


def test_leave_one_out_and_groups(index):
    df = frame()
    out = index.score_frame(df, text="reply", id="rid", group="brand", exclude_self=True)
    assert list(out["left_out"]) == [False, False, True, False, False]
    # Row 50 is scored for GlobexCare alone: Acme's replies are not its neighbours.
    assert out.loc[50, "nearest_id"] is None or out.loc[50, "nearest_id"].startswith("stock:")
    assert out.loc[10, "nearest_id"] in {"1", "2"}
    expected = index.score_many(
        [DRAFT, ARCHIVE[2]["text"]], groups=["AcmeHelp", "AcmeHelp"], ids=["x", "3"], exclude_self=True
    )
    assert [out.loc[10, "canned"], out.loc[30, "canned"]] == [r["canned"] for r in expected]


def test_threads_do_not_change_results(index):
    df = pd.DataFrame({"text": [DRAFT, ARCHIVE[2]["text"], "Ok."] * 50})
    one = index.score_frame(df, threads=1)
    two = index.score_frame(df, threads=2)
    pd.testing.assert_frame_equal(one, two)


def test_missing_columns_are_clear_errors(index):
    with pytest.raises(cannery.CanneryError, match=r'no text column "body" \(its columns: reply, msg, rid, brand\)'):
        index.score_frame(frame(), text="body")
    with pytest.raises(cannery.CanneryError, match="takes a pandas DataFrame"):
        index.score_frame([DRAFT])


def test_build_from_a_frame_equals_build_from_dicts():
    df = pd.DataFrame(ARCHIVE)
    assert cannery.Index(df).to_bytes() == cannery.Index(ARCHIVE).to_bytes()
    timed = df.assign(sent=pd.to_datetime(["2026-10-01", "2026-10-02", None, "2026-10-03"]))
    index = cannery.Index(timed, time="sent")
    assert index.templates()[0]["first_seen"] == 1790812800  # 2026-10-01T00:00:00Z
