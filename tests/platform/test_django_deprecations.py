"""Django's deprecation warnings fail the suite where our own code raises them (conftest.py)."""

from __future__ import annotations

import warnings

import pytest
from django.utils import deprecation

REMOVED_IN = [
    getattr(deprecation, name)
    for name in dir(deprecation)
    if name.startswith("RemovedInDjango") and name.endswith("Warning")
]


@pytest.mark.parametrize("category", REMOVED_IN, ids=lambda c: c.__name__)
def test_a_deprecated_call_from_our_code_is_an_error(category):
    with pytest.raises(category):
        warnings.warn("a deprecated Django feature", category, stacklevel=1)


def test_a_third_party_library_calling_one_stays_a_warning():
    with pytest.warns(REMOVED_IN[0]):
        warnings.warn_explicit(
            "a deprecated Django feature", REMOVED_IN[0], "lib.py", 1, module="somelib.core"
        )
