"""The Ansible twin (bench/ansible/) does the roles' work: its playbook is valid Ansible, and it
renders every file the pyinfra roles render on a host, from the same templates, with every
variable each template reads, at the same paths and modes, each file ending as Ansible's template
module ends it; the monitoring roles' files, written by Ansible itself, say the same as the
roles'.

The pyinfra side is read from the roles' own code: their deploys are prepared for each pilot
host against pyinfra's fake connector (no host is touched), and every file `roles/common/files.
template()` uploads is recorded. The twin's side is read from its task files: each template task,
with the include and loop it sits in, evaluated with the host's exported variables (and, for
the contents, run by ansible-playbook on this machine, into a temporary folder).

Running the twin on a lab (a fresh lab, `tcd verify`, a second run changing nothing) takes
several minutes for one site on the project's 2-core machine: the benchmark does it
(bench/ansible/README.md)."""

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nativetypes
import pytest
import yaml
from pyinfra.api import Config, State
from pyinfra.api import Inventory as PyinfraInventory
from pyinfra.api.connect import connect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.state import StateStage

import roles.common.files
from roles.base.role import BASE
from roles.declaration import HostFacts
from roles.monitoring_agent.role import MONITORING_AGENT
from roles.monitoring_hub.role import MONITORING_HUB
from roles.registry import role
from tcd.loading import load_inventory
from tcd.model.province import Office
from tcd.paths import TEMPLATES_DIR
from tcd.planning import plan_addresses
from tcd.planning.hostdata import HostData, host_data
from tcd.planning.keys import PublicKeys
from tcd.render import render

from .conftest import INVENTORY, REPO

TWIN = REPO / "bench" / "ansible"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
TEMPLATE = "ansible.builtin.template"
INCLUDES = (
    "ansible.builtin.include_role",
    "ansible.builtin.include_tasks",
    "ansible.builtin.import_tasks",
)


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The twin's inventory of the pilot, planned addresses (no lab needed)."""
    inventory = load_inventory(INVENTORY)
    out = tmp_path_factory.mktemp("twin")
    export = _module(TWIN / "export.py")
    return export.export(out, inventory, inventory.wave("pilot").sites)


def _ansible_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(TWIN / "ansible.cfg"),
        "PYTHONPATH": str(REPO),
        "HOME": str(home),  # ansible keeps its own files under ~/.ansible
    }


def _playbook(home: Path, *args: str) -> None:
    """ansible-playbook from the twin's folder, which must succeed."""
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, *args],
        cwd=TWIN,
        env=_ansible_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_playbook_is_valid_ansible(exported: Path, tmp_path: Path) -> None:
    _playbook(tmp_path, "-i", str(exported), str(TWIN / "site.yml"), "--syntax-check")


# ---- what the pyinfra roles render ----------------------------------------------------------


def _pilot_data(keys: PublicKeys) -> dict[str, HostData]:
    inventory = load_inventory(INVENTORY)
    plan = plan_addresses(inventory)
    sites = inventory.select(wave="pilot")
    names = {h.name for s in sites for h in plan.sites[s.code].hosts} | {
        h.name for h in plan.hubs.values()
    }
    data = host_data(inventory, plan, inventory.sites.values(), keys, apt_update=False)
    return {name: data[name] for name in sorted(names)}


@pytest.fixture(scope="module")
def pilot_data() -> dict[str, HostData]:
    return _pilot_data(PublicKeys())


_INSTANT = {"fake_delay": 0, "fake_delay_jitter": 0}  # the fake connector sleeps otherwise


class _Recorder:
    """pyinfra's files module as roles/common/files.py sees it: every upload of a rendered
    template is recorded (destination, mode; and its content) under the host and role being
    prepared."""

    def __init__(self, real: ModuleType) -> None:
        self.real = real
        self.where: tuple[str, str] = ("", "")
        self.found: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.contents: dict[tuple[str, str], str] = {}  # (host, destination) -> content
        self.rendered: set[tuple[str, str]] = set()  # (template, what tcd rendered of it)

    def render(self, template: str, **context: Any) -> str:
        text = render(template, **context)
        self.rendered.add((template, text))
        return text

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put(self, **arguments: Any) -> Any:
        mode = str(arguments["mode"]).zfill(4)
        self.found.setdefault(self.where, set()).add((arguments["dest"], mode))
        self.contents[(self.where[0], arguments["dest"])] = arguments["src"].getvalue()
        return self.real.put(**arguments)


