"""The researcher's example runs end to end on the sample archive (which has times) and writes
its PNG and tables."""

import runpy
import sys

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE

pytest.importorskip("matplotlib", reason="matplotlib is not installed: the example is not run")


def test_archive_report_example(tmp_path, monkeypatch, capsys):
    script = ROOT / "python" / "examples" / "archive_report.py"
    monkeypatch.setattr(sys, "argv", [str(script), str(SAMPLE), "--time", "created_at", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(script), run_name="__main__")
    assert done.value.code == 0
    printed = capsys.readouterr().out
    assert "25 replies scored (0 could not be)" in printed
    png = (tmp_path / "canned_rate.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    by_brand = pd.read_csv(tmp_path / "by_brand.csv")
    assert set(by_brand["brand"]) == {"LarkspurHelp", "LarkspurUK"}
    assert by_brand["replies"].sum() == 25
    assert ((by_brand["canned_rate"] >= 0) & (by_brand["canned_rate"] <= 1)).all()
    by_week = pd.read_csv(tmp_path / "by_week.csv")
    assert len(by_week) >= 4  # the sample spans October 2026
    top = pd.read_csv(tmp_path / "top_templates.csv")
    assert len(top) == 4 and top["replies"].sum() == 19  # the README's four templates
