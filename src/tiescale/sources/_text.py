"""Text repair shared by parsers: HTML to safe plain text, Facebook mojibake."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any


class _TextExtractor(HTMLParser):
    _BREAKS = {"br", "p", "div", "li"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS and self.parts:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str | None:
    """Plain text of an HTML fragment (Mastodon content): tags dropped, entities decoded.

    The result is plain text, never markup: surfaces still escape it when they show it.
    """
    if markup is None:
        return None
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def fix_mojibake(value: Any) -> Any:
    """Repair Facebook's UTF-8-read-as-latin-1 strings, recursively through JSON values."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [fix_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: fix_mojibake(v) for k, v in value.items()}
    return value


def unescape(text: str | None) -> str | None:
    return None if text is None else html.unescape(text)
