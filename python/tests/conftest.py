"""Shared fixtures: the repository's paths, the real corpus (skipped, saying why, when
../shared is absent), and the `cannery` command to compare with."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "examples" / "data" / "sample-archive.jsonl"


@pytest.fixture(scope="session")
def replies_path():
    """The real reply corpus, or a skip naming the missing file."""
    path = SHARED / "replies.jsonl"
    if not path.is_file():
        pytest.skip(f"the real corpus is absent ({path}): tests on it are skipped")
    return path


@pytest.fixture(scope="session")
def cli():
    """The `cannery` command: $CANNERY_BIN, else target/release/cannery, else
    target/debug/cannery. When CANNERY_BIN is set (as .ci/run sets it), a missing command is a
    failure, not a skip."""
    given = os.environ.get("CANNERY_BIN")
    if given:
        assert Path(given).is_file(), f"CANNERY_BIN={given} is not a file"
        return given
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "cannery"
        if path.is_file():
            return str(path)
    found = shutil.which("cannery")
    if found:
        return found
    pytest.skip("no cannery command: build it with `cargo build --release -p cannery-cli`")


def run_cli(cli, *args):
    """Runs the command; its standard output (a failure shows its standard error)."""
    done = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"cannery {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout
