"""The small protocol long library calls (lab, verify, waves) report progress through, so that
the library never imports the CLI's display; the CLI draws it, tests and benches stay quiet."""

from typing import Protocol


class Reporter(Protocol):
    def step(self, description: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def note(self, text: str) -> None: ...


class QuietReporter:
    def step(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def note(self, text: str) -> None:
        pass
