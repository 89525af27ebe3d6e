"""The served culture: one immutable snapshot of a culture file, loaded, compiled and checked.

A `ServedCulture` holds everything a request needs (the policy, its compiled evaluator, its
decision encoder, the documents `GET /v1/culture` and `GET /openapi.json` answer with), built
once by `load_served`. The service swaps one snapshot for another in a single assignment, and
each request reads the current snapshot once, so that it is answered by one culture from its
start to its end, whatever reloads happen meanwhile.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from crmculture.analysis.verifier import check_promises
from crmculture.culture import Culture
from crmculture.errors import CrmCultureError, Problem, _ProblemsError
from crmculture.evaluate.compiler import CompiledPolicy
from crmculture.evaluate.decision_text import DecisionText
from crmculture.io.documents import load
from crmculture.io.tables import is_table, table_policies
from crmculture.model.policies import Policy
from crmculture.model.values import json_value
from crmculture.org.graph import OrgGraph
from crmculture.service.openapi import culture_schemas, openapi_document

__all__ = ["CultureRejected", "ServedCulture", "load_served"]


class CultureRejected(_ProblemsError, ValueError):
    """A culture file the service will not serve: it does not load, it names a kept field
    that is a fact, or it breaks one of its promises. ``problems`` lists every reason."""


@attrs.frozen(eq=False)
class ServedCulture:
    """One culture as the service serves it; never changed once built.

    Attributes:
        path: The culture file it was loaded from.
        culture: The culture.
        decide: The policy's compiled evaluator.
        encoder: The policy's decision encoder (the text of `crmculture.Decision.to_dict`).
        keep: The fields of a record that are not facts and travel to its answer.
        unproven: The ids of promises whose check ran out of budget (served, and said so).
        culture_json: The body of ``GET /v1/culture``.
        openapi_json: The body of ``GET /openapi.json``.
    """

    path: Path
    culture: Culture
    decide: CompiledPolicy
    encoder: DecisionText
    keep: tuple[str, ...]
    unproven: tuple[str, ...]
    culture_json: bytes
    openapi_json: bytes

    @property
    def policy(self) -> Policy:
        """The culture's policy."""
        return self.culture.policy

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the culture's policy: what every decision it makes names."""
        return self.policy.fingerprint

    def summary(self) -> dict[str, Any]:
        """Name, version and fingerprint, as responses name the culture that answered."""
        policy = self.policy
        return {"name": policy.name, "version": policy.version, "fingerprint": self.fingerprint}


def load_served(
    path: str | os.PathLike[str], *, keep: Sequence[str] = (), decision: str | None = None
) -> ServedCulture:
    """Load, compile and check a culture file for serving.

    Args:
        path: The culture file, or a decision table (a ``.dmn`` model, a ``.csv`` or
            ``.xlsx`` sheet; `crmculture.io.tables`), served as a culture without an org.
        keep: Fields of each record that are not facts (a customer id): they are copied into
            every answer and error about the record, and never checked as facts.
        decision: The decision table to serve of a DMN model with several, by name or id.

    Returns:
        The snapshot to serve.

    Raises:
        CultureRejected: with every problem, when the file cannot be read or loaded, a kept
            field is a fact, or the policy breaks a promise (`crmculture check` says how).

    Examples:
        >>> served = load_served("examples/acme-culture.yaml", keep=["customer_id"])
        >>> served.policy.name, len(served.fingerprint), served.keep
        ('acme', 64, ('customer_id',))
        >>> load_served("examples/acme-culture.yaml", keep=["tier"])
        Traceback (most recent call last):
        ...
        crmculture.service.served.CultureRejected: culture not served: keep[0]: kept field `tier` is a fact: keep fields that are not facts
    """  # noqa: E501 - an error's text is one line
    where = Path(path)
    if not where.is_file():
        reason = "not a file" if where.exists() else "no such file"
        raise CultureRejected(
            "culture not served", [Problem((), f"cannot read `{where}`: {reason}")]
        )
    try:
        culture = _culture(where, decision)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CultureRejected(
            "culture not served", [Problem((), f"cannot read `{where}`: {reason}")]
        ) from None
    except _ProblemsError as error:
        raise CultureRejected("culture not served", error.problems) from None
    except CrmCultureError as error:
        raise CultureRejected("culture not served", [Problem((), str(error))]) from None
    policy = culture.policy
    keep = tuple(keep)
    problems = [
        Problem(("keep", n), f"kept field `{name}` is a fact: keep fields that are not facts")
        for n, name in enumerate(keep)
        if name in policy.schema
    ]
    unproven: list[str] = []
    if policy.promises:
        report = check_promises(policy)
        for finding in report.findings:
            promise = getattr(finding, "promise", "")
            if finding.kind == "broken_promise":
                problems.append(Problem(("promises", promise), str(finding)))
            elif finding.kind == "unproven_promise":
                unproven.append(promise)
    if problems:
        raise CultureRejected("culture not served", problems)
    decide = policy.compile()
    summary = {"name": policy.name, "version": policy.version, "fingerprint": policy.fingerprint}
    return ServedCulture(
        path=where,
        culture=culture,
        decide=decide,
        encoder=DecisionText(policy),
        keep=keep,
        unproven=tuple(sorted(set(unproven))),
        culture_json=_json(_culture_document(culture, keep, summary)),
        openapi_json=_json(openapi_document(policy, keep)),
    )


def _culture(where: Path, decision: str | None) -> Culture:
    """The culture of a culture file, or of a decision-table file (one table, no org)."""
    if not is_table(where):
        if decision is not None:
            raise CultureRejected(
                "culture not served",
                [Problem((), f"decision `{decision}` picks a table of a .dmn model only")],
            )
        return load(where)
    try:
        tables = table_policies(where, decision=decision)
    except _ProblemsError as error:  # keep what its summary says (a decision it lacks)
        raise CultureRejected(
            "culture not served", [Problem((), error.summary), *error.problems]
        ) from None
    if len(tables) > 1:
        names = ", ".join(f"`{name}`" for name, _ in tables)
        raise CultureRejected(
            "culture not served",
            [Problem((), f"{len(tables)} decision tables ({names}): pick one with --decision")],
        )
    return Culture(tables[0][1], OrgGraph([]))


def _culture_document(
    culture: Culture, keep: tuple[str, ...], summary: dict[str, Any]
) -> dict[str, Any]:
    """What a client needs to build requests: the facts with their types and domains, the
    directives, the departments, the kept fields, and the JSON Schema of a customer."""
    policy = culture.policy
    canonical = policy.canonical()
    return {
        **summary,
        "culture_fingerprint": summary["fingerprint"],
        "description": policy.description,
        "facts": json_value(canonical["facts"]),
        "directives": json_value(canonical["directives"]),
        "departments": None if policy.departments is None else list(policy.departments),
        "keep": list(keep),
        "schemas": culture_schemas(policy, keep),
    }


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8")
