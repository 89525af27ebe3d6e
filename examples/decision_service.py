"""Embed crmculture in an existing service: compile once at start-up, decide per request.

The handler takes a JSON request body ``{"department": ..., "customer": {...}}`` and returns a
JSON response: the decision (with its fingerprint, for the audit log) or the list of problems
with the customer record. Run it: ``python examples/decision_service.py``.
"""

from __future__ import annotations

import json
from typing import Any

from crmculture import CrmCultureError, InvalidCustomer
from crmculture.stories import acme_policy

# Compile once, when the service starts: a CompiledPolicy is pure and safe to share between
# the threads of a web server.
DECIDE = acme_policy().compile()


def handle(body: str) -> tuple[int, str]:
    """Answer one request: (HTTP status, JSON body)."""
    request: dict[str, Any] = json.loads(body)
    try:
        decision = DECIDE(request["customer"], department=request.get("department"))
    except InvalidCustomer as error:
        problems = [{"path": p.path_text, "message": p.message} for p in error.problems]
        return 422, json.dumps({"error": "invalid customer", "problems": problems})
    except CrmCultureError as error:
        return 409, json.dumps({"error": str(error)})
    return 200, json.dumps(
        {
            "directives": json.loads(decision.to_json())["directives"],
            "fingerprint": decision.fingerprint,
            "why": decision.explain(),
        }
    )


def main() -> None:
    requests = [
        {
            "department": "engineering",
            "customer": {
                "credit_hold": True,
                "days_overdue": 0,
                "annual_volume": 9000,
                "tier": "gold",
            },
        },
        {
            "department": "sales",
            "customer": {
                "credit_hold": False,
                "days_overdue": 0,
                "annual_volume": 400_000,
                "tier": "platinum",
            },
        },
        {"department": "sales", "customer": {"credit_hold": "no", "tier": "diamond"}},
    ]
    for request in requests:
        status, body = handle(json.dumps(request))
        shown = json.loads(body)
        shown.pop("why", None)
        print(status, json.dumps(shown, sort_keys=True))


if __name__ == "__main__":
    main()
