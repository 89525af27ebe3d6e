"""What a culture decides: the compiled evaluator, the reference interpreter, decisions."""

from crmculture.evaluate.combine import DirectiveOutcome, Overridden
from crmculture.evaluate.compiler import CompiledPolicy, compile_policy
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.many import Kept
from crmculture.evaluate.reference import ReferenceEvaluator

__all__ = [
    "CompiledPolicy",
    "Decision",
    "DirectiveOutcome",
    "Kept",
    "Overridden",
    "ReferenceEvaluator",
    "compile_policy",
]
