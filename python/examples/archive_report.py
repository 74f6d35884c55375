"""Score a reply archive with cannery and report it as a researcher would: canned rate per brand
and per week, the top templates of each brand, and a plot saved as a PNG.

    python python/examples/archive_report.py ../shared/data/replies.jsonl --out report/
    python python/examples/archive_report.py examples/data/sample-archive.jsonl --time created_at --out report/

Each reply is scored leave-one-out against the archive (it never matches itself) and for its
own brand (the replies of other brands are not its evidence). Needs pandas and matplotlib.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import cannery  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", help="JSON lines: id, text, brand, in_reply_to_text[, a time]")
    parser.add_argument("--time", help="the field with each reply's time (ISO 8601 or epoch seconds)")
    parser.add_argument("--out", default="cannery-report", help="directory for the PNG and CSVs")
    parser.add_argument("--brands", type=int, default=12, help="brands shown (most replies first)")
    args = parser.parse_args(argv)

    df = pd.read_json(args.archive, lines=True, dtype={"id": str})
    df["brand"] = df.get("brand", pd.Series(index=df.index, dtype=object)).fillna("(no brand)")
    if args.time:
        stamps = df[args.time]
        numeric = pd.api.types.is_numeric_dtype(stamps)
        df["time"] = pd.to_datetime(stamps, unit="s" if numeric else None, utc=True)

    # The index of the whole archive (plus the stock corpus), then every reply scored against
    # it, leave-one-out, for its brand.
    index = cannery.Index(
        df, id="id", text="text", group="brand", message="in_reply_to_text",
        time="time" if "time" in df else None,
    )
    scores = index.score_frame(
        df, text="text", message="in_reply_to_text", id="id", group="brand", exclude_self=True
    )
    scored = df.join(scores)
    failed = scored["error"].notna().sum()
    scored = scored[scored["error"].isna()]
    scored["is_canned"] = scored["verdict"] == "canned"
    print(f"{len(scored)} replies scored ({failed} could not be), {index!r}")

    os.makedirs(args.out, exist_ok=True)
    by_brand = (
        scored.groupby("brand")
        .agg(replies=("id", "size"), canned_rate=("is_canned", "mean"), mean_canned=("canned", "mean"))
        .sort_values("replies", ascending=False)
    )
    by_brand.to_csv(os.path.join(args.out, "by_brand.csv"))
    print("\nCanned rate per brand (most replies first):")
    print(by_brand.head(args.brands).to_string(float_format="{:.2f}".format))

    by_week = None
    if "time" in scored:
        by_week = (
            scored.set_index("time")
            .groupby("brand")["is_canned"]
            .resample("W")
            .mean()
            .unstack(0)
        )
        by_week.to_csv(os.path.join(args.out, "by_week.csv"))
        print("\nCanned rate per week and brand:")
        print(by_week.to_string(float_format="{:.2f}".format))

    # Top templates per brand: the template each reply instantiates, counted by brand.
    templates = {t["id"]: t for t in index.templates()}
    ids = dict(zip(index.ids(), index.template_ids()))
    scored["archive_template"] = scored["id"].map(ids)
    top = (
        scored.dropna(subset=["archive_template"])
        .groupby(["brand", "archive_template"])
        .size()
        .rename("replies")
        .reset_index()
        .sort_values(["brand", "replies"], ascending=[True, False])
        .groupby("brand")
        .head(3)
    )
    top["template_text"] = top["archive_template"].map(lambda t: templates[int(t)]["text"])
    top.to_csv(os.path.join(args.out, "top_templates.csv"), index=False)
    print("\nTop templates per brand:")
    for brand, rows in top.groupby("brand"):
        print(f"  {brand}")
        for _, r in rows.iterrows():
            print(f"    #{int(r['archive_template'])} {r['replies']} replies: {r['template_text'][:90]}")

    # The plot: canned rate per brand (and per week, when the archive has times).
    panels = 2 if by_week is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(7 * panels, 4.5), squeeze=False)
    shown = by_brand.head(args.brands).sort_values("canned_rate")
    axes[0][0].barh(shown.index.astype(str), shown["canned_rate"], color="#c0504d")
    axes[0][0].set_xlabel("share of replies judged canned")
    axes[0][0].set_xlim(0, 1)
    axes[0][0].set_title("Canned rate per brand")
    if by_week is not None:
        for brand in by_week.columns[: args.brands]:
            axes[0][1].plot(by_week.index, by_week[brand], marker="o", label=str(brand))
        axes[0][1].set_ylim(0, 1)
        axes[0][1].set_title("Canned rate per week")
        axes[0][1].legend(fontsize="small")
        fig.autofmt_xdate()
    fig.tight_layout()
    png = os.path.join(args.out, "canned_rate.png")
    fig.savefig(png, dpi=110)
    print(f"\nwrote {png} and the CSVs beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
