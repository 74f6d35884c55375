#!/usr/bin/env python3
"""Refits cannery's two scoring models from the signals of the hand-labelled replies.

    cargo run --release --features serde --example evaluate -- --signals signals.jsonl
    python3 bench/fit_models.py signals.jsonl [C_CANNED [C_PERSONAL]]

Needs numpy and scikit-learn. Prints the cross-validated ROC-AUC (5 folds x 20 shuffles; the figure
the README reports), the in-sample figures, the mean of ln(1 + ignored) used when no customer message
is given (IGNORED_UNKNOWN), and the two models as Rust constants for src/score.rs. The features must
be those of `features()` in src/score.rs, in its order.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
c_canned = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
c_personal = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3

known = [np.log1p(r["signals"]["ignored"]) for r in rows if r["signals"]["ignored"] is not None]
ignored_unknown = float(np.mean(known))


def features(r):
    s = r["signals"]
    t = s["tokens"]
    ignored = np.log1p(s["ignored"]) if s["ignored"] is not None else ignored_unknown
    return [
        s["boilerplate"], s["stock"], s["commonness"], s["novelty"], s["echo"],
        s["nearest_similarity"], np.log1p(s["copies"]), float(s["named"]), 1 / (1 + t / 8),
        np.log1p(t), s["spread"], s["generic"], s["rare"], s["specific"], np.log1p(s["echoed"]),
        s["answered"], s["support"], s["weakest_sentence"], s["strongest_sentence"],
        np.log1p(s["content_words"]), ignored,
    ]


X = np.array([features(r) for r in rows])
canned = np.array([r["canned_label"] for r in rows])
specific = np.array([r["specific_label"] for r in rows])
targets = {"CANNED": ((canned >= 1).astype(int), c_canned), "PERSONAL": (specific, c_personal)}


def figures(score):
    """ROC-AUC of canned 2 vs 0, canned >= 1 vs 0 and specific."""
    return (
        roc_auc_score(canned[canned != 1] == 2, score[canned != 1]),
        roc_auc_score(canned >= 1, score),
        roc_auc_score(specific, score),
    )


def cross_validated(target, c, shuffles=20):
    out = []
    for seed in range(shuffles):
        pred = np.zeros(len(target))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, target):
            model = LogisticRegression(C=c, max_iter=5000).fit(X[train], target[train])
            pred[test] = model.decision_function(X[test])
        out.append(pred)
    return out


cv_canned = [figures(p)[:2] for p in cross_validated(*targets["CANNED"])]
cv_specific = [figures(p)[2] for p in cross_validated(*targets["PERSONAL"])]
print(
    "cross-validated: canned 2 vs 0 %.3f, >=1 vs 0 %.3f, specific %.3f"
    % (np.mean([f[0] for f in cv_canned]), np.mean([f[1] for f in cv_canned]), np.mean(cv_specific))
)
print("const IGNORED_UNKNOWN: f64 = %.4f;" % ignored_unknown)
for name, (target, c) in targets.items():
    model = LogisticRegression(C=c, max_iter=5000).fit(X, target)
    print("in-sample %s: canned 2 vs 0 %.3f, >=1 vs 0 %.3f, specific %.3f" % ((name,) + figures(model.decision_function(X))))
    print(
        "const %s_MODEL: Model = Model { intercept: %.4f, weights: [%s] };"
        % (name, model.intercept_[0], ", ".join("%.4f" % w for w in model.coef_[0]))
    )
