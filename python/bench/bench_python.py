"""Rows a second of `Index.score_frame` and of the Spark recipe against `cannery score` on the same
rows, and the Spark cost model's terms (index load, shard build, merge per shard; tree vs
chain). Figures go to the README ("Python and Spark"); run from the repository's root:

    python3 ../shared/bench/gen_corpus.py 100000 1 < ../shared/data/replies.jsonl > /tmp/c100k.jsonl
    python python/bench/bench_python.py frame /tmp/c100k.jsonl --runs 3
    python python/bench/bench_python.py spark /tmp/c100k.jsonl --runs 2
    python python/bench/bench_python.py merge /tmp/c1m.jsonl --shards 8

Each mode alternates the Python (or Spark) run with the command's run on the same rows, as the
machine is shared and noisy; every run's time is printed, to give ranges.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import pandas as pd

import cannery

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("CANNERY_BIN", os.path.join(ROOT, "target", "release", "cannery"))


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def cli(*args):
    subprocess.run([CLI, *map(str, args)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def frame(args, work):
    index_path = os.path.join(work, "index.cannery")
    cli("index", "--corpus", args.corpus, "--output", index_path, "--quiet")
    read_s, df = timed(lambda: pd.read_json(args.corpus, lines=True, dtype={"id": str}))
    load_s, index = timed(lambda: cannery.Index.load(index_path))
    n = len(df)
    print(f"{n} rows; pandas read_json {read_s:.2f} s; Index.load {load_s:.2f} s")
    for run in range(args.runs):
        s, _ = timed(lambda: index.score_frame(df, message="in_reply_to_text", id="id",
                                                exclude_self=True, threads=args.threads))
        print(f"run {run}: score_frame {s:.2f} s = {n / s:,.0f} rows/s ({args.threads or 'all'} threads)")
        c, _ = timed(lambda: cli("score", "--index", index_path, "--input", args.corpus, "--exclude-self",
                                 "--threads", args.threads or os.cpu_count(), "--output", os.devnull, "--quiet"))
        print(f"run {run}: cannery score {c:.2f} s = {n / c:,.0f} rows/s (load, parse, score, write)")


def spark(args, work):
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    from cannery import spark as cs

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master(f"local[{args.threads or os.cpu_count()}]")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    schema = T.StructType([T.StructField(c, T.StringType()) for c in ("id", "brand", "text", "in_reply_to_text")])
    df = session.read.schema(schema).json(args.corpus)
    n = df.count()
    print(f"{n} rows in {df.rdd.getNumPartitions()} partitions")
    index_path = os.path.join(work, "index.cannery")
    for run in range(args.runs):
        s, shards = timed(lambda: cs.build_shards(df, os.path.join(work, f"shards{run}")))
        m, _ = timed(lambda: cs.merge_tree(shards, index_path, spark=session))
        print(f"run {run}: build_shards {s:.2f} s ({len(shards)} shards), merge_tree {m:.2f} s")
        c, _ = timed(lambda: cli("index", "--corpus", args.corpus, "--output", index_path + ".cli",
                                 "--threads", args.threads or os.cpu_count(), "--quiet"))
        print(f"run {run}: cannery index {c:.2f} s")
        scored = cs.score(df, index_path, message="in_reply_to_text", id="id", exclude_self=True)
        s, _ = timed(lambda: scored.write.format("noop").mode("overwrite").save())
        print(f"run {run}: spark score {s:.2f} s = {n / s:,.0f} rows/s")
        c, _ = timed(lambda: cli("score", "--index", index_path, "--input", args.corpus, "--exclude-self",
                                 "--threads", args.threads or os.cpu_count(), "--output", os.devnull, "--quiet"))
        print(f"run {run}: cannery score {c:.2f} s = {n / c:,.0f} rows/s")
    session.stop()


def merge(args, work):
    """Shard build, load and merge times (one process, one core), and a tree against a chain."""
    lines = open(args.corpus, "rb").read().splitlines(keepends=True)
    per = -(-len(lines) // args.shards)
    paths = []
    for i in range(args.shards):
        part = os.path.join(work, f"part{i}.jsonl")
        with open(part, "wb") as f:
            f.writelines(lines[i * per:(i + 1) * per])
        path = os.path.join(work, f"shard{i}.cannery")
        s, _ = timed(lambda: cli("index", "--corpus", part, "--output", path, "--threads", 1, "--quiet"))
        paths.append(path)
        print(f"shard {i}: {min(per, len(lines) - i * per)} replies built in {s:.2f} s (one thread)")
    whole = os.path.join(work, "whole.cannery")
    session = None
    if args.spark:
        from pyspark.sql import SparkSession

        os.environ["PYSPARK_PYTHON"] = sys.executable
        session = (SparkSession.builder.master(f"local[{args.threads or os.cpu_count()}]")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .getOrCreate())
    for run in range(args.runs):
        c, _ = timed(lambda: cli("merge", "--output", whole, *paths))
        print(f"run {run}: chain (cannery merge of {len(paths)} shards) {c:.2f} s")
        from cannery.spark import merge_tree

        t, _ = timed(lambda: merge_tree(paths, os.path.join(work, "tree.cannery")))
        print(f"run {run}: tree (merge_tree, one process) {t:.2f} s")
        if session is not None:
            t, _ = timed(lambda: merge_tree(paths, os.path.join(work, "tree.cannery"), spark=session))
            print(f"run {run}: tree (merge_tree on Spark local[{args.threads or os.cpu_count()}]) {t:.2f} s")
        same = open(whole, "rb").read() == open(os.path.join(work, "tree.cannery"), "rb").read()
        print(f"run {run}: tree and chain give the same bytes: {same}")
    # The tree's levels one merge at a time: with a merge an executor, a level takes one merge.
    from cannery.spark import merge_files

    level, depth = paths, 0
    while len(level) > 1:
        nxt, times = [], []
        for i in range(0, len(level) - 1, 2):
            out = os.path.join(work, f"level{depth}-{i}.cannery")
            s, _ = timed(lambda: merge_files(level[i], level[i + 1], out))
            nxt.append(out)
            times.append(s)
        if len(level) % 2:
            nxt.append(level[-1])
        print(f"level {depth}: {len(times)} merges of load, merge, mine and write, "
              f"{min(times):.2f} to {max(times):.2f} s each")
        level, depth = nxt, depth + 1
    size = os.path.getsize(whole)
    ls, _ = timed(lambda: cannery.Index.load(whole))
    print(f"the whole index: {size / 1e6:.0f} MB, Index.load {ls:.2f} s")
    a, b = cannery.Index.load(paths[0]), cannery.Index.load(paths[1])
    ms, _ = timed(lambda: a.merge(b))
    print(f"one merge of two shards ({per} replies each): {ms:.2f} s")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["frame", "spark", "merge"])
    p.add_argument("corpus")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="0: one a core")
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--spark", action="store_true", help="merge mode: also the tree on Spark local mode")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="cannery-bench-") as work:
        {"frame": frame, "spark": spark, "merge": merge}[args.mode](args, work)


if __name__ == "__main__":
    main()