@contextmanager
def _prepared(data: dict[str, HostData], only: set[str] | None = None) -> Iterator[_Recorder]:
    """The roles' deploys (those named `only`, or all) prepared for `data`'s hosts against
    pyinfra's fake connector as on a lab host (a container), their uploads recorded."""
    answers = {
        "systemd-detect-virt": "systemd-nspawn",
        "uname -s": "Linux",
        re.compile(r"^command -v \S+ \|\| true$"): "/usr/bin/found",
    }
    hosts = [
        (f"@fake/{name}", {**values.pyinfra(), "fake_responses": answers, **_INSTANT})
        for name, values in data.items()
    ]
    state = State(inventory=PyinfraInventory((hosts, {})), config=Config(SUDO=True))
    state.set_stage(StateStage.Connect)
    connect_all(state)
    state.set_stage(StateStage.Prepare)
    recorder = _Recorder(roles.common.files.files)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roles.common.files, "files", recorder)
        patch.setattr(roles.common.files, "render", recorder.render)
        for host in state.inventory:
            name = host.name.removeprefix("@fake/")
            for each in map(role, HostFacts.of(host.data).roles):
                if only is None or each.name in only:
                    recorder.where = (name, each.name)
                    add_deploy(state, each.deploy_module().main, host=[host])
        yield recorder


@pytest.fixture(scope="module")
def pilot_prepared(pilot_data: dict[str, HostData]) -> Iterator[_Recorder]:
    with _prepared(pilot_data) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def pyinfra_renders(pilot_prepared: _Recorder) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(host, role) -> {(destination, mode)} of every template the role renders there."""
    return pilot_prepared.found


def _newlines_at_end(text: str) -> int:
    return len(text) - len(text.rstrip("\n"))


def test_every_file_ends_as_ansible_ends_it(pilot_prepared: _Recorder) -> None:
    """tcd's jinja2 keeps a template's last newline after what the template renders
    (keep_trailing_newline); Ansible's template module renders without it and then gives the
    text as many newlines at its end as the template has, no more. The two agree as long as a
    file ends with exactly its template's newlines: a variable ending in a newline at a
    template's end (the login banner once) makes a file the twin rewrites on every host."""
    source = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR))
    assert len(pilot_prepared.rendered) > 20
    for template, text in sorted(pilot_prepared.rendered):
        own = source.loader.get_source(source, template)[0]  # type: ignore[union-attr]
        if _newlines_at_end(own):
            assert _newlines_at_end(text) == _newlines_at_end(own), template


# ---- what the twin renders ------------------------------------------------------------------

_ENV = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
_ENV.filters["dirname"] = os.path.dirname


