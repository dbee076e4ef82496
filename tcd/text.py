"""Text: Vietnamese made safe for file names and group names, folded for matching; money;
counts of things in English messages."""

import re
import unicodedata
from numbers import Rational


def ascii_fold(text: str) -> str:
    """'Phường Bình Phước' -> 'phuong binh phuoc' (đ has no decomposition: mapped by hand)."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def slug(text: str, separator: str = "-") -> str:
    return re.sub(r"[^a-z0-9]+", separator, ascii_fold(text)).strip(separator)


def match_key(text: str) -> str:
    """What a clerk typed, reduced for matching a choice: 'Không  có ' -> 'khong co'."""
    return " ".join(ascii_fold(unicodedata.normalize("NFC", text)).split())


def format_vnd(amount: Rational) -> str:
    """Vietnamese style: 19500000 -> '19.500.000 ₫' (dot groups thousands). A share of an
    amount (a fraction) is rounded to the đồng."""
    return f"{round(amount):,d}".replace(",", ".") + " ₫"


def format_number(value: Rational, places: int = 2) -> str:
    """Vietnamese style, decimals only when needed: 3 -> '3', 5/2 -> '2,5', 7/3 -> '2,33'."""
    if value == int(value):
        return f"{int(value):,d}".replace(",", ".")
    text = f"{float(value):,.{places}f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def counted(number: int, noun: str) -> str:
    """'1 site', '3 sites': an English count that agrees in number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
