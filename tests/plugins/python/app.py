"""A Stockade rule plugin in Python, built with componentize-py against wit/ by the tests.

Every object must carry an owner label (`owner` unless the settings name another).
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host, types


def label_of(settings: str) -> str:
    value = json.loads(settings)
    if not isinstance(value, dict):
        raise Err("settings must be a JSON object")
    label = value.get("label", "owner")
    if not isinstance(label, str) or not label:
        raise Err("`label` must be a non-empty string")
    return label


class Rule(exports.Rule):
    def metadata(self) -> types.PluginMetadata:
        return types.PluginMetadata(
            name="owner-label-py",
            version="0.1.0",
            rules=[
                types.RuleInfo(
                    code="PY001",
                    title="Objects name their owner in a label",
                    severity=types.Severity.LOW,
                    description="Every object carries an owner label, so that a finding reaches a team.",
                    remediation="Add the owner label (`metadata.labels.owner`).",
                    controls=[],
                )
            ],
        )

    def validate_settings(self, settings: str) -> None:
        label_of(settings)

    def evaluate(self, input: types.Evaluation) -> list[types.Finding]:
        label = label_of(input.settings)
        findings = []
        for index, resource in enumerate(input.resources):
            labels = (json.loads(resource.object).get("metadata") or {}).get("labels") or {}
            if label in labels:
                findings.append(
                    types.Finding(
                        rule="PY001",
                        resource=index,
                        pointer=f"/metadata/labels/{label}",
                        status=types.Status.PASS,
                        message=f"owned by {labels[label]}",
                        container=None,
                    )
                )
            else:
                findings.append(
                    types.Finding(
                        rule="PY001",
                        resource=index,
                        pointer="/metadata/labels",
                        status=types.Status.FAIL,
                        message=f"no `{label}` label",
                        container=None,
                    )
                )
        host.log(host.LogLevel.INFO, f"checked {len(input.resources)} objects")
        return findings
