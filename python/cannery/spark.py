"""Archives beyond one machine, on PySpark: shard indexes built in parallel, merged in a tree,
and rows scored with ``mapInPandas`` against an index loaded once per executor process.

The recipe (the README's "Python and Spark" section has the figures)::

    from cannery import spark as cs
    shards = cs.build_shards(replies_df, "/shared/cannery/shards")     # one shard a partition
    cs.merge_tree(shards, "/shared/cannery/archive.cannery", spark=session)
    scored = cs.score(replies_df, "/shared/cannery/archive.cannery",
                      id="id", message="in_reply_to_text", group="brand", exclude_self=True)

Each step is the crate's: a shard is ``cannery.Index`` of its partition's rows, the merge is
``Index.merge`` (the index of the shards' rows in partition order, byte for byte the index
``cannery index`` builds of the same rows in that order), and each row is scored as
``cannery score`` scores it, so the scores equal the command's on the same rows.

Paths must be readable and writable by the driver and every executor under the same name (a
shared file system, or local paths in local mode); ``score`` can instead ship the index to
the executors with ``SparkContext.addFile`` (``ship=True``).
"""

from __future__ import annotations

import os
import tempfile
import time as _time
from typing import Iterator, List, Optional, Sequence

from ._cannery import CanneryError, Index

__all__ = ["build_shards", "merge_chain", "merge_tree", "merge_files", "score", "load_once", "SCORE_FIELDS"]

# The columns `score` adds to each row, with their Spark SQL types.
SCORE_FIELDS = [
    ("canned", "double"),
    ("personalisation", "double"),
    ("verdict", "string"),
    ("language", "string"),
    ("template", "bigint"),
    ("template_text", "string"),
    ("nearest_id", "string"),
    ("nearest_similarity", "double"),
    ("spans", "array<array<int>>"),
    ("left_out", "boolean"),
    ("error", "string"),
]

# The indexes this Python process has loaded, by (path, size, modification time): a Spark
# Python worker is reused across tasks, so each loads an index once, not once a partition.
_LOADED: dict = {}


def load_once(path: str) -> Index:
    """The index at ``path``, loaded once per process (again when the file changes)."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    index = _LOADED.get(key)
    if index is None:
        _LOADED.clear()
        index = _LOADED[key] = Index.load(path)
    return index


def build_shards(
    df,
    directory: str,
    *,
    id: str = "id",
    text: str = "text",
    group: Optional[str] = "brand",
    message: Optional[str] = "in_reply_to_text",
    time: Optional[str] = None,
    stock_corpus: bool = True,
) -> List[str]:
    """Builds one shard index a partition of ``df`` in parallel on the executors, each written
    to ``directory/shard-NNNNN.cannery``; returns their paths in partition order (empty
    partitions make no shard). The fields are as ``cannery.Index``'s (a field ``group``,
    ``message`` or ``time`` the frame lacks is not read). A row without an id or a text fails
    the job with cannery's message naming it."""
    columns = [c for c in (id, text, group, message, time) if c is not None and c in df.columns]
    for required in (id, text):
        if required not in df.columns:
            raise CanneryError(f"the frame has no column {required!r} (its columns: {', '.join(df.columns)})")
    os.makedirs(directory, exist_ok=True)
    fields = dict(
        id=id,
        text=text,
        group=group if group in columns else None,
        message=message if message in columns else None,
        time=time if time in columns else None,
        stock_corpus=stock_corpus,
    )

    def build(batches: Iterator) -> Iterator:
        import pandas as pd
        from pyspark import TaskContext

        frames = list(batches)
        partition = TaskContext.get().partitionId()
        rows = sum(len(f) for f in frames)
        if rows == 0:
            return
        started = _time.perf_counter()
        shard = Index(pd.concat(frames, ignore_index=True), **fields)
        path = os.path.join(directory, f"shard-{partition:05d}.cannery")
        shard.save(path)
        seconds = _time.perf_counter() - started
        yield pd.DataFrame(
            {"partition": [partition], "path": [path], "replies": [rows], "seconds": [seconds]}
        )

    schema = "partition int, path string, replies bigint, seconds double"
    done = df.select(*columns).mapInPandas(build, schema).collect()
    return [r["path"] for r in sorted(done, key=lambda r: r["partition"])]


def merge_files(first: str, second: str, output: str) -> str:
    """Merges two index files into ``output`` (``first``'s replies, then ``second``'s), as
    ``cannery merge --output OUTPUT FIRST SECOND``; returns ``output``."""
    merged = Index.load(first)
    merged.merge(Index.load(second))
    merged.save(output)
    return output


