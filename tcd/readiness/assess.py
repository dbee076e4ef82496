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

Totals
  - A unit formed from several former districts is counted in each of them with an equal
    share (½ each for two): its count, its status and its costs. A former province's totals
    are those of its districts; the province-wide totals are those of the units, whole.
"""

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
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
from tcd.model.waves import Wave
from tcd.survey.cells import canonical_os

ITEM_AREAS = {Area.PC: "pcs", Area.CAMERA: "cameras", Area.DISPLAY: "displays"}
UNKNOWN_PROVINCE = "Không rõ tỉnh cũ"
NO_WAVE = "chưa xếp đợt"


def former_province(district: str) -> str:
    """'Huyện Long Thành (Đồng Nai)' -> 'Đồng Nai': the register names a former district with
    its former province in parentheses."""
    found = re.search(r"\(([^()]+)\)\s*$", district)
    return found.group(1).strip() if found else UNKNOWN_PROVINCE


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
    status: Status
    gaps: tuple[Gap, ...] = ()
    wave: str = NO_WAVE  # its wave in waves.yml

    @cached_property
    def districts(self) -> dict[str, Fraction]:
        """Each former district with the unit's share in it: equal shares that add up to 1."""
        names = dict.fromkeys(self.site.former_districts)
        return dict.fromkeys(names, Fraction(1, len(names)))

    @cached_property
    def provinces(self) -> dict[str, Fraction]:
        """Each former province with the unit's share in it (the shares of its districts)."""
        shares: dict[str, Fraction] = {}
        for district, share in self.districts.items():
            province = former_province(district)
            shares[province] = shares.get(province, Fraction(0)) + share
        return shares

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
    """Units counted with their share (a unit of two former districts is ½ in each), so
    counts and amounts are exact fractions; whole units add up to whole numbers."""

    units: Fraction = Fraction(0)
    statuses: Counter[Status] = field(default_factory=Counter)
    one_off: Fraction = Fraction(0)
    yearly: Fraction = Fraction(0)
    shared: list[tuple[UnitAssessment, Fraction]] = field(default_factory=list)  # share < 1

    def add(self, unit: UnitAssessment, share: Fraction = Fraction(1)) -> None:
        self.units += share
        self.statuses[unit.status] += share
        self.one_off += share * unit.one_off
        self.yearly += share * unit.yearly
        if share != 1:
            self.shared.append((unit, share))


@dataclass(frozen=True)
class Review:
    baseline: Baseline
    units: tuple[UnitAssessment, ...]
    waves: tuple[Wave, ...] = ()  # waves.yml's, in rollout order

    @cached_property
    def province(self) -> Totals:
        """The units, whole: the sum of the former provinces, and of the waves."""
        return _totals(self.units)

    def by_district(self) -> dict[str, Totals]:
        """Totals per former district, each unit with its share, in the order their first
        unit appears."""
        return dict(self._districts)

    def by_province(self) -> dict[str, Totals]:
        """Totals per former province (the sum of its districts), in the order their first
        unit appears."""
        return dict(self._provinces)

    def districts_by_province(self) -> dict[str, list[str]]:
        """The former districts of each former province, both in order of first appearance."""
        grouped: dict[str, list[str]] = {name: [] for name in self._provinces}
        for district in self._districts:
            grouped[former_province(district)].append(district)
        return grouped

    def by_wave(self) -> dict[str, Totals]:
        """Totals per wave in rollout order (waves without a unit here left out), then the
        units in no wave of waves.yml, if any."""
        waves: dict[str, list[UnitAssessment]] = {wave.name: [] for wave in self.waves}
        for unit in self.units:
            waves.setdefault(unit.wave, []).append(unit)
        return {name: _totals(units) for name, units in waves.items() if units}

    def by_status(self, province: str | None = None) -> dict[Status, Totals]:
        """Totals per status of the whole review, or of the units' shares in a former
        province; every status is there, in Status order."""
        statuses = {status: Totals() for status in Status}
        for unit in self.units:
            share = Fraction(1) if province is None else unit.provinces.get(province)
            if share:
                statuses[unit.status].add(unit, share)
        return statuses

    def for_province(self, province: str) -> "Review":
        """The units with a share in a former province, for its own workbook."""
        units = tuple(unit for unit in self.units if province in unit.provinces)
        return Review(self.baseline, units, self.waves)

    @cached_property
    def _districts(self) -> dict[str, Totals]:
        return _shared_totals(self.units, lambda unit: unit.districts)

    @cached_property
    def _provinces(self) -> dict[str, Totals]:
        return _shared_totals(self.units, lambda unit: unit.provinces)

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


def _shared_totals(
    units: Iterable[UnitAssessment],
    shares: Callable[[UnitAssessment], Mapping[str, Fraction]],
) -> dict[str, Totals]:
    groups: dict[str, Totals] = {}
    for unit in units:
        for name, share in shares(unit).items():
            groups.setdefault(name, Totals()).add(unit, share)
    return groups


def review(inventory: Inventory, sites: Sequence[Site] | None = None) -> Review:
    chosen = inventory.sites.values() if sites is None else sites
    rules = _Rules.of(inventory.baseline)
    waves = tuple(inventory.waves.waves)
    wave_of = {code: wave.name for wave in waves for code in wave.sites}
    with cycle_collector_paused():
        units = tuple(_assess(site, rules, wave_of.get(site.code, NO_WAVE)) for site in chosen)
        return Review(inventory.baseline, units, waves)


def assess(site: Site, baseline: Baseline) -> UnitAssessment:
    return _assess(site, _Rules.of(baseline), site.wave)


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


def _assess(site: Site, rules: _Rules, wave: str) -> UnitAssessment:
    if site.survey == NOT_SURVEYED or not isinstance(site.survey, SurveyFindings):
        return UnitAssessment(site, Status.NOT_SURVEYED, wave=wave)
    failing: list[tuple[Requirement, Any]] = []
    for blocking, others in rules.areas:
        failing.extend(_area_gaps(site, site.survey, blocking, others, rules))
    gaps = _costed(failing, rules)
    if any(gap.requirement.blocking for gap in gaps):
        status = Status.NOT_MET
    else:
        status = Status.UPGRADE if gaps else Status.READY
    return UnitAssessment(site, status, tuple(gaps), wave)


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
