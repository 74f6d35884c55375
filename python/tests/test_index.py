"""The Index API: building, errors, persistence, updates, templates and single reports."""

import pickle

import pytest

import cannery

ARCHIVE = [
    {"id": "1", "text": "@115712 Sorry for the wait! Please DM us your order number and we'll look into this. ^JK", "brand": "AcmeHelp"},
    {"id": "2", "text": "@115713 Sorry for the wait! Please DM us your order number and we'll look into this. -Becky", "brand": "AcmeHelp"},
    {"id": "3", "text": "@115714 The Leeds store's bakery closes at 6pm on Sundays, sorry Tom!", "brand": "AcmeHelp"},
    {"id": "4", "text": "@2001 Your Globex router needs the 4.2 firmware update before it pairs.", "brand": "GlobexCare"},
]
DRAFT = "@999 Sorry for the wait! Please DM us your order number and we'll look into this. ~Ann"


@pytest.fixture
def index():
    return cannery.Index(ARCHIVE)


def test_stock_index_flags_the_stock_reply():
    report = cannery.Index.stock().score(
        "Thank you for your message. You can find our policies by clicking this link."
    )
    assert report["verdict"] == "canned"
    assert report["canned"] > 0.9
    assert report["language"] == "en"
    assert report["mode"] == "lexical"
    assert report["spans"] and report["spans"][0]["stock"]


def test_report_keys_and_types(index):
    report = index.score(DRAFT, message="where is my parcel??")
    assert set(report) == {
        "canned", "personalisation", "verdict", "language", "mode", "spans", "nearest",
        "template", "truncated", "left_out", "signals",
    }
    assert 0.0 <= report["canned"] <= 1.0 and 0.0 <= report["personalisation"] <= 1.0
    assert report["nearest"][0]["id"] in {"1", "2"}
    assert report["signals"]["copies"] == 2
    assert report["template"]["id"] == 1 and "<user>" in report["template"]["text"]
    assert report["left_out"] is False


@pytest.mark.parametrize(
    "draft",
    [
        DRAFT,
        "Café 😀 — " + DRAFT,                      # a 4-byte emoji and 2- and 3-byte letters first
        "お待たせしました。 " + DRAFT + " 🙏",
        "\u200b" + DRAFT.replace(" ", "\u00a0", 3),  # invisible and no-break spaces
    ],
)
def test_spans_are_python_string_offsets(index, draft):
    report = index.score(draft)
    assert report["spans"], draft
    for span in report["spans"]:
        assert draft[span["start"]:span["end"]] == span["text"]


def test_missing_text_names_the_row():
    with pytest.raises(cannery.CanneryError, match=r'reply 1 \(id "b"\) has no text') as err:
        cannery.Index([{"id": "a", "text": "Thanks!"}, {"id": "b"}])
    assert err.value.kind == "invalid_input"


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"text": "Thanks!"}], "reply 0 has no id"),
        ([{"id": "a", "text": 42}], "reply 0: text is a int, not a string"),
        ([{"id": 1.5, "text": "Thanks!"}], "reply 0: id is a float, not a string"),
        (["Thanks!"], "reply 0 is a str, not a mapping"),
        (42, "replies must be a DataFrame or an iterable of dicts, not a int"),
        ([{"id": "a", "text": "x", "brand": 3}], "reply 0: brand is a int, not a string"),
    ],
)
def test_bad_rows_are_clear_errors(rows, message):
    with pytest.raises(cannery.CanneryError, match=message):
        cannery.Index(rows)


def test_integer_ids_and_optional_fields():
    index = cannery.Index(
        [{"id": 7, "text": "Your refund for order 4417 went out this morning."}],
        group=None, message=None, stock_corpus=False,
    )
    assert index.ids() == ["7"] and "7" in index and len(index) == 1


