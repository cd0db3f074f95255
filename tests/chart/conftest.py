"""Fixtures for the chart tests: the chart rendered once per value set."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from chartlib import VALUE_SETS, render_set  # noqa: E402


@pytest.fixture(params=sorted(VALUE_SETS), ids=str)
def value_set(request) -> str:
    return request.param


@pytest.fixture
def rendered(value_set) -> list[dict]:
    """Every object `helm template` renders for that value set."""
    return render_set(value_set)
