"""Each host's own name for each of its operations, for the rollout's summary.

Driven through its API, pyinfra keys an operation by its position in the host's list of
operations, and keeps one set of names per key for all hosts: where two hosts' lists differ (one
removes a stray drop-in, the other has none), the names at that position are the union of
both, and a summary built from them tells one host it removed the other's file. The names each
host gave are recorded here as pyinfra assigns the keys (the one place it sees both)."""

from importlib import import_module

from pyinfra.api import State
from pyinfra.api.host import Host

# the module (pyinfra.api's `operation` attribute is the decorator of the same name)
_operation = import_module("pyinfra.api.operation")

# (the state's inventory: operations see the state through a context proxy, the inventory is
# the same object), host, operation key -> the name that host gave
_NAMES: dict[tuple[int, str, str], str] = {}
_assign = _operation.solve_operation_consistency


def _recording(names: set[str], state: State, host: Host):
    op_order, op_hash = _assign(names, state, host)
    _NAMES[(id(state.inventory), host.name, op_hash)] = ", ".join(sorted(names))
    return op_order, op_hash


def record() -> None:
    """Record the names from now on (pyinfra looks the function up at each operation)."""
    _operation.solve_operation_consistency = _recording


def name_of(state: State, host: Host, op_hash: str) -> str:
    """The name `host` gave the operation, else pyinfra's shared one."""
    shared = ", ".join(sorted(state.get_op_meta(op_hash).names))
    return _NAMES.get((id(state.inventory), host.name, op_hash), shared)


def forget(state: State) -> None:
    """Drop what was recorded for `state` (once its results are read)."""
    for key in [k for k in _NAMES if k[0] == id(state.inventory)]:
        del _NAMES[key]
