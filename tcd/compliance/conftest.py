"""The compliance suite's plumbing: which hosts each module checks, how to reach them, and one
result line per (host, control) for `tcd verify`.

`tcd verify` writes the verify plan (tcd.verify.plan: the selected hosts, what the inventory
expects of each, how to reach them) and runs this suite with ``--tcd-plan`` and
``--tcd-results``. Each module (check_<role>.py) checks one registered role (``ROLE``) and is
parametrised over the plan's hosts that carry it; each test is tagged with exactly one control
id. A module's ``PREFETCH`` lists the live reads (beyond collect.sh's snapshot) its checks make,
done for every host before the first check.
"""

import contextlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tcd.compliance.host import CheckedHost, UnreachableError, connect, warm
from tcd.compliance.ip_camera import CheckedCamera, checked_camera
from tcd.compliance.plan import SuiteHost, SuitePlan


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tcd")
    group.addoption("--tcd-plan", required=True, help="the verify plan (JSON) written by tcd")
    group.addoption("--tcd-results", required=True, help="where result lines go (JSON lines)")
    group.addoption("--tcd-threads", type=int, default=16, help="hosts read at once")


def _plan(config: pytest.Config) -> SuitePlan:
    if not hasattr(config, "_tcd_plan"):
        text = Path(config.getoption("--tcd-plan")).read_text(encoding="utf-8")
        config._tcd_plan = SuitePlan.model_validate_json(text)
    return config._tcd_plan


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    role = metafunc.module.ROLE.name
    plan = _plan(metafunc.config)
    hosts = [h.name for h in plan.hosts if role in h.host_data.facts.roles]
    metafunc.parametrize("target", hosts, ids=str, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A role that no host of the selection carries (no IP camera among the selected sites)
    has nothing to check: pytest would turn its empty parameter set into one skipped test with
    no host, which no result line can name."""
    names = {h.name for h in _plan(config).hosts}
    unused = [i for i in items if _has_target(i) and i.callspec.params["target"] not in names]
    if unused:
        config.hook.pytest_deselected(items=unused)
        items[:] = [i for i in items if i not in unused]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Read every host at once (threads: the work is waiting on SSH), before the first check;
    the checks then judge what was read, each in a few microseconds."""
    plan = _plan(session.config)
    wanted = {item.callspec.params["target"] for item in session.items if _has_target(item)}
    # cameras first: each takes seconds of ONVIF and RTSP through its gateway, mostly waiting,
    # which the hosts' reads then fill instead of leaving one thread alone at the end
    specs = sorted((h for h in plan.hosts if h.name in wanted), key=lambda h: h.camera is None)
    probes: dict[str, list] = {}  # role name -> its module's live reads
    for item in session.items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "ROLE"):
            probes[module.ROLE.name] = getattr(module, "PREFETCH", [])

    def read(spec: SuiteHost) -> None:
        with contextlib.suppress(Exception):  # kept by connect(): the host's checks report it
            found = subject(spec, plan)
            if isinstance(found, CheckedCamera):
                found.reading()
            else:
                roles = found.data.facts.roles
                warm(found, [probe for role in roles for probe in probes.get(role, [])])
        _emit({"read": spec.name})  # progress for tcd verify

    threads = max(1, min(session.config.getoption("--tcd-threads"), len(specs)))
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(read, specs))


def _has_target(item: pytest.Item) -> bool:
    return "target" in getattr(item, "fixturenames", ())


_CAMERAS: dict[str, CheckedCamera | Exception] = {}


def subject(spec: SuiteHost, plan: SuitePlan) -> CheckedHost | CheckedCamera:
    """A host under check (over SSH), or an IP camera (over ONVIF through its gateway)."""
    if spec.camera is None:
        return connect(spec, plan)
    name = spec.name
    if name not in _CAMERAS:
        try:
            _CAMERAS[name] = checked_camera(spec, plan)
        except Exception as exc:  # kept: the camera's checks report it
            _CAMERAS[name] = exc
    found = _CAMERAS[name]
    if isinstance(found, Exception):
        raise found
    return found


@pytest.fixture
def target(request: pytest.FixtureRequest) -> CheckedHost | CheckedCamera:
    plan = _plan(request.config)
    return subject(plan.host(request.param), plan)


def _control(item: pytest.Item) -> str:
    marks = list(item.iter_markers("control"))
    if len(marks) != 1:
        raise pytest.UsageError(f"{item.nodeid}: needs exactly one @pytest.mark.control(id)")
    return marks[0].args[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not _has_target(item):
        return
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    result, reason = "passed", ""
    if report.failed or report.skipped:
        exc = call.excinfo.value if call.excinfo else None
        result = "unreachable" if isinstance(exc, UnreachableError) else "failed"
        reason = _reason(exc) if exc is not None else str(report.longrepr)
    report.user_properties += [
        ("tcd_host", item.callspec.params["target"]),
        ("tcd_control", _control(item)),
        ("tcd_result", result),
        ("tcd_reason", reason),
    ]


def _reason(exc: BaseException) -> str:
    """The check's own message: an assertion's text before pytest's rewritten comparison."""
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ", 1)[0]
    elif isinstance(exc, UnreachableError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text.strip()[:2000]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One JSON line per checked (host, control), as each check finishes."""
    props = dict(report.user_properties)
    if "tcd_result" not in props:
        return
    line = {
        "host": props["tcd_host"],
        "control": props["tcd_control"],
        "result": props["tcd_result"],
        "reason": props["tcd_reason"],
        "duration": round(report.duration, 3),
    }
    _emit(line)


RESULTS: list[Path] = []
_WRITING = threading.Lock()


def _emit(line: dict[str, Any]) -> None:
    with _WRITING, RESULTS[0].open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    RESULTS[:] = [Path(config.getoption("--tcd-results"))]
