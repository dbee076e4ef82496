"""Defaults of roles/reception_pc. The platform URL and office hours come from province.yml
through host data (tcd.planning.hostdata)."""

# cage: a Wayland compositor that runs one application full screen, nothing else (kiosk);
# wlr-randr switches the screen on and off on a schedule; DejaVu renders Vietnamese.
PACKAGES = ["cage", "chromium", "wlr-randr", "fonts-dejavu-core"]
KIOSK_USER = "kiosk"
# camera (video), microphone and speakers (audio), GPU (render), keyboard/mouse (input)
KIOSK_GROUPS = ["video", "audio", "render", "input"]
# /etc/shadow password fields that mean "no password" (locked, or never set)
NO_PASSWORD = ["!", "*", "!*"]
KIOSK_TTY = "tty1"
# Chromium applies every file in its managed policies folder, whatever its name: the folder is
# the role's alone (another file could allow other sites or take the camera away)
CHROMIUM_POLICIES = "/etc/chromium/policies/managed"
CHROMIUM_POLICY = f"{CHROMIUM_POLICIES}/tcd-reception.json"
# the screen's schedule: on and off at the office hours' ends (TCD-KIOSK-004)
DISPLAY_TIMERS = ("tcd-display-on.timer", "tcd-display-off.timer")
