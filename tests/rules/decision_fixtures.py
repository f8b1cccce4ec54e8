"""What the decision-rule tests share: a project for any profile whose staff directory holds
every role the v2 rules name, a submission listed through the real intake, the real CLI run on
an injected clock, and the times a sitting starts and ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from carepanel.cli import main
from carepanel.clock import fixed_clock
from carepanel.config import Config, load_config
from carepanel.demo import CONFIG, PANEL, STAFF, compose_email
from carepanel.pipeline import calendar
from carepanel.demo.samples import SampleCase, north_somerset_form
from carepanel.service import Service, open_service
from carepanel.store import StoredSubmission
from listing import listed_from
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, papers

# Every role the v2 decision rules name, beside the demo's own staff (all invented).
MORE_STAFF = """Hana Head,hana.head@example.gov.uk,head_of_service,Family Support
Ada Director,ada.director@example.gov.uk,assistant_director,Children's Services
Dee Director,dee.director@example.gov.uk,director,Children's Social Work
Val Vice,val.vice@example.gov.uk,vice_chair,Corporate Parenting
Fin Officer,fin.officer@example.gov.uk,finance,Finance
"""


def project(folder: Path, profile: str) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(CONFIG.format(profile=profile, panel=PANEL))
    (folder / "staff.csv").write_text(STAFF + MORE_STAFF)
    return load_config(folder / "config.toml")


@contextmanager
def service(folder: Path, profile: str) -> Iterator[Service]:
    with open_service(project(folder, profile), clock=lambda: NOW) as svc:
        yield svc


def listed(svc: Service, n: int = 1, case: SampleCase = GOOD, *, sender: tuple[str, str] | None = None,
           first_id: str | None = None) -> StoredSubmission:
    """A submission listed for panel, ingested through the real pipeline and then (for profiles
    whose sign-off the North Somerset sample form does not meet) accepted as an administrator would,
    through the library's review action (the same one the web page and ``carepanel review`` use)."""
    child = replace(case.children[0], child_id=first_id or f"LCS70000{n}")
    who, address = sender or (SW, SW_ADDR)
    raw = compose_email(who, address, f"Panel request {n}", "Attached.", NOW - timedelta(hours=n),
                        [("request form.docx", north_somerset_form(replace(case, children=(child,) + case.children[1:])))]
                        + papers(), f"<rules-dec-{n}@example.gov.uk>")
    return listed_from(svc, raw)


def sat(cfg: Config, sub: StoredSubmission, hours: float = 1.0) -> datetime:
    """``hours`` after the sitting of ``sub`` ended."""
    return calendar.panel(cfg.profile, date.fromisoformat(sub.panel_date)).ends_at + timedelta(hours=hours)


def starts(cfg: Config, sub: StoredSubmission) -> datetime:
    return calendar.panel(cfg.profile, date.fromisoformat(sub.panel_date)).starts_at


def cli(folder: Path, at: datetime, *args: str) -> Result:
    """The real command line, with "now" at ``at``."""
    return CliRunner().invoke(main, ["--config", str(folder / "config.toml"), *args], obj=fixed_clock(at),
                              catch_exceptions=False)


def ok(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error(result: Result) -> dict[str, Any]:
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["error"]
