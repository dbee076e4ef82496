"""Benchmark: what the auditors people already trust say of a lab host before and after a rollout.

    sudo .venv/bin/python bench/audit.py [--hosts tcd-25217-pc1,tcd-25217-gw1,tcd-hub-province]
                                         [--out state/tcdaudit/audit.json]

On a fresh pilot lab of its own (name tcdaudit, torn down at the end, even on failure):

1. before the rollout, on each host of `--hosts`: **ssh-audit** (Debian's, run on the controller
   against the host's sshd, in the lab's controller namespace) and **Lynis** (Debian's, copied
   into a temporary folder on the host, run there as root with `--quick`, its report read back
   and the folder removed: nothing of it stays on the host);
2. `tcd rollout pilot --lab`, then the same audits;
3. a second rollout (must change nothing) and `tcd verify` (must pass): the hardening did not
   break the kiosk, the tunnels or the cameras' configuration through their gateway.

Prints a Markdown table for docs/benchmarks.md and each host's Lynis suggestions left after the
rollout, marking those whose test id docs/hardening.md does not mention (each must be fixed or
explained there). The full results (every suggestion, every ssh-audit note) go to `--out`.
"""

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory
from tcd.render import write_atomically

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))
HOSTS = "tcd-25217-pc1,tcd-25217-gw1,tcd-hub-province"
# Debian's lynis package, as installed on the controller: its program, tests and profile
LYNIS_FILES = ("usr/sbin/lynis", "usr/share/lynis", "etc/lynis")
# where Lynis runs on a host; removed after each run
REMOTE_DIR = "/root/.tcd-lynis-audit"
# a note of ssh-audit 2.5.0's text output: "(kex) name  -- [warn] text", or a further note on
# the line's algorithm: "      `- [info] text"
SSH_AUDIT_NOTE = re.compile(
    r"^(?:\((?:kex|key|enc|mac)\) (?P<subject>\S+)\s*|\s+)[-`]- \[(?P<level>\w+)\] (?P<text>.*)$"
)


def tcd(settings: LabSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}
    return subprocess.run([TCD, *args], env=env, capture_output=True, text=True, check=False)


def ssh_audit(settings: LabSettings, address: str) -> dict:
    """ssh-audit's verdict on the sshd at `address`: its banner and every fail and warn note,
    with the algorithm it is about. (2.5.0's JSON output has no notes: the text is read.)"""
    argv = ["ip", "netns", "exec", settings.controller_netns, "ssh-audit", "-n", address]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    notes: dict[str, list[str]] = {"fail": [], "warn": []}
    banner, subject = "", ""
    for line in done.stdout.splitlines():
        if line.startswith("(gen) banner: "):
            banner = line.removeprefix("(gen) banner: ")
        found = SSH_AUDIT_NOTE.match(line)
        if found is None:
            continue
        subject = found["subject"] or subject
        if found["level"] in notes:
            notes[found["level"]].append(f"{subject}: {found['text']}")
    if not banner:
        raise SystemExit(f"ssh-audit {address}: {done.stdout[-500:]} {done.stderr[-500:]}")
    return {"banner": banner, **notes}


