// bpmnlint's recommended rules, resolved statically (the bundle has no file system): every rule of
// bpmnlint/config/recommended is imported here by name. Kompis reports them all as warnings; they
// never block a deploy (the engine's own checks do).
import { Linter } from "bpmnlint";
import StaticResolver from "bpmnlint/lib/resolver/static-resolver";
import recommended from "bpmnlint/config/recommended";

import adHocSubProcess from "bpmnlint/rules/ad-hoc-sub-process";
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import eventBasedGateway from "bpmnlint/rules/event-based-gateway";
import eventSubProcessTypedStartEvent from "bpmnlint/rules/event-sub-process-typed-start-event";
import fakeJoin from "bpmnlint/rules/fake-join";
import global from "bpmnlint/rules/global";
import labelRequired from "bpmnlint/rules/label-required";
import linkEvent from "bpmnlint/rules/link-event";
import noBpmndi from "bpmnlint/rules/no-bpmndi";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noGatewayJoinFork from "bpmnlint/rules/no-gateway-join-fork";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import noImplicitEnd from "bpmnlint/rules/no-implicit-end";
import noImplicitStart from "bpmnlint/rules/no-implicit-start";
import noInclusiveGateway from "bpmnlint/rules/no-inclusive-gateway";
import noOverlappingElements from "bpmnlint/rules/no-overlapping-elements";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event";
import singleEventDefinition from "bpmnlint/rules/single-event-definition";
import startEventRequired from "bpmnlint/rules/start-event-required";
import subProcessBlankStartEvent from "bpmnlint/rules/sub-process-blank-start-event";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";
import superfluousLabel from "bpmnlint/rules/superfluous-label";
import superfluousTermination from "bpmnlint/rules/superfluous-termination";

const RULES = {
  "ad-hoc-sub-process": adHocSubProcess,
  "conditional-flows": conditionalFlows,
  "end-event-required": endEventRequired,
  "event-based-gateway": eventBasedGateway,
  "event-sub-process-typed-start-event": eventSubProcessTypedStartEvent,
  "fake-join": fakeJoin,
  global,
  "label-required": labelRequired,
  "link-event": linkEvent,
  "no-bpmndi": noBpmndi,
  "no-complex-gateway": noComplexGateway,
  "no-disconnected": noDisconnected,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "no-gateway-join-fork": noGatewayJoinFork,
  "no-implicit-split": noImplicitSplit,
  "no-implicit-end": noImplicitEnd,
  "no-implicit-start": noImplicitStart,
  "no-inclusive-gateway": noInclusiveGateway,
  "no-overlapping-elements": noOverlappingElements,
  "single-blank-start-event": singleBlankStartEvent,
  "single-event-definition": singleEventDefinition,
  "start-event-required": startEventRequired,
  "sub-process-blank-start-event": subProcessBlankStartEvent,
  "superfluous-gateway": superfluousGateway,
  "superfluous-label": superfluousLabel,
  "superfluous-termination": superfluousTermination,
};

// What each rule means, in Swedish; bpmnlint's own (English) message follows in parentheses.
const SWEDISH = {
  "ad-hoc-sub-process": "Ad hoc-delprocessen är felaktigt uppbyggd",
  "conditional-flows": "Ett flöde efter en gateway saknar villkor (och är inte standardflöde)",
  "end-event-required": "Processen saknar sluthändelse",
  "event-based-gateway": "Den händelsebaserade gatewayen är felaktigt kopplad",
  "event-sub-process-typed-start-event": "Händelsedelprocessen behöver en starthändelse med typ",
  "fake-join": "Flera inkommande flöden utan sammanslagande gateway",
  global: "Ett globalt element används felaktigt",
  "label-required": "Elementet saknar namn",
  "link-event": "Länkhändelsen saknar motsvarighet",
  "no-bpmndi": "Elementet saknar layout (BPMNDI) och ritas inte",
  "no-complex-gateway": "Komplex gateway bör undvikas",
  "no-disconnected": "Elementet är inte kopplat till något flöde",
  "no-duplicate-sequence-flows": "Dubbla flöden mellan samma element",
  "no-gateway-join-fork": "Gatewayen både slår ihop och delar flöden",
  "no-implicit-split": "Flera utgående flöden utan gateway",
  "no-implicit-end": "Elementet saknar utgående flöde (implicit slut)",
  "no-implicit-start": "Elementet saknar inkommande flöde (implicit start)",
  "no-inclusive-gateway": "Inkluderande gateway bör undvikas",
  "no-overlapping-elements": "Element ligger ovanpå varandra",
  "single-blank-start-event": "Mer än en starthändelse utan typ",
  "single-event-definition": "Händelsen har mer än en händelsedefinition",
  "start-event-required": "Processen saknar starthändelse",
  "sub-process-blank-start-event": "Delprocessen behöver en starthändelse utan typ",
  "superfluous-gateway": "Gatewayen har bara ett in- och ett utflöde och behövs inte",
  "superfluous-label": "Namnet visas inte (överflödig etikett)",
  "superfluous-termination": "Avslutande sluthändelse behövs inte",
};

const cache = { "config:bpmnlint/recommended": recommended };
for (const [name, rule] of Object.entries(RULES)) cache[`rule:bpmnlint/${name}`] = rule;

export const RULE_NAMES = Object.keys(recommended.rules);
const missing = RULE_NAMES.filter((name) => !(name in RULES));
if (missing.length) throw new Error(`bpmnlint rules not bundled: ${missing.join(", ")}`);

const linter = new Linter({ config: { extends: "bpmnlint:recommended" }, resolver: new StaticResolver(cache) });

// [{element_id, message, rule, severity: "warning"}] for the definitions of a bpmn-js modeler.
export async function lintDefinitions(definitions, swedish = true) {
  const results = await linter.lint(definitions);
  const issues = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      if (report.category === "rule-error") continue; // a rule that crashed says nothing about the model
      const message = swedish && SWEDISH[rule] ? `${SWEDISH[rule]} (${report.message})` : report.message;
      issues.push({ element_id: report.id || null, message, rule, severity: "warning",
                    line: null, file: null, source: "bpmnlint" });
    }
  }
  return issues;
}
