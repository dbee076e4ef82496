"""pyinfra's per-call lookups, made cheap for the rollout's own inventories.

Every operation and every fact read resolves pyinfra's ~30 global arguments (`_sudo`, `_env`…),
each looked up in the host's data (pyinfra 3.10, `pop_global_arguments`): the arguments' list
comes from `typing.get_type_hints` on each call (a tenth of a no-change rollout's CPU at 20
units), and each lookup walks five layers of data, merging the host's groups' data anew and
raising a KeyError in every layer that lacks the key. ~270 calls a host in a no-change rollout;
292 µs a call as shipped, 101 µs with both changes (bench/lookups.py, docs/benchmarks.md). And
a fact read inside an operation (~200 a host) resolved them all again (`_fact_kwargs`). The
answers stay pyinfra's: the same list of arguments, the same layers in the same order, the same
copies (tests/test_lookups.py).
"""

from copy import copy
from functools import cache
from inspect import getcallargs
from typing import Any

from pyinfra.api import Inventory
from pyinfra.api import arguments as _arguments
from pyinfra.api import facts as _facts
from pyinfra.api.host import HostData, extract_callable_datas

_global_arguments = cache(_arguments.all_global_arguments)


def _all_global_arguments() -> list[tuple[str, type]]:
    # the type hints of a class defined at import never change; a new list, as pyinfra gives
    return list(_global_arguments())


# pyinfra looks the function up by name in these two modules at each call
_arguments.all_global_arguments = _all_global_arguments
_facts.all_global_arguments = _all_global_arguments

_handle_fact_kwargs = _facts._handle_fact_kwargs
_GLOBAL_KEYS = frozenset(key for key, _ in _global_arguments())


def _fact_kwargs(state: Any, host: Any, cls: Any, args: Any, kwargs: Any) -> Any:
    """pyinfra's own, but a fact read inside an operation takes the operation's global
    arguments as they are. pyinfra resolves them all again for every such read from a copy of
    the operation's (every one of them is there: resolved for the operation), so each comes
    back unchanged; a fact given one of its own is left to pyinfra. A quarter of the
    controller's CPU in a no-change rollout of 95 units went to that (py-spy)."""
    in_op = host.current_op_global_arguments
    if not in_op or (kwargs and not _GLOBAL_KEYS.isdisjoint(kwargs)):
        return _handle_fact_kwargs(state, host, cls, args, kwargs)
    fact_kwargs = dict(kwargs or {})
    if args or fact_kwargs:
        fact_kwargs = getcallargs(cls().command, *(args or []), **fact_kwargs)
    return fact_kwargs, dict(in_op)


_facts._handle_fact_kwargs = _fact_kwargs


class _HostData(HostData):
    """pyinfra's HostData, asking each layer whether it holds the key instead of catching its
    KeyError (the layers are dicts)."""

    def __getattr__(self, key: str) -> Any:
        for data in extract_callable_datas(self.datas):
            if key in data:
                return copy(data[key])
        raise AttributeError(f"Host `{self.host}` has no data `{key}`")


def quicken(inventory: Inventory) -> None:
    """Cheap lookups for `inventory`'s hosts: its groups' merged data kept (the rollout sets
    no group data once the inventory is made), each host's data looked up without exceptions."""
    merged: dict[tuple[str, ...], dict[str, Any]] = {}
    groups_data = inventory.get_groups_data

    def get_groups_data(groups: Any) -> dict[str, Any]:
        key = tuple(groups)
        if key not in merged:
            merged[key] = groups_data(groups)
        return merged[key]

    inventory.get_groups_data = get_groups_data  # type: ignore[method-assign]
    for host in inventory:
        # (HostData's own __setattr__ would take the class for a data key)
        object.__setattr__(host.data, "__class__", _HostData)
