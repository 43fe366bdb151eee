"""How rates read on screen: never wider than the column that shows them."""

from __future__ import annotations

import pytest

from tui import format as fmt
from tui.listing import COLUMNS
from tui.views import Progress

RATE_WIDTH = {key: width for key, _, width in COLUMNS}["rate"]


@pytest.mark.parametrize(
    ("per_s", "shown"),
    [
        (0, ""),
        (4.5, "4.5/s"),
        (2_974, "2\u2009974/s"),
        (9_999, "9\u2009999/s"),
        (85_057, "85k/s"),
        (999_000, "999k/s"),
        (1_250_000, "1.2M/s"),
    ],
)
def test_a_rate_reads_short_and_fits_its_column(per_s: float, shown: str) -> None:
    progress = Progress(None, 0, rate=per_s)
    assert fmt.rate(progress) == shown
    assert RATE_WIDTH is not None
    assert len(shown) <= RATE_WIDTH - 1, "a rate fills its column: no room to breathe"
