"""The LibreOffice converter against a real LibreOffice: conversions, failures, restarts, shutdown.

Every process the converter starts carries its work directory in its command line, so
``_processes_under`` finds them without trusting the converter's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import docx
import pypdf
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from carepanel.errors import DocumentError
from carepanel.office import ConversionFailure, Converter, OfficeError, OfficeUnavailable, soffice_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed; scripts/setup.sh installs it"),
]

def _png() -> bytes:
    """A 1x1 white PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff")) + chunk(b"IEND", b"")


PNG = _png()


def make_docx(*paragraphs: str) -> bytes:
    doc = docx.Document()
    doc.add_heading("Resource panel request", level=1)
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _processes_under(root: Path) -> dict[int, str]:
    """pid -> command line of every live process whose command line mentions ``root``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if str(root) in cmdline and "Z (zombie)" not in state:
            found[int(entry.name)] = cmdline
    return found


def soffice_bins(root: Path) -> list[int]:
    return [pid for pid, cmd in _processes_under(root).items() if "soffice.bin" in cmd]


@pytest.fixture(scope="module")
def converter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converter]:
    with Converter(workers=2, timeout=30, work_dir=tmp_path_factory.mktemp("office")) as conv:
        yield conv


# --------------------------------------------------------------------------- conversions


def test_docx_to_pdf_keeps_the_text(converter: Converter) -> None:
    pdf = converter.to_pdf(make_docx("The child needs a residential placement near Weston."), ".docx")
    text = pdf_text(pdf)
    assert "Resource panel request" in text
    assert "residential placement near Weston" in text


def test_suffix_may_come_without_a_dot_and_in_capitals(converter: Converter) -> None:
    assert "Capitals" in pdf_text(converter.to_pdf(make_docx("Capitals"), "DOCX"))


def test_odt_to_docx_and_back_to_pdf(converter: Converter) -> None:
    odt = _odt("An older form saved by LibreOffice.")
    as_docx = converter.to_docx(odt, ".odt")
    assert "An older form saved by LibreOffice." in "\n".join(p.text for p in docx.Document(io.BytesIO(as_docx)).paragraphs)
    assert "An older form" in pdf_text(converter.to_pdf(odt, ".odt"))


def test_word_97_doc_to_docx_and_pdf(converter: Converter, tmp_path: Path) -> None:
    source = tmp_path / "form.docx"
    source.write_bytes(make_docx("Saved by an old case system as Word 97."))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=60)
    doc = (tmp_path / "form.doc").read_bytes()
    assert doc.startswith(bytes.fromhex("d0cf11e0a1b11ae1"))  # an OLE compound file, as Word 97 writes
    as_docx = docx.Document(io.BytesIO(converter.to_docx(doc, ".doc")))
    assert "Saved by an old case system as Word 97." in [p.text for p in as_docx.paragraphs]
    assert "old case system" in pdf_text(converter.to_pdf(doc, ".doc"))


def test_rtf_to_pdf(converter: Converter) -> None:
    assert "Rich text from a template" in pdf_text(converter.to_pdf(rb"{\rtf1\ansi Rich text from a template\par}", ".rtf"))


def test_a_batch_converts_in_parallel_in_order(converter: Converter) -> None:
    items = [(make_docx(f"Attachment number {i}"), ".docx") for i in range(6)]
    results = converter.to_pdf_many(items)
    assert len(results) == 6
    for i, result in enumerate(results):
        assert isinstance(result, bytes)
        assert f"Attachment number {i}" in pdf_text(result)


def test_a_corrupt_file_fails_with_a_reason_and_the_rest_of_the_batch_succeeds(converter: Converter) -> None:
    corrupt = make_docx("fine")[:700]  # a zip cut short
    items = [(make_docx("before"), ".docx"), (corrupt, ".docx"), (b"", ".doc"), (make_docx("after"), ".docx")]
    before, bad, empty, after = converter.to_pdf_many(items)
    assert isinstance(bad, ConversionFailure) and isinstance(empty, ConversionFailure)
    assert bad.reason == "LibreOffice could not open the file: corrupt, or not the type it claims to be"
    assert bad.error.code == "unreadable_attachment" and isinstance(bad.error, DocumentError)
    assert empty.reason == "the file is empty"
    assert isinstance(before, bytes) and "before" in pdf_text(before)
    assert isinstance(after, bytes) and "after" in pdf_text(after)


def test_one_corrupt_file_raises_office_error(converter: Converter) -> None:
    with pytest.raises(OfficeError, match="could not open the file"):
        converter.to_pdf(b"PK\x03\x04 not really a zip", ".docx")


def test_an_unsupported_suffix_is_refused(converter: Converter) -> None:
    with pytest.raises(OfficeError, match=r"cannot convert a \.xlsx file: only \.docx, \.doc, \.odt, \.rtf"):
        converter.to_pdf(b"whatever", ".xlsx")


def test_form_fields_are_drawn_with_their_values_not_exported_as_live_fields(converter: Converter) -> None:
    pdf = converter.to_pdf(_odt("I agree to the plan:", checkbox="Agreed by parent"), ".odt")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "/AcroForm" not in reader.root_object
    assert "/Annots" not in reader.pages[0]
    assert "Agreed by parent" in pdf_text(pdf)


# --------------------------------------------------------------------------- safety


def test_each_worker_has_its_own_profile_with_macros_disabled(converter: Converter) -> None:
    profiles = [cmd.split("-env:UserInstallation=")[1].split()[0]
                for cmd in _processes_under(converter.home).values() if "soffice.bin" in cmd]
    assert len(profiles) == 2 and len(set(profiles)) == 2
    for i in range(2):
        xcu = (converter.home / f"worker-{i}" / "profile" / "user" / "registrymodifications.xcu").read_text()
        assert '"DisableMacrosExecution" oor:op="fuse"><value>true' in xcu
        assert '"MacroSecurityLevel" oor:op="fuse"><value>3' in xcu


def test_a_macro_bound_to_opening_the_document_does_not_run(converter: Converter, tmp_path: Path) -> None:
    marker = tmp_path / "macro-ran"
    pdf = converter.to_pdf(_odt("Has an auto-run macro.", macro_writes=marker), ".odt")
    assert "auto-run macro" in pdf_text(pdf)
    assert not marker.exists()


def test_a_remote_image_is_not_fetched(converter: Converter) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/tracker.png"
            pdf = converter.to_pdf(_docx_with_linked_image(url), ".docx")
        finally:
            server.shutdown()
            thread.join()
    assert "linked picture" in pdf_text(pdf)
    assert hits == []


# --------------------------------------------------------------------------- failure and recovery


def test_a_hung_conversion_is_killed_after_the_timeout_and_the_next_one_works(tmp_path: Path) -> None:
    with Converter(workers=1, timeout=3, work_dir=tmp_path) as conv:
        assert "warm" in pdf_text(conv.to_pdf(make_docx("warm"), ".docx"))
        (hung,) = soffice_bins(tmp_path)
        os.kill(hung, signal.SIGSTOP)  # LibreOffice stops answering, as on a pathological file
        started = time.monotonic()
        with pytest.raises(OfficeError, match=r"did not finish converting within 3 s; it was stopped and restarted"):
            conv.to_pdf(make_docx("never"), ".docx")
        assert 3 <= time.monotonic() - started < 10
        assert hung not in _processes_under(tmp_path)
        assert "next one" in pdf_text(conv.to_pdf(make_docx("next one"), ".docx"))


def test_a_killed_libreoffice_is_restarted_on_the_next_call(tmp_path: Path) -> None:
    with Converter(workers=1, timeout=30, work_dir=tmp_path) as conv:
        assert "first" in pdf_text(conv.to_pdf(make_docx("first"), ".docx"))
        (first,) = soffice_bins(tmp_path)
        os.kill(first, signal.SIGKILL)
        assert "second" in pdf_text(conv.to_pdf(make_docx("second"), ".docx"))
        (second,) = soffice_bins(tmp_path)
        assert second != first


def test_close_leaves_no_libreoffice_behind(tmp_path: Path) -> None:
    conv = Converter(workers=2, timeout=30, work_dir=tmp_path)
    conv.to_pdf_many([(make_docx("a"), ".docx"), (make_docx("b"), ".docx")])
    running = _processes_under(tmp_path)
    assert len([c for c in running.values() if "soffice.bin" in c]) == 2
    assert len([c for c in running.values() if "bridge.py" in c]) == 2
    sockets = _sockets_of(running.values())
    assert len(sockets) == 4 and all(s.exists() for s in sockets)
    conv.close()
    conv.close()  # twice is fine
    assert _processes_under(tmp_path) == {}
    assert [s for s in sockets if s.exists()] == []
    assert not conv.home.exists()
    with pytest.raises(OfficeUnavailable, match="the converter is closed"):
        conv.to_pdf(make_docx("late"), ".docx")


def _converter_child(tmp_path: Path, then: str) -> subprocess.Popen[bytes]:
    """Another process with a converter that has converted once ('converted'), then runs ``then``."""
    script = (
        "import sys; from pathlib import Path; from carepanel.office import Converter\n"
        f"conv = Converter(workers=1, work_dir=Path({str(tmp_path)!r}))\n"
        "conv.to_pdf(sys.stdin.buffer.read(), '.docx'); print('converted', flush=True)\n" + then
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(make_docx("orphans"))
    child.stdin.close()
    return child


def _kill_when_it_says(child: subprocess.Popen[bytes], *lines: bytes, pause: float = 0.0) -> None:
    assert child.stdout is not None
    try:
        for line in lines:
            assert child.stdout.readline() == line
        time.sleep(pause)
        child.kill()
    finally:
        child.wait()
        child.stdout.close()


def _wait_until_gone(tmp_path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _processes_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_under(tmp_path) == {}


def test_libreoffice_goes_when_the_converters_process_is_killed(tmp_path: Path) -> None:
    child = _converter_child(tmp_path, "import time; time.sleep(600)\n")
    sockets: set[Path] = set()
    try:
        assert child.stdout is not None and child.stdout.readline() == b"converted\n"
        sockets = _sockets_of(_processes_under(tmp_path).values())
        assert len(sockets) == 2 and all(s.exists() for s in sockets)
    finally:
        _kill_when_it_says(child)
    _wait_until_gone(tmp_path, 10)
    assert [s for s in sockets if s.exists()] == []


def test_libreoffice_goes_when_the_converters_process_is_killed_mid_conversion(tmp_path: Path) -> None:
    # The bridge finds out only when it writes the answer (a broken pipe): it must still take soffice with it.
    child = _converter_child(tmp_path, (
        "import docx, io\n"
        "d = docx.Document()\n"
        "for n in range(6000): d.add_paragraph(f'paragraph {n} ' * 12)\n"
        "buf = io.BytesIO(); d.save(buf)\n"
        "print('converting', flush=True); conv.to_pdf(buf.getvalue(), '.docx')\n"))
    _kill_when_it_says(child, b"converted\n", b"converting\n", pause=0.5)  # LibreOffice is laying it out
    _wait_until_gone(tmp_path, 60)


def _sockets_of(cmdlines: Iterable[str]) -> set[Path]:
    """The Unix sockets in /tmp that soffice processes with these command lines listen on."""
    found = set()
    for cmd in cmdlines:
        if "soffice.bin" not in cmd:
            continue
        profile_url = re.search(r"-env:UserInstallation=(\S+)", cmd).group(1)  # type: ignore[union-attr]
        pipe = re.search(r"--accept=pipe,name=([^;]+);", cmd).group(1)  # type: ignore[union-attr]
        digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()  # LibreOffice's own naming
        found.add(Path(f"/tmp/OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}"))
        found.add(Path(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}"))
    return found


# --------------------------------------------------------------------------- samples built here


def _odt(text: str, macro_writes: Path | None = None, checkbox: str | None = None) -> bytes:
    """A minimal OpenDocument text.

    ``macro_writes``: a Basic macro, run on opening, writes that file.  (Checked by hand: it
    does run when LibreOffice loads the file visibly with macros allowed.)
    ``checkbox``: a ticked form checkbox with that label after the text.
    """
    ns = " ".join(f'xmlns:{k}="{v}"' for k, v in {
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
        "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
        "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
        "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
        "xlink": "http://www.w3.org/1999/xlink",
        "dom": "http://www.w3.org/2001/xml-events",
        "ooo": "http://openoffice.org/2004/office",
    }.items()) + ' office:version="1.2"'
    scripts = forms = control = ""
    if checkbox is not None:
        forms = ('<office:forms><form:form form:name="Form" form:control-implementation="ooo:com.sun.star.form.component.Form"><form:checkbox form:name="Tick" '
                 'form:control-implementation="ooo:com.sun.star.form.component.CheckBox" xml:id="control1" '
                 f'form:id="control1" form:label="{checkbox}" form:current-state="checked"/></form:form></office:forms>')
        control = ' <draw:control text:anchor-type="as-char" svg:width="4cm" svg:height="0.6cm" draw:control="control1"/>'
    files = {}
    if macro_writes is not None:
        scripts = ('<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" '
                   'script:event-name="dom:load" xlink:type="simple" '
                   'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
                   '</office:event-listeners></office:scripts>')
        files = {
            "Basic/script-lc.xml": '<?xml version="1.0" encoding="UTF-8"?><library:libraries '
            'xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<library:library library:name="Standard" library:link="false"/></library:libraries>',
            "Basic/Standard/script-lb.xml": '<?xml version="1.0" encoding="UTF-8"?><library:library '
            'xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" '
            'library:passwordprotected="false"><library:element library:name="Module1"/></library:library>',
            "Basic/Standard/Module1.xml": '<?xml version="1.0" encoding="UTF-8"?><script:module '
            'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">'
            f'Sub Main\nOpen "{macro_writes}" For Output As #1\nPrint #1, "ran"\nClose #1\nEnd Sub\n</script:module>',
        }
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>{scripts}'
               # LibreOffice reads office:forms only in a document that has automatic styles
               f"<office:automatic-styles/><office:body><office:text>{forms}<text:p>{text}{control}</text:p></office:text></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                + "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
                          for name in files)
                + "</manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        for name, body in files.items():
            z.writestr(name, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _docx_with_linked_image(url: str) -> bytes:
    """A .docx whose only picture is linked to ``url`` rather than embedded."""
    doc = docx.Document()
    doc.add_paragraph("A form with a linked picture.")
    doc.add_picture(io.BytesIO(PNG))
    blip = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    qn_embed = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
    qn_link = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}link"
    del blip.attrib[qn_embed]
    blip.set(qn_link, doc.part.relate_to(url, RT.IMAGE, is_external=True))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- comments


def test_a_word_document_with_comments_converts_without_them(converter: Converter) -> None:
    # LibreOffice 7.4 dies loading any comment over UNO; the converter is given the file without them.
    doc = docx.Document()
    para = doc.add_paragraph("The family agreed to the plan on Monday.")
    doc.add_comment(para.runs, text="Reviewer: check this date with the manager", author="T Manager", initials="TM")
    buf = io.BytesIO()
    doc.save(buf)
    text = pdf_text(converter.to_pdf(buf.getvalue(), ".docx"))
    assert "family agreed to the plan" in text and "Reviewer" not in text
    assert "family agreed" in docx.Document(io.BytesIO(converter.to_docx(buf.getvalue(), ".docx"))).paragraphs[0].text


def test_an_opendocument_file_with_comments_converts_without_them(converter: Converter) -> None:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:body><office:text>'
               '<text:p>The placement starts <office:annotation office:name="c1"><dc:creator>T Manager</dc:creator>'
               '<text:p>Reviewer: confirm</text:p></office:annotation>next week.<office:annotation-end office:name="c1"/>'
               '</text:p></office:text></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    text = " ".join(pdf_text(converter.to_pdf(buf.getvalue(), ".odt")).split())
    assert "The placement starts next week." in text and "Reviewer" not in text


def test_a_file_that_is_not_a_zip_is_left_for_libreoffice_to_judge() -> None:
    from carepanel.office_comments import without_comments

    assert without_comments(b"not a zip at all", ".docx") == b"not a zip at all"
    assert without_comments(b"{\\rtf1 x}", ".rtf") == b"{\\rtf1 x}"