def merge_chain(paths: Sequence[str], output: str) -> str:
    """Merges shard index files into ``output`` in this process, one after the other, as
    ``cannery merge --output OUTPUT SHARD...`` does: each merge recounts the whole so far, but the
    templates are mined and the file written once. With a few shards this is as fast as a tree
    (the README's cost model); returns ``output``."""
    if not paths:
        raise CanneryError("merge_chain needs at least one shard")
    merged = Index.load(paths[0])
    for path in paths[1:]:
        merged.merge(Index.load(path))
    merged.save(output)
    return output


def merge_tree(paths: Sequence[str], output: str, *, spark=None, keep: bool = False) -> str:
    """Merges shard index files into ``output`` in a tree: neighbours in pairs, round after
    round, each round's merges in parallel on the executors when ``spark`` (a SparkSession) is
    given, in this process otherwise. The result is byte for byte the chain
    ``cannery merge --output OUTPUT SHARD...`` in the order given (merging keeps the order),
    for about log2(shards) merges of the whole rather than one a shard. Intermediate files go
    beside ``output`` and are removed unless ``keep``. Returns ``output``."""
    if not paths:
        raise CanneryError("merge_tree needs at least one shard")
    level = list(paths)
    work = tempfile.mkdtemp(prefix=".cannery-merge-", dir=os.path.dirname(os.path.abspath(output)))
    round_ = 0
    try:
        while len(level) > 1:
            pairs = [
                (level[i], level[i + 1], os.path.join(work, f"r{round_}-{i // 2:05d}.cannery"))
                for i in range(0, len(level) - 1, 2)
            ]
            if spark is not None and len(pairs) > 1:
                sc = spark.sparkContext
                merged = sc.parallelize(pairs, len(pairs)).map(lambda p: merge_files(*p)).collect()
            else:
                merged = [merge_files(*p) for p in pairs]
            if len(level) % 2:
                merged.append(level[-1])
            level = merged
            round_ += 1
        if level[0] in paths:
            Index.load(level[0]).save(output)
        else:
            os.replace(level[0], output)
    finally:
        if not keep:
            for name in os.listdir(work):
                os.remove(os.path.join(work, name))
            os.rmdir(work)
    return output


def _spark_type(name: str):
    """The Spark SQL type of a name in ``SCORE_FIELDS``."""
    from pyspark.sql import types as T

    return {
        "double": T.DoubleType(),
        "string": T.StringType(),
        "bigint": T.LongType(),
        "boolean": T.BooleanType(),
        "array<array<int>>": T.ArrayType(T.ArrayType(T.IntegerType())),
    }[name]


def score(
    df,
    index_path: str,
    *,
    text: str = "text",
    message: Optional[str] = None,
    name: Optional[str] = None,
    id: Optional[str] = None,
    group: Optional[str] = None,
    exclude_self: bool = False,
    ship: bool = False,
):
    """Scores every row of ``df`` against the index file at ``index_path``; returns ``df``'s
    columns followed by ``SCORE_FIELDS`` (as ``Index.score_frame``'s, spans in Python string
    offsets), one output row an input row. With ``group``, each row is scored for its group
    alone (``cannery score --scope-by-group``); with ``id`` and ``exclude_self``, leave-one-out
    (``--exclude-self``). Each executor's Python process loads the index once (``load_once``);
    with ``ship=True`` the driver ships the file with ``SparkContext.addFile`` rather than
    reading it from a shared path."""
    from pyspark.sql.types import StructField, StructType

    taken = [c for c, _ in SCORE_FIELDS if c in df.columns]
    if taken:
        raise CanneryError(f"the frame already has columns named as cannery's output: {', '.join(taken)}")
    for column in (text, message, name, id, group):
        if column is not None and column not in df.columns:
            raise CanneryError(f"the frame has no column {column!r} (its columns: {', '.join(df.columns)})")
    if not os.path.exists(index_path):
        raise CanneryError(f"no index file at {index_path}")
    if ship:
        from pyspark import SparkFiles

        df.sparkSession.sparkContext.addFile(index_path)
        file_name = os.path.basename(index_path)
        locate = lambda: SparkFiles.get(file_name)  # noqa: E731
    else:
        locate = lambda: index_path  # noqa: E731
    options = dict(text=text, message=message, name=name, id=id, group=group, exclude_self=exclude_self)
    schema = StructType(list(df.schema.fields) + [StructField(c, _spark_type(t)) for c, t in SCORE_FIELDS])

    def run(batches: Iterator) -> Iterator:
        import pandas as pd

        index = load_once(locate())
        for batch in batches:
            scores = index.score_frame(batch, threads=1, **options)
            yield pd.concat([batch, scores], axis=1)

    return df.mapInPandas(run, schema)
