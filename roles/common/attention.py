"""What a rollout finds but must not repair by itself (a control with `repair: manual`): an
unknown process listening, a SUID file nobody expects. Removing either could break something
somebody needs, or destroy the traces of an intrusion: a person decides. A role flags it while
its deploy is prepared; the rollout reports it per host as "needs attention" (and pyinfra's
own CLI as a warning)."""

import logging
from collections import defaultdict

from pyinfra import host

# pyinfra's CLI gives its logger a handler: there the finding is printed as a warning; `tcd
# rollout` reports it in its summary instead (and Python would print it raw on stderr)
logger = logging.getLogger("pyinfra")
_FLAGGED: dict[str, list[str]] = defaultdict(list)


def needs_attention(control: str, reason: str) -> None:
    """Flag `reason` (for `control`) on the host being prepared."""
    text = f"{control}: {reason}"
    if text not in _FLAGGED[host.name]:
        _FLAGGED[host.name].append(text)
        if logger.handlers:
            logger.warning("%sneeds attention: %s", host.print_prefix, text)


def flagged(name: str) -> list[str]:
    """What was flagged on host `name`, once: the next call returns nothing."""
    return _FLAGGED.pop(name, [])
