"""pyinfra's settings for the plain CLI (`pyinfra --config deploys/config.py ...`): what
`tcd rollout` sets in its own."""

from roles.common.files import UPLOAD_DIR

TEMP_DIR = UPLOAD_DIR
