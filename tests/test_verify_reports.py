"""A verify run's reports as the tools that take them read them: junit.xml valid against the
JUnit schema Jenkins uses (tests/fixtures/junit-10.xsd, from jenkinsci/xunit-plugin, MIT),
verify.json in the shape `tcd verify --json` prints, and older reports read or named, never
skipped in silence. The run is built from real Check objects; no lab is needed."""

import datetime as dt
import json
from pathlib import Path

import pytest
from lxml import etree

from tcd.verify.report import write_reports
from tcd.verify.results import (
    RESULT_FILE,
    SCHEMA_VERSION,
    Check,
    VerifyRun,
    WaiverNote,
    previous_run,
)

XSD = Path(__file__).parent / "fixtures" / "junit-10.xsd"
STARTED = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)


def check(host: str, control: str, result: str, **more: object) -> Check:
    return Check(
        site=None if host.startswith("tcd-hub") else 26380,
        site_name="Phường Long Hưng",
        host=host,
        control=control,
        title="sshd: keys only",
        title_vi="sshd: chỉ dùng khóa",
        severity="high",
        result=result,
        reason="" if result == "passed" else "passwordauthentication is yes <&>",
        seconds=0.25,
        **more,
    )


def a_run(run_id: str = "20261201T083000Z") -> VerifyRun:
    waiver = WaiverNote(justification="timer", expires=dt.date(2027, 3, 31), expired=False)
    expired = WaiverNote(justification="old", expires=dt.date(2026, 1, 1), expired=True)
    return VerifyRun(
        id=run_id,
        target="lab t",
        selection="wave pilot",
        selection_key="k1",
        started=STARTED,
        seconds=12.5,
        checks=[
            check("tcd-26380-pc1", "TCD-SSH-001", "passed"),
            check("tcd-26380-pc1", "TCD-SSH-002", "failed", waiver=expired),
            check("tcd-26380-pc1", "TCD-KIOSK-004", "waived", waiver=waiver),
            check("tcd-26380-cam1", "TCD-CAM-001", "unreachable"),
            check("tcd-hub-province", "TCD-SSH-001", "passed"),
        ],
    )


def test_junit_is_valid_for_jenkins_and_counts_as_it_should(tmp_path):
    write_reports(a_run(), tmp_path)
    schema = etree.XMLSchema(etree.parse(XSD))
    document = etree.parse(tmp_path / "junit.xml")
    assert schema.validate(document), schema.error_log
    root = document.getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "1")
    site, hub = root.findall("testsuite")
    assert [site.get(a) for a in ("tests", "failures", "errors", "skipped")] == ["4", "1", "1", "1"]
    assert site.get("timestamp") == "2026-12-01T08:30:00" and site.get("time") == "1.000"
    assert hub.get("tests") == "1"
    cases = {c.get("name").split()[0] + " " + c.get("classname"): c for c in root.iter("testcase")}
    assert all(c.get("time") == "0.250" for c in cases.values())
    # a host that could not be read was not tested: an error, not a failure
    assert cases["TCD-CAM-001 tcd-26380-cam1"].find("error").get("type") == "unreachable"
    assert cases["TCD-SSH-002 tcd-26380-pc1"].find("failure") is not None
    assert cases["TCD-KIOSK-004 tcd-26380-pc1"].find("skipped") is not None


def test_verify_json_is_what_json_prints_and_reads_back(tmp_path):
    run = a_run()
    write_reports(run, tmp_path)
    saved = json.loads((tmp_path / RESULT_FILE).read_text())
    assert saved == json.loads(json.dumps(run.as_json()))
    assert saved["schema_version"] == SCHEMA_VERSION
    assert VerifyRun.from_json(saved) == run


def test_older_reports_are_read_and_unreadable_ones_named(tmp_path):
    older = a_run("20261130T080000Z")
    (tmp_path / older.id).mkdir()
    # schema 1: the run's own dump, as tcd wrote it before the shapes were one
    (tmp_path / older.id / RESULT_FILE).write_text(older.model_dump_json())
    for name, text in (
        ("20261201T070000Z", json.dumps({"schema_version": 99, "hosts": {}})),
        ("20261201T073000Z", "{ not json"),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / RESULT_FILE).write_text(text)
    found, unreadable = previous_run(tmp_path, "k1", before="20261201T083000Z")
    assert found == older
    assert len(unreadable) == 2
    assert any("schema_version 99 (this tcd reads 1 and 2)" in line for line in unreadable)
    assert all(line.startswith(str(tmp_path)) for line in unreadable)


@pytest.mark.parametrize("bad", [[], "run", {"schema_version": 2}])
def test_a_report_of_the_wrong_shape_is_refused(bad):
    with pytest.raises((ValueError, KeyError, TypeError)):
        VerifyRun.from_json(bad)
