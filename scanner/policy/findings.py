"""Turn raw engine hits into reportable `Finding`s: apply the policy, resolve positions
(only for files that appear in a finding, since libcst's PositionProvider is costly),
and keep one finding per (rule, source, sink) with its shortest trace. Also the
report-ready descriptions of the rules."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from scanner.model import Destination, Finding, Location, TraceStep, Verdict
from scanner.parse.source import ParsedFile
from scanner.policy.evaluate import RuleBreach, decide
from scanner.propagate.records import RawFinding
from scanner.propagate.values import Fact, SourceOrigin, Step
from scanner.rules.schema import RuleSet


class Positions:
    """Line/column of nodes, computed per file on first use."""

    def __init__(self, files: dict[str, ParsedFile]) -> None:
        self.files = files
        self._maps: dict[str, dict[cst.CSTNode, CodeRange]] = {}

    def locate(self, path: str, node: cst.CSTNode) -> Location:
        """The location of `node` in file `path`, with the code of its first line."""
        parsed = self.files.get(path)
        if parsed is None:
            return Location(path, 0, 0)
        mapping = self._maps.get(path)
        if mapping is None:
            wrapper = MetadataWrapper(parsed.module, unsafe_skip_copy=True)
            mapping = dict(wrapper.resolve(PositionProvider))
            self._maps[path] = mapping
        pos = mapping.get(node)
        if pos is None:
            return Location(path, 0, 0)
        start, end = pos.start, pos.end
        return Location(path, start.line, start.column + 1, end.line, end.column + 1,
                        parsed.line_text(start.line))


def build_findings(raw: Iterable[RawFinding], ruleset: RuleSet, files: dict[str, ParsedFile]) -> list[Finding]:
    """Apply the policy to raw hits and produce sorted, de-duplicated findings."""
    positions = Positions(files)
    best: dict[tuple[object, ...], tuple[RawFinding, str, tuple[str, ...], Verdict]] = {}
    key: tuple[object, ...]
    kinds_acc: dict[tuple[object, ...], set[str]] = {}
    hashed_acc: dict[tuple[object, ...], bool] = {}
    for hit in raw:
        fact, site = hit.fact, hit.site
        assert isinstance(fact.origin, SourceOrigin)
        for verdict in decide(ruleset, fact.shape.all_kinds, site.destination, fact.hashed):
            if fact.cleared:
                verdict = _uncleared(verdict, fact)
                if not verdict.kinds:
                    continue  # a scoped sanitizer or guard cleared it for this rule
            key = (verdict.rule_id, fact.origin, site.path, id(site.node))
            kinds_acc.setdefault(key, set()).update(verdict.kinds)
            hashed_acc[key] = hashed_acc.get(key, True) and fact.hashed
            old = best.get(key)
            if old is None or len(fact.trace) < len(old[0].fact.trace):
                best[key] = (hit, verdict.rule_id, verdict.kinds, verdict.verdict)
    findings = []
    for key, (hit, rule_id, _, verdict_name) in best.items():
        rule = ruleset.rules[rule_id]
        fact, site = hit.fact, hit.site
        origin = fact.origin
        assert isinstance(origin, SourceOrigin)
        kinds = tuple(sorted(kinds_acc[key]))
        steps = tuple(_step(positions, s) for s in fact.trace)
        source_loc = positions.locate(origin.path, origin.node)
        sink_loc = positions.locate(site.path, site.node)
        destination = Destination(site.destination, site.host)
        hashed = hashed_acc[key]
        message = (
            f"{'hashed ' if hashed else ''}buyer {', '.join(kinds)} from `{origin.callee}` "
            f"(line {source_loc.line}) reaches `{site.callee}`: {destination.describe()}"
        )
        findings.append(Finding(
            rule_id=rule_id, rule_name=rule.name, severity=rule.severity, verdict=verdict_name,
            message=message, pii_kinds=kinds, hashed=hashed, sink_kind=site.kind,
            destination=destination, source_rule=origin.rule_id, sink_rule=site.rule_id,
            source=source_loc, sink=sink_loc, steps=steps,
        ))
    findings.sort(key=lambda f: f.sort_key)
    return findings


def _uncleared(breach: RuleBreach, fact: Fact) -> RuleBreach:
    """The breach without the kinds cleared for its rule on the fact's path."""
    kinds = tuple(k for k in breach.kinds if not fact.is_cleared(breach.rule_id, k))
    return RuleBreach(breach.rule_id, breach.verdict, kinds)


def _step(positions: Positions, step: Step) -> TraceStep:
    return TraceStep(positions.locate(step.path, step.node), step.action, step.kind)