def test_files_round_trip_and_errors(tmp_path, index):
    path = tmp_path / "archive.cannery"
    index.save(path)
    loaded = cannery.Index.load(str(path))
    assert loaded.to_bytes() == index.to_bytes()
    assert loaded.score(DRAFT) == index.score(DRAFT)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(cannery.CanneryError) as err:
        cannery.Index.load(path)
    assert err.value.kind == "corrupt"
    with pytest.raises(cannery.CanneryError) as err:
        cannery.Index.from_bytes(b"not an index at all")
    assert err.value.kind == "foreign"
    with pytest.raises(cannery.CanneryError, match="cannot read the index") as err:
        cannery.Index.load(tmp_path / "missing.cannery")
    assert err.value.kind == "io"


def test_pickle_sends_the_index(index):
    copy = pickle.loads(pickle.dumps(index))
    assert copy.to_bytes() == index.to_bytes()


def test_insert_is_seen_by_the_next_draft(index):
    text = "Your Larkspur gift card balance is 40 pounds after the refund."
    assert index.score(text)["signals"]["copies"] == 0
    index.insert("sent-1", text, group="AcmeHelp", time=1_700_000_000)
    assert "sent-1" in index
    assert index.score(text)["signals"]["copies"] == 1
    with pytest.raises(cannery.CanneryError, match="time is a str"):
        index.insert("sent-2", text, time="yesterday")


def test_merge_is_the_index_of_both():
    first, second = ARCHIVE[:2], ARCHIVE[2:]
    merged = cannery.Index(first)
    merged.merge(cannery.Index(second))
    assert merged.to_bytes() == cannery.Index(ARCHIVE).to_bytes()
    with pytest.raises(cannery.CanneryError) as err:
        merged.merge(cannery.Index(second, stock_corpus=False))
    assert err.value.kind == "invalid_input"


def test_templates_and_template_ids(index):
    templates = index.templates()
    assert len(templates) == 1
    t = templates[0]
    assert t["count"] == 2 and t["groups"] == [("AcmeHelp", 2)] and t["examples"] == ["1", "2"]
    ids = dict(zip(index.ids(), index.template_ids()))
    assert ids["1"] == ids["2"] == 1 and ids["3"] is None


def test_tenants_are_kept_apart(index):
    report = index.score(DRAFT, group="GlobexCare")
    assert all(n["id"].startswith("stock:") for n in report["nearest"])
    assert index.score(DRAFT, group="AcmeHelp")["nearest"][0]["id"] in {"1", "2"}


def test_leave_one_out(index):
    alone = index.score(ARCHIVE[2]["text"], exclude_id="3")
    assert alone["left_out"] is True
    assert all(n["id"] != "3" for n in alone["nearest"])
    assert index.score(ARCHIVE[2]["text"], exclude_id="no-such-id")["left_out"] is False


def test_verdict_thresholds(index):
    draft = "Thanks for reaching out! We'll look into it."
    assert index.score(draft)["verdict"] == "canned"
    index.set_verdict_thresholds(1.0, 0.5)
    assert index.verdict_thresholds == (1.0, 0.5)
    assert index.score(draft)["verdict"] == "personal"


def test_score_many_equals_score_one_by_one(index):
    texts = [DRAFT, ARCHIVE[2]["text"], "Ok.", "Your router needs the firmware update."]
    messages = ["where is my parcel", None, None, "router won't pair"]
    many = index.score_many(texts, messages, threads=2)
    assert many == [index.score(t, m) for t, m in zip(texts, messages)]
    grouped = index.score_many(texts, groups=["GlobexCare", None, "AcmeHelp", "GlobexCare"])
    assert grouped[0] == index.score(texts[0], group="GlobexCare")
    left = index.score_many(texts, ids=["x", "3", "y", "z"], exclude_self=True)
    assert [r["left_out"] for r in left] == [False, True, False, False]


def test_score_many_errors_name_the_draft(index):
    with pytest.raises(cannery.CanneryError, match=r"draft 1: no text \(texts is missing\)"):
        index.score_many(["Thanks!", None])
    with pytest.raises(cannery.CanneryError, match="messages has 1 items where the texts have 2"):
        index.score_many(["a", "b"], ["only one"])


def test_long_and_empty_drafts_do_not_fail(index):
    assert index.score("")["canned"] >= 0.0
    long = "Please DM us your order number. " * 20_000
    report = index.score(long)
    assert report["truncated"] is True
    for span in report["spans"]:
        assert long[span["start"]:span["end"]] == span["text"]
