"""The pages' small org (tests.pages) for the language tests."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.live.conftest import Org, build_org


@pytest.fixture
def org(app: Flask) -> Org:
    return build_org(app)
