"""What the end-to-end tests share: Debian's chromium for the browser tests, one per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright, launched once for a module's tests."""
    with chromium() as launched:
        yield launched
