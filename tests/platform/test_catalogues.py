"""The es and sv catalogues are complete, current and compiled (CI runs this file).

`make messages` updates them; docs/translations.md says how to add a language. The strings
listed in src/coproduce/locale/untranslated.txt are known to be untranslated: the list may
only shrink (a string translated since, or gone from the code, must leave it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from coproduce.careplans import mme
from coproduce.instruments import translations
from coproduce.instruments.library import shipped
from coproduce.platform.catalogue import (
    LOCALE_DIR,
    listed_untranslated,
    read_po,
    untranslated,
)
from coproduce.safetynet.rules import MESSAGES_MODULE, messages_module_source

LANGUAGES = ("es", "sv")
SRC = LOCALE_DIR.parent
MAKEFILE = SRC.parent.parent / "Makefile"
needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgfmt") is None,
    reason="GNU gettext (xgettext, msgfmt) is not installed here; CI has it",
)


def _po(language: str, base: Path = LOCALE_DIR) -> Path:
    return base / language / "LC_MESSAGES" / "django.po"


def _makemessages_args() -> list[str]:
    line = next(x for x in MAKEFILE.read_text().splitlines() if x.startswith("MESSAGES_ARGS"))
    return line.split(":=", 1)[1].split()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The committed catalogues as `make messages` would leave them today."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed here; CI has it")
    # makemessages writes into the "locale" folder of the tree it reads: give it a copy.
    tree = tmp_path_factory.mktemp("src") / "coproduce"
    shutil.copytree(SRC, tree, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    args = _makemessages_args()
    options = {"locale": [a for i, a in enumerate(args) if args[i - 1] == "-l"]}
    here = Path.cwd()
    try:
        os.chdir(tree)
        with override_settings(LOCALE_PATHS=[tree / "locale"]):
            call_command(
                "makemessages",
                **options,
                no_obsolete=True,
                no_location=True,
                ignore_patterns=["static"],
                verbosity=0,
            )
    finally:
        os.chdir(here)
    return {language: read_po(_po(language, tree / "locale")) for language in LANGUAGES}


def test_the_makefile_and_this_check_use_the_same_options():
    assert _makemessages_args() == [
        "-l",
        "es",
        "-l",
        "sv",
        "--no-obsolete",
        "--no-location",
        "--ignore=static",
    ]


def test_the_rule_files_texts_module_is_current():
    assert MESSAGES_MODULE.read_text(encoding="utf-8") == messages_module_source(), (
        "run `make messages` (coproduce rules messages) after changing a rule file's text"
    )


def test_our_own_questions_texts_module_is_current():
    source = translations.messages_module_source([d.questionnaire for d in shipped().values()])
    assert translations.MESSAGES_MODULE.read_text(encoding="utf-8") == source, (
        "run `make messages` (coproduce instruments messages) after changing our own questions"
    )


def test_the_factor_tables_notes_module_is_current():
    assert mme.MESSAGES_MODULE.read_text(encoding="utf-8") == mme.messages_module_source(), (
        "run `make messages` (coproduce mme --messages) after changing a factor table's note"
    )


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_code_is_in_the_catalogue(fresh, language):
    committed = {e.key for e in read_po(_po(language))}
    found = {e.key for e in fresh[language]}
    assert not found - committed, (
        f"new strings: run `make messages`: {sorted(found - committed)[:5]}"
    )
    assert not committed - found, (
        f"gone strings: run `make messages`: {sorted(committed - found)[:5]}"
    )


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(fresh, language):
    missing = untranslated(fresh[language]) - listed_untranslated()
    assert not missing, (
        f"{len(missing)} {language} strings without a translation (or fuzzy), e.g. "
        f"{sorted(missing)[:5]}: translate them in {_po(language)}"
    )


@needs_gettext
def test_the_list_of_untranslated_strings_only_shrinks(fresh):
    still = set().union(*(untranslated(fresh[language]) for language in LANGUAGES))
    done = listed_untranslated() - still
    assert not done, f"translated or gone now: remove from untranslated.txt: {sorted(done)[:5]}"


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(tmp_path, language):
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(_po(language))],
        check=True,
    )
    committed = _po(language).with_suffix(".mo")
    assert committed.read_bytes() == compiled.read_bytes(), "run `make messages`"


@pytest.mark.parametrize(("language", "text"), [("es", "Cerrar sesión"), ("sv", "Logga ut")])
def test_the_committed_catalogues_work_without_gettext(language, text):
    with translation.override(language):
        assert translation.gettext("Log out") == text
