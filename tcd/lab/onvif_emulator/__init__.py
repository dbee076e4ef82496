"""A simulated ONVIF IP camera for the lab: device + media services over HTTP/HTTPS, an H.264
RTSP stream, persistent settings, WS-Security with account lockout.

Run with `python3 -m tcd.lab.onvif_emulator serve …` (see __main__.py). Standalone on purpose:
only the standard library, python3-gi, python3-lxml and python3-jinja2, no other tcd module.
"""
