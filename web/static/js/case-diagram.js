// Draw the case's diagram with bpmn-js and mark what is active now and what is done.
document.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: box });
  const xml = await (await fetch(box.dataset.url, { credentials: "same-origin" })).text();
  try {
    await viewer.importXML(xml);
  } catch (err) {
    box.textContent = /no diagram/i.test(err.message)
      ? "Diagrammet saknar layout (BPMNDI) och kan inte ritas."
      : "Diagrammet kunde inte visas: " + err.message;
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, marker) => ids.split(" ").filter(Boolean).forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, marker);
  });
  mark(box.dataset.done || "", "kompis-done");
  mark(box.dataset.active || "", "kompis-active");
  canvas.zoom("fit-viewport");
  box.dataset.ready = "true";
});
