"""Render every diagram in processes/ with bpmn-js (the bpmn.io renderer) in headless Chromium.

    .venv/bin/python tools/render_diagrams.py        # writes docs/diagrams/<file>.svg

Exits non-zero if bpmn-js reports any import warning, so a diagram that would not open cleanly
in bpmn.io is caught here too.
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
VIEWER = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

PAGE = """<!doctype html><html><body><div id="canvas" style="width:1600px;height:900px"></div></body></html>"""
IMPORT = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  const result = await viewer.importXML(xml);
  const { svg } = await viewer.saveSVG();
  return { warnings: result.warnings.map(w => w.message), svg };
}"""


def render(paths: list[Path], browser=None) -> dict[str, dict]:
    """{file name: {"warnings": [...], "svg": "..."}} for each BPMN file (in `browser` if given)."""
    if browser is None:
        with sync_playwright() as playwright:
            own = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                return render(paths, own)
            finally:
                own.close()
    page = browser.new_page()
    try:
        page.set_content(PAGE)
        page.add_script_tag(path=str(VIEWER))
        return {path.name: page.evaluate(IMPORT, path.read_text(encoding="utf-8")) for path in paths}
    finally:
        page.close()


def main() -> int:
    out = ROOT / "docs" / "diagrams"
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    for name, result in render(sorted((ROOT / "processes").glob("*.bpmn"))).items():
        if result["warnings"]:
            failed = True
            print(f"{name}: {len(result['warnings'])} varningar från bpmn-js", file=sys.stderr)
            for warning in result["warnings"]:
                print(f"  {warning}", file=sys.stderr)
        (out / name.replace(".bpmn", ".svg")).write_text(result["svg"], encoding="utf-8")
        print(f"{name}: docs/diagrams/{name.replace('.bpmn', '.svg')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
