"""Text as every database can store it: the one cleaning applied where text comes in.

PostgreSQL refuses NUL (U+0000) in `text` and in `jsonb` columns, and no database driver can
encode a lone surrogate (U+D800-U+DFFF, e.g. from the JSON escape "\\ud800") as UTF-8. Left
alone, one such character in a patient's note made the whole check-in fail, red flags and
all. So text from outside passes through `clean_text` before it is validated or stored: NUL
is removed (it carries no meaning in a note) and an unpaired surrogate becomes U+FFFD, the
replacement character, so the rest of the text is kept as written.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """`value` without NUL characters and with each unpaired surrogate replaced by U+FFFD."""
    if not value.isascii():
        # Through UTF-16, a surrogate pair held as two code points becomes the character it
        # encodes, and only a surrogate without its partner is replaced.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value.replace("\x00", "") if "\x00" in value else value


def clean_data(value: Any) -> Any:
    """JSON-like data (dicts, lists, strings, numbers) with every string, keys too, cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(v) for v in value]
    return value
