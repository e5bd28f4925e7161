"""The incident scenario (tests/fixtures/impact_scenario.py), built once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def incident(tmp_path_factory):
    import impact_scenario  # tests/fixtures/impact_scenario.py

    return impact_scenario.build(tmp_path_factory.mktemp("incident"))
