"""Rules that need more than one file: names, codes and wave membership across the inventory,
and the baseline's controls against the role registry."""

import re
from collections import Counter

from roles.registry import BY_NAME as ROLES
from tcd.loading.problems import Problem
from tcd.loading.register import AdminUnit
from tcd.loading.yamlfile import SourceFile
from tcd.model.baseline import Baseline
from tcd.model.province import HUB_NAMES
from tcd.model.site import HostRole, Site
from tcd.model.waivers import Waivers
from tcd.model.waves import Waves

SITE_FILE = re.compile(r"^(?P<code>[0-9]{5})-[a-z0-9]+(?:-[a-z0-9]+)*\.yml$")


def crosscheck(
    sites: list[tuple[SourceFile, Site]],
    register: dict[int, AdminUnit],
    waves: Waves | None,
    waves_source: SourceFile | None,
    file_codes: set[int],
) -> list[Problem]:
    """`file_codes` are the codes in the names of all site files, even those that did not load:
    a broken site file is reported once, not again as missing from its wave."""
    problems: list[Problem] = []
    for source, site in sites:
        problems.extend(_check_site(source, site, register))
    problems.extend(_check_unique_names(sites))
    if waves is not None and waves_source is not None:
        problems.extend(_check_waves(sites, waves, waves_source, file_codes))
    return problems


def _check_site(source: SourceFile, site: Site, register: dict[int, AdminUnit]) -> list[Problem]:
    problems: list[Problem] = []
    match = SITE_FILE.match(source.path.name)
    if match is None:
        problems.append(
            source.problem(
                ("code",),
                f"file name must be <code>-<ascii-slug>.yml, e.g. {site.code:05d}-long-hung.yml",
            )
        )
    elif int(match["code"]) != site.code:
        problems.append(
            source.problem(
                ("code",), f"code {site.code} does not match the file name ({source.path.name})"
            )
        )
    official = register.get(site.code)
    if register and official is None:
        problems.append(
            source.problem(
                ("code",), f"code {site.code} is not in the official register (admin_units.csv)"
            )
        )
    elif official is not None:
        # Names and types do change (decisions of the State): the register changes first.
        for key in ("name", "type"):
            if getattr(site, key) != getattr(official, key):
                problems.append(
                    source.problem(
                        (key,),
                        f"{getattr(site, key)!r} differs from the official register "
                        f"({getattr(official, key)!r} in admin_units.csv)",
                    )
                )
    prefix = f"tcd-{site.code:05d}-"
    host_names = {host.name for host in site.hosts}
    for index, host in enumerate(site.hosts):
        if not host.name.startswith(prefix):
            problems.append(
                source.problem(
                    ("hosts", index, "name"), f"host names of this site start with {prefix!r}"
                )
            )
    for index, camera in enumerate(site.cameras):
        if not camera.name.startswith(prefix):
            problems.append(
                source.problem(
                    ("cameras", index, "name"), f"camera names of this site start with {prefix!r}"
                )
            )
    for kind in ("cameras", "displays", "audio"):
        for index, device in enumerate(getattr(site, kind)):
            if device.attached_to is not None and device.attached_to not in host_names:
                problems.append(
                    source.problem(
                        (kind, index, "attached_to"), f"no host {device.attached_to!r} in this site"
                    )
                )
    gateways = [i for i, host in enumerate(site.hosts) if host.role is HostRole.GATEWAY]
    for index in gateways[1:]:
        problems.append(source.problem(("hosts", index, "role"), "a site has at most one gateway"))
    if gateways and not any(h.role is HostRole.RECEPTION_PC for h in site.hosts):
        problems.append(
            source.problem(("hosts",), "a site with a gateway needs a reception_pc too")
        )
    return problems


