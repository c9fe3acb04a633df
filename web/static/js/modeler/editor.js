// The process owner's editor (/models/<key>): bpmn-js modeler with the Camunda 7 properties panel,
// dmn-js for the bundle's decision tables, a JSON editor for the user tasks' forms with a server-side
// preview, validation (the engine's checks plus bpmnlint as warnings) pinned to the canvas, deploy,
// download and upload. Bundled by esbuild into web/static/build/editor.js (see build.mjs).
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import DmnModeler from "dmn-js/lib/Modeler";

import { lintDefinitions } from "./lint.js";
import { groupTranslationModule, translateModule } from "./translate.js";
import { csrfHeaders, el, readJson } from "./util.js";

const BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL";
const FORM_PREFIX = "forms/";
const FORM_SUFFIX = ".json";
const NEW_FORM = '{\n  "title": "",\n  "type": "object",\n  "properties": {},\n  "required": []\n}\n';

class Editor {
  constructor(root) {
    this.root = root;
    this.data = readJson("modeler-data");
    this.text = readJson("modeler-text");
    this.key = this.data.key;
    this.mainFile = this.data.main_file;
    this.files = { ...this.data.files };
    this.storeForms = { ...this.data.store_forms };
    this.editedForms = {};          // form key -> JSON text changed in the form editor
    this.dmn = {};                  // file name -> {modeler, baseline}
    this.issues = [];
    this.overlayIds = [];
    this.marked = [];
    this.previewTimer = null;
    this.currentForm = null;
  }

  t(key, values = {}) {
    let s = this.text[key] || key;
    for (const [name, value] of Object.entries(values)) s = s.replaceAll(`{${name}}`, String(value));
    return s;
  }

  async start() {
    this.modeler = new BpmnModeler({
      container: this.root.querySelector("#canvas"),
      propertiesPanel: { parent: this.root.querySelector("#properties") },
      additionalModules: [
        BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
        CamundaBehaviorsModule, translateModule(this.data.locale), groupTranslationModule,
      ],
      moddleExtensions: { camunda: camundaModdle },
    });
    this.modeler.on("commandStack.changed", () => {
      this.root.dataset.dirty = "true";
      if (this.currentTab === "forms") this.renderFormList();
    });
    const ok = await this.importDiagram(this.files[this.mainFile]);
    if (!ok) return;
    this.baseline = await this.saveDiagram();
    this.bindToolbar();
    this.bindTabs();
    this.root.dataset.ready = "true";
  }

  // ------------------------------------------------------------------ diagram

  async importDiagram(xml) {
    try {
      const { warnings } = await this.modeler.importXML(xml);
      this.modeler.get("canvas").zoom("fit-viewport");
      if (warnings && warnings.length) {
        this.say(this.t("import_warnings", { n: warnings.length }) + " " + warnings.map((w) => w.message).join("; "),
                 "warning");
      }
      return true;
    } catch (err) {
      this.say(this.t("import_failed") + " " + err.message, "error");
      return false;
    }
  }

  async saveDiagram() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  // The bundle as the server should see it: unchanged files exactly as deployed, the rest re-exported.
  async collectFiles() {
    const files = { ...this.files };
    const xml = await this.saveDiagram();
    if (xml !== this.baseline) files[this.mainFile] = xml;
    for (const [name, entry] of Object.entries(this.dmn)) {
      const { xml: dmnXml } = await entry.modeler.saveXML({ format: true });
      if (dmnXml !== entry.baseline) files[name] = dmnXml;
    }
    for (const [key, text] of Object.entries(this.editedForms)) files[FORM_PREFIX + key + FORM_SUFFIX] = text;
    return files;
  }

  // Process owners see the Swedish names; `camunda:formKey` of every user task in the diagram.
  formKeys() {
    const keys = new Set();
    for (const element of this.modeler.get("elementRegistry").getAll()) {
      const bo = element.businessObject;
      if (bo && bo.$type === "bpmn:UserTask" && bo.get("camunda:formKey")) keys.add(bo.get("camunda:formKey"));
    }
    for (const name of Object.keys(this.files)) {
      if (name.startsWith(FORM_PREFIX) && name.endsWith(FORM_SUFFIX)) {
        keys.add(name.slice(FORM_PREFIX.length, -FORM_SUFFIX.length));
      }
    }
    for (const key of Object.keys(this.editedForms)) keys.add(key);
    return [...keys].sort();
  }

