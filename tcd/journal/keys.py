"""The public-key registry's way in from a JSON file: the registry kept before the journal
(state/<target>/wireguard-public-keys.json), and the file the Ansible twin writes."""

import json
from pathlib import Path

from tcd.journal.journal import Journal, JournalError
from tcd.model.province import Office
from tcd.planning.keys import PublicKeys


def read_key_file(path: Path) -> PublicKeys:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return PublicKeys(
            hubs={Office(k): v for k, v in raw.get("hubs", {}).items()},
            spokes={
                h: {Office(k): v for k, v in o.items()} for h, o in raw.get("spokes", {}).items()
            },
        )
    except (ValueError, AttributeError) as exc:
        raise JournalError(f"{path}: not a public-key registry ({exc})") from None


def import_key_file(journal: Journal, path: Path) -> bool:
    """Merges the file's keys into the journal and renames it *.imported (kept, not deleted:
    it holds nothing secret). False when there is no such file."""
    if not path.is_file():
        return False
    journal.save_keys(read_key_file(path))
    path.replace(path.with_name(path.name + ".imported"))
    return True
