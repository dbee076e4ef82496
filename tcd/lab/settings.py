"""Names and places of one lab. Labs with different names coexist (tests use their own)."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tcd.paths import REPO_ROOT

LAB_NAME = re.compile(r"^[a-z][a-z0-9]{0,7}$")
DEFAULT_NAME = "tcdlab"
DEFAULT_CACHE = Path("/var/cache/tcd-fleet")
CONTROL_DIR = Path("/tmp/tcd-cm")  # ssh ControlPath must stay under 108 characters
RUN_DIR = Path("/run/tcd-fleet")


@dataclass(frozen=True)
class LabSettings:
    name: str
    state_dir: Path
    cache_dir: Path

    @classmethod
    def from_env(cls) -> "LabSettings":
        name = os.environ.get("TCD_LAB_NAME", DEFAULT_NAME)
        if not LAB_NAME.match(name):
            raise ValueError(f"TCD_LAB_NAME must match {LAB_NAME.pattern} (got {name!r})")
        state = Path(os.environ.get("TCD_LAB_STATE", REPO_ROOT / "state" / name))
        cache = Path(os.environ.get("TCD_LAB_CACHE", DEFAULT_CACHE))
        return cls(name=name, state_dir=state, cache_dir=cache)

    # Namespaces and cgroups carry the lab's name, so `down` finds them even without state.
    @property
    def wan_netns(self) -> str:
        return f"{self.name}-wan"

    @property
    def controller_netns(self) -> str:
        return f"{self.name}-ctl"

    def host_netns(self, host: str) -> str:
        return f"{self.name}-{host}"

    def office_netns(self, hub: str) -> str:
        return f"{self.name}-office-{hub}"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "lab.json"

    @property
    def ssh_config(self) -> Path:
        return self.state_dir / "ssh_config"

    @property
    def ssh_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def camera_vault(self) -> Path:
        """The lab's camera secrets (ansible-vault), apart from the field's in inventory/."""
        return self.state_dir / "camera-secrets.vault"

    @property
    def run_dir(self) -> Path:
        """What of the lab holds secrets in clear: outside the repository and the state
        folder, on tmpfs (root only), removed by `tcd lab down`."""
        return RUN_DIR / self.name

    @property
    def vault_password_file(self) -> Path:
        """The lab's own vault password, when the environment gives none."""
        return self.run_dir / "vault-password"

    def camera_storage(self, camera: str) -> Path:
        """A lab camera's own memory (its accounts with their passwords, as a real camera's
        flash holds them for digest authentication)."""
        return self.run_dir / "cameras" / camera

    def camera_log(self, camera: str) -> Path:
        return self.state_dir / "cameras" / f"{camera}.log"

    def camera_netns(self, camera: str) -> str:
        return f"{self.name}-{camera}"

    def host_dir(self, host: str) -> Path:
        return self.state_dir / "hosts" / host
