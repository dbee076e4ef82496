"""Reading Prometheus's HTTP API (stdlib only): which site hosts its node exporters find up, since
when the others are down, and which alerts fire, per site.

Series and alerts carry the labels roles/monitoring_hub gives every target (`site`, `site_name`,
`wave`, `former_district`, and `host`, the host's name); a site Prometheus does not scrape (not
rolled out yet) is simply absent. Whatever goes wrong on the way (refused, timeout, an HTTP
error, an answer that is not Prometheus's JSON) becomes one line in `LiveReport.error`, never an
exception: `tcd status` then shows the journal alone.
"""

import datetime as dt
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 5.0  # s, for the whole reading: every request shares it
NODE = 'job="node"'
# "Down since" is the last time a host was seen up, looked for this far back at this step
# (a subquery: its precision is the step; a host not up in the whole window shows without it).
SINCE_WINDOW_HOURS = 24
SINCE_WINDOW = f"{SINCE_WINDOW_HOURS}h"
SINCE_STEP = "1m"
# RE2 (Prometheus's regexes) and Python's re.escape do not agree on every escape
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


class PrometheusError(RuntimeError):
    """Prometheus could not be read; the message is one line for an operator."""


@dataclass(frozen=True)
class DownHost:
    host: str
    # the last time Prometheus saw it up (to SINCE_STEP): down since then; None: not up within
    # SINCE_WINDOW (or never)
    since: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"host": self.host, "since": _iso(self.since)}


@dataclass(frozen=True)
class Alert:
    name: str  # alertname
    summary: str | None  # the rule's annotation, Vietnamese
    since: dt.datetime | None  # when it became active

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "since": _iso(self.since)}


@dataclass
class SiteLive:
    """One site as Prometheus sees it now."""

    site: int
    up: int  # hosts whose node exporter answered the last scrape
    total: int  # hosts Prometheus scrapes at the site
    down: list[DownHost] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)  # firing only

    @property
    def state(self) -> str:
        """`down` (a host does not answer), `alerting` (all answer, an alert fires) or `up`."""
        if self.down:
            return "down"
        return "alerting" if self.alerts else "up"

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "up": self.up,
            "total": self.total,
            "down": [d.as_json() for d in self.down],
            "alerts": [a.as_json() for a in self.alerts],
        }


@dataclass
class LiveReport:
    source: str  # which Prometheus, for messages
    at: dt.datetime | None  # when it answered; None if it did not
    sites: dict[int, SiteLive] = field(default_factory=dict)
    other_alerts: list[Alert] = field(default_factory=list)  # firing without a site (the hubs')
    error: str | None = None  # one line; the rest is empty then

    @classmethod
    def unavailable(cls, source: str, reason: str) -> "LiveReport":
        return cls(source=source, at=None, error=f"{source}: {reason}")


