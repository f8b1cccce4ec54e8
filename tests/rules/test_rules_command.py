"""`carepanel rules` and the web app's Rules page: the panel's rules in plain English, each with
the policy words it comes from; every policy quote is the policy's own words."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from carepanel.config import load_config
from carepanel.profiles import PROFILE_NAMES, load_profile
from carepanel.rules import profile_rules
from carepanel.store import Store
from carepanel.web.app import create_app
from carepanel.web.auth import hash_password
from rules_mail import CONFIG, NOW, STAFF

POLICIES = Path(__file__).resolve().parents[2] / ".." / "shared" / "policies"
PASSWORD = "correct horse battery staple"


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).lower()


@pytest.mark.skipif(not POLICIES.is_dir(), reason="the shared policies are not beside the repository")
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_rules_source_quotes_its_policy_word_for_word(profile: str) -> None:
    policy = _norm((POLICIES / f"{profile}.txt").read_text(encoding="utf-8"))
    for rule in profile_rules(load_profile(profile)):
        for piece in rule.source.split("…"):
            piece = _norm(piece.strip(" .…"))
            assert not piece or piece in policy, (rule.id, piece)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_profile_rule_of_a_policy_section_carries_its_words_or_our_reading(profile: str) -> None:
    for rule in profile_rules(load_profile(profile)):
        assert rule.source or rule.note, rule.id


def test_rules_command_prints_each_rule_with_its_policy_words(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "carepanel.cli", "rules", "--profile", "swindon", "--json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    rules = {r["id"]: r for r in out["rules"]}
    assert out["profile"] == "swindon"
    assert "Director" in rules["signoff.director"]["rule"]
    assert "out of area must first have been agreed by the Director" in rules["signoff.director"]["source"]
    assert "cannot be accepted" in rules["late"]["rule"]
    text = subprocess.run([sys.executable, "-m", "carepanel.cli", "rules", "--profile", "north-somerset"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    assert "[threshold]" in text and "exceeds £1000 (£2000 for children with disability) per annum" in text


def test_rules_command_prints_the_decision_and_emergency_rules_with_their_policy_words(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "carepanel.cli", "rules", "--profile", "north-somerset", "--json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rules = {r["id"]: r for r in json.loads(run.stdout)["rules"]}
    assert rules["decisions.notify"]["section"] == "Decisions"
    assert "finance officer" in rules["decisions.notify"]["rule"]
    assert "Finance representative to receive outcome decisions" in rules["decisions.notify"]["source"]
    assert "8–10 weeks" in rules["decisions.pre_proceedings"]["rule"]
    both = rules["emergency.authority.1"]
    assert both["section"] == "Emergency decisions outside panel"
    assert "a Head of Service and an Assistant Director, each a different person" in both["rule"]
    assert both["source"].startswith("Any emergency decisions outside panel should be agreed with the relevant Head")
    text = subprocess.run([sys.executable, "-m", "carepanel.cli", "rules", "--profile", "south-gloucestershire"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    decisions = text[text.index("\nDecisions\n"):text.index("\nEmergency decisions outside panel\n")]
    assert "[decisions.deadline.signed]" in decisions and "within 24 hours of the end of the panel" in decisions
    assert "circulated within twenty four hours of the panel to the Team Manager" in decisions
    emergency = text[text.index("\nEmergency decisions outside panel\n"):]
    assert "[emergency.window.1]" in emergency and "no more than 10 days after it was made" in emergency
    assert "Our reading: The policy names no one who decides outside panel" in emergency


def test_the_rules_page_shows_administrators_and_chairs_the_same_rules(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG.format(profile="bexley"))
    (tmp_path / "staff.csv").write_text(STAFF)
    cfg = load_config(tmp_path / "config.toml")
    store = Store(cfg.db_path)
    for email, name, role in (("pat.admin@example.gov.uk", "Pat Admin", "administrator"),
                              ("cleo.chair@example.gov.uk", "Cleo Chair", "chair"),
                              # Roles come from the live directory: a read-only account is someone in it
                              # (a team manager) whose account narrows them to read-only.
                              ("terry.manager@example.gov.uk", "Terry Manager", "read_only")):
        store.upsert_user(email, name, role, hash_password(PASSWORD), actor="test")
    store.close()
    seen = {}
    for email in ("pat.admin@example.gov.uk", "cleo.chair@example.gov.uk", "terry.manager@example.gov.uk"):
        with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
            page = client.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False)
            resp = client.get("/rules", follow_redirects=False)
            seen[email] = (resp.status_code, resp.text)
    admin, chair, other = seen.values()
    assert admin[0] == chair[0] == 200 and other[0] == 403
    for _, html in (admin, chair):
        assert "signoff.service_manager" in html
        assert "signed off as ready to proceed by the relevant service manager" in html
        assert "decisions.combinations" in html and "emergency.authority.1" in html
        assert "with a date and/or frequency specified" in html
        assert "Authorisation of any expenditure will be made and signed off by the Chair" in html


def test_the_readme_changing_a_rule_example_is_a_valid_config_and_shows_in_the_rules(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Changing a rule"):]
    toml = re.search(r"```toml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    (tmp_path / "config.toml").write_text(toml, encoding="utf-8")
    cfg = load_config(tmp_path / "config.toml")
    assert cfg.profile.cutoff.late == "refuse" and cfg.profile.threshold.amount == 1500
    found = {r.id: r for r in profile_rules(cfg.profile)}
    assert "more than £1,500" in found["threshold"].text and "£1500" in found["threshold"].source
    assert "still goes ahead" in found["signoff.head_of_service"].text


def test_a_submissions_warnings_are_on_its_page_for_the_administrator(tmp_path: Path) -> None:
    from rules_mail import a_bexley_case, email, service_for
    from carepanel.demo import supporting_document

    report = [("psychology report.docx", supporting_document("Psychology Report", "Poppy Example"))]
    with service_for(tmp_path, "bexley") as svc:
        sub = svc.ingest_bytes(email(a_bexley_case(), layout="bexley", with_papers=False, extra=report),
                               source="test").submission
        cfg = svc.cfg
    store = Store(cfg.db_path)
    store.upsert_user("pat.admin@example.gov.uk", "Pat Admin", "administrator", hash_password(PASSWORD), actor="test")
    store.close()
    with TestClient(create_app(cfg, clock=lambda: NOW), base_url="http://127.0.0.1:8000") as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"email": "pat.admin@example.gov.uk", "password": PASSWORD, "csrf": token})
        html = client.get(f"/submissions/{sub.id}").text
    assert "chair&#39;s agreement (I.10)" in html or "chair's agreement (I.10)" in html
