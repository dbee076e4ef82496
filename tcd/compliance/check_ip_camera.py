"""roles/ip_camera on each IP camera: no factory password, lockout, the province's time, the
baseline's main stream, the RTSP stream for the operator account, no plain HTTP
(QĐ 724/QĐ-BTTTT 2024, QCVN 135:2024/BTTTT)."""

import pytest

from roles.ip_camera import defaults
from roles.ip_camera.role import IP_CAMERA
from tcd.compliance.ip_camera import CheckedCamera

ROLE = IP_CAMERA  # the role whose hosts this module checks
control = pytest.mark.control


@control("TCD-CAM-001")
def test_factory_credentials_are_refused(target: CheckedCamera) -> None:
    accepted = [login for login in target.reading().factory_logins if login.accepted]
    assert not accepted, f"the camera accepts a factory password for {defaults.ADMIN_USER!r}"


@control("TCD-CAM-002")
def test_logins_lock_after_failed_attempts(target: CheckedCamera) -> None:
    probe = target.reading().logged_in().lockout
    if isinstance(probe, Exception):
        raise probe
    if probe.first.locked:
        return  # an earlier probe's lock still holds: the right password refused is the proof
    assert probe.first.accepted, (
        f"the camera refuses {defaults.PROBE_USER!r}, the lockout probe's account "
        "(missing, or its password changed: tcd rollout sets it)"
    )
    assert probe.last is not None
    assert not any(login.accepted for login in probe.wrong), "the camera accepted a wrong password"
    assert not probe.last.accepted and probe.last.locked, (
        f"after {len(probe.wrong)} wrong passwords the camera still accepts the right one: "
        "no lockout"
    )


@control("TCD-CAM-003")
def test_time_comes_from_the_province_ntp(target: CheckedCamera) -> None:
    reading = target.reading().logged_in()
    wanted = list(target.data.ntp_servers)
    assert not reading.ntp_from_dhcp, "the camera takes its NTP server from DHCP"
    assert reading.ntp_servers == wanted, f"NTP servers {reading.ntp_servers}, not {wanted}"
    assert reading.clock_kind == "NTP", f"the clock is set {reading.clock_kind}, not from NTP"
    policy = target.data.policy
    assert reading.timezone == policy.timezone, (
        f"time zone {reading.timezone!r}, not {policy.timezone!r}"
    )


@control("TCD-CAM-004")
def test_clock_is_close(target: CheckedCamera) -> None:
    offset = target.reading().logged_in().clock_offset
    tolerance = target.data.policy.clock_tolerance_s
    # ONVIF gives whole seconds: one more second of reading granularity is allowed
    assert abs(offset) <= tolerance + 1, f"the camera's clock is {offset:+.0f} s off"


@control("TCD-CAM-005")
def test_main_profile_matches_the_baseline(target: CheckedCamera) -> None:
    stream = target.reading().logged_in().main_stream
    wanted = target.data.policy.main_stream
    assert stream.encoding == wanted.encoding, f"main stream is {stream.encoding}"
    assert (stream.width, stream.height) == (wanted.width, wanted.height), (
        f"main stream is {stream.width}x{stream.height}, not {wanted.width}x{wanted.height}"
    )
    assert stream.fps >= wanted.fps, f"main stream at {stream.fps} fps (< {wanted.fps})"


@control("TCD-CAM-006")
def test_rtsp_stream_plays_for_the_operator(target: CheckedCamera) -> None:
    stream = target.reading().logged_in().stream
    if isinstance(stream, Exception):
        raise stream
    wanted = target.data.policy.main_stream
    assert stream.get("codec_name") == "h264", f"the stream is {stream.get('codec_name')}"
    size = (stream.get("width"), stream.get("height"))
    assert size == (wanted.width, wanted.height), f"the stream decodes at {size}"
    assert int(stream.get("nb_read_frames") or 0) > 0, "no frame of the stream decoded"


@control("TCD-CAM-007")
def test_plain_http_is_off(target: CheckedCamera) -> None:
    reading = target.reading().logged_in()
    assert not reading.protocols.get("HTTP", False), "ONVIF reports plain HTTP enabled"
    assert not reading.http_port_open, "port 80 accepts connections from the room LAN"
