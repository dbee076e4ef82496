"""Vietnamese text made safe for file names and group names."""

import re
import unicodedata


def ascii_fold(text: str) -> str:
    """'Phường Bình Phước' -> 'phuong binh phuoc' (đ has no decomposition: mapped by hand)."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def slug(text: str, separator: str = "-") -> str:
    return re.sub(r"[^a-z0-9]+", separator, ascii_fold(text)).strip(separator)
