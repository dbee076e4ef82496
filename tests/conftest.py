"""Shared fixtures: a private copy of the committed inventory, and the CLI run in-process."""

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tcd.cli.main import app

REPO = Path(__file__).resolve().parent.parent
INVENTORY = REPO / "inventory"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def tcd() -> Callable[..., Run]:
    runner = CliRunner()

    def run(*args: str) -> Run:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def inventory_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """inventory/ copied into a fresh folder that is also the working directory, so problems
    are printed as inventory/sites/... just as an operator in the repo sees them."""
    shutil.copytree(INVENTORY, tmp_path / "inventory")
    monkeypatch.chdir(tmp_path)
    return Path("inventory")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def replace_in(path: Path, old: str, new: str, count: int = 1) -> int:
    """Edit one occurrence of `old` and return the 1-based line where the edit starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def site_file(inventory: Path, code: int) -> Path:
    (path,) = (inventory / "sites").glob(f"{code}-*.yml")
    return path