def _resolved(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope's values with the templates among them rendered, as Ansible would when they
    are used (what cannot be rendered here, a registered read, stays as written)."""
    done = dict(scope)
    for _ in range(5):  # a variable naming another, a few levels deep
        for name, value in done.items():
            if isinstance(value, str) and "{{" in value:
                try:
                    done[name] = _ENV.from_string(value).render(done)
                except (jinja2.UndefinedError, jinja2.TemplateError, TypeError):
                    continue
    return done


def _render(text: Any, scope: dict[str, Any]) -> Any:
    return _ENV.from_string(text).render(_resolved(scope)) if isinstance(text, str) else text


def _tasks(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def twin_templates(
    path: Path, scope: dict[str, Any]
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(destination, mode, the task, its scope) of every template task in the task file
    `path` and what it includes, each loop item apart; `when` is not evaluated (a template
    the twin renders only in a container counts, as the pyinfra side is prepared as one)."""
    for task in _tasks(path):
        if "ansible.builtin.set_fact" in task:
            scope.update(task["ansible.builtin.set_fact"])
        if TEMPLATE not in task and not any(include in task for include in INCLUDES):
            continue
        loop_var = task.get("loop_control", {}).get("loop_var", "item")
        items = _render(task["loop"], scope) if "loop" in task else [None]
        for item in items:
            here = {**scope, **({loop_var: item} if "loop" in task else {})}
            here = {**here, **task.get("vars", {})}
            if TEMPLATE in task:
                arguments = task[TEMPLATE]
                yield _render(arguments["dest"], here), arguments["mode"], task, here
            for include in INCLUDES:
                if include not in task:
                    continue
                arguments = task[include]
                if include == "ansible.builtin.include_role":
                    target = TWIN / "roles" / arguments["name"] / "tasks"
                    target /= f"{arguments.get('tasks_from', 'main')}.yml"
                else:  # a task file of the same role, named alone
                    target = path.parent / arguments
                yield from twin_templates(target, here)


def _twin_renders(host: str, data: HostData, exported: Path) -> dict[str, set[tuple[str, str]]]:
    variables = yaml.safe_load((exported.parent / "host_vars" / f"{host}.yml").read_text())
    variables |= yaml.safe_load((exported.parent / "group_vars" / "all.yml").read_text())
    found: dict[str, set[tuple[str, str]]] = {}
    for name in data.facts.roles:
        main = TWIN / "roles" / name / "tasks" / "main.yml"
        found[name] = {(dest, mode) for dest, mode, _, _ in twin_templates(main, dict(variables))}
    return found


def test_the_twin_renders_every_file_the_roles_render(
    pilot_data: dict[str, HostData],
    pyinfra_renders: dict[tuple[str, str], set[tuple[str, str]]],
    exported: Path,
) -> None:
    """Per host and role: the same destinations, with the same modes."""
    assert pyinfra_renders, "the roles rendered nothing: the recorder missed their uploads"
    for host, data in pilot_data.items():
        twin = _twin_renders(host, data, exported)
        for name in data.facts.roles:
            ours = pyinfra_renders.get((host, name), set())
            assert twin[name] == ours, f"{host}, {name}: twin {twin[name]} != roles {ours}"


def test_each_template_gets_every_variable_it_reads(
    pilot_data: dict[str, HostData], exported: Path
) -> None:
    """The twin feeds each template the names it reads (the task's vars, or the include's
    around it): Ansible would fail on a missing one only on a host that renders it."""
    source = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR))
    checked = 0
    for host, data in pilot_data.items():
        variables = yaml.safe_load((exported.parent / "host_vars" / f"{host}.yml").read_text())
        variables |= yaml.safe_load((exported.parent / "group_vars" / "all.yml").read_text())
        for name in data.facts.roles:
            main = TWIN / "roles" / name / "tasks" / "main.yml"
            for dest, _, task, scope in twin_templates(main, dict(variables)):
                src = _render(task[TEMPLATE]["src"], scope).removeprefix(f"{TEMPLATES_DIR}/")
                text = source.loader.get_source(source, src)[0]  # type: ignore[union-attr]
                reads = jinja2.meta.find_undeclared_variables(source.parse(text))
                missing = reads - set(scope)
                assert not missing, f"{host}: {dest} reads {missing}, which the twin never sets"
                checked += 1
    assert checked


# ---- what the files say ----------------------------------------------------------------------

MONITORING = (MONITORING_AGENT.name, MONITORING_HUB.name)
# both hubs and a gateway with a PC behind it (a template task costs Ansible about a second
# here: the other agents' files differ from this one's by their values only)
MONITORED = ("tcd-hub-province", "tcd-hub-central", "tcd-25217-gw1")


def _some_deployed() -> PublicKeys:
    """25195's and 25217's gateways deployed (their keys towards both offices known), 26380's
    key towards the central office only: the provincial hub monitors the first two."""
    plan = plan_addresses(load_inventory(INVENTORY))
    key = "k" * 43 + "="
    gateway = {code: plan.sites[code].gateway.name for code in (25195, 25217, 26380)}
    both = dict.fromkeys(Office, key)
    return PublicKeys(
        spokes={gateway[25195]: both, gateway[25217]: both, gateway[26380]: {Office.CENTRAL: key}}
    )


