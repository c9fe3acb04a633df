// Bundles the modeler pages' ES modules (bpmn-js modeler, properties panel, dmn-js, bpmnlint) and
// their CSS and fonts into web/static/build/ with esbuild. Run by `make setup` (target `frontend`);
// the output is not committed.
import { fileURLToPath } from "node:url";
import path from "node:path";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");
// KOMPIS_BUILD_DEBUG=1: readable bundles with inline source maps (for a stack trace from a test).
const debug = process.env.KOMPIS_BUILD_DEBUG === "1";

await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    editor: "web/static/js/modeler/editor.js",
    viewer: "web/static/js/modeler/viewer.js",
    migrate: "web/static/js/modeler/migrate.js",
    modeler: "web/static/js/modeler/modeler.css",
  },
  outdir: "web/static/build",
  bundle: true,
  format: "iife",
  minify: !debug,
  sourcemap: debug ? "inline" : false,
  target: ["es2020"],
  legalComments: "linked",
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
});
