"""A verify run's outcome: one Check per (host, control), judged against the waivers, with the
drift from the previous run of the same selection. Saved as verify.json in the run's folder."""

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel

from tcd.model.waivers import Waiver
from tcd.verify.plan import HostControls

Result = Literal["passed", "failed", "unreachable", "waived"]
RESULTS: tuple[str, ...] = get_args(Result)
FAILING = ("failed", "unreachable")
RESULT_FILE = "verify.json"
SCHEMA_VERSION = 2  # of verify.json and `tcd verify --json`; 1 was VerifyRun's own dump


class ReportError(ValueError):
    """A verify.json this tcd cannot read."""


class WaiverNote(BaseModel):
    justification: str
    expires: dt.date
    expired: bool


class Check(BaseModel):
    site: int | None
    site_name: str
    host: str
    control: str
    title: str
    title_vi: str
    severity: str
    result: Result
    reason: str = ""
    seconds: float = 0.0  # how long the check took on the host
    waiver: WaiverNote | None = None  # a waiver that covers this failure (applied or expired)

    @property
    def key(self) -> str:
        return f"{self.host} {self.control}"


class Drift(BaseModel):
    previous: str | None = None  # the run compared with (its id), None for the first run
    newly_failing: list[str] = []  # "host control"
    newly_passing: list[str] = []
    # earlier reports that could not be read, each "PATH: why": said, never skipped silently
    unreadable: list[str] = []


class SiteSummary(BaseModel):
    site: int | None
    name: str
    hosts: list[str]
    counts: dict[str, int]
    status: Literal["pass", "fail", "unreachable"]


class VerifyRun(BaseModel):
    id: str
    target: str
    selection: str  # what was asked, e.g. "wave pilot"
    selection_key: str  # target and hosts: runs with the same key are compared
    started: dt.datetime
    seconds: float
    checks: list[Check]
    drift: Drift = Drift()

    @property
    def failed(self) -> bool:
        return any(c.result in FAILING for c in self.checks)

    def counts(self) -> dict[str, int]:
        return _counts(self.checks)

    def sites(self) -> list[SiteSummary]:
        order: dict[int | str | None, list[Check]] = {}
        for check in self.checks:
            order.setdefault(check.site if check.site is not None else check.host, []).append(check)
        summaries = []
        for checks in order.values():
            counted = _counts(checks)
            status = "unreachable" if counted["unreachable"] else "pass"
            status = "fail" if counted["failed"] else status
            summaries.append(
                SiteSummary(
                    site=checks[0].site,
                    name=checks[0].site_name if checks[0].site is not None else checks[0].host,
                    hosts=list(dict.fromkeys(c.host for c in checks)),
                    counts=counted,
                    status=status,
                )
            )
        return summaries

    def expired_waivers(self) -> list[Check]:
        return [c for c in self.checks if c.waiver is not None and c.waiver.expired]

    def as_json(self) -> dict[str, Any]:
        """What `--json` prints and verify.json holds (one shape): per host its site and every
        control's result, reason and time."""
        hosts: dict[str, dict[str, Any]] = {}
        for check in self.checks:
            entry = hosts.setdefault(
                check.host, {"site": check.site, "site_name": check.site_name, "checks": []}
            )
            entry["checks"].append(
                check.model_dump(mode="json", exclude={"site", "site_name", "host", "waiver"})
                | ({"waiver": check.waiver.model_dump(mode="json")} if check.waiver else {})
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "target": self.target,
            "selection": self.selection,
            "selection_key": self.selection_key,
            "started": self.started.isoformat(),
            "seconds": self.seconds,
            "passed": not self.failed,
            "counts": self.counts(),
            "drift": self.drift.model_dump(),
            "hosts": hosts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VerifyRun":
        """A run from its verify.json; ReportError if this tcd cannot read that version."""
        version = data.get("schema_version", 1) if isinstance(data, dict) else None
        if version == 1:  # VerifyRun's own dump, written before the two shapes were one
            return cls.model_validate(data)
        if version != SCHEMA_VERSION:
            raise ReportError(f"schema_version {version!r} (this tcd reads 1 and {SCHEMA_VERSION})")
        checks = [
            Check(site=entry["site"], site_name=entry["site_name"], host=host, **check)
            for host, entry in data["hosts"].items()
            for check in entry["checks"]
        ]
        fields = ("id", "target", "selection", "selection_key", "started", "seconds", "drift")
        return cls.model_validate({**{k: data[k] for k in fields}, "checks": checks})


def _counts(checks: Iterable[Check]) -> dict[str, int]:
    counted = Counter(c.result for c in checks)
    return {result: counted.get(result, 0) for result in RESULTS}


def selection_key(target: str, hosts: Iterable[str]) -> str:
    text = "\n".join([target, *sorted(hosts)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def judge(
    subjects: list[HostControls],
    lines: list[dict[str, Any]],
    waivers: list[Waiver],
    today: dt.date,
) -> list[Check]:
    """One Check per control each host must meet, in plan order. A control the suite gave no
    result for fails ("not checked"): nothing is passed by omission."""
    found = {(line["host"], line["control"]): line for line in lines}
    checks = []
    for subject in subjects:
        for control in subject.controls:
            line = found.get(
                (subject.host, control.id),
                {"result": "failed", "reason": "not checked: the suite gave no result"},
            )
            check = Check(
                site=subject.site,
                site_name=subject.site_name,
                host=subject.host,
                control=control.id,
                title=control.title,
                title_vi=control.title_vi,
                severity=control.severity.value,
                result=line["result"],
                reason=line["reason"],
                seconds=line.get("duration", 0.0),
            )
            if check.result == "failed":
                _waive(check, waivers, today)
            checks.append(check)
    return checks


def _waive(check: Check, waivers: list[Waiver], today: dt.date) -> None:
    covering = [w for w in waivers if w.covers(check.control, check.site, check.host)]
    if not covering:
        return
    # the one that still applies, else the latest to have expired
    waiver = max(covering, key=lambda w: (w.active(today), w.expires))
    expired = not waiver.active(today)
    check.waiver = WaiverNote(
        justification=waiver.justification, expires=waiver.expires, expired=expired
    )
    if not expired:
        check.result = "waived"


def previous_run(reports: Path, key: str, before: str) -> tuple["VerifyRun | None", list[str]]:
    """The latest earlier run with the same selection key, from the run folders under reports/;
    and the reports met on the way that could not be read ("PATH: why")."""
    runs = sorted(
        (p for p in reports.glob(f"*/{RESULT_FILE}") if p.parent.name < before), reverse=True
    )
    unreadable = []
    for path in runs:
        try:
            run = VerifyRun.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            unreadable.append(f"{path}: {reason}")
            continue
        if run.selection_key == key:
            return run, unreadable
    return None, unreadable


def drift(current: list[Check], previous: "VerifyRun | None") -> Drift:
    if previous is None:
        return Drift()
    before = {c.key: c.result for c in previous.checks}
    failing_now = {c.key for c in current if c.result in FAILING}
    passing_now = {c.key for c in current if c.result not in FAILING}
    return Drift(
        previous=previous.id,
        newly_failing=sorted(k for k in failing_now if before.get(k, "passed") not in FAILING),
        newly_passing=sorted(k for k in passing_now if before.get(k) in FAILING),
    )
