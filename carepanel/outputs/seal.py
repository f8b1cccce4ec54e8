"""Signed decisions as records a court can rely on: PDF/A, described, and sealed.

A decision goes onto a child's file and is kept until the child's 75th birthday, so the signed
sheet is (1) PDF/A-2b, tagged, straight from LibreOffice's export (``Converter.to_pdfa``), with
its title, author and language set in both the document information and the XMP metadata
(pikepdf), and (2) sealed with a PAdES signature (pyHanko) made with the council's certificate
(``[decisions] signing_key``), naming the chair and the time.  Anyone holding the file can then
check in Adobe Reader, or with ``pyhanko sign validate``, that it has not changed since the chair
signed; :func:`check` does the same in process.

``carepanel demo`` makes a self-signed certificate (:func:`make_self_signed`) so the seal works
out of the box; a council configures its own.  With no key configured the record is still
PDF/A, and the log says it is unsealed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pikepdf

from ..config import Config
from ..errors import PanelError
from ..logs import safe_fields
from ..office import Converter, OfficeError, OfficeUnavailable

log = logging.getLogger("carepanel.seal")
FIELD = "ChairSignature"
LANGUAGE = "en-GB"
T = TypeVar("T")


class SealError(PanelError):
    """The decision could not be sealed: the key, its password or the timestamp server."""

    code = "seal_error"


@dataclass(frozen=True)
class SealCheck:
    """What a validator says of a sealed PDF (the same questions ``pyhanko sign validate`` asks)."""

    signed: bool  # a signature is there at all
    intact: bool  # the signed bytes hash to what the signature says
    valid: bool  # the signature is cryptographically good
    trusted: bool  # its certificate chains to a root the checker trusts
    whole_file: bool  # nothing was added after signing
    signer: str | None
    signed_at: datetime | None
    timestamped: bool

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.whole_file


def _in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """pyHanko's sync API calls ``asyncio.run``, which fails inside the web app's event loop;
    its coroutines are run on a thread of their own instead, the same from either caller."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seal") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


# --------------------------------------------------------------------------- PDF/A


def archival_pdf(docx: bytes, converter: Converter, *, title: str, author: str, subject: str | None = None,
                 language: str = LANGUAGE) -> bytes:
    """The sheet as PDF/A-2b from LibreOffice, with title, author and language set."""
    try:
        pdf = converter.to_pdfa(docx, ".docx")
    except OfficeUnavailable as exc:
        raise PanelError(f"cannot make the decision PDF: {exc.detail}") from exc
    except OfficeError as exc:
        raise PanelError(f"LibreOffice could not convert the decision sheet: {exc.detail}") from exc
    return describe(pdf, title=title, author=author, subject=subject, language=language)