def _check_unique_names(sites: list[tuple[SourceFile, Site]]) -> list[Problem]:
    problems: list[Problem] = []
    first_code: dict[int, SourceFile] = {}
    used_by: dict[str, str] = dict.fromkeys(HUB_NAMES.values(), "a hub in province.yml")
    for source, site in sites:
        if site.code in first_code:
            other = first_code[site.code].path.name
            problems.append(
                source.problem(("code",), f"duplicate code {site.code}: also in {other}")
            )
            continue  # a copied file: its names are the copy's, one message is enough
        first_code[site.code] = source
        names = [(("hosts", i, "name"), h.name) for i, h in enumerate(site.hosts)]
        names += [(("cameras", i, "name"), c.name) for i, c in enumerate(site.cameras)]
        for loc, name in names:
            if name in used_by:
                other = used_by[name]
                problems.append(
                    source.problem(loc, f"duplicate name {name!r}: also used by {other}")
                )
            else:
                used_by[name] = source.path.name
    return problems


def _check_waves(
    sites: list[tuple[SourceFile, Site]],
    waves: Waves,
    waves_source: SourceFile,
    file_codes: set[int],
) -> list[Problem]:
    """waves.yml holds the rollout order; each site file repeats its wave so a reader of one
    site file sees it. The two must agree, and every site is in exactly one wave."""
    problems: list[Problem] = []
    wave_names = Counter(wave.name for wave in waves.waves)
    member_of: dict[int, str] = {}
    for w_index, wave in enumerate(waves.waves):
        if wave_names[wave.name] > 1:
            problems.append(
                waves_source.problem(
                    ("waves", w_index, "name"), f"wave {wave.name!r} defined twice"
                )
            )
        for s_index, code in enumerate(wave.sites):
            loc = ("waves", w_index, "sites", s_index)
            if code in member_of:
                problems.append(
                    waves_source.problem(
                        loc, f"site {code} is in two waves: {member_of[code]!r} and {wave.name!r}"
                    )
                )
                continue
            member_of[code] = wave.name
    codes = {site.code for _, site in sites} | file_codes
    for w_index, wave in enumerate(waves.waves):
        for s_index, code in enumerate(wave.sites):
            if code not in codes:
                problems.append(
                    waves_source.problem(
                        ("waves", w_index, "sites", s_index), f"no site file for code {code}"
                    )
                )
    for source, site in sites:
        if site.wave not in wave_names:
            known = ", ".join(wave_names)
            problems.append(
                source.problem(("wave",), f"unknown wave {site.wave!r} (waves.yml has: {known})")
            )
        elif site.code not in member_of:
            problems.append(
                source.problem(
                    ("wave",), f"site {site.code} is not listed in waves.yml under {site.wave!r}"
                )
            )
        elif member_of[site.code] != site.wave:
            problems.append(
                source.problem(
                    ("wave",),
                    f"waves.yml puts site {site.code} in {member_of[site.code]!r},"
                    f" not {site.wave!r}",
                )
            )
    return problems


def check_waivers(
    waivers: Waivers, source: SourceFile, baseline: Baseline, sites: dict[int, Site]
) -> list[Problem]:
    """A waiver must name a known control and a site or host that exists."""
    problems: list[Problem] = []
    controls = {c.id for c in baseline.controls}
    hosts = {h.name for site in sites.values() for h in site.hosts} | set(HUB_NAMES.values())
    for index, waiver in enumerate(waivers.waivers):
        where = ("waivers", index)
        if waiver.control not in controls:
            problems.append(
                source.problem((*where, "control"), f"unknown control {waiver.control}")
            )
        if waiver.site is not None and waiver.site not in sites:
            problems.append(source.problem((*where, "site"), f"no site {waiver.site}"))
        if waiver.host is not None and waiver.host not in hosts:
            problems.append(source.problem((*where, "host"), f"no host {waiver.host}"))
    return problems


def check_controls(baseline: Baseline, source: SourceFile) -> list[Problem]:
    """Each control names a registered role (whose hosts it is checked on)."""
    return [
        source.problem(
            ("controls", index, "role"),
            f"no role {control.role!r} (roles/registry.py has {', '.join(ROLES)})",
        )
        for index, control in enumerate(baseline.controls)
        if control.role not in ROLES
    ]