  // ------------------------------------------------------------------ toolbar

  bindToolbar() {
    const $ = (id) => this.root.querySelector(id);
    $("#btn-validate").addEventListener("click", () => this.validate());
    $("#deploy-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.deploy();
    });
    $("#btn-download").addEventListener("click", () => this.download());
    $("#upload").addEventListener("change", (event) => this.upload(event.target));
  }

  async post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...csrfHeaders() },
      body: JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (err) {
      answer = { ok: false, message: this.t("bad_answer", { status: response.status }), errors: [] };
    }
    return { status: response.status, answer };
  }

  async validate() {
    this.busy(true);
    this.say(this.t("validating"), "info");
    try {
      const files = await this.collectFiles();
      const { status, answer } = await this.post(this.data.urls.validate, { files, main_file: this.mainFile });
      const lint = await this.lint();
      const errors = answer.errors || [];
      const warnings = (answer.warnings || []).concat(lint);
      this.showIssues(errors, warnings);
      if (status !== 200) {
        this.say(answer.message || this.t("bad_answer", { status }), "error");
      } else if (errors.length) {
        this.say(this.t("has_errors", { n: errors.length }), "error");
      } else {
        this.say(warnings.length ? this.t("ok_with_warnings", { n: warnings.length }) : this.t("ok"), "success");
      }
      return status === 200 && errors.length === 0;
    } finally {
      this.busy(false);
    }
  }

  async lint() {
    try {
      return await lintDefinitions(this.modeler.getDefinitions(), String(this.data.locale).startsWith("sv"));
    } catch (err) {
      return [{ element_id: null, line: null, file: null, severity: "warning", source: "bpmnlint",
                message: this.t("lint_failed") + " " + err.message }];
    }
  }

  async deploy() {
    const note = this.root.querySelector("#deploy-note").value.trim();
    if (!(await this.validate())) {
      this.say(this.t("deploy_blocked"), "error");
      return;
    }
    this.busy(true);
    try {
      const files = await this.collectFiles();
      const { status, answer } = await this.post(this.data.urls.deploy, { files, main_file: this.mainFile, note });
      if (status === 201 || status === 200) {
        const link = el("a", { href: this.data.urls.version_template.replace("__N__", answer.version) },
                        this.t("open_version", { version: answer.version }));
        this.say(answer.created ? this.t("deployed", { version: answer.version })
                                : this.t("not_changed", { version: answer.version }), "success", link);
        this.root.dataset.deployedVersion = String(answer.version);
      } else {
        this.showIssues(answer.errors || [], answer.warnings || []);
        this.say(answer.message || this.t("bad_answer", { status }), "error");
      }
    } finally {
      this.busy(false);
    }
  }

  async download() {
    const xml = await this.saveDiagram();
    const url = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    const a = el("a", { href: url, download: this.mainFile });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async upload(input) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    if (file.size > this.data.max_bytes) {
      this.say(this.t("too_large", { name: file.name, size: file.size, max: this.data.max_bytes }), "error");
      return;
    }
    const text = await file.text();
    if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
      this.say(this.t("doctype", { name: file.name }), "error");
      return;
    }
    const previous = await this.saveDiagram();
    const adopted = this.adoptProcessId(text);
    this.clearIssues();
    if (!(await this.importDiagram(adopted.text))) {
      const reason = this.root.querySelector("#modeler-status").textContent;
      await this.importDiagram(previous);
      this.say(reason, "error");
      return;
    }
    this.root.dataset.dirty = "true";
    this.say(this.t("uploaded", { name: file.name }) + (adopted.message ? " " + adopted.message : ""), "info");
  }

  // A diagram drawn on bpmn.io or in Camunda Modeler has an id such as Process_1abc: it becomes this
  // process (the key in the address) so that deploying it makes a new version of this process. Done on
  // the text before import (renaming the root after import races the properties panel).
  adoptProcessId(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) return { text, message: "" };
    const processes = doc.getElementsByTagNameNS(BPMN_NS, "process");
    if (processes.length !== 1) return { text, message: "" };
    const old = processes[0].getAttribute("id");
    if (!old || old === this.key || doc.querySelector(`[id="${CSS.escape(this.key)}"]`)) return { text, message: "" };
    const escaped = old.replace(/[.*+?^$()|[\]{}\\]/g, "\\$&");
    const quoted = new RegExp("(=\\s*[\"'])" + escaped + "([\"'])", "g");
    return { text: text.replace(quoted, `$1${this.key}$2`), message: this.t("renamed", { old, key: this.key }) };
  }

  // ------------------------------------------------------------------ issues

  clearIssues() {
    const canvas = this.modeler.get("canvas");
    const overlays = this.modeler.get("overlays");
    for (const [id, marker] of this.marked) canvas.removeMarker(id, marker);
    for (const id of this.overlayIds) overlays.remove(id);
    this.marked = [];
    this.overlayIds = [];
    this.root.querySelector("#issues").replaceChildren();
  }

  onCanvas(issue) {
    if (!issue.element_id) return null;
    if (issue.file && issue.file !== this.mainFile) return null;
    return this.modeler.get("elementRegistry").get(issue.element_id) || null;
  }

  showIssues(errors, warnings) {
    this.clearIssues();
    const canvas = this.modeler.get("canvas");
    const overlays = this.modeler.get("overlays");
    const list = this.root.querySelector("#issues");
    const all = errors.map((e) => ({ ...e, severity: "error" })).concat(
      warnings.map((w) => ({ ...w, severity: "warning" })));
    const pinned = {};
    for (const issue of all) {
      const element = this.onCanvas(issue);
      const item = el("li", { class: `issue issue-${issue.severity}`, "data-element-id": issue.element_id || "" });
      const label = [
        issue.severity === "error" ? this.t("error") : this.t("warning"),
        issue.file && issue.file !== this.mainFile ? issue.file : "",
        issue.element_id || (issue.file ? "" : this.mainFile),
        issue.line ? this.t("line", { line: issue.line }) : "",
        issue.source === "bpmnlint" ? `bpmnlint ${issue.rule || ""}`.trim() : "",
      ].filter(Boolean).join(" · ");
      const button = el("button", { type: "button", class: "link issue-where" }, label);
      button.addEventListener("click", () => this.reveal(issue));
      item.append(button, el("span", { class: "issue-message" }, " " + issue.message));
      list.appendChild(item);
      if (!element) continue;
      const marker = issue.severity === "error" ? "kompis-error" : "kompis-warning";
      if (!pinned[element.id] || (pinned[element.id] === "kompis-warning" && marker === "kompis-error")) {
        if (pinned[element.id]) canvas.removeMarker(element.id, pinned[element.id]);
        canvas.addMarker(element.id, marker);
        this.marked.push([element.id, marker]);
        pinned[element.id] = marker;
      }
      if (issue.severity === "error") {
        const badge = el("div", { class: "kompis-issue-badge", title: issue.message, "data-element-id": element.id }, "!");
        this.overlayIds.push(overlays.add(element.id, "kompis-issue",
                                          { position: { top: -10, right: 10 }, html: badge }));
      }
    }
    this.root.querySelector("#issues-title").hidden = all.length === 0;
    this.root.dataset.errors = String(errors.length);
    this.root.dataset.warnings = String(warnings.length);
  }

  reveal(issue) {
    if (issue.file && issue.file.startsWith(FORM_PREFIX)) {
      this.showTab("forms");
      this.openForm(issue.file.slice(FORM_PREFIX.length, -FORM_SUFFIX.length));
      return;
    }
    if (issue.file && this.dmnTabs && this.dmnTabs[issue.file]) {
      this.showTab(this.dmnTabs[issue.file]);
      return;
    }
    const element = this.onCanvas(issue);
    if (!element) return;
    this.showTab("diagram");
    this.modeler.get("selection").select(element);
    const canvas = this.modeler.get("canvas");
    if (canvas.scrollToElement) canvas.scrollToElement(element);
  }

  // ------------------------------------------------------------------ tabs

  bindTabs() {
    this.dmnTabs = {};
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      if (tab.dataset.file) this.dmnTabs[tab.dataset.file] = tab.dataset.tab;
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    this.currentTab = "diagram";
    const forms = this.root.querySelector("#form-text");
    forms.addEventListener("input", () => this.formEdited());
    this.root.querySelector("#form-new").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = this.root.querySelector("#form-new-key");
      const key = input.value.trim();
      if (!/^[a-z0-9][a-z0-9_-]{0,99}$/.test(key)) {
        this.say(this.t("bad_form_key"), "error");
        return;
      }
      input.value = "";
      if (!(key in this.editedForms) && this.formText(key) === null) this.editedForms[key] = NEW_FORM;
      this.renderFormList();
      this.openForm(key);
    });
  }

  async showTab(name) {
    this.currentTab = name;
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      this.root.querySelector("#" + tab.getAttribute("aria-controls")).hidden = !selected;
    }
    const tab = this.root.querySelector(`[role=tab][data-tab="${name}"]`);
    if (tab && tab.dataset.file) await this.openDmn(tab.dataset.file, tab.getAttribute("aria-controls"));
    if (name === "forms") this.renderFormList();
  }

  async openDmn(fileName, paneId) {
    if (this.dmn[fileName]) return;
    const container = this.root.querySelector(`#${paneId} .dmn-canvas`);
    const modeler = new DmnModeler({ container });
    const entry = { modeler, baseline: null };
    this.dmn[fileName] = entry;
    try {
      await modeler.importXML(this.files[fileName]);
      const table = modeler.getViews().find((view) => view.type === "decisionTable");
      if (table) await modeler.open(table);
      entry.baseline = (await modeler.saveXML({ format: true })).xml;
      container.dataset.ready = "true";
    } catch (err) {
      delete this.dmn[fileName];
      container.textContent = this.t("dmn_failed") + " " + err.message;
    }
  }

  // ------------------------------------------------------------------ forms

  formText(key) {
    if (key in this.editedForms) return this.editedForms[key];
    const bundled = this.files[FORM_PREFIX + key + FORM_SUFFIX];
    if (bundled !== undefined) return bundled;
    if (key in this.storeForms) return this.storeForms[key];
    return null;
  }

  async renderFormList() {
    const list = this.root.querySelector("#form-list");
    const keys = this.formKeys();
    list.replaceChildren();
    for (const key of keys) {
      if (this.formText(key) === null && !(key in this.storeForms)) await this.fetchStoreForm(key);
      const state = key in this.editedForms ? this.t("form_edited")
        : this.files[FORM_PREFIX + key + FORM_SUFFIX] !== undefined ? this.t("form_bundled")
          : this.formText(key) !== null ? this.t("form_shared") : this.t("form_missing");
      const button = el("button", { type: "button", class: "link", "data-form": key,
                                    "aria-current": key === this.currentForm ? "true" : "false" }, key);
      button.addEventListener("click", () => this.openForm(key));
      list.appendChild(el("li", {}, button, el("small", {}, " " + state)));
    }
    if (!this.currentForm && keys.length) this.openForm(keys[0]);
  }

  async fetchStoreForm(key) {
    const response = await fetch(this.data.urls.form_template.replace("__KEY__", encodeURIComponent(key)),
                                 { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) this.storeForms[key] = (await response.json()).text;
  }

  openForm(key) {
    this.currentForm = key;
    const text = this.formText(key);
    const area = this.root.querySelector("#form-text");
    area.value = text === null ? NEW_FORM : text;
    area.disabled = false;
    this.root.querySelector("#form-title").textContent = this.t("form_heading", { key });
    for (const button of this.root.querySelectorAll("#form-list [data-form]")) {
      button.setAttribute("aria-current", button.dataset.form === key ? "true" : "false");
    }
    this.preview();
  }

  formEdited() {
    if (!this.currentForm) return;
    this.editedForms[this.currentForm] = this.root.querySelector("#form-text").value;
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), 300);
  }

  async preview() {
    const box = this.root.querySelector("#form-preview");
    const response = await fetch(this.data.urls.preview, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/html", ...csrfHeaders() },
      body: JSON.stringify({ schema: this.root.querySelector("#form-text").value }),
    });
    // The fragment is rendered by the server (web/task_forms.py), the same code as the task page.
    box.innerHTML = await response.text();
    box.dataset.status = String(response.status);
  }

  // ------------------------------------------------------------------ feedback

  say(message, kind = "info", extra = null) {
    const box = this.root.querySelector("#modeler-status");
    box.className = `flash flash-${kind}`;
    box.replaceChildren(document.createTextNode(message));
    if (extra) box.append(" ", extra);
    box.hidden = false;
  }

  busy(on) {
    for (const button of this.root.querySelectorAll(".modeler-toolbar button")) button.disabled = on;
    this.root.dataset.busy = on ? "true" : "false";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("modeler-app");
  if (root) {
    const editor = new Editor(root);
    window.kompisEditor = editor;
    editor.start();
  }
});
