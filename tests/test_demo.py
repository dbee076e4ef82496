"""`tcd demo`, the README's main job after setup: a lab of the pilot, rolled out, verified with
its reports, and torn down, all in one command."""

import os
import subprocess
from pathlib import Path

import pytest

from tcd.lab import lab as lab_ops

from .conftest import TCD, lab_settings

pytestmark = pytest.mark.lab


def test_the_demo_rolls_out_verifies_and_leaves_nothing_up(tmp_path: Path):
    settings = lab_settings("tcddemo")
    env = {
        **os.environ,
        "TCD_LAB_NAME": settings.name,
        "TCD_LAB_STATE": str(settings.state_dir),
    }
    reports = tmp_path / "reports"
    try:
        done = subprocess.run(
            [TCD, "demo", "--report", str(reports)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1200,
        )
        left_up = settings.state_file.exists()  # before the safety net below takes it down
    finally:  # what a demo that died half-way would leave
        lab_ops.down(settings, lab_ops.QuietReporter())
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for step in ("1/3 lab", "2/3 rollout", "3/3 verify"):
        assert step in output, output
    assert "3 deployed" in output or "3 done" in output, output
    assert "PASS" in output and "FAIL" not in output, output
    assert any(reports.rglob("*.html")) and any(reports.rglob("junit.xml")), output
    assert "Traceback" not in output, output
    # torn down by the demo itself
    assert not left_up, "the demo left its lab up"
