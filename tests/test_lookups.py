"""The rollout's cheaper lookups give pyinfra's own answers: global arguments from the call,
the host's data, its groups' data and the config, in pyinfra's order."""

import pytest
from pyinfra.api import Config, Inventory, State, arguments
from pyinfra.api.arguments import pop_global_arguments
from pyinfra.api.host import HostData

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
