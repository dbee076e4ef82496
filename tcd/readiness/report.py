"""The proposal for the Province, from a Review: an xlsx workbook and an HTML report, or with
`--by province` one workbook per former province and a national summary.

The workbook (tcd/readiness/workbook.py) has a summary sheet (every unit, its status, gaps and
cost; totals per former district, former province and wave) and one sheet per unit with the
detail. The HTML report (templates/reports/readiness/) has the same totals and three charts
drawn as inline SVG, so it opens offline, and prints on A4 landscape. Both are in Vietnamese;
amounts are VND. Every file is written beside its target and renamed into place only when all
of them are written: a failure leaves the previous reports as they were.
"""

import datetime as dt
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from xlsxwriter import Workbook
from xlsxwriter.exceptions import XlsxWriterException

from tcd.batch import cycle_collector_paused
from tcd.readiness.assess import Review, Status
from tcd.readiness.wording import (
    LEVELS,
    STATUS_ORDER,
    TITLE,
    Letterhead,
    describe,
    note,
    province_label,
    share_text,
)
from tcd.readiness.workbook import OPTIONS, fill_national, fill_workbook
from tcd.render import render, replaced_atomically
from tcd.text import format_number, format_vnd, slug

WORKBOOK_NAME = "ra-soat-san-sang.xlsx"
HTML_NAME = "ra-soat-san-sang.html"
NATIONAL_NAME = "ra-soat-san-sang-tong-hop.xlsx"
STATUS_COLOURS = {
    Status.READY: "2E7D32",
    Status.UPGRADE: "F9A825",
    Status.NOT_MET: "C62828",
    Status.NOT_SURVEYED: "9E9E9E",
}
MODE = 0o644  # reports are for sharing: readable by all, like any document


class ReportError(Exception):
    """A report that could not be written, named by its path; nothing was replaced."""


Writer = Callable[[Path], None]  # writes one report to the temporary path it is given


def _write_all(writers: dict[Path, Writer], processes: int = 1) -> None:
    """Each report to a temporary file beside it, in `processes` processes side by side, then
    every one renamed into place; on any failure every temporary file is removed and
    ReportError names the report."""
    try:
        with ExitStack() as renames:
            temporary = {}
            for path in writers:
                try:
                    temporary[path] = renames.enter_context(replaced_atomically(path, MODE))
                except OSError as exc:
                    raise _failed(path, exc) from exc
            if processes > 1 and len(writers) > 1:
                _write_in_processes(writers, temporary, processes)
            else:
                for path, write in writers.items():
                    try:
                        write(temporary[path])
                    except (XlsxWriterException, OSError) as exc:
                        raise _failed(path, exc) from exc
    except OSError as exc:  # renaming into place
        raise _failed(Path(exc.filename2 or exc.filename or "?"), exc) from exc


def _write_in_processes(
    writers: dict[Path, Writer], temporary: dict[Path, Path], processes: int
) -> None:
    """Workbooks are pure Python (XlsxWriter): one process per core writes them side by side.
    The workers are forked, so they have the review and the writers without pickling them;
    only the paths go through the pipe."""
    import multiprocessing  # noqa: PLC0415 (only for --by province)
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        min(processes, len(writers)), context, initializer=_adopt, initargs=(writers,)
    ) as pool:
        jobs = {path: pool.submit(_run, str(path), str(temporary[path])) for path in writers}
        for path, job in jobs.items():
            try:
                job.result()
            except BaseException as exc:
                pool.shutdown(cancel_futures=True)
                if isinstance(exc, XlsxWriterException | OSError):
                    raise _failed(path, exc) from exc
                raise


_WRITERS: dict[str, Writer] = {}  # in a worker process: the writers it was forked with


def _adopt(writers: dict[Path, Writer]) -> None:
    _WRITERS.update((str(path), write) for path, write in writers.items())


def _run(path: str, tmp: str) -> None:
    _WRITERS[path](Path(tmp))


def _failed(path: Path, exc: Exception) -> ReportError:
    return ReportError(f"{path} was not written: {_reason(exc)}")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _reason(exc: Exception) -> str:
    """The cause without the temporary file's name (XlsxWriter wraps an OSError)."""
    cause = exc.args[0] if isinstance(exc, XlsxWriterException) and exc.args else exc
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause)


