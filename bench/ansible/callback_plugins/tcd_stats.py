"""Ansible callback of the twin: per host, the recap's counts, the names of the tasks that
changed something and of those that failed (ignored or not), written as JSON to the file named by
$TCD_TWIN_STATS (run.py reads it). Nothing else is written: a result's content never is."""

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "tcd_stats"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.changes: dict[str, list[str]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.ignored: dict[str, list[str]] = defaultdict(list)

    def v2_runner_on_ok(self, result: Any) -> None:
        if result.is_changed():
            self.changes[result._host.get_name()].append(result.task_name)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        # the last line a failing command printed is usually the reason
        said = [
            line
            for key in ("stdout", "stderr", "msg")
            for line in str(result._result.get(key, "")).splitlines()
            if line.strip()
        ]
        reason = f": {said[-1].strip()}" if said else ""
        # ignored ones too: only a dry run may ignore a failure (run.py fails any other run)
        into = self.ignored if ignore_errors else self.errors
        into[result._host.get_name()].append(f"{result.task_name} failed{reason}")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self.errors[result._host.get_name()].append(f"unreachable: {result._result.get('msg')}")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = os.environ.get("TCD_TWIN_STATS")
        if not path:
            return
        hosts = {}
        for name in sorted(stats.processed):
            counts = stats.summarize(name)
            counts["failed"] = counts.pop("failures")  # as the recap says it
            hosts[name] = {
                **counts,
                "changes": self.changes.get(name, []),
                "errors": self.errors.get(name, []),
                "ignored_errors": self.ignored.get(name, []),
            }
        Path(path).write_text(json.dumps(hosts, ensure_ascii=False, indent=2) + "\n")
