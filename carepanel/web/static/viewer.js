// The document viewer: renders a PDF in the page with PDF.js (page by page, with a text layer a
// screen reader reads and a person can select), with page navigation and zoom.  Where the page
// gives a sha256 (the chair's sign-off screen), the bytes shown are hashed in the browser and
// compared with it, so the chair sees exactly the document being signed.
import * as pdfjsLib from "/static/vendor/pdfjs/pdf.min.mjs";

pdfjsLib.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

class Viewer {
  constructor(root) {
    this.root = root;
    this.part = (name) => root.querySelector(`[data-role="${name}"]`);
    this.doc = null;
    this.pageNo = 1;
    this.scale = null; // null: fit to width
    this.rendering = null;
    root.querySelector(".pdfv-bar").hidden = false;
    root.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => this.act(b.dataset.act)));
    this.part("page").addEventListener("change", (e) => this.go(parseInt(e.target.value, 10) || 1));
    this.part("scroll").addEventListener("keydown", (e) => {
      if (e.key === "PageDown" && e.altKey) { this.act("next"); e.preventDefault(); }
      if (e.key === "PageUp" && e.altKey) { this.act("prev"); e.preventDefault(); }
    });
    let width = root.clientWidth;
    new ResizeObserver(() => {
      if (this.doc && this.scale === null && Math.abs(root.clientWidth - width) > 8) { width = root.clientWidth; this.render(); }
    }).observe(root);
  }

  status(text, isError) {
    const s = this.part("status");
    s.textContent = text + " ";
    const a = document.createElement("a");
    a.href = this.url;
    a.textContent = "Open the PDF on its own";
    s.append(a, ".");
    s.classList.toggle("error-message", !!isError);
  }

  async open(url, title) {
    this.url = url;
    this.title = title || this.root.dataset.title;
    this.part("scroll").setAttribute("aria-label", `${this.title}: document pages`);
    this.root.dataset.state = "loading";
    let bytes;
    try {
      const resp = await fetch(url, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(`the server answered ${resp.status}`);
      bytes = new Uint8Array(await resp.arrayBuffer());
    } catch (err) {
      this.root.dataset.state = "error";
      this.status(`${this.title} could not be loaded (${err.message}).`, true);
      return;
    }
    const expected = this.root.dataset.sha256;
    if (expected) {
      const actual = hex(await crypto.subtle.digest("SHA-256", bytes));
      const box = this.part("hash");
      const same = actual === expected;
      box.classList.toggle("match", same);
      box.classList.toggle("mismatch", !same);
      box.textContent = same
        ? `These are exactly the bytes you are signing: sha256 ${actual}.`
        : `The document shown (sha256 ${actual}) is not the one on record (${expected}). Do not sign: reload the page.`;
      this.root.dataset.hash = same ? "match" : "mismatch";
      const form = document.querySelector(`form[data-signs="${this.root.id}"]`);
      if (form) form.querySelectorAll("button").forEach((b) => { b.disabled = !same; });
    }
    try {
      this.doc = await pdfjsLib.getDocument({ data: bytes, isEvalSupported: false, enableXfa: false }).promise;
    } catch (err) {
      this.root.dataset.state = "error";
      this.status(`${this.title} is not a PDF this viewer can show (${err.message}).`, true);
      return;
    }
    this.part("count").textContent = String(this.doc.numPages);
    this.part("page").max = String(this.doc.numPages);
    this.pageNo = 1;
    await this.render();
  }

  act(what) {
    if (!this.doc) return;
    if (what === "prev") return this.go(this.pageNo - 1);
    if (what === "next") return this.go(this.pageNo + 1);
    const now = this.scale ?? this.fitScale;
    if (what === "zoom-in") this.scale = ZOOMS.find((z) => z > now + 0.01) ?? ZOOMS[ZOOMS.length - 1];
    if (what === "zoom-out") this.scale = [...ZOOMS].reverse().find((z) => z < now - 0.01) ?? ZOOMS[0];
    if (what === "fit") this.scale = null;
    return this.render();
  }

  go(n) {
    if (!this.doc) return;
    this.pageNo = Math.min(Math.max(1, n), this.doc.numPages);
    return this.render();
  }

  async render() {
    const page = await this.doc.getPage(this.pageNo);
    const base = page.getViewport({ scale: 1 });
    const room = this.part("scroll").clientWidth - 20;
    this.fitScale = Math.max(0.25, room / base.width);
    const scale = this.scale ?? this.fitScale;
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.part("canvas");
    const box = this.part("page-box");
    const text = this.part("text");
    if (this.rendering) this.rendering.cancel();
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    box.style.width = `${Math.floor(viewport.width)}px`;
    box.style.height = `${Math.floor(viewport.height)}px`;
    box.style.setProperty("--scale-factor", String(scale));
    box.style.setProperty("--total-scale-factor", String(scale));
    this.rendering = page.render({
      canvas, canvasContext: canvas.getContext("2d"), viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined,
    });
    try {
      await this.rendering.promise;
    } catch (err) {
      if (err && err.name === "RenderingCancelledException") return;
      throw err;
    }
    text.replaceChildren();
    const layer = new pdfjsLib.TextLayer({ textContentSource: page.streamTextContent(), container: text, viewport });
    await layer.render();
    this.part("page").value = String(this.pageNo);
    this.part("zoom").textContent = `${Math.round(scale * 100)}%`;
    this.root.querySelector('[data-act="prev"]').disabled = this.pageNo <= 1;
    this.root.querySelector('[data-act="next"]').disabled = this.pageNo >= this.doc.numPages;
    this.status(`Showing ${this.title}, page ${this.pageNo} of ${this.doc.numPages}.`);
    this.root.dataset.state = "shown";
  }
}

for (const root of document.querySelectorAll(".pdfv")) {
  const viewer = new Viewer(root);
  root.viewer = viewer;
  viewer.open(root.dataset.src);
}
// Links to documents open in the viewer named by data-pdf-viewer, rather than leaving the page.
for (const link of document.querySelectorAll("a[data-pdf-viewer]")) {
  link.addEventListener("click", (e) => {
    const root = document.getElementById(link.dataset.pdfViewer);
    if (!root || !root.viewer) return;
    e.preventDefault();
    root.viewer.open(link.getAttribute("href"), link.dataset.title).then(() => root.querySelector(".pdfv-scroll").focus());
  });
}
