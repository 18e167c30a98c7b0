"""What the reports say about the engines beyond the taint analysis (semgrep): SARIF
tool extensions, one invocation per extra engine (a failed engine is
`executionSuccessful: false` with an error notification, so a missing or crashed
semgrep never reads as a clean scan) and per-engine run properties."""

from __future__ import annotations

from typing import Any

from scanner.model import EngineRun, EngineStatus, ScanResult

INFORMATION_URIS = {"semgrep": "https://semgrep.dev"}
TAINT = "taint"


def extra_engines(result: ScanResult) -> list[EngineRun]:
    """The engines other than the taint analysis that ran or failed."""
    return [e for e in result.engines
            if e.name != TAINT and e.status in (EngineStatus.OK, EngineStatus.FAILED)]


def sarif_extensions(result: ScanResult) -> list[dict[str, Any]]:
    """`tool.extensions`: one tool component per extra engine."""
    out = []
    for engine in extra_engines(result):
        component: dict[str, Any] = {"name": engine.name}
        if engine.version:
            component["version"] = engine.version
        if engine.name in INFORMATION_URIS:
            component["informationUri"] = INFORMATION_URIS[engine.name]
        out.append(component)
    return out


def sarif_invocations(result: ScanResult) -> list[dict[str, Any]]:
    """One invocation per extra engine; a failed one carries an error notification."""
    out = []
    for engine in extra_engines(result):
        ok = engine.status is EngineStatus.OK
        invocation: dict[str, Any] = {
            "executionSuccessful": ok,
            "toolExecutionNotifications": [] if ok else [{
                "level": "error",
                "descriptor": {"id": "engine-failed"},
                "message": {"text": f"The {engine.name} engine failed, so its rules were not "
                                    f"checked: {engine.message}"},
            }],
            "properties": {"engine": engine.name, "status": engine.status.value,
                           "filesAnalysed": len(engine.files)},
        }
        if not ok:
            invocation["exitCodeDescription"] = engine.message
        out.append(invocation)
    return out


def engine_properties(result: ScanResult) -> list[dict[str, Any]]:
    """Run properties: each engine's status and how many files it analysed."""
    return [{"name": e.name, "status": e.status.value, "filesAnalysed": len(e.files)}
            for e in result.engines]
