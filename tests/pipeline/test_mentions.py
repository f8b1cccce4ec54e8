from __future__ import annotations

from datetime import date

import pytest

from carepanel.pipeline.mentions import panel_date_mentioned

RECEIVED = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("CRP 25th November", "", date(2026, 11, 25)),
        ("Request", "Please list for panel on 31/12/2026.", date(2026, 12, 31)),
        ("Panel 2.12.26 - request", "", date(2026, 12, 2)),
        ("For RCP 2026-12-03", "", date(2026, 12, 3)),
        ("Panel: January 6", "", date(2027, 1, 6)),
        ("New request", "Child DOB 02/03/2014, please process.", None),
        ("Panel request", "", None),
    ],
)
def test_panel_date_named_in_message(subject: str, body: str, expected: date | None) -> None:
    assert panel_date_mentioned(subject, body, RECEIVED) == expected


def test_subject_wins_over_body() -> None:
    assert panel_date_mentioned("CRP 25/11/2026", "panel on 2/12/2026", RECEIVED) == date(2026, 11, 25)
