"""The tke-llm rules as CrossGuard policies (pulumi-policy). `__main__.py` serves them as a pack;
tests build `ResourceValidationArgs` / `StackValidationArgs` and call `validate` directly."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from tke_llm_rules import RESOURCE_RULES, STACK_RULES, Res

PACK_NAME = "tke-llm"


def _res(resource: Any) -> Res:
    """ResourceValidationArgs and PolicyResource carry the same fields."""
    opts = getattr(resource, "opts", None)
    return Res(type=resource.resource_type, props=resource.props, name=resource.name, urn=resource.urn,
               protect=bool(getattr(opts, "protect", False)))


def _resource_policy(name: str, rule, description: str) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(_res(args)):
            report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


def _stack_policy(name: str, rule, description: str) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in rule([_res(r) for r in args.resources]):
            report_violation(message, urn)

    return StackValidationPolicy(name=name, description=description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY)


def policies() -> list:
    return [
        *(_resource_policy(name, rule, desc) for name, (rule, desc) in RESOURCE_RULES.items()),
        *(_stack_policy(name, rule, desc) for name, (rule, desc) in STACK_RULES.items()),
    ]
