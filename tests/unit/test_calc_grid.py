"""The integer price grid (`calculators.grid`): on-grid prices stay in their row."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.grid import auto_row_size, price_to_row, row_price


@pytest.mark.parametrize(
    ("price", "row_size", "row"),
    [
        (0.3, 0.1, 3),  # 0.3 / 0.1 = 2.9999999999999996 in floats: a plain floor says 2
        (1.13, 0.01, 113),  # 1.13 / 0.01 = 112.99999999999999
        (0.00141342, 1e-8, 141342),  # an XRP/ETH price on a 1e-8 row
        (0.00100002, 1e-8, 100002),  # 0.00100002 / 1e-8 = 100001.99999999999
        (0.7, 0.1, 7),  # 0.7 / 0.1 = 6.999999999999999
        (4.35, 0.01, 435),  # 4.35 / 0.01 = 434.99999999999994
        (40_000.0, 1.0, 40_000),
        (100.25, 0.25, 401),
    ],
)
def test_price_on_the_grid_stays_in_its_row(price, row_size, row):
    assert price_to_row(price, row_size) == row


def test_the_naive_division_really_is_off():
    # guard: the cases above are the hard ones (floor of the raw quotient is wrong)
    assert math.floor(0.3 / 0.1) == 2
    assert math.floor(1.13 / 0.01) == 112
    assert math.floor(0.00100002 / 1e-8) == 100001


@pytest.mark.parametrize(
    ("price", "row_size", "row"),
    [
        (0.35, 0.1, 3),  # inside row 3 [0.3, 0.4)
        (0.3999, 0.1, 3),
        (100.999, 1.0, 100),
        (0.00141342, 1e-7, 14134),  # [0.0014134, 0.0014135)
        (99.99, 1.0, 99),
    ],
)
def test_price_inside_a_row(price, row_size, row):
    assert price_to_row(price, row_size) == row


@given(
    k=st.integers(1, 10**7),
    row_size=st.sampled_from([1e-8, 1e-7, 1e-5, 0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 10.0]),
)
def test_every_multiple_of_the_row_is_its_own_row(k, row_size):
    price = k * row_size  # a float product, possibly a hair off k * row_size
    assert price_to_row(price, row_size) == k
    # the next row starts one row up, and the middle of row k is in row k
    assert price_to_row((k + 1) * row_size, row_size) == k + 1
    assert price_to_row((k + 0.5) * row_size, row_size) == k


@given(
    k=st.integers(1, 10**7),
    row_size=st.sampled_from([1e-8, 1e-7, 0.001, 0.01, 0.1, 0.25, 1.0, 10.0]),
)
def test_row_price_round_trips(k, row_size):
    price = row_price(k, row_size)
    assert price_to_row(price, row_size) == k
    assert price == pytest.approx(k * row_size, rel=1e-12)


def test_row_price_prints_cleanly():
    # the lower edge, rounded: 0.1-rows print as 100.3, not 100.30000000000001
    assert row_price(1003, 0.1) == 100.3
    assert repr(row_price(1003, 0.1)) == "100.3"
    assert row_price(141342, 1e-8) == 0.00141342
    assert row_price(113, 0.01) == 1.13


@pytest.mark.parametrize(
    ("price", "row_size"),
    [
        (40_000.0, 1.0),  # 1 bp = 4.0 -> 1.0
        (0.0014, 1e-7),  # 1 bp = 1.4e-7 -> 1e-7
        (0.00141342, 1e-7),
        (10_000.0, 1.0),  # 1 bp exactly 1.0 -> 1.0 (not above one basis point)
        (9_999.0, 0.1),  # 1 bp = 0.9999 -> 0.1
        (99_999.0, 1.0),  # 1 bp = 9.9999 -> 1.0
        (100_000.0, 10.0),
        (126.35, 0.01),  # SPY: 1 bp = 0.0126 -> 0.01
        (6.949, 0.0001),  # LINK: 1 bp = 0.00069 -> 0.0001
        (46_319.0, 1.0),
    ],
)
def test_auto_row_size_examples(price, row_size):
    assert auto_row_size(price) == row_size


@given(st.floats(1e-6, 1e7))
def test_auto_row_size_is_the_largest_power_of_ten_not_above_one_bp(price):
    row = auto_row_size(price)
    exponent = round(math.log10(row))
    assert row == 10.0**exponent  # a power of ten
    bp = price * 1e-4
    # not above one basis point (up to the 1e-9 tolerance on log10), and the next
    # power of ten is above it
    assert row <= bp * (1 + 1e-8)
    assert row * 10 > bp
