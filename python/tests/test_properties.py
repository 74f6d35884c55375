"""Properties over generated input: spans slice the Python string they came from, scores stay in
[0, 1], and merging shards in any split (chain or tree) gives the index of the whole."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cannery
from test_index import ARCHIVE

INDEX = cannery.Index(ARCHIVE)
WORDS = st.sampled_from(
    ["Sorry", "for", "the", "wait!", "Please", "DM", "us", "your", "order", "number", "@123",
     "café", "😀", "お待たせ", "谢谢", "https://x.example/a", "4417", "\u200b", "ß", "İ", "\n"]
)
DRAFTS = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=60).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(DRAFTS, st.one_of(st.none(), st.text(max_size=80)))
def test_spans_slice_the_draft(draft, message):
    report = INDEX.score(draft, message)
    assert 0.0 <= report["canned"] <= 1.0
    assert 0.0 <= report["personalisation"] <= 1.0
    previous_end = 0
    for span in report["spans"]:
        assert previous_end <= span["start"] < span["end"] <= len(draft)
        assert draft[span["start"]:span["end"]] == span["text"]
        previous_end = span["end"]


REPLIES = st.lists(
    st.builds(
        lambda i, words, brand: {"id": f"r{i}", "text": " ".join(words), "brand": brand},
        st.integers(0, 10_000),
        st.lists(WORDS, min_size=1, max_size=20),
        st.sampled_from([None, "A", "B"]),
    ),
    min_size=2,
    max_size=24,
)


@settings(max_examples=40, deadline=None)
@given(REPLIES, st.data())
def test_merging_shards_is_the_whole(replies, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, len(replies) - 1), max_size=4)))
    bounds = [0, *cuts, len(replies)]
    shards = [cannery.Index(replies[a:b]) for a, b in zip(bounds, bounds[1:])]
    whole = cannery.Index(replies).to_bytes()
    chain = cannery.Index(replies[: bounds[1]])
    for shard in shards[1:]:
        chain.merge(shard)
    assert chain.to_bytes() == whole
    # A tree: neighbours in pairs, round after round.
    level = shards
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            level[i].merge(level[i + 1])
            nxt.append(level[i])
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    assert level[0].to_bytes() == whole


@pytest.mark.parametrize("threads", [1, 3])
def test_build_threads_give_the_same_bytes(threads):
    assert cannery.Index(ARCHIVE, threads=threads).to_bytes() == cannery.Index(ARCHIVE).to_bytes()


ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), st.binary(max_size=10),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["id", "text", "brand", "in_reply_to_text", "x"]), ANY_VALUE), max_size=6))
def test_any_rows_build_or_raise_cannery_error(rows):
    """Whatever the rows hold, building gives an index or a CanneryError, never another error
    (nor a crash): the entry point's robustness, in place of a fuzz target."""
    try:
        index = cannery.Index(rows, stock_corpus=False)
    except cannery.CanneryError as err:
        assert err.kind == "invalid_input" and str(err).startswith("reply ")
        return
    assert len(index) == len(rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(ANY_VALUE, min_size=1, max_size=6), st.lists(ANY_VALUE, min_size=1, max_size=6))
def test_any_cells_score_or_become_error_rows(texts, messages):
    """score_frame scores every row whose cells are strings (or missing, for the optional ones)
    and gives every other row an error, never failing the call."""
    import pandas as pd

    n = min(len(texts), len(messages))
    df = pd.DataFrame({"text": pd.Series(texts[:n], dtype=object), "msg": pd.Series(messages[:n], dtype=object)})
    out = INDEX.score_frame(df, message="msg")
    assert len(out) == n

    def missing(v):
        return v is None or (isinstance(v, float) and v != v)

    for (_, row), text, message in zip(out.iterrows(), texts, messages):
        scorable = isinstance(text, str) and (missing(message) or isinstance(message, str))
        assert (row["error"] is None) == scorable, (text, message, row["error"])
        if scorable:
            assert 0.0 <= row["canned"] <= 1.0
        else:
            assert row["verdict"] is None and row["canned"] != row["canned"]
