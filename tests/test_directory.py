from __future__ import annotations

import pytest

from carepanel.directory import parse_directory
from carepanel.errors import ConfigError
from staffdata import STAFF_CSV


def test_lookup_is_case_insensitive() -> None:
    d = parse_directory(STAFF_CSV)
    assert d.by_email("TM.Jones@Example.gov.uk").name == "Tom Jones"
    assert d.is_manager("alan.reeve@example.gov.uk", "service_manager")
    assert not d.is_manager("sam.carter@example.gov.uk", "team_manager")
    assert d.by_name("tom  JONES").email == "tm.jones@example.gov.uk"


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("name,email\nA,a@x.uk\n", "header row must be name,email,role,team"),
        ("name,email,role,team\nA,not-an-address,team_manager,T\n", "line 2: 'not-an-address' is not an email"),
        ("name,email,role,team\nA,a@x.uk,boss,T\n", "line 2: role 'boss' is not one of"),
    ],
)
def test_bad_rows_are_named(csv: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_directory(csv)
