"""Reading gettext catalogues (.po) without GNU gettext: the catalogue check and the tools
that fill translations use it (see docs/translations.md)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Where the strings not yet translated are listed (the list may only shrink; see the check).
UNTRANSLATED = LOCALE_DIR / "untranslated.txt"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return (self.msgctxt + "\x04" if self.msgctxt is not None else "") + self.msgid

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # a .po string is a C string; Python reads the same escapes


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (the header, msgid "", first), obsolete ones left out."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def flush() -> None:
        nonlocal current, started
        if started:
            entries.append(current)
        current, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            target = None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            current.comments.append(line)
            continue
        if line.startswith("msgctxt "):
            current.msgctxt, target, started = _unquote(line[8:]), ("msgctxt", 0), True
        elif line.startswith("msgid_plural "):
            current.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if started and target and target[0] == "msgstr":
                flush()
            current.msgid, target, started = _unquote(line[6:]), ("msgid", 0), True
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current.msgstr[index] = _unquote(line[line.index("]") + 1 :].strip())
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            current.msgstr[0], target = _unquote(line[7:]), ("msgstr", 0)
        elif line.startswith('"') and target is not None:
            text = _unquote(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += text
            elif name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + text
            else:
                setattr(current, name, getattr(current, name) + text)
    flush()
    return entries


def untranslated(entries: list[Entry]) -> set[str]:
    """The keys of the entries (the header excepted) with no translation, or a fuzzy one."""
    return {e.key for e in entries if e.msgid and not e.translated}


def listed_untranslated(path: Path = UNTRANSLATED) -> set[str]:
    """The strings listed as known to be untranslated (one repr()'d string a line)."""
    if not path.exists():
        return set()
    return {
        ast.literal_eval(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
