"""values.py: dates, money, costs and yes/no as people write them; never an exception."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepanel.parsers.values import (
    age_on, clean, is_blank, parse_age, parse_costs, parse_date, parse_money, parse_yes_no, two_digit_year,
)
from carepanel.models import Costs

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("text", [
    "2nd March 2014", "02/03/2014", "2.3.14", "2-3-2014", "2014-03-02", "March 2, 2014", "2 Mar 14",
    "2/3/2014", "2nd of March, 2014", "Sunday 2nd March 2014", "02.03.2014", "2 March 2014 (signed)", "DOB: 02/03/14",
])
def test_dates_as_people_write_them(text: str) -> None:
    assert parse_date(text, TODAY) == date(2014, 3, 2)


@pytest.mark.parametrize("text,expected", [
    ("5.6.85", date(1985, 6, 5)),  # a parent: last century
    ("1.1.26", date(2026, 1, 1)),
    ("31/12/27", date(1927, 12, 31)),  # after this year's two digits: last century
    ("13/25/2014", None),
    ("03/25/2014", date(2014, 3, 25)),  # month-first only where day-first cannot be
    ("31/02/2014", None),
    ("12", None),
    ("", None),
    ("Sept 3 2020", date(2020, 9, 3)),
    ("EDD 01/03/2027", date(2027, 3, 1)),
])
def test_date_edge_cases(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_two_digit_year_pivots_on_today() -> None:
    assert two_digit_year(26, TODAY) == 2026
    assert two_digit_year(27, TODAY) == 1927
    assert two_digit_year(0, TODAY) == 2000


@pytest.mark.parametrize("text,expected", [
    ("£1,250 per week", 1250.0), ("1250.00", 1250.0), ("£850pw", 850.0), ("£44,200 total", 44200.0),
    ("£1.2k", 1200.0), ("GBP 300", 300.0), ("52 weeks", None), ("none", None), ("", None),
])
def test_money(text: str, expected: float | None) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("£850 per week, £44,200 in total for 52 weeks", Costs(850.0, 44200.0)),
    ("Weekly £850, total £44,200", Costs(850.0, 44200.0)),
    ("Weekly cost: £850; Total cost: £44,200", Costs(850.0, 44200.0)),
    ("£850 x 52 weeks = £44,200", Costs(850.0, 44200.0)),
    ("£1,500", Costs(None, 1500.0)),
    ("1,500", Costs(None, 1500.0)),
    ("Nil", Costs(0.0, 0.0)),
    ("No cost to the LA", Costs(0.0, 0.0)),
    ("£150 per night", Costs(1050.0, None)),
    ("£2,600 per month", Costs(600.0, None)),
    ("£12,000 per annum", Costs(None, 12000.0)),
    ("Section 20 for 2 children", Costs(None, None)),
    ("", Costs(None, None)),
])
def test_costs(text: str, expected: Costs) -> None:
    assert parse_costs(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("Yes ☒   No ☐", True), ("Yes ☐   No ☒", False), ("☒ Yes ☐ No", True), ("☐ Yes ☒ No", False),
    ("Yes [x] No [ ]", True), ("Yes ☐", True), ("☐   No ☐", False), ("Yes", True), ("No", False), ("Y", True),
    ("n", False), ("No - it is booked for next week", False), ("Yes ☐   No ☐", None), ("Yes/No", None),
    ("Yes ☒ No ☒", None), ("N/A", None), ("", None), ("Not yet", None),
])
def test_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


def test_age() -> None:
    assert age_on(date(2014, 3, 2), TODAY) == 12
    assert age_on(date(2014, 11, 21), TODAY) == 11
    assert age_on(date(2027, 1, 1), TODAY) is None
    assert parse_age("12 years") == 12
    assert parse_age("8 months") == 0
    assert parse_age("unborn") is None


def test_clean_and_blank() -> None:
    assert clean("  a \n\n\n b  ") == "a\n\nb"
    assert clean(" \n ") is None
    assert is_blank("N/A") and is_blank(" - ") and is_blank(None) and not is_blank("No")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_readers_never_raise(text: str) -> None:
    parse_date(text, TODAY)
    parse_money(text)
    parse_costs(text)
    parse_yes_no(text)
    parse_age(text)
    clean(text)
    is_blank(text)


FORMATS = ("%d/%m/%Y", "%-d.%-m.%y", "%-d-%-m-%Y", "%Y-%m-%d", "%B %-d, %Y", "%-d %b %y", "%d %B %Y", "ordinal")


def _format(d: date, fmt: str) -> str:
    if fmt == "ordinal":
        suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        return f"{d.day}{suffix} {d:%B %Y}"
    return d.strftime(fmt)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1927, 12, 1), max_value=date(2026, 11, 20)), st.sampled_from(FORMATS))
def test_dates_round_trip(d: date, fmt: str) -> None:
    assert parse_date(_format(d, fmt), TODAY) == d


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=99_999_999), st.booleans())
def test_money_round_trips(pence: int, with_pence: bool) -> None:
    pounds = pence / 100 if with_pence else float(pence // 100)
    text = f"£{pounds:,.2f}" if with_pence else f"£{pounds:,.0f}"
    assert parse_money(text) == pounds
    assert parse_costs(f"{text} per week").weekly == pounds


# --------------------------------------------------------------------------- properties of yes / no, money, dates

TICKS, EMPTIES = "☒☑✓✔■", "☐□"
BOXES = st.sampled_from([(t, e) for t in TICKS for e in EMPTIES] + [("[x]", "[ ]"), ("(X)", "( )"), ("[ x ]", "[]")])
GAP = st.sampled_from([" ", "  ", "   ", "\t", " / "])
CASED = st.sampled_from([("Yes", "No"), ("YES", "NO"), ("yes", "no")])


@settings(max_examples=300, deadline=None)
@given(answer=st.booleans(), boxes=BOXES, gap=GAP, words=CASED, box_first=st.booleans(), yes_first=st.booleans())
def test_a_ticked_box_gives_its_answer(answer: bool, boxes: tuple[str, str], gap: str, words: tuple[str, str],
                                       box_first: bool, yes_first: bool) -> None:
    on, off = boxes
    options = [(words[0], answer), (words[1], not answer)]
    if not yes_first:
        options.reverse()
    parts = [(f"{on if ticked else off} {word}" if box_first else f"{word} {on if ticked else off}") for word, ticked in options]
    assert parse_yes_no(gap.join(parts)) is answer


@settings(max_examples=200, deadline=None)
@given(boxes=BOXES, gap=GAP, words=CASED, box_first=st.booleans())
def test_the_printed_options_untouched_are_no_answer(boxes: tuple[str, str], gap: str, words: tuple[str, str],
                                                     box_first: bool) -> None:
    off = boxes[1]
    parts = [(f"{off} {w}" if box_first else f"{w} {off}") for w in words]
    assert parse_yes_no(gap.join(parts)) is None


@settings(max_examples=200, deadline=None)
@given(answer=st.booleans(), words=CASED, tail=st.sampled_from(["", ".", " - booked for next week", ", on 3rd March",
                                                               " (see the plan attached)"]))
def test_a_word_left_or_written_gives_its_answer(answer: bool, words: tuple[str, str], tail: str) -> None:
    word = words[0] if answer else words[1]
    assert parse_yes_no(word + tail) is answer
    assert parse_yes_no(f"{word} {EMPTIES[0]}") is answer  # the other option deleted, its box left empty


POUNDS = st.integers(min_value=1, max_value=9_999_999)


def _money(pounds: int, pence: int) -> str:
    return f"£{pounds:,}" if pence == 0 else f"£{pounds:,}.{pence:02d}"


@settings(max_examples=300, deadline=None)
@given(weekly=POUNDS, total=POUNDS, pence=st.integers(min_value=0, max_value=99),
       per=st.sampled_from(["per week", "a week", "pw", "weekly", "p/w"]),
       whole=st.sampled_from(["in total", "total", "overall"]), sep=st.sampled_from(["; ", ", ", "\n", " and "]))
def test_weekly_and_total_costs_are_told_apart(weekly: int, total: int, pence: int, per: str, whole: str, sep: str) -> None:
    text = f"{_money(weekly, pence)} {per}{sep}{_money(total, 0)} {whole}"
    costs = parse_costs(text)
    assert costs == Costs(float(f"{weekly}.{pence:02d}"), float(total)), text


@settings(max_examples=300, deadline=None)
@given(pounds=POUNDS, pence=st.integers(min_value=0, max_value=99),
       words=st.sampled_from(["{m}", "about {m}", "{m} (approx.)", "Cost: {m}", "{m} for 52 weeks"]))
def test_an_amount_among_words_is_read(pounds: int, pence: int, words: str) -> None:
    assert parse_money(words.format(m=_money(pounds, pence))) == float(f"{pounds}.{pence:02d}")


@settings(max_examples=300, deadline=None)
@given(d=st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 11, 20)), fmt=st.sampled_from(FORMATS),
       before=st.sampled_from(["", "DOB: ", "born ", "Date of birth - "]), after=st.sampled_from(["", " (age unknown)", "."]))
def test_a_date_among_words_is_read(d: date, fmt: str, before: str, after: str) -> None:
    assert parse_date(before + _format(d, fmt) + after, TODAY) == d


@settings(max_examples=200, deadline=None)
@given(year=st.integers(min_value=1990, max_value=2030), month=st.integers(min_value=1, max_value=12),
       day=st.integers(min_value=29, max_value=35))
def test_a_day_the_month_does_not_have_is_no_date(year: int, month: int, day: int) -> None:
    try:
        date(year, month, day)
    except ValueError:
        assert parse_date(f"{day:02d}/{month:02d}/{year}", TODAY) is None
    else:
        assert parse_date(f"{day:02d}/{month:02d}/{year}", TODAY) == date(year, month, day)


def test_word_prompts_left_in_empty_controls_are_blank() -> None:
    # What an empty content control shows, once LibreOffice or a PDF has made it plain words.
    assert clean("Click or tap here to enter text.") is None
    assert clean("Click here to enter a date.") is None and clean("Choose an item.") is None
    assert clean("Amelia Hart Click or tap here to enter text.") == "Amelia Hart"
    assert clean("Please click here to enter the portal") == "Please click here to enter the portal"


@pytest.mark.parametrize("text,expected", [("Yes þ No ¨", True), ("Yes ¨ No þ", False), ("Yes \uf0fe No \uf0a8", True),
                                           ("Yes ¨ No ¨", None)])
def test_wingdings_boxes_as_a_pdf_gives_them(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected
