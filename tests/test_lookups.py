"""The rollout's cheaper lookups give pyinfra's own answers: global arguments from the call,
the host's data, its groups' data and the config, in pyinfra's order."""

import pytest
from pyinfra.api import Config, Inventory, State, arguments, facts
from pyinfra.api.arguments import pop_global_arguments
from pyinfra.api.host import HostData
from pyinfra.facts.files import File, Sha1File
from pyinfra.facts.server import Users

from tcd.rollout import lookups

HOSTS = [
    ("pc", {"_sudo": True, "_env": {"LANG": "C"}, "shared": "host", "listed": [1, 2]}),
    ("hub", {"_shell_executable": "bash"}),
]
GROUPS = {
    "sites": (["pc"], {"shared": "sites", "_retries": 2, "only_group": "sites"}),
    "wave": (["pc", "hub"], {"shared": "wave", "_timeout": 30, "only_group": "wave"}),
}
CALLS = [{}, {"_sudo": False}, {"_env": {"A": "b"}, "_retries": 5}, {"_su_user": "booth"}]


def state(quick: bool) -> State:
    inventory = Inventory((HOSTS, {"everyone": 1}), **GROUPS)
    if quick:
        lookups.quicken(inventory)
    made = State(inventory=inventory, config=Config(SUDO_USER="root"))
    made.inventory.get_host("pc").data.override = "set during the deploy"
    return made


@pytest.mark.parametrize("kwargs", CALLS)
@pytest.mark.parametrize("name", ["pc", "hub"])
def test_global_arguments_are_pyinfras(name: str, kwargs: dict):
    stock, quick = state(False), state(True)
    expected = pop_global_arguments(stock, stock.inventory.get_host(name), dict(kwargs))
    got = pop_global_arguments(quick, quick.inventory.get_host(name), dict(kwargs))
    assert got == expected
    assert got[0]["_sudo"] is kwargs.get("_sudo", name == "pc")


def test_host_data_is_pyinfras():
    stock, quick = state(False), state(True)
    for name in ("pc", "hub"):
        ours, theirs = quick.inventory.get_host(name), stock.inventory.get_host(name)
        assert type(ours.data) is not HostData and type(theirs.data) is HostData
        for key in ("shared", "only_group", "everyone", "override", "listed", "_timeout"):
            assert ours.data.get(key, "none") == theirs.data.get(key, "none"), (name, key)
        assert ours.data.dict() == theirs.data.dict()
        with pytest.raises(AttributeError, match="has no data `nothing`"):
            _ = ours.data.nothing
    # a copy, as pyinfra gives: changing it leaves the host's data alone
    pc = quick.inventory.get_host("pc")
    pc.data.listed.append(3)
    assert pc.data.listed == [1, 2]


def test_the_argument_list_is_pyinfras_each_time():
    # (looked up in the module at each call, as pyinfra does)
    first, second = arguments.all_global_arguments(), arguments.all_global_arguments()
    assert first == second and first is not second
    assert ("_sudo", bool) in first


FACTS = [
    (File, [], {"path": "/etc/hosts"}),
    (File, ["/etc/hosts"], {}),
    (Sha1File, [], {"path": "/etc/hosts"}),
    (Users, [], {}),
    (File, [], {"path": "/etc/hosts", "_sudo": False}),  # an argument of its own: pyinfra's
]


@pytest.mark.parametrize("kwargs", CALLS)
@pytest.mark.parametrize(("fact", "args", "fact_kwargs"), FACTS)
def test_a_fact_read_in_an_operation_gets_pyinfras_arguments(kwargs, fact, args, fact_kwargs):
    """Inside an operation (its global arguments resolved, as pyinfra keeps them on the host),
    a fact's arguments are what pyinfra's own resolution gives."""
    stock, quick = state(False), state(True)
    answers = []
    for made in (stock, quick):
        host = made.inventory.get_host("pc")
        host.current_op_global_arguments, _ = pop_global_arguments(made, host, dict(kwargs))
        handle = lookups._handle_fact_kwargs if made is stock else facts._handle_fact_kwargs
        fact_arguments, global_arguments = handle(made, host, fact, list(args), dict(fact_kwargs))
        # (`self` is a new instance of the fact each time; pyinfra drops it before the command)
        fact_arguments.pop("self", None)
        answers.append((fact_arguments, global_arguments))
    assert answers[0] == answers[1]
    assert answers[1][1]["_sudo"] is fact_kwargs.get("_sudo", kwargs.get("_sudo", True))


def test_a_fact_read_outside_an_operation_is_left_to_pyinfra():
    stock, quick = state(False), state(True)
    expected = lookups._handle_fact_kwargs(stock, stock.inventory.get_host("pc"), Users, [], {})
    host = quick.inventory.get_host("pc")
    assert host.current_op_global_arguments is None
    assert facts._handle_fact_kwargs(quick, host, Users, [], {}) == expected
