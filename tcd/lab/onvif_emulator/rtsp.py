"""The camera's RTSP stream: H.264 test pattern at rtsp://ADDRESS:PORT/stream1, digest auth.

Media is built per client (not shared) from the encoder settings current when the client
connects, so an encoder change shows on the next connection, as on a real camera. Only accounts
in the settings may play; the auth is rebuilt whenever users change. Everything that touches
GStreamer runs in the GLib main loop: changes from the HTTP threads arrive through idle_add.
"""

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

from .device import Device  # noqa: E402
from .media_service import STREAM_PATH  # noqa: E402
from .settings import CameraSettings, VideoEncoder  # noqa: E402

ROLE = "viewer"
REALM = "tcd-lab-camera"
_X264_PROFILES = {"Baseline": "constrained-baseline", "Main": "main", "High": "high"}


def launch_line(encoder: VideoEncoder) -> str:
    caps = f"video/x-raw,width={encoder.width},height={encoder.height}"
    return (
        f"( videotestsrc is-live=true ! {caps},framerate={encoder.framerate}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate={encoder.bitrate_kbps} "
        f"key-int-max={encoder.gov_length} "
        f"! video/x-h264,profile={_X264_PROFILES.get(encoder.h264_profile, 'main')} "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


class RtspService:
    def __init__(self, device: Device) -> None:
        Gst.init(None)
        self.device = device
        self.server: GstRtspServer.RTSPServer | None = None
        self.source_id: int | None = None
        self.port: int | None = None
        self.factory = GstRtspServer.RTSPMediaFactory()
        self.factory.set_shared(False)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(ROLE, "media.factory.access", True)
        permissions.add_permission_for_role(ROLE, "media.factory.construct", True)
        self.factory.set_permissions(permissions)

    def changed(self, settings: CameraSettings, _touched: set[str]) -> None:
        """Device listener; may be called from any thread."""
        GLib.idle_add(self._apply, settings)

    def start(self) -> None:
        self._apply(self.device.snapshot())

    def _apply(self, settings: CameraSettings) -> bool:
        profile = settings.profiles[0]
        encoder = settings.encoder(profile.encoder_token) or settings.encoders[0]
        self.factory.set_launch(launch_line(encoder))
        rtsp = settings.protocols["RTSP"]
        if self.server is not None and (not rtsp.enabled or rtsp.port != self.port):
            self._stop()
        if rtsp.enabled and self.server is None:
            self._listen(rtsp.port)
        if self.server is not None:
            self.server.set_auth(self._auth(settings))
        return GLib.SOURCE_REMOVE

    def _auth(self, settings: CameraSettings) -> GstRtspServer.RTSPAuth:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.set_realm(REALM)
        for user in settings.users:
            token = GstRtspServer.RTSPToken()
            token.set_string("media.factory.role", ROLE)
            auth.add_digest(user.username, user.password, token)
        return auth

    def _listen(self, port: int) -> None:
        server = GstRtspServer.RTSPServer()
        server.set_address(self.device.address)
        server.set_service(str(port))
        server.get_mount_points().add_factory(STREAM_PATH, self.factory)
        try:
            self.source_id = server.attach(None)
        except GLib.Error as err:
            self.device.log(f"cannot listen for RTSP on {port}: {err}")
            return
        if not self.source_id:
            self.device.log(f"cannot listen for RTSP on port {port}")
            return
        self.server, self.port = server, port
        self.device.log(f"RTSP listening on {self.device.address}:{port}{STREAM_PATH}")

    def _stop(self) -> None:
        if self.server is None:
            return
        if self.source_id:
            GLib.source_remove(self.source_id)  # closes the listening socket
        self.server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)
        self.device.log(f"RTSP closed on port {self.port}")
        self.server, self.source_id, self.port = None, None, None

    def close(self) -> None:
        self._stop()
