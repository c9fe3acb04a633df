"""The script engine every workflow gets, after every load: sandboxed code plus whitelisted helpers."""
from __future__ import annotations

import ast
import types

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn.sandbox import GUARDS, compile_code, is_json_native, run_guarded, trusted
from engine.errors import ScriptError


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts against task data inside the sandbox."""

    def __init__(self, helpers: dict | None = None):
        super().__init__({name: trusted(value) if callable(value) else value
                          for name, value in (helpers or {}).items()})
        self._reserved = set(GUARDS) | set(self.globals)

    def _namespace(self, context: dict, external_context: dict | None) -> dict:
        clash = self.globals.keys() & context.keys()
        if clash:
            names = ", ".join(sorted(clash))
            raise ScriptError(f"Ärendets data har fält med samma namn som inbyggda funktioner: {names}")
        namespace = dict(GUARDS)
        namespace.update(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        return namespace

    def evaluate(self, expression, context, external_context=None):
        code = compile_code(expression.strip(), "eval")
        return run_guarded(code, self._namespace(context, external_context))

    def execute(self, script, context, external_context=None):
        code = compile_code(script, "exec")
        namespace = self._namespace(context, external_context)
        run_guarded(code, namespace)
        result = {}
        for key, value in namespace.items():
            if key in self._reserved or key.startswith("_") or (external_context and key in external_context):
                continue
            if isinstance(value, types.FunctionType):
                continue  # a helper function the script defined for itself
            if not is_json_native(value):
                raise ScriptError(
                    f"Variabeln '{key}' har typen {type(value).__name__}; ärendedata får bara vara "
                    "text, tal, sant/falskt, listor och objekt (datum som text)")
            result[key] = value
        context.clear()
        context.update(result)
        return True

    def call_service(self, context, **kwargs):
        raise ScriptError("Service tasks are not supported; use a script task with a helper.")


class SandboxScriptEngine(PythonScriptEngine):
    def validate(self, expression):
        # The DMN engine probes cells with validate() and expects a plain SyntaxError for
        # "not an expression on its own"; rule breaches come after as ScriptError.
        ast.parse(expression.strip(), mode="eval")
        compile_code(expression.strip(), "eval")


def make_script_engine(helpers: dict | None = None) -> SandboxScriptEngine:
    return SandboxScriptEngine(environment=SandboxEnvironment(helpers))
