"""Filters of the Ansible twin: what the pyinfra roles judge in Python, judged the same way.

What base reports and leaves to a person (a listener nobody declared, a SUID file, an apt or
sysctl.d file that says otherwise) is judged by the role's own functions (roles/base/findings.py),
and so is whether the kernel's audit rules are the role's; the rest are the few lines of the
roles' deploy code that decide which peers a WireGuard interface has, which sites a hub monitors,
which storage drivers are loaded and which files of a folder are strays. And `tojson` as tcd's
own jinja2 environment has it (tcd/render.py), so that a template writes the same file through
Ansible. Needs the repository on PYTHONPATH (run.py sets it).
"""

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from jinja2.utils import htmlsafe_json_dumps

from roles.base import defaults
from roles.base.findings import (
    audit_keys,
    later_sysctl_settings,
    overridden_apt_settings,
    planned_audit_keys,
    sysctl_values,
    undeclared_listeners,
    unexpected_suid_sgid,
)
from roles.base.role import BaseData
from tcd.model.province import Office
from tcd.render import environment


def plain(value: Any) -> Any:
    """Ansible's value as plain dicts, lists and scalars (Ansible 2.19 hands filters lazy
    containers, which pydantic reads below their surface)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def strays(found: list[str], ours: list[str], folder: str | None = None) -> list[str]:
    """The files `find` listed that are not `ours` (roles/common/files.py: only_ours); with
    `folder`, only those directly in it (one listing of several units' drop-in folders)."""
    keep = set(ours)
    return sorted(
        path
        for path in found
        if path
        and path not in keep
        and (folder is None or str(PurePosixPath(path).parent) == folder)
    )


def findings(reads: dict[str, list[str]], base: dict[str, Any]) -> list[str]:
    """'CONTROL: reason' for what base flags as needing attention (roles/base/deploy.py calls
    needs_attention with these), in its deploy's order."""
    # the export adds the properties (sysctl, sysctl_net, …) beside the fields: not input
    fields = {k: plain(v) for k, v in base.items() if k in BaseData.model_fields}
    data = BaseData.model_validate(fields)
    ours = defaults.SYSCTL_CONF
    lines = plain(reads)
    found = [
        f"TCD-NET-001: {f} (read after {ours})"
        for f in later_sysctl_settings(lines["sysctl_config"], ours, data.sysctl)
    ]
    found += [
        f"TCD-UPD-001: {o} (overridden by {defaults.APT_CONF})"
        for o in overridden_apt_settings(lines["apt_dropins"])
    ]
    found += [
        f"TCD-FW-003: undeclared listener: {f}"
        for f in undeclared_listeners(lines["listeners"], lines["wg_listen"], data)
    ]
    found += [
        f"TCD-SUID-001: SUID/SGID file nobody expects: {p}"
        for p in unexpected_suid_sgid(lines["suid_sgid"])
    ]
    return found


def running_sysctl(lines: list[str]) -> dict[str, str]:
    return sysctl_values(lines)


def audit_as_planned(lines: list[str]) -> bool:
    """Whether the kernel's audit rules (`auditctl -l`) have the keys of the role's rules
    (roles/base/deploy.py: _audit loads them again otherwise)."""
    return audit_keys(plain(lines)) == planned_audit_keys()


def loaded_modules(lsmod: list[str], modules: list[str]) -> list[str]:
    """Those of `modules` that `lsmod` lists as loaded (its first line is a header; a module
    named with `-` is listed with `_`), in `modules`' order (roles/base/deploy.py: _no_storage)."""
    loaded = {line.split()[0] for line in plain(lsmod)[1:] if line.strip()}
    return [name for name in plain(modules) if name.replace("-", "_") in loaded]


def uid0_accounts(passwd: list[str]) -> list[str]:
    """Accounts other than root with uid 0 (`getent passwd` lines)."""
    fields = (line.split(":") for line in passwd)
    return [f[0] for f in fields if len(f) > 2 and f[2] == "0" and f[0] != "root"]


def group_members(group_line: list[str]) -> list[str]:
    """The members of a group (`getent group NAME`: one line, members last, comma-separated)."""
    if not group_line or not group_line[0]:
        return []
    members = group_line[0].split(":")[-1]
    return [m for m in members.split(",") if m]


def link_state(lines: list[str]) -> str:
    """'up', 'down' (exists, administratively down) or 'absent', from `ip -o link show dev X`
    (roles/common/wireguard.py: LinkState)."""
    if not lines or not lines[0]:
        return "absent"
    line = lines[0]
    flags = line.split("<", 1)[1].split(">", 1)[0].split(",") if "<" in line else []
    return "up" if "UP" in flags else "down"


def live_peers(allowed_ips: list[str]) -> dict[str, list[str]]:
    """{public key: allowed IPs} from `wg show IFACE allowed-ips` (never `dump`, which prints
    the private key)."""
    peers: dict[str, list[str]] = {}
    for line in allowed_ips:
        key, _, ips = line.partition("\t")
        if key:
            peers[key] = [] if ips.strip() in ("", "(none)") else ips.split()
    return peers


def peer_repairs(allowed_ips: list[str], peers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `wg set` puts back when the running peers differ from the config's
    (roles/common/wireguard.py: _peers_as_configured): each configured peer missing or with
    other allowed IPs (`remove: false`), then each peer the config does not have."""
    running = live_peers(allowed_ips)
    repairs = []
    for peer in peers:
        live = running.get(peer["public_key"])
        if live is None or sorted(live) != sorted(peer["allowed_ips"]):
            repairs.append(
                {
                    **peer,
                    "remove": False,
                    "what": "re-added" if live is None else "allowed IPs set back",
                }
            )
    wanted = {peer["public_key"] for peer in peers}
    repairs += [{"public_key": key, "remove": True} for key in sorted(set(running) - wanted)]
    return repairs


def hub_peers(
    gateways: list[dict[str, Any]], spokes: dict[str, dict[str, str]], office: str
) -> list[dict[str, Any]]:
    """A hub's peers as HubData.build makes them (roles/vpn_hub/role.py): every site whose
    gateway's key towards this office is known, in the plan's order."""
    return [
        {
            "site": gateway["site"],
            "name": gateway["name"],
            "public_key": spokes[gateway["name"]][office],
            "allowed_ips": [f"{gateway['overlay'][office]}/32", gateway["lan"]],
        }
        for gateway in gateways
        if office in spokes.get(gateway["name"], {})
    ]


def known_peers(
    allowed_ips: list[str], gateways: list[dict[str, Any]], office: str
) -> dict[str, dict[str, str]]:
    """{gateway: {office: key}} for the sites a hub has a peer for now (tcd/rollout/engine.py:
    _known_peers): sites deployed by earlier runs keep their peers."""
    by_overlay = {gateway["overlay"][office]: gateway["name"] for gateway in gateways}
    known: dict[str, dict[str, str]] = {}
    for key, ips in live_peers(allowed_ips).items():
        for network in ips:
            name = by_overlay.get(network.split("/")[0])
            if name:
                known[name] = {office: key}
    return known


def monitored(
    every: dict[str, list[dict[str, Any]]],
    gateways: list[dict[str, Any]],
    spokes: dict[str, dict[str, str]],
) -> dict[str, list[dict[str, Any]]]:
    """A hub's targets as MonitoringData.build makes them (roles/monitoring_hub/role.py): of
    `every` (its nodes, gateways and cameras were every site deployed, in the plan's order),
    those of the sites whose gateway's key towards the province is known (as the hub's peers,
    from the same keys)."""
    known = plain(spokes)
    deployed = {
        str(gateway["site"])
        for gateway in plain(gateways)
        if Office.PROVINCE.value in known.get(gateway["name"], {})
    }
    return {
        kind: [target for target in targets if target["labels"]["site"] in deployed]
        for kind, targets in plain(every).items()
    }


def public_keys(lines: list[str]) -> dict[str, str]:
    """{interface: public key} from lines 'IFACE<TAB>KEY' (an interface without a key yet has
    no key after the tab)."""
    found = {}
    for line in lines:
        interface, _, key = line.partition("\t")
        if key.strip():
            found[interface] = key.strip()
    return found


def tojson(value: Any, indent: int | None = None) -> str:
    """jinja2's `tojson` with the policies of tcd's environment (tcd/render.py: UTF-8 as it is,
    keys sorted), where Ansible's is jinja2's default (non-ASCII as \\u escapes): a target file
    naming a commune in Vietnamese is written the same by both."""
    policies = environment().policies
    options = dict(policies["json.dumps_kwargs"])
    if indent is not None:
        options["indent"] = indent
    dumps = policies["json.dumps_function"]
    return str(htmlsafe_json_dumps(plain(value), dumps=dumps, **options))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "tcd_strays": strays,
            "tcd_findings": findings,
            "tcd_sysctl": running_sysctl,
            "tcd_audit_as_planned": audit_as_planned,
            "tcd_loaded_modules": loaded_modules,
            "tcd_uid0_accounts": uid0_accounts,
            "tcd_group_members": group_members,
            "tcd_link_state": link_state,
            "tcd_peer_repairs": peer_repairs,
            "tcd_hub_peers": hub_peers,
            "tcd_known_peers": known_peers,
            "tcd_monitored": monitored,
            "tcd_public_keys": public_keys,
            "tojson": tojson,
        }