def describe(pdf_bytes: bytes, *, title: str, author: str, subject: str | None = None, language: str = LANGUAGE) -> bytes:
    """Title, author and language in the document information and the XMP metadata, kept in
    step as PDF/A requires (pikepdf writes both), and ``/Lang`` in the catalogue for screen readers."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["dc:language"] = [language]
            if subject:
                meta["dc:description"] = subject
        pdf.Root.Lang = pikepdf.String(language)
        pdf.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the seal


def _path(cfg: Config, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else cfg.base_dir / p


def _signer(cfg: Config) -> Any | None:
    from pyhanko.sign import signers

    rules = cfg.profile.decisions
    if not rules.signing_key:
        return None
    password: bytes | None = None
    if rules.signing_password_env:
        value = os.environ.get(rules.signing_password_env)
        if value is None:
            raise SealError(f"the signing key's password is not set: environment variable {rules.signing_password_env}")
        password = value.encode("utf-8")
    key = _path(cfg, rules.signing_key)
    if not key.is_file():
        raise SealError(f"decisions.signing_key: no such file: {key}")
    try:
        if rules.signing_cert:
            signer = signers.SimpleSigner.load(str(key), str(_path(cfg, rules.signing_cert)), key_passphrase=password)
        else:
            signer = signers.SimpleSigner.load_pkcs12(str(key), passphrase=password)
    except (OSError, ValueError) as exc:
        raise SealError(f"the signing key could not be read ({type(exc).__name__}): wrong password or not a key") from exc
    if signer is None:  # pyHanko logs the reason and returns None for a bad file or password
        raise SealError("the signing key could not be read: wrong password, or not a PKCS#12/PEM key")
    return signer


def seal(cfg: Config, pdf_bytes: bytes, *, chair: str, at: datetime, reason: str | None = None) -> bytes:
    """A PAdES signature over the whole file, with the chair's name and the time (and an RFC 3161
    timestamp when ``[decisions] timestamp_url`` is set); the file unchanged if no key is set."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = _signer(cfg)
    if signer is None:
        log.warning("decision not sealed: no signing key configured", extra=safe_fields(event="seal_skipped"))
        return pdf_bytes
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, name=chair,
        reason=reason or f"Panel decision signed by {chair} as chair, {at.isoformat(timespec='minutes')}",
        location=cfg.profile.council)
    url = cfg.profile.decisions.timestamp_url
    stamper = timestamps.HTTPTimeStamper(url) if url else None
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=stamper)

    async def sign() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        out = await pdf_signer.async_sign_pdf(writer)
        return bytes(out.getvalue())

    try:
        return _in_thread(sign)
    except Exception as exc:  # noqa: BLE001 - pyHanko's and the timestamp server's errors, as one clear message
        raise SealError(f"the decision could not be sealed ({type(exc).__name__}): {exc}") from exc


def sealed_decision(cfg: Config, docx: bytes, converter: Converter | None, *, decision_id: str, chair: str,
                    at: datetime) -> bytes:
    """The signed decision as it is kept: PDF/A from the sheet, described, then sealed.  The one
    call ``decisions.sign`` makes for its final PDF."""
    title = f"{cfg.profile.title}: decision {decision_id}"
    author = f"{cfg.profile.title}, {cfg.profile.council}"
    if converter is None:
        with Converter(workers=1, timeout=cfg.pack.office_timeout_seconds) as conv:
            pdf = archival_pdf(docx, conv, title=title, author=author, subject=f"Signed by {chair}")
    else:
        pdf = archival_pdf(docx, converter, title=title, author=author, subject=f"Signed by {chair}")
    return seal(cfg, pdf, chair=chair, at=at)


# --------------------------------------------------------------------------- checking


def check(pdf_bytes: bytes, trust_roots: list[Any]) -> SealCheck:
    """Validate the PDF's signature as ``pyhanko sign validate --trust CERT`` would."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - a damaged file is simply not a valid sealed record
        sigs = []
    if not sigs:
        return SealCheck(False, False, False, False, False, None, None, False)
    vc = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = _in_thread(lambda: async_validate_pdf_signature(sigs[-1], vc))
    except Exception:  # noqa: BLE001 - a signature too damaged to evaluate is not valid
        return SealCheck(True, False, False, False, False, None, None, False)
    who = status.signing_cert.subject.human_friendly if status.signing_cert is not None else None
    return SealCheck(True, status.intact, status.valid, status.trusted,
                     status.coverage == SignatureCoverageLevel.ENTIRE_FILE, who,
                     status.signer_reported_dt, status.timestamp_validity is not None)


def make_self_signed(path: Path, *, common_name: str, organisation: str, password: bytes | None = None,
                     years: int = 5) -> Path:
    """A self-signed PKCS#12 (key and certificate) for the demo, so sealing works out of the box.
    Written 0600; a council uses a certificate from its own PKI instead."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    data = pkcs12.serialize_key_and_certificates(common_name.encode("utf-8"), key, cert, None, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def certificate_of(path: Path, password: bytes | None = None) -> Any:
    """The certificate in a PKCS#12 file, as pyHanko's validator wants it (to trust the demo's)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    _, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    assert cert is not None
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
