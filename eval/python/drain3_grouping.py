#!/usr/bin/env python3
"""Grouping accuracy (the loghub metric) of drain3 on a corpus from ../shared/bench/gen_corpus.py,
for comparison with `cargo run --release -p cannery-eval --bin grouping_accuracy`.

usage: drain3_grouping.py CORPUS.jsonl   (needs `pip install drain3` in a venv outside the repo)

Each reply goes through the light clean-up a drain3 user would do (handles, URLs and numbers
masked, lower case) and then drain3 with its default settings. A reply is grouped right when its
drain3 cluster holds exactly the replies of its true group: the re-sends of one real reply
(`resent_from`), or the reply alone when it is fresh.
"""
import json, re, sys, time
from collections import defaultdict

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

rows = [json.loads(l) for l in open(sys.argv[1])]
HANDLE, URL, NUM = re.compile(r"@\w+"), re.compile(r"https?://\S+"), re.compile(r"\d+")
norm = lambda t: NUM.sub("<num>", URL.sub("<url>", HANDLE.sub("<user>", t))).lower()
cfg = TemplateMinerConfig()
cfg.profiling_enabled = False
miner = TemplateMiner(config=cfg)
t0 = time.time()
pred = [miner.add_log_message(norm(r["text"]) or "<empty>")["cluster_id"] for r in rows]
took = time.time() - t0
truth = [r["resent_from"] or "fresh:" + r["id"] for r in rows]
by_truth, by_pred = defaultdict(list), defaultdict(list)
for i, (t, p) in enumerate(zip(truth, pred)):
    by_truth[t].append(i)
    by_pred[p].append(i)
correct = sum(len(m) for m in by_pred.values()
              if len({truth[i] for i in m}) == 1 and len(by_truth[truth[m[0]]]) == len(m))
print(f"{len(rows)} replies: {len(by_truth)} true groups, {len(by_pred)} drain3 clusters; "
      f"grouping accuracy {correct / len(rows):.4f}; {took:.1f}s ({len(rows) / took:.0f} replies/s)")
