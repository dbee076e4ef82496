"""Text: Vietnamese made safe for file names and group names, folded for matching; money;
counts of things in English messages."""

import re
import unicodedata


def ascii_fold(text: str) -> str:
    """'Phường Bình Phước' -> 'phuong binh phuoc' (đ has no decomposition: mapped by hand)."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def slug(text: str, separator: str = "-") -> str:
    return re.sub(r"[^a-z0-9]+", separator, ascii_fold(text)).strip(separator)


def match_key(text: str) -> str:
    """What a clerk typed, reduced for matching a choice: 'Không  có ' -> 'khong co'."""
    return " ".join(ascii_fold(unicodedata.normalize("NFC", text)).split())


def format_vnd(amount: int) -> str:
    """Vietnamese style: 19500000 -> '19.500.000 ₫' (dot groups thousands)."""
    return f"{amount:,d}".replace(",", ".") + " ₫"


def counted(number: int, noun: str) -> str:
    """'1 site', '3 sites': an English count that agrees in number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
