"""`tcd rollout --dry --diff`: the unified diff of every file that would change, per host.

pyinfra writes those diffs itself when its config has DIFF set (files.put compares the host's
file with ours while preparing); they go to its logger, interleaved across hosts prepared side
by side. The handler here files each line under the host whose greenlet logged it and masks
anything that looks like a secret before it is kept."""

import logging
import re
from collections import defaultdict

from pyinfra.context import ctx_host

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# a value after one of these names is replaced: WireGuard keys, passwords, tokens
SECRET = re.compile(
    r"(?i)\b(private[_-]?key|preshared[_-]?key|password|passwd|secret|token|psk)(\s*[=:]\s*)\S.*$"
)
MASK = "********"


def mask(line: str) -> str:
    return SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", line)


class DiffCapture(logging.Handler):
    """Lines pyinfra logs while preparing, by host name."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: dict[str, list[str]] = defaultdict(list)

    def emit(self, record: logging.LogRecord) -> None:
        host = ctx_host.get()  # greenlet-local: the host being prepared
        if host is None:
            return
        text = ANSI.sub("", record.getMessage()).replace(ANSI.sub("", host.print_prefix), "", 1)
        self.lines[host.name].append(mask(text.removeprefix("  ")))
