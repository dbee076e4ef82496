"""pyinfra's settings for the plain CLI (`pyinfra --config deploys/config.py ...`): what
`tcd rollout` sets in its own."""

import tcd.rollout.proxy  # noqa: F401  (the same fixes to paramiko's ProxyCommand)
from roles.common.files import UPLOAD_DIR

TEMP_DIR = UPLOAD_DIR