class Prometheus:
    """Prometheus's HTTP API at `base_url`, every request within one shared time budget."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout
        # the URL is a loopback forward or one the operator gave: never through an http_proxy
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def query(self, expression: str) -> list[dict[str, Any]]:
        """An instant query's samples (a vector)."""
        data = self._call("/api/v1/query", {"query": expression})
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            raise PrometheusError(f"not a vector for {expression!r}")
        return list(data["result"])

    def alerts(self) -> list[dict[str, Any]]:
        data = self._call("/api/v1/alerts")
        if not isinstance(data, dict):
            raise PrometheusError("/api/v1/alerts: no alerts in the answer")
        return list(data.get("alerts") or [])

    def _call(self, path: str, form: dict[str, str] | None = None) -> Any:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise PrometheusError(f"no answer within {self.timeout:g} s")
        # queries are POSTed: the regex of many down hosts could outgrow a URL
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        try:
            with self._opener.open(request, timeout=left) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as exc:
            raise PrometheusError(f"HTTP {exc.code} on {path}: {_error_of(exc)}") from None
        except urllib.error.URLError as exc:
            raise PrometheusError(_reason(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise PrometheusError(_reason(exc)) from None
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both
            raise PrometheusError(f"{path} did not answer JSON (is this Prometheus?)") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            said = answer.get("error") if isinstance(answer, dict) else None
            raise PrometheusError(f"{path}: {said or 'not a Prometheus answer'}")
        return answer.get("data")


def read_live(
    base_url: str,
    timeout: float = TIMEOUT,
    *,
    source: str | None = None,
    since_window: str = SINCE_WINDOW,
    since_step: str = SINCE_STEP,
) -> LiveReport:
    """Every site Prometheus scrapes at `base_url` (e.g. `http://127.0.0.1:9090`): its hosts up
    and down, since when, its firing alerts. Never raises for an unreachable or broken
    Prometheus: the report's `error` says why, in one line. `source` names it in that line."""
    source = source or f"Prometheus at {base_url}"
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        # urllib would read file: and ftp: URLs too
        return LiveReport.unavailable(source, "not an http:// or https:// URL")
    prometheus = Prometheus(base_url, timeout)
    try:
        return _read(prometheus, source, since_window, since_step)
    except PrometheusError as exc:
        return LiveReport.unavailable(source, str(exc))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return LiveReport.unavailable(source, f"an answer of an unexpected shape ({exc!r})")


def _read(prometheus: Prometheus, source: str, window: str, step: str) -> LiveReport:
    samples = prometheus.query(f"up{{{NODE}}}")
    report = LiveReport(source=source, at=None)
    down: list[tuple[SiteLive, dict[str, str]]] = []
    for sample in samples:
        labels, (at, value) = sample["metric"], sample["value"]
        report.at = max(report.at or _time(at), _time(at))
        code = _site(labels)
        if code is None:
            continue  # not a site's (a hub's own node exporter)
        site = report.sites.setdefault(code, SiteLive(site=code, up=0, total=0))
        site.total += 1
        if float(value) == 1:
            site.up += 1
        else:
            down.append((site, labels))
    instances = [labels["instance"] for _, labels in down]
    last_up = _last_up(prometheus, instances, window, step) if down else {}
    for site, labels in down:
        site.down.append(DownHost(_host(labels), last_up.get(labels["instance"])))
    for raw in prometheus.alerts():
        if raw.get("state") != "firing":
            continue
        labels = raw.get("labels") or {}
        alert = Alert(
            name=labels.get("alertname", "?"),
            summary=(raw.get("annotations") or {}).get("summary"),
            since=_parse_time(raw.get("activeAt")),
        )
        code = _site(labels)
        if code is None:
            report.other_alerts.append(alert)
        else:
            report.sites.setdefault(code, SiteLive(site=code, up=0, total=0)).alerts.append(alert)
    for site in report.sites.values():
        site.down.sort(key=lambda d: d.host)
        site.alerts.sort(key=lambda a: (a.name, a.since or dt.datetime.min.replace(tzinfo=dt.UTC)))
    report.sites = dict(sorted(report.sites.items()))
    report.at = report.at or dt.datetime.now(dt.UTC)
    return report


def _last_up(
    prometheus: Prometheus, instances: list[str], window: str, step: str
) -> dict[str, dt.datetime]:
    """instance -> the last time its `up` was 1, within the window."""
    # timestamp() of a plain selector is the sample's own time, not the evaluation's
    pattern = "|".join(_RE2_SPECIAL.sub(r"\\\1", i) for i in instances)
    selector = f"{{{NODE},instance=~`{pattern}`}}"  # a raw string: no PromQL escapes on top
    expression = f"max_over_time((timestamp(up{selector}) and up{selector} == 1)[{window}:{step}])"
    return {
        sample["metric"]["instance"]: _time(sample["value"][1])
        for sample in prometheus.query(expression)
    }


def _site(labels: dict[str, str]) -> int | None:
    site = labels.get("site", "")
    return int(site) if site.isdigit() else None


def _host(labels: dict[str, str]) -> str:
    return labels.get("host") or labels.get("instance", "?")


def _time(epoch: float | str) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(epoch), dt.UTC)


def _parse_time(text: str | None) -> dt.datetime | None:
    """Prometheus's RFC 3339 times carry nanoseconds, more than Python reads."""
    if not text:
        return None
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(trimmed)
    except ValueError:
        return None


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


def _reason(exc: object) -> str:
    """`connection refused` rather than `<urlopen error [Errno 111] Connection refused>`."""
    if isinstance(exc, TimeoutError):
        return "no answer in time (timeout)"
    # an SSH forward whose far end is refused closes the local connection at once: reset,
    # broken pipe or no status line, by a race between the request and the close
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return "the connection closed without an answer (nothing listening at the far end?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _error_of(exc: urllib.error.HTTPError) -> str:
    """Prometheus explains its errors in a JSON body (a bad query: 400)."""
    try:
        said = json.loads(exc.read() or b"{}").get("error")
    except (ValueError, AttributeError, OSError):
        said = None
    return said or exc.reason or "no reason given"
