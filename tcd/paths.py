"""Where the project's own files are. Commands take the inventory from ./inventory by default."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
DEFAULT_INVENTORY = Path("inventory")