def test_the_twin_writes_the_monitoring_files_the_roles_write(
    exported: Path, tmp_path: Path
) -> None:
    """The monitoring roles' files, rendered by Ansible's template module through the twin's
    own tasks (their variables, the hubs' sites monitored, the filters), say what the roles'
    say, byte for byte: with some sites deployed and one not."""
    keys = _some_deployed()
    data = {name: values for name, values in _pilot_data(keys).items() if name in MONITORED}
    with _prepared(data, set(MONITORING)) as recorder:
        roles_write = recorder.contents
    assert any(dest.endswith("nodes.json") for _, dest in roles_write)
    everywhere = yaml.safe_load((exported.parent / "group_vars" / "all.yml").read_text())
    plays: list[dict[str, Any]] = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "ansible.builtin.set_fact": {
                        "twin_keys": {
                            "hubs": {},
                            "spokes": {
                                gateway: {office.value: key for office, key in offices.items()}
                                for gateway, offices in keys.spokes.items()
                            },
                        }
                    }
                }
            ],
        }
    ]
    out = tmp_path / "out"
    for host, values in data.items():
        variables = yaml.safe_load((exported.parent / "host_vars" / f"{host}.yml").read_text())
        variables |= everywhere
        tasks: list[dict[str, Any]] = []
        for name in MONITORING:
            if name not in values.facts.roles:
                continue
            main = TWIN / "roles" / name / "tasks" / "main.yml"
            facts = [task for task in _tasks(main) if "ansible.builtin.set_fact" in task]
            tasks += facts
            given = set(variables) | {k for t in facts for k in t["ansible.builtin.set_fact"]}
            for dest, _, task, scope in twin_templates(main, dict(variables)):
                (out / host / dest.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
                arguments = dict(task[TEMPLATE])
                arguments |= {
                    "src": _render(arguments["src"], scope),
                    "dest": str(out / host / dest.lstrip("/")),
                }
                del arguments["owner"], arguments["group"]  # the content is compared
                # the task's and its includes' variables, the loops' items
                here = {k: v for k, v in scope.items() if k not in given}
                tasks.append({"name": dest, TEMPLATE: arguments, "vars": here})
        plays.append({"hosts": host, "gather_facts": False, "tasks": tasks})
    playbook = tmp_path / "monitoring.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    local = {"ansible_connection": "local"}  # this machine, into tmp_path
    hosts = tmp_path / "local.yml"
    hosts.write_text(yaml.safe_dump({"all": {"hosts": dict.fromkeys(data, local)}}))
    _playbook(tmp_path, "-i", str(exported), "-i", str(hosts), str(playbook))
    twin_writes = {
        (path.relative_to(out).parts[0], "/" + "/".join(path.relative_to(out).parts[1:])): (
            path.read_text(encoding="utf-8")
        )
        for path in out.rglob("*")
        if path.is_file()
    }
    assert set(twin_writes) == set(roles_write)
    for (host, dest), content in roles_write.items():
        assert twin_writes[(host, dest)] == content, f"{host}: {dest}"


def test_the_findings_filter_takes_every_hosts_exported_base(exported: Path) -> None:
    """`tcd_findings` judges with base's own model from the variables the export gives a host
    (its fields and, beside them, its properties): every host's base is accepted, and a socket
    no role declares is reported as the base deploy reports it."""
    findings = _module(TWIN / "filter_plugins" / "tcd_twin.py").findings
    reads = {
        "sysctl_config": [],
        "apt_dropins": [],
        "listeners": ['tcp LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:(("nc",pid=9,fd=3))'],
        "wg_listen": [],
        "suid_sgid": [],
    }
    hosts = sorted((exported.parent / "host_vars").glob("*.yml"))
    assert hosts
    for path in hosts:
        variables = yaml.safe_load(path.read_text())
        found = findings(reads, variables[BASE.data_key])
        assert found == ["TCD-FW-003: undeclared listener: nc on tcp/8080"], path.name