def lynis(settings: LabSettings, host: str) -> dict:
    """Lynis run on `host` from a copy made for the run and removed after it."""
    with tempfile.TemporaryFile() as bundle:
        with tarfile.open(fileobj=bundle, mode="w") as tar:
            for path in LYNIS_FILES:
                tar.add(f"/{path}", arcname=path)
        bundle.seek(0)
        unpack = f"rm -rf {REMOTE_DIR} && mkdir -m 700 {REMOTE_DIR} && tar -C {REMOTE_DIR} -xf -"
        subprocess.run(
            lab_ops.ssh_argv(settings, host, ["sudo", "-n", "sh", "-c", shlex.quote(unpack)]),
            stdin=bundle,
            check=True,
            capture_output=True,
        )
    # run from the folder of its tests (Lynis looks for ./include and ./db there; Debian keeps
    # its plugins beside its profile); its PID file goes with the folder, even after an early stop
    run = (
        f"cd {REMOTE_DIR}/usr/share/lynis && sh {REMOTE_DIR}/usr/sbin/lynis audit system --quick "
        f"--no-colors --profile {REMOTE_DIR}/etc/lynis/default.prf "
        f"--plugindir {REMOTE_DIR}/etc/lynis/plugins "
        f"--logfile {REMOTE_DIR}/lynis.log --report-file {REMOTE_DIR}/report.dat >/dev/null 2>&1; "
        f"cat {REMOTE_DIR}/report.dat; rm -rf {REMOTE_DIR} /run/lynis.pid"
    )
    done = subprocess.run(
        lab_ops.ssh_argv(settings, host, ["sudo", "-n", "sh", "-c", shlex.quote(run)]),
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            report.setdefault(key, []).append(value)
    if "hardening_index" not in report:
        raise SystemExit(f"Lynis on {host} wrote no report: {done.stderr[-500:]}")
    left = lab_ops.ssh_argv(settings, host, ["sudo", "-n", "test", "!", "-e", REMOTE_DIR])
    if subprocess.run(left, check=False).returncode != 0:
        raise SystemExit(f"{REMOTE_DIR} is still on {host}")
    return {
        "hardening_index": int(report["hardening_index"][0]),
        "tests_performed": int(report.get("lynis_tests_done", ["0"])[0]),
        "suggestions": [s.split("|")[:3] for s in report.get("suggestion[]", [])],
        "warnings": [w.split("|")[:3] for w in report.get("warning[]", [])],
    }


def audit(settings: LabSettings, hosts: list[str], addresses: dict[str, str]) -> dict:
    def one(host: str) -> dict:
        return {"ssh_audit": ssh_audit(settings, addresses[host]), "lynis": lynis(settings, host)}

    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        return dict(zip(hosts, pool.map(one, hosts), strict=True))


def rollout(settings: LabSettings) -> dict:
    done = tcd(settings, "rollout", "pilot", "--lab", "--no-verify", "--json")
    if done.returncode != 0:
        raise SystemExit(f"rollout failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description="ssh-audit and Lynis before and after a rollout")
    parser.add_argument("--hosts", default=HOSTS, help="lab hosts to audit (comma-separated)")
    parser.add_argument("--out", type=Path, default=REPO / "state" / "tcdaudit" / "audit.json")
    args = parser.parse_args()
    missing = [name for name in ("lynis", "ssh-audit") if shutil.which(name) is None]
    if missing:  # the auditors are Debian's, on the controller, not the project's dependencies
        raise SystemExit(
            f"bench/audit.py needs {' and '.join(missing)}: apt-get install lynis ssh-audit"
        )
    hosts = args.hosts.split(",")
    settings = LabSettings(
        name="tcdaudit", state_dir=REPO / "state" / "tcdaudit", cache_dir=DEFAULT_CACHE
    )
    inventory = load_inventory(REPO / "inventory")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    started = time.perf_counter()
    lab_ops.down(settings, lab_ops.QuietReporter())
    state = lab_ops.up(
        settings, inventory, inventory.select(codes=inventory.wave("pilot").sites),
        lab_ops.QuietReporter(),
    )  # fmt: skip
    try:
        addresses = {host: state.host(host).address for host in hosts}
        before = audit(settings, hosts, addresses)
        first = rollout(settings)
        after = audit(settings, hosts, addresses)
        second = rollout(settings)
        verified = tcd(settings, "verify", "--wave", "pilot", "--lab", "--json")
        verify = json.loads(verified.stdout)
    finally:
        lab_ops.down(settings, lab_ops.QuietReporter())
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "command": "sudo .venv/bin/python bench/audit.py " + " ".join(sys.argv[1:]),
        "before": before,
        "after": after,
        "first_rollout_changed": first.get("operations_changed"),
        "second_rollout_changed": second.get("operations_changed"),
        "verify": {"returncode": verified.returncode, "counts": verify.get("counts")},
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_atomically(args.out, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report(results, hosts)
    ok = verified.returncode == 0 and results["second_rollout_changed"] == 0
    return 0 if ok else 1


def report(results: dict, hosts: list[str]) -> None:
    decided = (REPO / "docs" / "hardening.md").read_text()
    print(f"{results['date']}, commit {results['commit']}: `{results['command']}`\n")
    print("| host | Lynis index before → after | suggestions before → after | warnings after "
          "| ssh-audit fail / warn before → after |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for host in hosts:
        b, a = results["before"][host], results["after"][host]
        print(
            f"| {host} | {b['lynis']['hardening_index']} → {a['lynis']['hardening_index']} "
            f"| {len(b['lynis']['suggestions'])} → {len(a['lynis']['suggestions'])} "
            f"| {len(a['lynis']['warnings'])} "
            f"| {len(b['ssh_audit']['fail'])} / {len(b['ssh_audit']['warn'])} → "
            f"{len(a['ssh_audit']['fail'])} / {len(a['ssh_audit']['warn'])} |"
        )
    print(
        f"\nfirst rollout: {results['first_rollout_changed']} operations changed; second: "
        f"{results['second_rollout_changed']}; verify: {results['verify']}\n"
    )
    for host in hosts:
        after = results["after"][host]
        print(f"{host}: ssh-audit after: {after['ssh_audit']['fail'] + after['ssh_audit']['warn']}")
        for test, text, *details in after["lynis"]["suggestions"] + after["lynis"]["warnings"]:
            known = re.search(rf"\b{re.escape(test)}\b", decided)
            mark = "" if known else "   <- not in docs/hardening.md"
            detail = f" ({details[0]})" if details and details[0] not in ("", "-") else ""
            print(f"  {test}: {text}{detail}{mark}")


if __name__ == "__main__":
    sys.exit(main())
