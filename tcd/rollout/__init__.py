"""`tcd rollout`: deploy sites, then both hubs, through pyinfra's Python API."""
