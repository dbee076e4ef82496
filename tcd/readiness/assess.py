"""Every unit against the readiness requirements of baseline.yml: its status, its gaps, and
what closing them costs. The rules (docs/readiness.md):

Status
  - Chưa khảo sát: the site file says ``survey: not_surveyed``.
  - Chưa đáp ứng: a gap in a ``blocking`` requirement (no PC, no camera, no microphone, no
    speakers, no display, no uplink): no session can take place at all.
  - Cần nâng cấp: any other gap (level must or should).
  - Đạt: no gap.

Assessment
  - A failing blocking requirement supersedes the rest of its area: the other requirements of
    that area are not assessed (there is nothing to assess; the remedy buys an item that meets
    them).
  - Areas with several items (pc, camera, display): ``count`` is the total (a PC line counts
    ``count`` machines); every other check is made on the unit's best item, the one with the
    fewest failing checks (the first listed on a tie): the room needs one that works.
  - A value the survey does not give fails its check (the survey must show it).

Costs (one room per unit: each remedy item × its quantity)
  - A price item asked by two gaps of one unit is counted once, on the first gap (in
    baseline order); the later gap says where it is counted (e.g. ssd_512gb for RDY-PC-003 and
    RDY-PC-004).
  - When a gap of an item area (pc, camera, display) asks for the item its blocking
    requirement buys (a new PC for a PC too old), the other remedy items of that area are not
    bought: the new item replaces the old one (no RAM or SSD for a PC that is replaced).
  - Recurring items (``recurring: true``, yearly lines) are totalled apart from one-off ones.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from tcd.batch import cycle_collector_paused
from tcd.loading import Inventory
from tcd.model.baseline import (
    Area,
    Baseline,
    MaxAge,
    MinValue,
    OneOf,
    PriceItem,
    Required,
    Requirement,
)
from tcd.model.site import Site
from tcd.model.survey import NOT_SURVEYED, SurveyFindings
from tcd.survey.cells import canonical_os

ITEM_AREAS = {Area.PC: "pcs", Area.CAMERA: "cameras", Area.DISPLAY: "displays"}


class Status(StrEnum):
    READY = "Đạt"
    UPGRADE = "Cần nâng cấp"
    NOT_MET = "Chưa đáp ứng"
    NOT_SURVEYED = "Chưa khảo sát"


@dataclass(frozen=True)
class CostLine:
    price: PriceItem
    quantity: int

    @property
    def amount(self) -> int:
        return self.price.unit_price_vnd * self.quantity


@dataclass(frozen=True)
class Gap:
    requirement: Requirement
    found: Any  # the value the survey gives (None: not given, or nothing to check)
    costs: tuple[CostLine, ...] = ()
    counted_in: tuple[str, ...] = ()  # requirement ids whose lines already buy this remedy

    @cached_property
    def one_off(self) -> int:
        return sum(line.amount for line in self.costs if not line.price.recurring)

    @cached_property
    def yearly(self) -> int:
        return sum(line.amount for line in self.costs if line.price.recurring)


@dataclass(frozen=True)
class UnitAssessment:
    site: Site
    district: str  # the first former district: where the unit's cost is totalled
    status: Status
    gaps: tuple[Gap, ...] = ()

    # cached: the summary, the unit sheet, the totals and the HTML all ask
    @cached_property
    def one_off(self) -> int:
        return sum(gap.one_off for gap in self.gaps)

    @cached_property
    def yearly(self) -> int:
        return sum(gap.yearly for gap in self.gaps)

    @property
    def survey_date(self) -> dt.date | None:
        return self.site.survey.date if isinstance(self.site.survey, SurveyFindings) else None


@dataclass
class Totals:
    units: int = 0
    statuses: Counter[Status] = field(default_factory=Counter)
    one_off: int = 0
    yearly: int = 0

    def add(self, unit: UnitAssessment) -> None:
        self.units += 1
        self.statuses[unit.status] += 1
        self.one_off += unit.one_off
        self.yearly += unit.yearly


@dataclass(frozen=True)
class Review:
    baseline: Baseline
    units: tuple[UnitAssessment, ...]

    @cached_property
    def province(self) -> Totals:
        return _totals(self.units)

    def by_district(self) -> dict[str, Totals]:
        """Totals per former district, in the order their first unit appears."""
        return dict(self._districts)

    @cached_property
    def _districts(self) -> dict[str, Totals]:
        districts: dict[str, list[UnitAssessment]] = {}
        for unit in self.units:
            districts.setdefault(unit.district, []).append(unit)
        return {name: _totals(units) for name, units in districts.items()}

    def gap_counts(self) -> list[tuple[Requirement, int]]:
        """Requirements by how many units have a gap in them, most first."""
        counts = Counter(gap.requirement.id for unit in self.units for gap in unit.gaps)
        by_id = {r.id: r for r in self.baseline.readiness}
        return [(by_id[rid], n) for rid, n in counts.most_common()]


def _totals(units: Iterable[UnitAssessment]) -> Totals:
    totals = Totals()
    for unit in units:
        totals.add(unit)
    return totals


def review(inventory: Inventory, sites: Sequence[Site] | None = None) -> Review:
    chosen = inventory.sites.values() if sites is None else sites
    rules = _Rules.of(inventory.baseline)
    with cycle_collector_paused():
        return Review(inventory.baseline, tuple(_assess(site, rules) for site in chosen))


def assess(site: Site, baseline: Baseline) -> UnitAssessment:
    return _assess(site, _Rules.of(baseline))


@dataclass(frozen=True)
class _Rules:
    """The baseline's requirements arranged once per review, not once per unit."""

    baseline: Baseline
    # per area in baseline order: its blocking requirements, then the others
    areas: tuple[tuple[tuple[Requirement, ...], tuple[Requirement, ...]], ...]
    # per item area: the price items its blocking requirement buys (a whole new item)
    replacements: dict[Area, frozenset[str]]
    supported_os: dict[str, frozenset[str]]  # requirement id -> canonical spellings

    @classmethod
    def of(cls, baseline: Baseline) -> "_Rules":
        readiness = baseline.readiness
        areas = tuple(
            (
                tuple(r for r in readiness if r.area == area and r.blocking),
                tuple(r for r in readiness if r.area == area and not r.blocking),
            )
            for area in dict.fromkeys(r.area for r in readiness)
        )
        replacements = {
            r.area: frozenset(item.price for item in r.remedy)
            for r in readiness
            if r.blocking and r.area in ITEM_AREAS
        }
        supported_os = {
            r.id: frozenset(canonical_os(v) for v in r.check.values)
            for r in readiness
            if isinstance(r.check, OneOf) and r.check.field == "os"
        }
        return cls(baseline, areas, replacements, supported_os)


