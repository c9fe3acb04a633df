// Drives a migration run in batches (/models/<key>/migrate?run=<id>): one POST per batch to the step
// endpoint, a progress bar, and the page reloaded with the finished run when nothing is pending.
import { csrfHeaders } from "./util.js";

const DONE = new Set(["finished", "rolled_back", "failed"]);

async function drive(box) {
  const bar = box.querySelector("progress");
  const label = box.querySelector(".progress-text");
  const template = box.dataset.progressText || "{done}/{total}";
  for (let round = 0; round < 10000; round += 1) {
    const response = await fetch(box.dataset.stepUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...csrfHeaders() },
      body: "{}",
    });
    let progress;
    try {
      progress = await response.json();
    } catch (err) {
      progress = { message: String(response.status) };
    }
    if (!response.ok) {
      label.textContent = progress.message || String(response.status);
      box.dataset.status = "error";
      return;
    }
    bar.max = Math.max(progress.total, 1);
    bar.value = progress.done;
    label.textContent = template.replace("{done}", progress.done).replace("{total}", progress.total)
      .replace("{migrated}", progress.migrated).replace("{failed}", progress.failed);
    box.dataset.status = progress.status;
    if (DONE.has(progress.status) || progress.done >= progress.total) break;
  }
  if (box.dataset.doneUrl) window.location.assign(box.dataset.doneUrl);
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("migration-progress");
  if (box && box.dataset.stepUrl) drive(box);
});
