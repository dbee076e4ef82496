"""Per-camera secrets, kept encrypted with ansible-vault.

The field's vault is inventory/secrets/cameras.vault (committed: it is ciphertext); a lab keeps
its own in its state folder. The vault password never lives in the repository: it comes from
TCD_VAULT_PASSWORD_FILE (a file outside the checkout) or TCD_VAULT_PASSWORD; a lab without
either gets a random one in /run that `tcd lab down` removes. Passwords are SecretStr: they do
not show in reprs, logs or exception text.
"""

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from tcd.paths import REPO_ROOT
from tcd.render import write_atomically

if TYPE_CHECKING:
    from ansible.parsing.vault import VaultLib

PASSWORD_FILE_ENV = "TCD_VAULT_PASSWORD_FILE"
PASSWORD_ENV = "TCD_VAULT_PASSWORD"
FIELD_VAULT = Path("secrets") / "cameras.vault"  # under the inventory folder
VAULT_ID = "tcd-cameras"
VAULT_VARIABLE = "tcd_cameras"  # the vault holds this one variable
# 24 random bytes as URL-safe text: 32 characters from 64 symbols, no quoting trouble in ONVIF
# or RTSP URLs, and far beyond what any password policy a camera enforces asks for
SECRET_BYTES = 24


class VaultError(RuntimeError):
    """The vault cannot be opened or read (the message never contains a secret)."""


class CameraSecret(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    admin_password: SecretStr
    operator_password: SecretStr
    # the lockout probe's account (roles/ip_camera/defaults.PROBE_USER); vaults written before
    # it existed lack it, and `ensure` adds it
    probe_password: SecretStr | None = None

    @classmethod
    def generate(cls) -> "CameraSecret":
        return cls(
            admin_password=_new_password(),
            operator_password=_new_password(),
            probe_password=_new_password(),
        )

    def completed(self) -> "CameraSecret":
        """These secrets with every missing password generated (the caller saves them, or not)."""
        if self.probe_password is not None:
            return self
        return self.model_copy(update={"probe_password": _new_password()})


def _new_password() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(SECRET_BYTES))


def vault_password(fallback: Path | None = None) -> bytes:
    """The vault password from the environment, else from `fallback` (a lab's own file, made
    on first use). VaultError says what to set when there is none."""
    if file := os.environ.get(PASSWORD_FILE_ENV):
        path = Path(file).expanduser().resolve()
        if path.is_relative_to(REPO_ROOT):
            raise VaultError(f"{PASSWORD_FILE_ENV}: {path} is inside the repository; keep it out")
        try:
            return _first_line(path.read_bytes(), f"{PASSWORD_FILE_ENV} ({path})")
        except OSError as exc:
            raise VaultError(f"{PASSWORD_FILE_ENV}: cannot read {path}: {exc.strerror}") from None
    if value := os.environ.get(PASSWORD_ENV):
        return _first_line(value.encode(), PASSWORD_ENV)
    if fallback is None:
        raise VaultError(
            f"the camera vault needs its password: set {PASSWORD_FILE_ENV} to a file outside "
            f"the repository (or {PASSWORD_ENV})"
        )
    if not fallback.exists():
        fallback.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(fallback, secrets.token_urlsafe(32) + "\n", 0o600)
    return _first_line(fallback.read_bytes(), str(fallback))


def _first_line(raw: bytes, source: str) -> bytes:
    password = raw.splitlines()[0].strip() if raw.strip() else b""
    if not password:
        raise VaultError(f"{source}: the vault password is empty")
    return password


@dataclass(frozen=True)
class CameraVault:
    path: Path
    password: bytes

    def _lib(self) -> "VaultLib":
        # ansible only when a vault is opened: importing it probes getaddrinfo with a custom int
        # (ansible.module_utils), which gevent's resolver under the plain pyinfra CLI answers
        # with a traceback on stderr while deploys/inventory.py loads
        from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415

        return VaultLib([(VAULT_ID, VaultSecret(self.password))])

    def load(self) -> dict[str, CameraSecret]:
        """Camera name -> its secrets; {} when the vault does not exist yet."""
        if not self.path.is_file():
            return {}
        from ansible.errors import AnsibleError  # noqa: PLC0415 (see _lib)

        try:
            plain = self._lib().decrypt(self.path.read_bytes())
        except AnsibleError:
            # ansible's message may quote the file; ours names it and says what to check
            raise VaultError(
                f"{self.path}: cannot decrypt (wrong vault password, or not an ansible-vault file)"
            ) from None
        raw = yaml.safe_load(plain) or {}
        if isinstance(raw, dict) and isinstance(raw.get(VAULT_VARIABLE), dict):
            raw = raw[VAULT_VARIABLE]
        # else: written before the one variable (camera names at the top), rewritten on save
        if not isinstance(raw, dict):
            raise VaultError(f"{self.path}: expected a mapping of camera names")
        try:
            return {str(name): CameraSecret.model_validate(entry) for name, entry in raw.items()}
        except ValidationError as exc:
            # the error text would carry the offending value: name the place only
            where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise VaultError(f"{self.path}: malformed entry ({where})") from None

    def save(self, entries: Mapping[str, CameraSecret]) -> None:
        plain = {
            name: {
                field: value.get_secret_value()
                for field, value in entry
                if isinstance(value, SecretStr)
            }
            for name, entry in sorted(entries.items())
        }
        # one valid Ansible variable (camera names have hyphens): `ansible-playbook -e
        # @cameras.vault` gives tcd_cameras['tcd-26380-cam1'].admin_password
        text = yaml.safe_dump({VAULT_VARIABLE: plain}, sort_keys=True).encode()
        write_atomically(self.path, self._lib().encrypt(text, vault_id=VAULT_ID), 0o600)

    def ensure(self, names: Iterable[str]) -> dict[str, CameraSecret]:
        """The secrets of every camera in `names`, generating (and saving) missing ones and
        missing passwords of older entries. Entries of other cameras are kept."""
        entries = self.load()
        wanted = {
            name: (entries.get(name) or CameraSecret.generate()).completed() for name in names
        }
        if any(entries.get(name) != entry for name, entry in wanted.items()):
            entries.update(wanted)
            self.save(entries)
        return entries
