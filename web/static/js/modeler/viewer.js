// Read-only diagrams of the modeler pages: a version with a badge on each element where cases wait
// now (/models/<key>/versions/<n>), and two versions side by side with added, removed and changed
// elements marked (/models/<key>/compare). Every `.model-diagram` box reads its XML and marks from
// JSON data blocks named in its data attributes.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

import { el, readJson } from "./util.js";

const MARKERS = { added: "kompis-added", removed: "kompis-removed", changed: "kompis-changed" };

async function draw(box) {
  const data = readJson(box.dataset.source);
  const viewer = new NavigatedViewer({ container: box });
  try {
    await viewer.importXML(data.xml);
  } catch (err) {
    box.textContent = (box.dataset.failed || "") + " " + err.message;
    box.dataset.ready = "error";
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  for (const [kind, marker] of Object.entries(MARKERS)) {
    for (const id of data[kind] || []) if (registry.get(id)) canvas.addMarker(id, marker);
  }
  for (const [id, count] of Object.entries(data.counts || {})) {
    if (!registry.get(id) || !count) continue;
    canvas.addMarker(id, "kompis-waiting");
    const badge = el("span", { class: "kompis-count", "data-element-id": id, title: (box.dataset.countTitle || "")
      .replace("{n}", count) }, String(count));
    overlays.add(id, "kompis-count", { position: { bottom: 12, right: 12 }, html: badge });
  }
  canvas.zoom("fit-viewport");
  box.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".model-diagram[data-source]")) draw(box);
});