def _workbook(fill: Callable[[Workbook], None]) -> Writer:
    def write(tmp: Path) -> None:
        book = Workbook(str(tmp), OPTIONS)
        fill(book)
        book.close()

    return write


def write_reports(
    review: Review, out_dir: Path, today: dt.date, letterhead: Letterhead
) -> tuple[Path, Path]:
    """Write the workbook and the HTML report into `out_dir`; their paths."""
    workbook_path = out_dir / WORKBOOK_NAME
    html_path = out_dir / HTML_NAME
    with cycle_collector_paused():
        _write_all(
            {
                workbook_path: _workbook(
                    lambda book: fill_workbook(book, review, today, letterhead)
                ),
                html_path: lambda tmp: tmp.write_text(
                    proposal_html(review, today), encoding="utf-8"
                ),
            }
        )
    return workbook_path, html_path


def province_file(province: str) -> str:
    """'ra-soat-san-sang-binh-phuoc.xlsx'."""
    return f"ra-soat-san-sang-{slug(province) or 'khong-ten'}.xlsx"


def write_by_province(
    review: Review, out_dir: Path, today: dt.date, letterhead: Letterhead
) -> tuple[Path, dict[str, Path]]:
    """One workbook per former province (its units, a unit of several provinces in each) and
    the national summary; the summary's path and each province's."""
    files: dict[str, str] = {}
    for province in review.by_province():
        name = province_file(province)
        if name in files.values() or name == NATIONAL_NAME:
            # two names that fold to one slug ('Đồng Nai', 'Dong Nai'): numbered, not merged
            name = name.replace(".xlsx", f"-{len(files) + 1}.xlsx")
        files[province] = name
    writers: dict[Path, Writer] = {}
    for province, name in files.items():

        def fill(book: Workbook, province: str = province) -> None:
            part = review.for_province(province)
            fill_workbook(book, part, today, letterhead, scope=province)

        writers[out_dir / name] = _workbook(fill)
    national = out_dir / NATIONAL_NAME
    writers[national] = _workbook(
        lambda book: fill_national(book, review, today, letterhead, files)
    )
    with cycle_collector_paused():
        _write_all(writers, processes=cores())
    return national, {province: out_dir / name for province, name in files.items()}


# ---- html ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as printed beside the bar
    fraction: float  # of the longest bar
    colour: str = "1F4E79"


def _bars(rows: list[tuple[str, Fraction, str]], colours: list[str] | None = None) -> list[Bar]:
    longest = max((value for _, value, _ in rows), default=0) or 1
    return [
        Bar(label, float(value), text, float(value / longest), colours[i] if colours else "1F4E79")
        for i, (label, value, text) in enumerate(rows)
    ]


def proposal_html(review: Review, today: dt.date, top_gaps: int = 10) -> str:
    province = review.province
    districts = review.by_district()
    charts = {
        "status": _bars(
            [
                (str(s), Fraction(province.statuses[s]), format_number(province.statuses[s]))
                for s in STATUS_ORDER
            ],
            [STATUS_COLOURS[s] for s in STATUS_ORDER],
        ),
        "districts": _bars(
            [(name, t.one_off, format_vnd(t.one_off)) for name, t in districts.items()]
        ),
        "gaps": _bars(
            [
                (" ".join((r.id, r.title)), Fraction(n), str(n))
                for r, n in review.gap_counts()[:top_gaps]
            ]
        ),
    }
    titles = {wave.name: wave.title for wave in review.waves}
    return render(
        "reports/readiness/report.html.j2",
        review=review,
        province=province,
        districts=districts,
        provinces=review.by_province(),
        districts_by_province=review.districts_by_province(),
        waves=review.by_wave(),
        wave_titles=titles,
        charts=charts,
        statuses=STATUS_ORDER,
        colours=STATUS_COLOURS,
        levels=LEVELS,
        describe=describe,
        note=note,
        number=format_number,
        province_label=province_label,
        share_text=share_text,
        title=TITLE,
        today=today,
    )
