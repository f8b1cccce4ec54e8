"""PDFs made harmless to open: whatever a sender's PDF would run in the reader's viewer is taken out.

A PDF that runs JavaScript or launches a program on opening is still read (as text) and still
goes in the pack, because the panel needs the paper; what reaches a chair's or an
administrator's PDF viewer never carries the actions.  pypdf copies pages but has no call that
removes actions, so the few keys that hold them are deleted here.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

RUNS_CODE = ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData")


def neutralise(writer: PdfWriter) -> None:
    """Remove open/close actions, script and launch links, and document-level JavaScript."""
    root = writer.root_object
    for key in ("/OpenAction", "/AA"):
        if key in root:
            del root[NameObject(key)]
    for page in writer.pages:
        if "/AA" in page:
            del page[NameObject("/AA")]
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            action = a.get("/A")
            if action is not None and action.get_object().get("/S") in RUNS_CODE:
                del a[NameObject("/A")]
            if "/AA" in a:
                del a[NameObject("/AA")]
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        del names.get_object()[NameObject("/JavaScript")]


def without_actions(data: bytes) -> bytes:
    """A copy of the PDF ``data`` with nothing in it that runs."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data), strict=False))
    neutralise(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
