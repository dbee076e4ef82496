"""WS-Security UsernameToken checks, with the account lockout real cameras have.

A wrong password, or an unknown user, counts as a failed login for that username; `max_failures`
of them within `window_s` lock the username for `lock_s`, during which even the right password is
refused. A Created time too far from the device clock is refused without counting: that is a
clock problem, not a password guess.
"""

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from .settings import User
from .soap import SoapFaultError, child, not_authorized, text

PASSWORD_DIGEST = "#PasswordDigest"
MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window_s: float = 30.0
    lock_s: float = 30.0


class Lockout:
    def __init__(self, policy: LockoutPolicy) -> None:
        self.policy = policy
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked_for(self, username: str) -> float:
        """Seconds the username stays locked (0 when it is not)."""
        with self._lock:
            return max(0.0, self._locked_until.get(username, 0.0) - time.monotonic())

    def failed(self, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(username, deque())
            failures.append(now)
            while failures and failures[0] < now - self.policy.window_s:
                failures.popleft()
            if len(failures) >= self.policy.max_failures:
                self._locked_until[username] = now + self.policy.lock_s
                failures.clear()

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


def _parse_created(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("Created has no time zone")
    return parsed


def authenticate(
    token: etree._Element | None, users: list[User], device_now: datetime, lockout: Lockout
) -> User:
    """The user the token proves to be, or a ter:NotAuthorized fault saying why not."""
    if token is None:
        raise not_authorized("Sender not authorized: no WS-Security UsernameToken")
    username = text(token, "Username", default="") or ""
    locked = lockout.locked_for(username)
    if locked > 0:
        raise not_authorized(
            f"Sender not authorized: account {username!r} is locked for {locked:.0f} s "
            "after repeated failed logins"
        )
    user = next((u for u in users if u.username == username), None)
    password = child(token, "Password")
    supplied = (password.text or "").strip() if password is not None else ""
    is_digest = password is not None and (password.get("Type") or "").endswith(PASSWORD_DIGEST)
    if is_digest:
        created = text(token, "Created")
        nonce = text(token, "Nonce")
        if created is None or nonce is None:
            raise not_authorized("Sender not authorized: PasswordDigest without Nonce or Created")
        try:
            created_at = _parse_created(created)
            nonce_bytes = base64.b64decode(nonce, validate=True)
        except (ValueError, binascii.Error):
            raise not_authorized("Sender not authorized: malformed Nonce or Created") from None
        if abs(created_at - device_now) > MAX_SKEW:
            raise not_authorized(
                "Sender not authorized: Created is more than 5 minutes from the device clock"
            )
        ok = user is not None and hmac.compare_digest(
            supplied.encode(),
            base64.b64encode(
                hashlib.sha1(nonce_bytes + created.encode() + user.password.encode()).digest()
            ),
        )
    else:
        ok = user is not None and hmac.compare_digest(supplied.encode(), user.password.encode())
    if not ok or user is None:
        lockout.failed(username)
        raise not_authorized("Sender not authorized: wrong username or password")
    lockout.succeeded(username)
    return user


LEVEL_RANK = {"User": 0, "Operator": 1, "Administrator": 2}


def require_level(user: User | None, level: str, operation: str) -> None:
    if user is None or LEVEL_RANK.get(user.level, -1) < LEVEL_RANK[level]:
        raise SoapFaultError(
            "Sender",
            ["NotAuthorized"],
            f"Sender not authorized: {operation} needs user level {level}",
        )
