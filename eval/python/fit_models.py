#!/usr/bin/env python3
"""Fits cannery's two scoring models on the training labels and measures them on the held-out ones.

    cargo run --release -p cannery-eval --bin evaluate -- --signals signals.jsonl [--model DIR]
    python3 eval/python/fit_models.py signals.jsonl [--mode lexical|semantic] [--setting archive|stock] [--c-canned C] [--c-personal C]

Needs numpy and scikit-learn. The signals file has one line per labelled reply: its set (`train` or
`dev`), its labels and the model features by name (`Signals::features`, in src/score/model.rs); the
models use the features the mode lists below, by name, so a feature added there is fitted here
without touching this script's code. With `--setting`, the models are fitted and measured on the
rows of that setting alone: `--setting stock` fits the lexical models of reports that rest on the
stock corpus alone (`CANNED_STOCK_MODEL`, `PERSONAL_STOCK_MODEL`); without it, the lexical and
semantic models are fitted on both settings' rows.

Prints:
- the regularisation of each model, chosen by cross-validation on the training set alone;
- dev, held out: models fitted on the 500 training replies, scored on the 200 dev replies (the
  figures the README and the CI floors use);
- cross-validated over train and dev together: 5 folds x 20 shuffles, each model fitted on 4/5
  of the 700 and scored on the other fifth;
- the models fitted on the training set as Rust constants for src/score/model.rs.
"""
import argparse
import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

LEXICAL = [
    "boilerplate", "stock", "commonness", "novelty", "echo", "nearest_similarity", "ln_copies",
    "named", "shortness", "ln_tokens", "spread", "generic", "rare", "specific", "ln_echoed",
    "answered", "support", "weakest_sentence", "strongest_sentence", "ln_content_words",
    "ln_ignored",
]
SEMANTIC = LEXICAL + [
    "semantic_echo", "semantic_message", "semantic_nearest", "semantic_stock",
    "semantic_centroid",
]

parser = argparse.ArgumentParser()
parser.add_argument("signals")
parser.add_argument("--mode", choices=["lexical", "semantic"], default="lexical")
parser.add_argument("--c-canned", type=float, default=None)
parser.add_argument("--c-personal", type=float, default=None)
parser.add_argument("--raw", action="store_true")
parser.add_argument("--setting", choices=["archive", "stock"], default=None)
args = parser.parse_args()
RAW = args.raw

rows = [json.loads(line) for line in open(args.signals) if line.strip()]
for r in rows:
    r.setdefault("setting", "archive")
if args.setting:
    rows = [r for r in rows if r["setting"] == args.setting]
names = LEXICAL if args.mode == "lexical" else SEMANTIC


def features(row):
    given = dict(row["features"])
    missing = [n for n in names if n not in given]
    if missing:
        raise SystemExit("the signals file lacks the features %s (scored without a model?)" % missing)
    return [given[n] for n in names]


X = np.array([features(r) for r in rows])
canned = np.array([r["canned_label"] for r in rows])
specific = np.array([r["specific_label"] for r in rows])
train = np.array([r["set"] == "train" for r in rows])
dev = np.array([r["set"] == "dev" for r in rows])
setting = np.array([r["setting"] for r in rows])
SETTINGS = sorted(set(setting), key=lambda x: x != "archive")
targets = {"CANNED": (canned >= 1).astype(int), "PERSONAL": specific}


def figures(score, where):
    """ROC-AUC of canned 2 vs 0, canned >= 1 vs 0 and specific over the rows `where`."""
    c, s, p = canned[where], specific[where], score[where]
    return (
        roc_auc_score(c[c != 1] == 2, p[c != 1]),
        roc_auc_score(c >= 1, p),
        roc_auc_score(s, p),
    )


def model(c):
    return LogisticRegression(C=c, max_iter=10000)


def standardised(fit_rows, X):
    """Features standardised on the rows the model is fitted on (so that one C suits them all)."""
    mean, std = X[fit_rows].mean(0), X[fit_rows].std(0)
    if RAW:
        return np.zeros_like(mean), np.ones_like(std)
    std[std == 0] = 1
    return mean, std


ids = np.array([r["id"] for r in rows])


def cv_predictions(rows_mask, target, c, shuffles=20):
    """Out-of-fold decision values over `rows_mask`, one array per shuffle. The folds split
    replies: a reply's rows in every setting fall in the same fold."""
    replies = sorted(set(ids[rows_mask]))
    label = {i: t for i, t in zip(ids, target)}
    out = []
    for seed in range(shuffles):
        pred = np.zeros(len(X))
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(
            replies, [label[i] for i in replies])
        for fit, test in folds:
            fit_ids, test_ids = {replies[i] for i in fit}, {replies[i] for i in test}
            fit_rows = rows_mask & np.array([i in fit_ids for i in ids])
            test_rows = rows_mask & np.array([i in test_ids for i in ids])
            mean, std = standardised(fit_rows, X)
            m = model(c).fit((X[fit_rows] - mean) / std, target[fit_rows])
            pred[test_rows] = m.decision_function((X[test_rows] - mean) / std)
        out.append(pred)
    return out


