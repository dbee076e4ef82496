"""One camera's live state: its settings, who may log in, and who must hear about changes.

Every change goes through `Device.change()`, which persists settings.json before the caller's
reply leaves, then tells the listeners (the HTTP listeners, the RTSP server) what changed.
"""

import copy
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import clock
from .auth import Lockout, LockoutPolicy
from .settings import CameraSettings, load, save

# what a change touched, so listeners only redo their own part
USERS = "users"
PROTOCOLS = "protocols"
ENCODER = "encoder"

Listener = Callable[[CameraSettings, set[str]], None]


@dataclass
class Device:
    name: str
    address: str
    state_dir: Path
    policy: LockoutPolicy = field(default_factory=LockoutPolicy)
    settings: CameraSettings = field(init=False)
    lockout: Lockout = field(init=False)
    listeners: list[Listener] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.settings = load(self.state_dir)
        self.lockout = Lockout(self.policy)

    def log(self, message: str) -> None:
        print(f"lab-camera {self.name}: {message}", file=sys.stderr, flush=True)

    def snapshot(self) -> CameraSettings:
        """A copy to read from without holding the lock."""
        with self._lock:
            return copy.deepcopy(self.settings)

    def now(self) -> datetime:
        with self._lock:
            return clock.now(self.settings.clock_offset_s)

    @contextmanager
    def change(self, *touched: str) -> Iterator[CameraSettings]:
        """Edit a copy; only if the block finishes is it saved and made current."""
        with self._lock:
            draft = copy.deepcopy(self.settings)
            yield draft
            save(self.state_dir, draft)
            self.settings = draft
            current = copy.deepcopy(draft)
        for listener in self.listeners:
            listener(current, set(touched))
