"""The camera vault (tcd.onvif.secrets): older entries get the passwords added since, once."""

from pathlib import Path

from pydantic import SecretStr

from tcd.onvif.secrets import CameraSecret, CameraVault


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
