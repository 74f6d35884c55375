"""The README's Python example runs, from the repository's root, and prints what the README
shows after it."""

import contextlib
import io
import re

import pytest

from conftest import ROOT

pytest.importorskip("pandas", reason="pandas is not installed: the README example is not run")


def test_readme_python_example(monkeypatch, tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python and Spark"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    code = code.replace("/tmp/larkspur.cannery", str(tmp_path / "larkspur.cannery"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    lines = [line.rstrip() for line in printed.getvalue().splitlines()]
    assert lines == shown.rstrip("\n").splitlines()
    assert (tmp_path / "larkspur.cannery").is_file()
