"""A Stockade rule plugin in Python, built with componentize-py against wit/stockade-plugin.wit.

It checks that every container of a workload sets a memory limit, and points a failure at the
missing field (Stockade places it at its closest existing parent).
"""

import json

from wit_world import exports
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    Control,
    Evaluation,
    Finding,
    PluginMetadata,
    RuleInfo,
    Severity,
    Status,
)

RULE = "LIM001"

# Where each kind keeps its pod template.
POD_SPEC = {
    "Pod": "/spec",
    "Deployment": "/spec/template/spec",
    "StatefulSet": "/spec/template/spec",
    "DaemonSet": "/spec/template/spec",
    "ReplicaSet": "/spec/template/spec",
    "Job": "/spec/template/spec",
    "CronJob": "/spec/jobTemplate/spec/template/spec",
}


def settings_of(text: str) -> dict:
    try:
        settings = json.loads(text)
    except ValueError as e:
        raise Err(f"settings are not JSON: {e}")
    if not isinstance(settings, dict):
        raise Err("settings must be a mapping")
    unknown = sorted(set(settings) - {"kinds", "crash"})
    if unknown:
        raise Err(f"unknown setting(s): {', '.join(unknown)} (known: kinds, crash)")
    kinds = settings.get("kinds", sorted(POD_SPEC))
    if not isinstance(kinds, list) or not all(k in POD_SPEC for k in kinds):
        raise Err(f"kinds must be a list of: {', '.join(sorted(POD_SPEC))}")
    return {"kinds": kinds, "crash": settings.get("crash") is True}


def at(value, pointer: str):
    """The value at a JSON pointer, or None."""
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class Rule(exports.Rule):
    def metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="memory-limits",
            version="0.1.0",
            rules=[
                RuleInfo(
                    code=RULE,
                    title="Containers set a memory limit",
                    severity=Severity.MEDIUM,
                    description="A container without a memory limit can take a node's memory "
                    "and have its neighbours killed.",
                    remediation="Set resources.limits.memory on every container.",
                    controls=[Control(benchmark="nsa-cisa", id="pod-security/resource-limits")],
                )
            ],
        )

    def validate_settings(self, settings: str) -> None:
        settings_of(settings)

    def evaluate(self, input: Evaluation) -> list:
        settings = settings_of(input.settings)
        if settings["crash"]:
            # For the tests: an exception that is not an `Err` traps (the Python runtime panics).
            raise RuntimeError("asked to crash")
        kinds = settings["kinds"]
        findings = []
        for index, resource in enumerate(input.resources):
            if resource.kind not in kinds:
                continue
            spec = POD_SPEC[resource.kind]
            obj = json.loads(resource.object)
            containers = at(obj, spec + "/containers")
            for i, container in enumerate(containers if isinstance(containers, list) else []):
                name = container.get("name") if isinstance(container, dict) else None
                pointer = f"{spec}/containers/{i}/resources/limits/memory"
                if at(obj, pointer) is None:
                    status, message = Status.FAIL, f"container {name} sets no memory limit"
                else:
                    status, message, pointer = Status.PASS, f"container {name} has a memory limit", ""
                findings.append(
                    Finding(
                        rule=RULE,
                        resource=index,
                        pointer=pointer,
                        status=status,
                        message=message,
                        container=name if isinstance(name, str) else None,
                    )
                )
        host.log(host.LogLevel.DEBUG, f"{len(findings)} findings")
        return findings
