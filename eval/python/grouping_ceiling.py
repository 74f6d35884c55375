#!/usr/bin/env python3
"""The grouping accuracy that a template miner can reach at best on a corpus from
../shared/bench/gen_corpus.py: its ceiling, to read the figures of the `grouping_accuracy` example
against.

usage: grouping_ceiling.py N SEED [CORPUS.jsonl]   (from the repository root, with ../shared beside it)

The generator writes `resent_from` only for re-sent replies. A fresh reply is also made from a
real reply (its content words swapped at random), and when the swaps change no word, or one, it
is the same text as a re-send, or as a re-send with its one word edited. To see how often, this
runs the generator's own code with the same N and SEED (so the corpus is the same, checked on its
texts when CORPUS is given as a third argument) and records the real reply behind every fresh
one. It then scores, by the loghub metric, the grouping of a miner that is right about
everything it can tell apart:

- the re-sends of real replies that are the same after masking (handles, sign-offs, URLs,
  numbers, punctuation and case), or one word apart, are one template, and their true groups
  cannot be told apart;
- a fresh reply that is its real reply with no word changed (first bound), or with at most one
  (second bound), joins the re-sends of that reply, since a re-send may also have one word
  changed.

Every other reply is grouped right. A miner that keeps re-sends with one word edited in their
group cannot tell them from the fresh replies of the second bound.
"""
import collections, json, re, sys

n, seed = sys.argv[1], sys.argv[2]
check = sys.argv[3] if len(sys.argv) > 3 else None
gen = open("../shared/bench/gen_corpus.py").read()
anchor = '"resent_from": src["id"] if canned else None}'
assert gen.count(anchor) == 1, "gen_corpus.py changed: its output line is not the one expected"
gen = gen.replace(anchor, anchor[:-1] + ', "src": src["id"]}')
real_lines = open("../shared/data/replies.jsonl").read().splitlines()
rows = []
sys.argv = ["gen_corpus.py", n, seed]
sys.stdin = iter(real_lines)
exec(compile(gen, "gen_corpus.py", "exec"), {"__name__": "__main__", "print": lambda line: rows.append(json.loads(line))})
if check:
    with open(check) as f:
        given = [json.loads(line)["text"] for line in f if line.strip()]
    assert given == [r["text"] for r in rows], "not the same corpus"
real = {}
for line in real_lines:
    r = json.loads(line)
    real[r["id"]] = r["text"]


def words(t):
    t = re.sub(r"@\w+", " @user ", t)
    t = re.sub(r"([\^\-\*/~])\s?[A-Z]{1,4}\s*$", " sig ", t)
    t = re.sub(r"https?://\S+", " url ", t)
    return re.findall(r"\w+", re.sub(r"\d+", "0", t).lower())


parent = {}


def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


# Real replies the same after masking or one word apart: keyed by their words and by their words
# with any one left out (two sequences one substitution, insertion or deletion apart share a key).
sources = {r["src"] for r in rows if r["resent_from"]}
first_with = {}
for s in sorted(sources):
    w = tuple(words(real[s]))
    keys = [w] + ([w[:i] + w[i + 1:] for i in range(len(w))] if len(w) >= 4 else [])
    for k in keys:
        if k in first_with:
            parent[find(s)] = find(first_with[k])
        else:
            first_with[k] = s

truth = [r["resent_from"] or "fresh:" + r["id"] for r in rows]
by_truth = collections.Counter(truth)
for bound in (0, 1):
    pred = []
    for r in rows:
        if r["resent_from"]:
            pred.append(find(r["src"]))
            continue
        a, b = words(r["text"]), words(real[r["src"]])
        changed = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
        pred.append(find(r["src"]) if changed <= bound and r["src"] in sources else "fresh:" + r["id"])
    by_pred = collections.defaultdict(list)
    for i, p in enumerate(pred):
        by_pred[p].append(i)
    right = sum(
        len(m) for m in by_pred.values()
        if by_truth[truth[m[0]]] == len(m) and all(truth[i] == truth[m[0]] for i in m)
    )
    print(f"{len(rows)} replies, fresh replies joined with at most {bound} word changed: "
          f"ceiling {right / len(rows):.4f}")
