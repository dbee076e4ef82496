"""The lab ONVIF camera (tcd.lab.onvif_emulator) against the real client the product uses.

The camera runs under Debian's python3 in a network namespace of its own (198.18.253.10 on a
veth pair); onvif-zeep-async and ffprobe talk to it from inside that namespace. No mocks.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tcd.lab.onvif_emulator.settings import FACTORY_PASSWORD, FACTORY_USER

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parent.parent
CLIENT = Path(__file__).with_name("onvif_emulator_client.py")
ADDRESS = "198.18.253.10"
LOCK_S = 3.0


def run(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


class Camera:
    """One lab camera process in its namespace, with its state directory and log."""

    def __init__(self, netns: str, state: Path) -> None:
        self.netns, self.state = netns, state
        self.log = state.parent / "camera.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.write_text("")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        # fmt: off
        argv = [
            "ip", "netns", "exec", self.netns, "/usr/bin/python3", "-m", "tcd.lab.onvif_emulator",
            "serve", "--state", str(self.state), "--name", "cam-test-1", "--address", ADDRESS,
            "--lockout-window", "10", "--lockout-duration", str(LOCK_S),
        ]
        # fmt: on
        with self.log.open("a") as log:
            self.process = subprocess.Popen(argv, stderr=log, stdout=log, env=env)
        deadline = time.monotonic() + 15
        while "ready" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.05)

    def stop(self) -> float:
        """SIGTERM; returns how long the camera took to exit."""
        assert self.process is not None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.process = None
        assert code == 0, self.log.read_text()
        return time.monotonic() - began

    def reset(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subprocess.run(
            [
                "/usr/bin/python3",
                "-m",
                "tcd.lab.onvif_emulator",
                "reset",
                "--state",
                str(self.state),
            ],
            check=True,
            env=env,
            timeout=30,
        )

    def client(self, snippet: str) -> dict:
        done = subprocess.run(
            ["ip", "netns", "exec", self.netns, sys.executable, str(CLIENT), ADDRESS],
            input=snippet,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (
            done.stderr[-3000:] + "\n--- camera log\n" + self.log.read_text()
        )
        return json.loads(done.stdout.splitlines()[-1])

    def in_netns(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", self.netns, *argv, check=False, timeout=timeout)


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("the lab camera tests need root (network namespaces, ports 80/443/554)")
    name = f"tcdcamt-{os.getpid()}"
    run("ip", "netns", "add", name)
    try:
        run("ip", "-n", name, "link", "set", "lo", "up")
        # a veth pair with both ends inside (no dummy module on every kernel)
        run("ip", "-n", name, "link", "add", "cam0", "type", "veth", "peer", "name", "cam1")
        for link in ("cam0", "cam1"):
            run("ip", "-n", name, "link", "set", link, "addrgenmode", "none")
            run("ip", "-n", name, "link", "set", link, "up")
        run("ip", "-n", name, "addr", "add", f"{ADDRESS}/24", "dev", "cam0")
        yield name
    finally:
        run("ip", "netns", "delete", name, check=False)


@pytest.fixture
def camera(netns: str, tmp_path: Path) -> Iterator[Camera]:
    """A camera fresh from the factory, stopped (and its namespace left clean) afterwards."""
    cam = Camera(netns, tmp_path / "state")
    cam.start()
    try:
        yield cam
    finally:
        if cam.process is not None:
            cam.stop()


def test_factory_account_works_and_the_clock_is_an_hour_behind(camera: Camera):
    got = camera.client(f"""
        # unauthenticated, as onvif-zeep-async does before anything else
        anonymous = camera("nobody", "-", adjust_time=False)
        dm = await anonymous.create_devicemgmt_service()
        result["clock"] = plain(await dm.authless_GetSystemDateAndTime())
        result["now"] = datetime.now().timestamp()
        cam = await connect("{FACTORY_USER}", "{FACTORY_PASSWORD}")
        result["xaddrs"] = cam.xaddrs
        dm = await cam.create_devicemgmt_service()
        result["info"] = plain(await dm.GetDeviceInformation())
        result["hostname"] = plain(await dm.GetHostname())
        result["users"] = plain(await dm.GetUsers())
        result["protocols"] = plain(await dm.GetNetworkProtocols())
        result["discovery"] = await dm.GetDiscoveryMode()
        media = await cam.create_media_service()
        profiles = await media.GetProfiles()
        result["profile"] = plain(profiles[0])
        uri = await media.GetStreamUri({{"StreamSetup": {{"Stream": "RTP-Unicast",
            "Transport": {{"Protocol": "RTSP"}}}}, "ProfileToken": profiles[0].token}})
        result["uri"] = uri.Uri
        result["unknown"] = await expect_fault(dm.SystemReboot())
    """)
    clock = got["clock"]
    assert clock["DateTimeType"] == "Manual" and clock["TimeZone"]["TZ"] == "CST-8"
    utc = clock["UTCDateTime"]
    device = datetime(
        utc["Date"]["Year"], utc["Date"]["Month"], utc["Date"]["Day"],
        utc["Time"]["Hour"], utc["Time"]["Minute"], utc["Time"]["Second"], tzinfo=UTC,
    )  # fmt: skip
    assert abs(device.timestamp() - got["now"] + 3600) < 30
    assert got["xaddrs"] == {
        "http://www.onvif.org/ver10/device/wsdl": f"https://{ADDRESS}/onvif/device_service",
        "http://www.onvif.org/ver10/media/wsdl": f"https://{ADDRESS}/onvif/media_service",
    }
    assert got["info"]["Manufacturer"] == "tcd-fleet lab"
    assert got["info"]["SerialNumber"] == "cam-test-1"
    assert got["hostname"]["Name"] == "IPC-FACTORY"
    assert [(u["Username"], u["UserLevel"]) for u in got["users"]] == [("admin", "Administrator")]
    assert {p["Name"]: (p["Enabled"], p["Port"]) for p in got["protocols"]} == {
        "HTTP": (True, [80]),
        "HTTPS": (True, [443]),
        "RTSP": (True, [554]),
    }
    assert got["discovery"] == "Discoverable"
    encoder = got["profile"]["VideoEncoderConfiguration"]
    assert got["profile"]["token"] == "Profile_1" and encoder["token"] == "VideoEncoder_1"
    assert (encoder["Encoding"], encoder["Resolution"]) == ("H264", {"Width": 1280, "Height": 720})
    assert encoder["RateControl"]["FrameRateLimit"] == 15
    assert encoder["RateControl"]["BitrateLimit"] == 1024
    assert encoder["H264"]["GovLength"] == 50
    assert got["uri"] == f"rtsp://{ADDRESS}:554/stream1"
    assert got["unknown"]["subcodes"] == ["ActionNotSupported"]


def test_wrong_password_is_a_not_authorized_fault(camera: Camera):
    got = camera.client("""
        result["fault"] = await expect_fault(connect("admin", "wrong"))
    """)
    assert got["fault"]["type"] == "zeep.exceptions.Fault"
    assert got["fault"]["subcodes"] == ["NotAuthorized"]
    assert got["fault"]["is_auth_error"]
    # GetServices is answered before authentication: the one failed login is the first
    # authenticated call
    assert camera.log.read_text().count("user=admin fault=NotAuthorized") == 1


def test_five_failures_lock_the_account_for_a_while(camera: Camera):
    got = camera.client(f"""
        faults = []
        for _ in range(5):
            # connect: exactly one authenticated call (GetDeviceInformation)
            faults.append(await expect_fault(connect("admin", "wrong")))
        result["faults"] = faults
        result["locked"] = await expect_fault(connect("admin", "{FACTORY_PASSWORD}"))
        await asyncio.sleep({LOCK_S} + 0.5)
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        result["after"] = (await dm.GetHostname()).Name
    """)
    assert all(f["subcodes"] == ["NotAuthorized"] for f in got["faults"])
    assert all("wrong username or password" in f["message"] for f in got["faults"])
    assert got["locked"]["subcodes"] == ["NotAuthorized"]
    assert "locked" in got["locked"]["message"]
    assert got["after"] == "IPC-FACTORY"


def test_ntp_makes_the_clock_right(camera: Camera):
    got = camera.client(f"""
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        await dm.SetNTP({{"FromDHCP": False,
            "NTPManual": [{{"Type": "IPv4", "IPv4Address": "198.18.253.1"}}]}})
        await dm.SetSystemDateAndTime({{"DateTimeType": "NTP", "DaylightSavings": False,
            "TimeZone": {{"TZ": "ICT-7"}}}})
        # the device clock moved: a client signing with the old offset must re-measure it
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        result["ntp"] = plain(await dm.GetNTP())
        result["clock"] = plain(await dm.GetSystemDateAndTime())
        result["dt_diff"] = cam.dt_diff.total_seconds()
    """)
    assert got["ntp"]["FromDHCP"] is False
    assert got["ntp"]["NTPManual"][0]["IPv4Address"] == "198.18.253.1"
    assert got["clock"]["DateTimeType"] == "NTP" and got["clock"]["TimeZone"]["TZ"] == "ICT-7"
    assert abs(got["dt_diff"]) < 3
    local, utc = got["clock"]["LocalDateTime"]["Time"], got["clock"]["UTCDateTime"]["Time"]
    assert (local["Hour"] - utc["Hour"]) % 24 == 7


def test_new_admin_password_replaces_the_factory_one(camera: Camera):
    got = camera.client(f"""
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        await dm.CreateUsers({{"User": [{{"Username": "viewer1", "Password": "V1ew-pass",
            "UserLevel": "Operator"}}]}})
        await dm.SetUser({{"User": [{{"Username": "admin", "Password": "N3w-Adm1n-pw",
            "UserLevel": "Administrator"}}]}})
        result["old"] = await expect_fault(connect("admin", "{FACTORY_PASSWORD}"))
        cam = await connect("admin", "N3w-Adm1n-pw")
        dm = await cam.create_devicemgmt_service()
        result["users"] = plain(await dm.GetUsers())
        operator = await connect("viewer1", "V1ew-pass")
        media = await operator.create_media_service()
        result["operator_profiles"] = len(await media.GetProfiles())
        odm = await operator.create_devicemgmt_service()
        result["operator_get_users"] = await expect_fault(odm.GetUsers())
    """)
    assert got["old"]["subcodes"] == ["NotAuthorized"]
    assert {(u["Username"], u["UserLevel"]) for u in got["users"]} == {
        ("admin", "Administrator"),
        ("viewer1", "Operator"),
    }
    assert all(u.get("Password") is None for u in got["users"])
    assert got["operator_profiles"] == 1
    assert got["operator_get_users"]["subcodes"] == ["NotAuthorized"]
    log = camera.log.read_text()
    for secret in (FACTORY_PASSWORD, "N3w-Adm1n-pw", "V1ew-pass", "PasswordDigest", "Nonce"):
        assert secret not in log


def test_settings_survive_a_restart_and_reset_restores_the_factory(camera: Camera):
    camera.client(f"""
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        await dm.SetHostname({{"Name": "tcd-cam-26380"}})
        await dm.SetDiscoveryMode({{"DiscoveryMode": "NonDiscoverable"}})
        await dm.SetUser({{"User": [{{"Username": "admin", "Password": "Kept-pw-1",
            "UserLevel": "Administrator"}}]}})
    """)
    assert camera.stop() < 2
    camera.start()
    got = camera.client("""
        cam = await connect("admin", "Kept-pw-1")
        dm = await cam.create_devicemgmt_service()
        result["hostname"] = (await dm.GetHostname()).Name
        result["discovery"] = await dm.GetDiscoveryMode()
    """)
    assert got == {"hostname": "tcd-cam-26380", "discovery": "NonDiscoverable"}
    camera.stop()
    camera.reset()
    assert not (camera.state / "settings.json").exists()
    camera.start()
    got = camera.client(f"""
        result["kept"] = await expect_fault(connect("admin", "Kept-pw-1"))
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        result["hostname"] = (await dm.GetHostname()).Name
    """)
    assert got["kept"]["subcodes"] == ["NotAuthorized"]
    assert got["hostname"] == "IPC-FACTORY"


def ffprobe(camera: Camera, url: str) -> subprocess.CompletedProcess[str]:
    return camera.in_netns(
        "ffprobe", "-rtsp_transport", "tcp", "-v", "error", "-select_streams", "v:0",
        "-show_entries", "stream=codec_name,width,height,avg_frame_rate", "-of", "json", url,
        timeout=30,
    )  # fmt: skip


def test_encoder_change_shows_in_the_rtsp_stream(camera: Camera):
    got = camera.client(f"""
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        await dm.CreateUsers({{"User": [{{"Username": "operator", "Password": "Str3am-pw",
            "UserLevel": "Operator"}}]}})
        media = await cam.create_media_service()
        options = await media.GetVideoEncoderConfigurationOptions(
            {{"ConfigurationToken": "VideoEncoder_1"}})
        result["sizes"] = [(r.Width, r.Height) for r in options.H264.ResolutionsAvailable]
        token = {{"ConfigurationToken": "VideoEncoder_1"}}
        config = await media.GetVideoEncoderConfiguration(token)
        config.Resolution.Width, config.Resolution.Height = 1920, 1080
        config.RateControl.FrameRateLimit = 25
        request = media.create_type("SetVideoEncoderConfiguration")
        request.Configuration, request.ForcePersistence = config, True
        await media.SetVideoEncoderConfiguration(request)
        config.Resolution.Width = 1000
        result["bad"] = await expect_fault(media.SetVideoEncoderConfiguration(request))
        result["now"] = plain(await media.GetVideoEncoderConfiguration(
            {{"ConfigurationToken": "VideoEncoder_1"}}))
    """)
    assert got["sizes"] == [[1920, 1080], [1280, 720], [640, 360]]
    assert got["bad"]["subcodes"] == ["InvalidArgVal", "ConfigModify"]
    assert got["now"]["Resolution"] == {"Width": 1920, "Height": 1080}
    probe = ffprobe(camera, f"rtsp://operator:Str3am-pw@{ADDRESS}:554/stream1")
    assert probe.returncode == 0, probe.stderr
    (stream,) = json.loads(probe.stdout)["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 1920, 1080)
    assert stream["avg_frame_rate"] == "25/1"
    anonymous = ffprobe(camera, f"rtsp://{ADDRESS}:554/stream1")
    assert anonymous.returncode != 0
    assert "401" in anonymous.stderr
    wrong = ffprobe(camera, f"rtsp://operator:wrong@{ADDRESS}:554/stream1")
    assert wrong.returncode != 0


def test_disabling_http_closes_port_80_and_https_keeps_working(camera: Camera):
    def probe(port: int) -> str:
        return f"""
        try:
            _, writer = await asyncio.open_connection("{ADDRESS}", {port})
            writer.close()
            result.setdefault("port{port}", []).append("open")
        except ConnectionRefusedError:
            result.setdefault("port{port}", []).append("refused")
        """

    got = camera.client(
        f"""
        plain_http = await connect("admin", "{FACTORY_PASSWORD}", scheme="http", port=80)
        result["http_xaddrs"] = sorted(plain_http.xaddrs.values())
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        await dm.SetNetworkProtocols({{"NetworkProtocols": [
            {{"Name": "HTTP", "Enabled": False, "Port": [80]}},
            {{"Name": "RTSP", "Enabled": False, "Port": [554]}}]}})
        """
        + probe(80)
        + probe(554)
        + f"""
        cam = await connect("admin", "{FACTORY_PASSWORD}")
        dm = await cam.create_devicemgmt_service()
        result["protocols"] = plain(await dm.GetNetworkProtocols())
        result["both_off"] = await expect_fault(dm.SetNetworkProtocols({{"NetworkProtocols": [
            {{"Name": "HTTPS", "Enabled": False, "Port": [443]}}]}}))
        await dm.SetNetworkProtocols({{"NetworkProtocols": [
            {{"Name": "HTTP", "Enabled": True, "Port": [80]}},
            {{"Name": "RTSP", "Enabled": True, "Port": [8554]}}]}})
        await asyncio.sleep(0.3)  # the RTSP listener moves in the camera's main loop
        """
        + probe(80)
        + probe(554)
        + probe(8554)
    )
    assert got["http_xaddrs"] == [
        f"http://{ADDRESS}/onvif/device_service",
        f"http://{ADDRESS}/onvif/media_service",
    ]
    assert got["port80"] == ["refused", "open"]
    assert got["port554"] == ["refused", "refused"]
    assert got["port8554"] == ["open"]
    assert {p["Name"]: p["Enabled"] for p in got["protocols"]} == {
        "HTTP": False,
        "HTTPS": True,
        "RTSP": False,
    }
    assert got["both_off"]["subcodes"] == ["InvalidArgVal"]
