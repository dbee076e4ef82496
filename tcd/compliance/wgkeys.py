"""WireGuard key files as the host's snapshot shows them (public halves only)."""

from roles.common.wireguard import key_path
from tcd.compliance.host import CheckedHost


def key_files(target: CheckedHost) -> dict[str, tuple[str, str]]:
    """Private key file -> (owner and mode, the public key derived from it on the host)."""
    return {
        fields[0]: (fields[1], fields[2])
        for fields in (line.split("\t") for line in target.lines("wg_keyfiles"))
    }


def running_keys(target: CheckedHost) -> dict[str, str]:
    return dict(line.split("\t") for line in target.lines("wg_public") if "\t" in line)


def check_key(target: CheckedHost, interface: str) -> str:
    """The interface runs with the key in its file, mode 0600 root; its public half."""
    path = key_path(interface)
    files = key_files(target)
    assert path in files, f"{path} is missing"
    owner_mode, derived = files[path]
    assert owner_mode == "root 600", f"{path} is {owner_mode}, expected root 600"
    running = running_keys(target).get(interface)
    assert running == derived, f"{interface} does not run with the key in {path}"
    return derived
