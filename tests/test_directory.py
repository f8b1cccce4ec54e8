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


def test_roles_v2_several_roles_a_person_and_seniority() -> None:
    from carepanel.directory import satisfying_roles

    d = parse_directory("name,email,role,team\n"
                        "Vic Vice,vic.vice@x.uk,head_of_service; vice_chair,Corporate Parenting\n"
                        "Ash Deputy,ash.deputy@x.uk,assistant_team_manager,T\n"
                        "Dora Director,dora@x.uk,director,D\n")
    vic = d.by_email("vic.vice@x.uk")
    assert vic.roles == ("head_of_service", "vice_chair") and vic.role == "head_of_service"
    assert d.roles_of("Vic Vice") == {"head_of_service", "vice_chair"}
    assert d.has_role("vic.vice@x.uk", "chair", "vice_chair")
    assert d.roles_of("Somebody Who Left") == frozenset() and not d.has_role("gone@x.uk", "chair")
    assert [m.name for m in d.with_role("vice_chair")] == ["Vic Vice"]
    assert d.is_manager("dora@x.uk", "team_manager")  # a more senior manager satisfies a junior requirement
    assert not d.is_manager("ash.deputy@x.uk", "team_manager")
    assert d.is_manager("ash.deputy@x.uk", "team_manager", also=("assistant_team_manager",))
    assert satisfying_roles("service_manager") == {"service_manager", "head_of_service", "assistant_director", "director"}


def test_an_unknown_role_among_several_is_named() -> None:
    with pytest.raises(ConfigError, match="line 2: role 'boss' is not one of"):
        parse_directory("name,email,role,team\nA,a@x.uk,team_manager;boss,T\n")
