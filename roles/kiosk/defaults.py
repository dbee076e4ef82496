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
CHROMIUM_POLICY = "/etc/chromium/policies/managed/tcd-reception.json"
