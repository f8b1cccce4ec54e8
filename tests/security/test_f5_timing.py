"""Finding 5: accounts can be discovered by timing (unknown 3 ms, real 250 ms).

The Argon2 check runs whether or not the account exists, against a real hash.  No timing is
asserted here (bench/login_timing.py prints the figures); the test proves the same work is done.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from carepanel.web import auth
from web.webhelpers import ACCOUNTS, csrf_of


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's own name
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.mark.parametrize("email", ["nobody@example.gov.uk",          # no such account
                                   "sam.worker@example.gov.uk",      # in the directory, no account
                                   ACCOUNTS["chair"][0]])            # a real account, wrong password
def test_f5_every_sign_in_runs_one_real_argon2_verification(project, make_client, monkeypatch, email) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    client = make_client()
    resp = client.post("/login", data={"email": email, "password": "wrong password", "csrf": csrf_of(client.get("/login").text)})
    assert resp.status_code == 401
    assert len(hasher.verified) == 1 and hasher.verified[0].startswith("$argon2id$")


def test_f5_the_dummy_hash_is_a_real_hash_that_matches_nothing_guessable() -> None:
    assert auth._DUMMY_HASH.startswith("$argon2id$")
    assert auth.check_password(None, "") is False and auth.check_password(None, "password") is False
