"""The signed decision as a record for the long term: PDF/A-2b from LibreOffice with title, author
and language, sealed with a PAdES signature that validates, and fails validation once one byte
changes.  Real LibreOffice and pyHanko.

veraPDF (the reference PDF/A validator) is a Java program in none of the package registries this
project installs from, so the PDF/A checks here are made with pikepdf: the PDF/A identification
in the XMP metadata, every font embedded, no encryption, no JavaScript or actions."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pikepdf
import pytest

from carepanel.jobs import decisions
from carepanel.config import load_config
from carepanel.office import Converter
from carepanel.outputs import seal
from carepanel.pipeline.decisions import DecisionRecord
from carepanel.service import open_service
from test_decisions import listed
from test_intake_e2e import NOW, config_for

pytestmark = pytest.mark.slow
SIGNED_AT = datetime(2026, 12, 2, 17, 0, tzinfo=timezone.utc)
PASSWORD_ENV = "CAREPANEL_TEST_SEAL_PASSWORD"


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=1) as conv:
        yield conv


@pytest.fixture
def sealed(tmp_path: Path, converter, monkeypatch):
    """A decision signed by the chair in a project whose config names a PKCS#12 seal."""
    config_for(tmp_path)
    key = seal.make_self_signed(tmp_path / "keys" / "seal.p12", common_name="Example Council decisions seal",
                                organisation="Example Council", password=b"test seal password")
    with (tmp_path / "config.toml").open("a") as fh:
        fh.write(f'\n[decisions]\nsigning_key = "keys/seal.p12"\nsigning_password_env = "{PASSWORD_ENV}"\n')
    monkeypatch.setenv(PASSWORD_ENV, "test seal password")
    cfg = load_config(tmp_path / "config.toml")
    with open_service(cfg, clock=lambda: NOW) as svc:
        sub = listed(svc)
        rec = DecisionRecord(outcome="approve", rationale="Safe at home with support.")
        d = decisions.record(svc.cfg, svc.store, sub.id, rec, actor="test", converter=converter, now=SIGNED_AT)
        signed = decisions.sign(svc.cfg, svc.store, svc.processor.directory, d["decision_id"], chair="Dana Chair",
                                converter=converter, now=SIGNED_AT)
        row = svc.store.decision(d["decision_id"])
    pdf = cfg.data_path(row.pdf_path).read_bytes()
    return cfg, signed, pdf, seal.certificate_of(key, b"test seal password")


def fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found = []
    for page in pdf.pages:
        for _, font in (page.Resources.get("/Font") or {}).items():
            found += list(font.DescendantFonts) if font.Subtype == "/Type0" else [font]
    return found


