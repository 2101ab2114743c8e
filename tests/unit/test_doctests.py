"""The docstring examples of the world builders (``fixtures/``, imported as
``parity_fixtures``), which pytest's ``--doctest-modules`` would import under
their folder name; the other packages' examples run through ``testpaths``."""

from __future__ import annotations

import doctest

import pytest

import parity_fixtures.replay
import parity_fixtures.simulator


@pytest.mark.parametrize("module", [parity_fixtures.simulator, parity_fixtures.replay])
def test_examples_pass(module):
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
