"""Fixtures of the reliability suite: ``world`` (the demo world, one database per
module) and ``sandbox`` (the working directory of a case); see
``reliability_helpers``."""

from reliability_helpers import sandbox, world

__all__ = ["sandbox", "world"]