def test_the_signed_decision_is_pdfa_with_title_author_language_and_embedded_fonts(sealed) -> None:
    cfg, signed, data, _ = sealed
    assert hashlib.sha256(data).hexdigest() == signed["sha256"]  # the record's hash is of the sealed file
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B", meta.pdfa_status  # pdfaid:part 2, conformance B, in the XMP
        assert meta["dc:title"] == f"{cfg.profile.title}: decision {signed['decision_id']}"
        assert cfg.profile.council in meta["dc:creator"][0]
        assert str(pdf.docinfo["/Title"]) == meta["dc:title"] and str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.get("/MarkInfo", {}).get("/Marked") is True  # tagged, for screen readers
        assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
        assert "/JavaScript" not in (pdf.Root.get("/Names") or {})
        opens = pdf.Root.get("/OpenAction")  # LibreOffice opens at the first page: a destination, not a script
        assert opens is None or isinstance(opens, pikepdf.Array) or opens.get("/S") not in ("/JavaScript", "/Launch")
        assert all("/AA" not in page.obj for page in pdf.pages)
        found = fonts(pdf)
        assert found and all(
            f.Subtype == "/Type3" or any(k in f.FontDescriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            for f in found), [str(f.get("/BaseFont")) for f in found]
        assert "/OutputIntents" in pdf.Root


def test_the_seal_validates_with_the_chairs_name_and_fails_after_a_one_byte_change(sealed) -> None:
    cfg, signed, data, cert = sealed
    good = seal.check(data, [cert])
    assert good.ok and good.intact and good.valid and good.trusted and good.whole_file
    assert "Example Council decisions seal" in (good.signer or "")
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert str(sig.sig_object["/Name"]) == "Dana Chair" and "Dana Chair" in str(sig.sig_object["/Reason"])
    # One byte of the signed content changed (inside the first page's stream, well before the seal).
    changed = bytearray(data)
    at = data.index(b"stream", 200) + 20
    changed[at] ^= 0x01
    bad = seal.check(bytes(changed), [cert])
    assert bad.signed and not bad.ok and not bad.intact
    # Not trusted by someone who does not hold the council's certificate.
    assert not seal.check(data, []).trusted


def test_a_wrong_or_missing_password_is_a_clear_error_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    config_for(tmp_path)
    seal.make_self_signed(tmp_path / "seal.p12", common_name="Seal", organisation="Example", password=b"right")
    with (tmp_path / "config.toml").open("a") as fh:
        fh.write(f'\n[decisions]\nsigning_key = "seal.p12"\nsigning_password_env = "{PASSWORD_ENV}"\n')
    cfg = load_config(tmp_path / "config.toml")
    pdf = _tiny_pdf()
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(seal.SealError, match=PASSWORD_ENV):
        seal.seal(cfg, pdf, chair="Dana Chair", at=SIGNED_AT)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(seal.SealError, match="could not be read"):
        seal.seal(cfg, pdf, chair="Dana Chair", at=SIGNED_AT)


def _tiny_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_pyhanko_sign_validate_says_intact_and_trusted_then_fails_after_a_one_byte_change(sealed, tmp_path: Path) -> None:
    """What anyone holding the file can run: ``pyhanko sign validate --trust council.pem``."""
    cli = shutil.which("pyhanko", path=str(Path(sys.executable).parent)) or shutil.which("pyhanko")
    if cli is None:
        pytest.fail("pyhanko's command line is not installed: run scripts/setup.sh")
    _, _, data, cert = sealed
    (tmp_path / "council.pem").write_bytes(cert.dump())  # DER is accepted as well as PEM
    (tmp_path / "decision.pdf").write_bytes(data)
    changed = bytearray(data)
    changed[data.index(b"stream", 200) + 20] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(changed))

    def validate(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cli, "sign", "validate", "--no-revocation-check", "--trust", str(tmp_path / "council.pem"),
                               "--trust-replace", "--executive-summary", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=120)

    good = validate("decision.pdf")
    assert good.returncode == 0 and "VALID" in good.stdout.upper() and "INVALID" not in good.stdout.upper(), good.stdout + good.stderr
    bad = validate("changed.pdf")
    assert bad.returncode != 0 or "INVALID" in bad.stdout.upper(), bad.stdout + bad.stderr


def test_sealing_works_from_inside_the_web_apps_event_loop(tmp_path: Path, monkeypatch) -> None:
    """The web app signs from an async handler; pyHanko's own sync API would call asyncio.run there."""
    import asyncio

    config_for(tmp_path)
    key = seal.make_self_signed(tmp_path / "seal.p12", common_name="Seal", organisation="Example", password=b"pw")
    with (tmp_path / "config.toml").open("a") as fh:
        fh.write(f'\n[decisions]\nsigning_key = "seal.p12"\nsigning_password_env = "{PASSWORD_ENV}"\n')
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    cfg = load_config(tmp_path / "config.toml")

    async def handler() -> bytes:
        return seal.seal(cfg, _tiny_pdf(), chair="Dana Chair", at=SIGNED_AT)

    sealed_pdf = asyncio.run(handler())
    assert seal.check(sealed_pdf, [seal.certificate_of(key, b"pw")]).ok