def _assess(site: Site, rules: _Rules) -> UnitAssessment:
    district = site.former_districts[0]
    if site.survey == NOT_SURVEYED or not isinstance(site.survey, SurveyFindings):
        return UnitAssessment(site, district, Status.NOT_SURVEYED)
    failing: list[tuple[Requirement, Any]] = []
    for blocking, others in rules.areas:
        failing.extend(_area_gaps(site, site.survey, blocking, others, rules))
    gaps = _costed(failing, rules)
    if any(gap.requirement.blocking for gap in gaps):
        status = Status.NOT_MET
    else:
        status = Status.UPGRADE if gaps else Status.READY
    return UnitAssessment(site, district, status, tuple(gaps))


def _area_gaps(
    site: Site,
    survey: SurveyFindings,
    blocking: tuple[Requirement, ...],
    others: tuple[Requirement, ...],
    rules: _Rules,
) -> list[tuple[Requirement, Any]]:
    area = (blocking or others)[0].area
    items = _items(site, survey, area)
    for requirement in blocking:
        ok, found = _check(requirement, items[0] if items else {}, survey, items, rules)
        if not ok:
            return [(requirement, found)]  # supersedes the rest of the area
    # the best item: the one with the fewest failing checks (the first on a tie)
    results = [
        [(r, *_check(r, item, survey, items, rules)) for r in others] for item in items or [{}]
    ]
    best = min(results, key=lambda checks: sum(not ok for _, ok, _ in checks))
    return [(requirement, found) for requirement, ok, found in best if not ok]


def _items(site: Site, survey: SurveyFindings, area: Area) -> list[dict[str, Any]]:
    """The things of an area as field -> value mappings (several for pc, camera, display)."""
    if area in ITEM_AREAS:
        return [item.model_dump() for item in getattr(survey, ITEM_AREAS[area])]
    if area is Area.NETWORK:
        network = survey.network.model_dump() if survey.network else {}
        uplink = site.uplink.model_dump() if site.uplink else {}
        return [network | uplink]
    section = getattr(survey, area.value)
    return [section.model_dump()] if section is not None else [{}]


def _check(
    requirement: Requirement,
    item: dict[str, Any],
    survey: SurveyFindings,
    items: list[dict[str, Any]],
    rules: _Rules,
) -> tuple[bool, Any]:
    check = requirement.check
    if check.field == "count" and requirement.area in ITEM_AREAS:
        found = sum(i.get("count", 1) for i in items)
        return found >= check.value, found  # type: ignore[union-attr]
    value = item.get(check.field)
    match check:
        case MinValue():
            return value is not None and value >= check.value, value
        case MaxAge():
            return value is not None and survey.date.year - value <= check.years, value
        case OneOf():
            if value is None:
                return False, None
            if check.field == "os":
                return canonical_os(value) in rules.supported_os[requirement.id], value
            return str(value) in check.values, str(value)
        case Required():
            return bool(value), bool(value)
    raise AssertionError(check)


def _costed(failing: list[tuple[Requirement, Any]], rules: _Rules) -> list[Gap]:
    replacements = rules.replacements
    replacing: dict[Area, str] = {}  # area -> the gap whose remedy buys a whole new item
    for requirement, _ in failing:
        if {i.price for i in requirement.remedy} & replacements.get(requirement.area, frozenset()):
            replacing.setdefault(requirement.area, requirement.id)
    bought: dict[str, tuple[int, str]] = {}  # price id -> (quantity, the gap that buys it)
    gaps = []
    for requirement, found in failing:
        lines: list[CostLine] = []
        counted_in: list[str] = []
        new_item = replacements.get(requirement.area, frozenset())
        for item in requirement.remedy:
            by = replacing.get(requirement.area)
            if by is not None and by != requirement.id and item.price not in new_item:
                counted_in.append(by)
                continue
            have, buyer = bought.get(item.price, (0, requirement.id))
            if item.quantity > have:
                lines.append(CostLine(rules.baseline.price(item.price), item.quantity - have))
                bought[item.price] = (item.quantity, buyer if have else requirement.id)
            else:
                counted_in.append(buyer)
        gaps.append(Gap(requirement, found, tuple(lines), tuple(dict.fromkeys(counted_in))))
    return gaps
