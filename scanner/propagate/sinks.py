"""Reporting data that reaches a sink which is not a call: an assignment to a sink
object's item or attribute, or the return value of a handler a framework calls."""

from __future__ import annotations

import libcst as cst

from scanner.model import StepKind
from scanner.propagate.records import SinkSite
from scanner.propagate.services import Analysis, CallerFrame
from scanner.propagate.values import Step, Value
from scanner.rules.schema import RuleSet, SinkRule
from scanner.rules.urls import destination_for


def report_sink(engine: Analysis, ruleset: RuleSet, frame: CallerFrame, node: cst.CSTNode,
                rule: SinkRule, data: Value, target: str, action: str) -> None:
    """Every PII fact of `data` (the fields of project instances included) reaches the
    sink `rule` at `node`; `target` names what receives it, `action` says how."""
    data = engine.instance_facts(data)
    if not data.facts:
        return
    destination, host = destination_for(ruleset, rule.destination, None)
    site = SinkSite(rule.id, rule.kind, destination, host, frame.path, node, target)
    step = Step(frame.path, node, f"{action} ({destination})", StepKind.SINK)
    for fact in data.facts.values():
        engine.emit(fact.with_step(step), site, frame.ctx)
