"""Problems found in the inventory, each tied to a file, a line and a field path."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: Path
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}: {self.field or '(file)'}: {self.reason}"


class InventoryError(Exception):
    """Raised with every problem found, so one run shows the whole list, not the first only."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path) -> str:
    """Relative to the working directory when below it: that is what an operator typed."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
