"""The camera vault (tcd.onvif.secrets): older entries get the passwords added since, once."""

from pathlib import Path

import yaml
from pydantic import SecretStr

from tcd.onvif.secrets import VAULT_ID, VAULT_VARIABLE, CameraSecret, CameraVault


def test_an_entry_from_before_the_probe_account_gets_its_password_and_keeps_the_others(
    tmp_path: Path,
):
    vault = CameraVault(tmp_path / "cameras.vault", b"test vault password")
    old = CameraSecret(admin_password=SecretStr("a" * 32), operator_password=SecretStr("o" * 32))
    vault.save({"cam-old": old})
    assert vault.load()["cam-old"].probe_password is None
    entries = vault.ensure(["cam-old", "cam-new"])
    kept = vault.load()
    assert kept == entries
    assert kept["cam-old"].admin_password.get_secret_value() == "a" * 32
    assert kept["cam-old"].operator_password.get_secret_value() == "o" * 32
    probe = kept["cam-old"].probe_password
    assert probe is not None and len(probe.get_secret_value()) >= 24
    assert kept["cam-new"].probe_password is not None
    before = vault.path.read_bytes()
    assert vault.ensure(["cam-old", "cam-new"]) == kept
    assert vault.path.read_bytes() == before  # nothing missing: not rewritten


def test_the_vault_is_one_valid_ansible_variable_and_older_vaults_are_read(tmp_path: Path):
    vault = CameraVault(tmp_path / "cameras.vault", b"test vault password")
    secret = CameraSecret.generate()
    older = {"tcd-26380-cam1": {k: v.get_secret_value() for k, v in secret if v is not None}}
    # as tcd wrote it before: the camera names at the top level (not Ansible variable names)
    text = yaml.safe_dump(older).encode()
    vault.path.write_bytes(vault._lib().encrypt(text, vault_id=VAULT_ID))
    assert vault.load() == {"tcd-26380-cam1": secret}
    vault.save(vault.load())
    plain = yaml.safe_load(vault._lib().decrypt(vault.path.read_bytes()))
    assert list(plain) == [VAULT_VARIABLE] and VAULT_VARIABLE.isidentifier()
    assert vault.load() == {"tcd-26380-cam1": secret}
