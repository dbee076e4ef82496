"""A rich progress display behind the small Reporter protocol the library reports through."""

from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tcd.cli.common import errors


class RichReporter:
    """Each step is a line with a spinner (and a bar when its size is known); notes show on the
    current line, e.g. debootstrap's "Retrieving …". Drawn on stderr, so stdout stays data."""

    def __init__(self) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[note]}"),
            console=errors,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> "RichReporter":
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish()
        self._progress.__exit__(kind, value, tb)

    def _finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(
                self._task, completed=task.total or 1, total=task.total or 1, note=""
            )
            self._progress.stop_task(self._task)  # freezes its elapsed time

    def step(self, description: str, total: int | None = None) -> None:
        self._finish()
        self._task = self._progress.add_task(description, total=total, note="")

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def note(self, text: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, note=text[:60])
