"""What a culture says: facts, conditions, directives, rules and policies (frozen values)."""

from crmculture.model.conditions import (
    ALWAYS,
    NEVER,
    And,
    Between,
    Compare,
    Condition,
    Const,
    D,
    F,
    FactRef,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import Fact, Freshness, Schema
from crmculture.model.policies import Layer, Policy
from crmculture.model.promises import Promise
from crmculture.model.rules import Rule
from crmculture.model.values import AS_OF, NO_DEFAULT, AsOf

__all__ = [
    "ALWAYS",
    "AS_OF",
    "NEVER",
    "NO_DEFAULT",
    "And",
    "AsOf",
    "Between",
    "Combine",
    "Compare",
    "Condition",
    "Const",
    "D",
    "Directive",
    "F",
    "Fact",
    "FactRef",
    "Freshness",
    "In",
    "Layer",
    "Missing",
    "Not",
    "Or",
    "Policy",
    "Promise",
    "Rule",
    "Schema",
]
