"""Load inventory/ as a whole: every file validated, then the rules that span files."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tcd.batch import cycle_collector_paused
from tcd.loading.crosscheck import SITE_FILE, check_controls, check_waivers, crosscheck
from tcd.loading.problems import InventoryError, Problem
from tcd.loading.register import REGISTER_FILE, AdminUnit, read_register
from tcd.loading.validate import validate
from tcd.loading.yamlfile import SourceFile, read_yaml
from tcd.model.baseline import Baseline
from tcd.model.province import Province
from tcd.model.site import Site
from tcd.model.waivers import Waivers
from tcd.model.waves import Wave, Waves

PROVINCE_FILE = "province.yml"
BASELINE_FILE = "baseline.yml"
WAVES_FILE = "waves.yml"
WAIVERS_FILE = "waivers.yml"
SITES_DIR = "sites"


@dataclass(frozen=True)
class Inventory:
    root: Path
    province: Province
    baseline: Baseline
    waves: Waves
    sites: dict[int, Site]  # by code, in code order
    register: dict[int, AdminUnit]
    sources: dict[str, SourceFile]  # province/baseline/waves by file name, sites by str(code)
    waivers: Waivers = field(default_factory=Waivers)

    def site_source(self, code: int) -> SourceFile:
        return self.sources[str(code)]

    @property
    def province_source(self) -> SourceFile:
        return self.sources[PROVINCE_FILE]

    def wave(self, name: str) -> Wave:
        for wave in self.waves.waves:
            if wave.name == name:
                return wave
        known = ", ".join(w.name for w in self.waves.waves)
        raise KeyError(f"unknown wave {name!r} (waves.yml has: {known})")

    def rollout_order(self) -> list[int]:
        """Every site code, wave after wave (pilot first)."""
        return [code for wave in self.waves.waves for code in wave.sites]

    def select(self, wave: str | None = None, codes: Iterable[int] | None = None) -> list[Site]:
        """Sites of a wave, or of explicit codes, or all; KeyError names what is unknown."""
        if wave is not None:
            return [self.sites[code] for code in self.wave(wave).sites]
        if codes is not None:
            wanted = list(codes)
            unknown = [str(code) for code in wanted if code not in self.sites]
            if unknown:
                raise KeyError(f"unknown site code(s): {', '.join(unknown)}")
            return [self.sites[code] for code in wanted]
        return list(self.sites.values())


def load_inventory(root: Path) -> Inventory:
    """Load and validate everything under `root`; raise InventoryError listing every problem."""
    with cycle_collector_paused():
        return _load(Path(root))


def _load(root: Path) -> Inventory:
    if not root.is_dir():
        raise InventoryError([Problem(root, 1, "", "inventory folder not found")])
    problems: list[Problem] = []
    sources: dict[str, SourceFile] = {}

    def load_one(path: Path, model: type, key: str, optional: bool = False):
        if optional and not path.is_file():
            return model()
        if not path.is_file():
            problems.append(Problem(path, 1, "", "file missing"))
            return None
        source, found = read_yaml(path)
        problems.extend(found)
        if source is None:
            return None
        sources[key] = source
        loaded, found = validate(source, model)
        problems.extend(found)
        return loaded

    province = load_one(root / PROVINCE_FILE, Province, PROVINCE_FILE)
    baseline = load_one(root / BASELINE_FILE, Baseline, BASELINE_FILE)
    waves = load_one(root / WAVES_FILE, Waves, WAVES_FILE)
    waivers = load_one(root / WAIVERS_FILE, Waivers, WAIVERS_FILE, optional=True)
    register, found = read_register(root / REGISTER_FILE)
    problems.extend(found)

    site_files = sorted((root / SITES_DIR).glob("*.yml"))
    if not site_files:
        problems.append(Problem(root / SITES_DIR, 1, "", "no site files (*.yml)"))
    sites_by_file: list[tuple[SourceFile, Site]] = []
    for path in site_files:
        source, found = read_yaml(path)
        problems.extend(found)
        if source is None:
            continue
        site, found = validate(source, Site)
        problems.extend(found)
        if site is not None:
            sites_by_file.append((source, site))

    sites: dict[int, Site] = {}
    for source, site in sites_by_file:
        # a duplicate code is reported by crosscheck; the first file keeps the code
        if site.code not in sites:
            sites[site.code] = site
            sources[str(site.code)] = source

    file_codes = {int(m["code"]) for p in site_files if (m := SITE_FILE.match(p.name))}
    problems.extend(crosscheck(sites_by_file, register, waves, sources.get(WAVES_FILE), file_codes))
    if baseline is not None:
        problems.extend(check_controls(baseline, sources[BASELINE_FILE]))
    if waivers is not None and baseline is not None and WAIVERS_FILE in sources:
        problems.extend(check_waivers(waivers, sources[WAIVERS_FILE], baseline, sites))
    if problems or province is None or baseline is None or waves is None or waivers is None:
        raise InventoryError(problems)
    return Inventory(
        root=root,
        province=province,
        baseline=baseline,
        waves=waves,
        sites=dict(sorted(sites.items())),
        register=register,
        sources=sources,
        waivers=waivers,
    )
