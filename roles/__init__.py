"""pyinfra packaged deploys, one folder per role; each documents its defaults in defaults.py."""
