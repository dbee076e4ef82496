"""The ONVIF media service (/onvif/media_service): profiles, the H.264 encoder, the stream URI."""

from dataclasses import dataclass

from . import soap
from .device import ENCODER
from .device_service import Call
from .soap import SoapFaultError, boolean, child, integer, invalid_arg, text


@dataclass(frozen=True)
class EncoderOptions:
    """What SetVideoEncoderConfiguration accepts; GetVideoEncoderConfigurationOptions says so."""

    resolutions: tuple[tuple[int, int], ...] = ((1920, 1080), (1280, 720), (640, 360))
    framerate: tuple[int, int] = (1, 30)
    gov_length: tuple[int, int] = (1, 300)
    bitrate_kbps: tuple[int, int] = (64, 8192)
    quality: tuple[int, int] = (0, 10)
    h264_profiles: tuple[str, ...] = ("Baseline", "Main", "High")


OPTIONS = EncoderOptions()
STREAM_PATH = "/stream1"


def _no_profile(token: str | None) -> SoapFaultError:
    return invalid_arg(f"no profile {token!r}", "NoProfile")


def _no_config(token: str | None) -> SoapFaultError:
    return invalid_arg(f"no video encoder configuration {token!r}", "NoConfig")


def get_profiles(call: Call) -> bytes:
    s = call.device.snapshot()
    profiles = [(p, s.encoder(p.encoder_token)) for p in s.profiles]
    return soap.render(
        "GetProfiles.xml.j2", operation="GetProfiles", element="Profiles", profiles=profiles
    )


def get_profile(call: Call) -> bytes:
    s = call.device.snapshot()
    token = text(call.body, "ProfileToken")
    profile = s.profile(token or "")
    if profile is None:
        raise _no_profile(token)
    return soap.render(
        "GetProfiles.xml.j2",
        operation="GetProfile",
        element="Profile",
        profiles=[(profile, s.encoder(profile.encoder_token))],
    )


def get_video_encoder_configurations(call: Call) -> bytes:
    return soap.render(
        "GetVideoEncoderConfigurations.xml.j2",
        operation="GetVideoEncoderConfigurations",
        element="Configurations",
        encoders=call.device.snapshot().encoders,
    )


def get_video_encoder_configuration(call: Call) -> bytes:
    token = text(call.body, "ConfigurationToken")
    encoder = call.device.snapshot().encoder(token or "")
    if encoder is None:
        raise _no_config(token)
    return soap.render(
        "GetVideoEncoderConfigurations.xml.j2",
        operation="GetVideoEncoderConfiguration",
        element="Configuration",
        encoders=[encoder],
    )


def get_video_encoder_configuration_options(call: Call) -> bytes:
    s = call.device.snapshot()
    config = text(call.body, "ConfigurationToken")
    if config is not None and s.encoder(config) is None:
        raise _no_config(config)
    profile = text(call.body, "ProfileToken")
    if profile is not None and s.profile(profile) is None:
        raise _no_profile(profile)
    return soap.render("GetVideoEncoderConfigurationOptions.xml.j2", o=OPTIONS)


def _within(value: int, bounds: tuple[int, int], field: str) -> int:
    if not bounds[0] <= value <= bounds[1]:
        raise invalid_arg(f"{field} {value} is outside {bounds[0]}..{bounds[1]}", "ConfigModify")
    return value


def set_video_encoder_configuration(call: Call) -> bytes:
    config = child(call.body, "Configuration")
    if config is None:
        raise invalid_arg("Configuration is missing")
    token = config.get("token")
    encoding = text(config, "Encoding")
    if encoding != "H264":
        raise invalid_arg(f"encoding {encoding!r} is not supported (H264 only)", "ConfigModify")
    width = integer(text(config, "Resolution", "Width"), "Width")
    height = integer(text(config, "Resolution", "Height"), "Height")
    if (width, height) not in OPTIONS.resolutions:
        raise invalid_arg(f"resolution {width}x{height} is not available", "ConfigModify")
    try:
        quality = float(text(config, "Quality", default="4") or 4)
    except ValueError:
        raise invalid_arg("Quality must be a number", "ConfigModify") from None
    _within(int(quality), OPTIONS.quality, "Quality")
    rate = child(config, "RateControl")
    gov = text(config, "H264", "GovLength")
    profile = text(config, "H264", "H264Profile")
    if profile is not None and profile not in OPTIONS.h264_profiles:
        raise invalid_arg(f"H264Profile {profile!r} is not supported", "ConfigModify")
    persist = text(call.body, "ForcePersistence")
    if persist is not None:
        boolean(persist, "ForcePersistence")  # validated; this device always persists
    with call.device.change(ENCODER) as s:
        encoder = s.encoder(token or "")
        if encoder is None:
            raise _no_config(token)
        encoder.name = text(config, "Name", default=encoder.name) or encoder.name
        encoder.width, encoder.height, encoder.quality = width, height, quality
        if rate is not None:
            encoder.framerate = _within(
                integer(text(rate, "FrameRateLimit"), "FrameRateLimit"),
                OPTIONS.framerate,
                "FrameRateLimit",
            )
            encoder.bitrate_kbps = _within(
                integer(text(rate, "BitrateLimit"), "BitrateLimit"),
                OPTIONS.bitrate_kbps,
                "BitrateLimit",
            )
        if gov is not None:
            encoder.gov_length = _within(integer(gov, "GovLength"), OPTIONS.gov_length, "GovLength")
        if profile is not None:
            encoder.h264_profile = profile
    return soap.render(
        "empty_response.xml.j2", prefix="trt", operation="SetVideoEncoderConfiguration"
    )


def get_stream_uri(call: Call) -> bytes:
    s = call.device.snapshot()
    token = text(call.body, "ProfileToken")
    if s.profile(token or "") is None:
        raise _no_profile(token)
    stream = text(call.body, "StreamSetup", "Stream", default="RTP-Unicast")
    transport = text(call.body, "StreamSetup", "Transport", "Protocol", default="RTSP")
    if stream != "RTP-Unicast" or transport not in {"RTSP", "UDP", "TCP"}:
        raise invalid_arg(
            f"only RTP-Unicast over RTSP/UDP/TCP is offered, not {stream} over {transport}",
            "InvalidStreamSetup",
        )
    rtsp = s.protocols["RTSP"]
    if not rtsp.enabled:
        raise invalid_arg("RTSP is disabled (SetNetworkProtocols)", "InvalidStreamSetup")
    # the camera's own address, as a real camera advertises it (a NAT'd client must rewrite it)
    uri = f"rtsp://{call.device.address}:{rtsp.port}{STREAM_PATH}"
    return soap.render("GetStreamUri.xml.j2", uri=uri)


OPERATIONS = {
    "GetProfiles": (get_profiles, "User"),
    "GetProfile": (get_profile, "User"),
    "GetVideoEncoderConfigurations": (get_video_encoder_configurations, "User"),
    "GetVideoEncoderConfiguration": (get_video_encoder_configuration, "User"),
    "GetVideoEncoderConfigurationOptions": (get_video_encoder_configuration_options, "User"),
    "SetVideoEncoderConfiguration": (set_video_encoder_configuration, "Operator"),
    "GetStreamUri": (get_stream_uri, "User"),
}