def cv_auc(rows_mask, name, c, shuffles=5):
    """The cross-validated AUC that chooses C: the mean over the settings (for canned, of its
    two figures)."""
    target = targets[name]
    aucs = []
    for pred in cv_predictions(rows_mask, target, c, shuffles):
        for where in SETTINGS:
            f = figures(pred, rows_mask & (setting == where))
            aucs.append(f[2] if name == "PERSONAL" else (f[0] + f[1]) / 2)
    return np.mean(aucs)


# Regularisation chosen by cross-validation on the training set alone.
grid = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
chosen = {}
for name, given in [("CANNED", args.c_canned), ("PERSONAL", args.c_personal)]:
    if given is not None:
        chosen[name] = given
        continue
    scores = {c: cv_auc(train, name, c) for c in grid}
    # The strongest regularisation within 0.002 of the best: the simpler model, where the
    # difference is below what 500 labels can tell apart.
    best = max(scores.values())
    chosen[name] = min(c for c in grid if scores[c] >= best - 0.002)
    print("%s: C by 5-fold CV on train: %s -> C = %g" % (
        name, ", ".join("%g: %.3f" % (c, scores[c]) for c in grid), chosen[name]))

# Fitted on train, measured on dev (held out).
fitted = {}
mean, std = standardised(train, X)
for name, target in targets.items():
    m = model(chosen[name]).fit((X[train] - mean) / std, target[train])
    fitted[name] = m
held_out = {name: m.decision_function((X - mean) / std) for name, m in fitted.items()}
for where in SETTINGS:
    at = setting == where
    dc, ds = figures(held_out["CANNED"], dev & at), figures(held_out["PERSONAL"], dev & at)
    print("%s, %s setting, dev held out (fitted on train): canned 2 vs 0 %.3f, >=1 vs 0 %.3f, specific %.3f" % (
        args.mode, where, dc[0], dc[1], ds[2]))
    tc, ts = figures(held_out["CANNED"], train & at), figures(held_out["PERSONAL"], train & at)
    print("%s, %s setting, train in-sample: canned 2 vs 0 %.3f, >=1 vs 0 %.3f, specific %.3f" % (
        args.mode, where, tc[0], tc[1], ts[2]))

# Cross-validated over both sets (the folds split replies, each with its rows of every setting).
both = train | dev
for where in SETTINGS:
    at = setting == where
    cv_c = [figures(p, both & at) for p in cv_predictions(both, targets["CANNED"], chosen["CANNED"])]
    cv_s = [figures(p, both & at)[2] for p in cv_predictions(both, targets["PERSONAL"], chosen["PERSONAL"])]
    print("%s, %s setting, cross-validated over train + dev (5 folds x 20 shuffles): canned 2 vs 0 %.3f, >=1 vs 0 %.3f, specific %.3f" % (
        args.mode, where, np.mean([f[0] for f in cv_c]), np.mean([f[1] for f in cv_c]), np.mean(cv_s)))

# The models fitted on train, in the features' own units (the standardisation folded in).
known = [np.log1p(r["signals"]["ignored"]) for r, t in zip(rows, train) if t and r["signals"]["ignored"] is not None]
print("\n// ln(1 + ignored) over the training replies with a customer message:")
print("const IGNORED_UNKNOWN: f64 = %.4f;" % np.mean(known))
if args.mode == "semantic":
    print("// The semantic signals of the message over the training replies (all have one):")
    for name, const in [("semantic_message", "MESSAGE_UNKNOWN"), ("semantic_echo", "ECHO_UNKNOWN")]:
        print("const %s: f64 = %.4f;" % (const, np.mean(X[train][:, names.index(name)])))
suffix = "_SEMANTIC" if args.mode == "semantic" else "_STOCK" if args.setting == "stock" else ""
for name, m in fitted.items():
    weights = m.coef_[0] / std
    intercept = m.intercept_[0] - np.sum(m.coef_[0] * mean / std)
    print("static %s%s_MODEL: Model = Model::new(\n    %.6f,\n    &[" % (name, suffix, intercept))
    for n, w in zip(names, weights):
        print('        ("%s", %.6f),' % (n, w))
    print("    ],\n);")
