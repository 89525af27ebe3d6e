"""The built-in example culture of ACME Industrial, built from the stories crmculture exists for.

- A customer on credit hold gets no engineering answers, quotes, replacement parts or shipments
  from anyone: every department politely sends them to accounts receivable.
- The best customers get the best service; a high-volume customer who pays on time is never
  treated worse than a delinquent one.
- Each department may add its own touches (support calls back customers with many open
  tickets) but may not change what the company declared uniform.

`make demo` and the docs use it; so can you, to try the library out.

Examples:
    >>> policy = acme_policy()
    >>> [d.name for d in policy.directives]
    ['route_to', 'service_level', 'may_ship', 'may_quote', 'discount_pct', 'notify']
"""

from __future__ import annotations

from decimal import Decimal

from crmculture.culture import Culture
from crmculture.model import D, Directive, F, Fact, Layer, Policy, Rule, Schema
from crmculture.org.graph import Department, Handoff, OrgGraph

__all__ = [
    "ACME_DEPARTMENTS",
    "acme_culture",
    "acme_org",
    "acme_policy",
    "acme_schema",
    "example_customers",
]

ACME_DEPARTMENTS = (
    "accounts_receivable",
    "billing",
    "engineering",
    "sales",
    "shipping",
    "support",
)


def acme_schema() -> Schema:
    """The customer facts ACME's culture talks about."""
    return Schema(
        [
            Fact.bool(
                "credit_hold", better="lower", description="Finance has put the account on hold."
            ),
            Fact.int(
                "days_overdue",
                min=0,
                max=3650,
                better="lower",
                description="Days the oldest unpaid invoice is past due.",
            ),
            Fact.int(
                "annual_volume",
                min=0,
                better="higher",
                description="Purchases over the last twelve months, in dollars.",
            ),
            Fact.enum("tier", ["bronze", "silver", "gold", "platinum"], better="higher"),
            Fact.bool("is_reseller", optional=True, default=False),
            Fact.enum("region", ["amer", "apac", "emea"], optional=True),
            Fact.float(
                "satisfaction",
                min=0,
                max=10,
                optional=True,
                better="higher",
                description="Latest survey score; missing when never surveyed.",
            ),
            Fact.int("open_tickets", min=0, optional=True, default=0),
            Fact.decimal(
                "balance",
                min=0,
                optional=True,
                default=Decimal(0),
                description="Outstanding balance in dollars.",
            ),
        ]
    )


def acme_policy() -> Policy:
    """ACME's customer-treatment policy: company-wide rules and a support layer."""
    directives = [
        Directive.text(
            "route_to",
            default="frontline",
            combine="first",
            uniform=True,
            description="Who handles the customer, whoever they contacted.",
        ),
        Directive.ordered(
            "service_level",
            ["standard", "priority", "white_glove"],
            default="standard",
            combine="max",
            monotone=True,
        ),
        Directive.bool("may_ship", default=True, combine="all", uniform=True, monotone=True),
        Directive.bool("may_quote", default=True, combine="all", uniform=True, monotone=True),
        Directive.int("discount_pct", min=0, max=30, default=0, combine="max", monotone=True),
        Directive.text(
            "notify",
            values=["account_manager", "accounts_receivable", "customer_success"],
            combine="collect",
        ),
    ]
    company = [
        Rule(
            "credit-hold",
            when=F.credit_hold | (F.days_overdue > 60),
            then={
                "route_to": "accounts_receivable",
                "may_ship": False,
                "may_quote": False,
                "notify": "accounts_receivable",
            },
            rationale="Whoever the customer talks to sends them to accounts receivable.",
        ),
        Rule(
            "best-customers",
            when=(F.tier >= "gold") & ~F.credit_hold,
            then={"service_level": "white_glove"},
            rationale="Our best customers get our best service.",
        ),
        Rule(
            "high-volume-pays-on-time",
            when=(F.annual_volume >= 250_000) & (F.days_overdue <= 30) & ~F.credit_hold,
            then={"service_level": "priority", "discount_pct": 5},
            rationale="A high-volume customer who pays on time is never second class.",
        ),
        Rule(
            "platinum-loyalty",
            when=(F.tier == "platinum") & (F.days_overdue == 0),
            then={"discount_pct": 10, "notify": "account_manager"},
            rationale="Platinum customers in good standing keep their loyalty discount.",
        ),
        Rule(
            "unhappy-customer",
            when=F.satisfaction < 5,
            then={"service_level": "priority", "notify": "customer_success"},
            rationale="A customer who told us they are unhappy is called back first.",
        ),
        Rule(
            "resellers-to-partners",
            when=F.is_reseller & ~F.credit_hold,
            then={"route_to": "channel_partners"},
            priority=10,
            rationale="Resellers have a partner desk that knows their contracts.",
        ),
    ]
    support = Layer(
        "support",
        ["support"],
        [
            Rule(
                "support-many-tickets",
                when=F.open_tickets >= 3,
                then={"service_level": "priority", "notify": "customer_success"},
                rationale="Three open tickets means we are failing this customer.",
            ),
        ],
    )
    return Policy(
        "acme",
        acme_schema(),
        directives,
        company,
        layers=[support],
        departments=ACME_DEPARTMENTS,
        version="2026.11",
        description="How ACME Industrial treats its customers, in every department.",
    )


def example_customers() -> dict[str, dict[str, object]]:
    """A few named customers that show the culture at work."""
    return {
        "on credit hold, asking engineering": {
            "credit_hold": True,
            "days_overdue": 0,
            "annual_volume": 9_000,
            "tier": "gold",
        },
        "high volume, pays on time": {
            "credit_hold": False,
            "days_overdue": 3,
            "annual_volume": 480_000,
            "tier": "silver",
            "region": "emea",
            "satisfaction": 8.5,
        },
        "platinum, unhappy, many tickets": {
            "credit_hold": False,
            "days_overdue": 0,
            "annual_volume": 1_200_000,
            "tier": "platinum",
            "satisfaction": 3.0,
            "open_tickets": 4,
        },
        "delinquent reseller": {
            "credit_hold": False,
            "days_overdue": 95,
            "annual_volume": 60_000,
            "tier": "bronze",
            "is_reseller": True,
            "balance": Decimal("18250.00"),
        },
    }


# -- the org: the replacement-part story ----------------------------------------------------


def acme_org() -> OrgGraph:
    """ACME's six departments and the handoffs between them, as they are today.

    The replacement-part story:

    - From any department, a customer the policy routes to accounts receivable (credit hold,
      or more than 60 days overdue) is sent there, whatever they asked for.
    - Sales sends a customer in good standing to engineering, which identifies the part and
      hands it to shipping; support does the same.
    - But sales will not pass on a customer with any overdue days without a detour: billing,
      then accounts receivable, which releases the order to engineering. That customer talks
      to five departments to get one part.

    Examples:
        >>> acme_org().names
        ('accounts_receivable', 'billing', 'engineering', 'sales', 'shipping', 'support')
    """
    good_standing = D.route_to != "accounts_receivable"
    on_hold = D.route_to == "accounts_receivable"
    # The model covers two requests: a replacement part, and a payment plan.
    departments = [
        Department("accounts_receivable", ["payment_plan"]),
        Department("billing"),
        Department("engineering"),
        Department("sales"),
        Department("shipping", ["replacement_part"]),
        Department("support"),
    ]
    redirects = [
        Handoff(source, "accounts_receivable", when=on_hold, kind="redirect", minutes=5)
        for source in ("billing", "engineering", "sales", "shipping", "support")
    ]
    payment_plans = [
        Handoff(source, "accounts_receivable", ["payment_plan"], when=good_standing, minutes=5)
        for source in ("billing", "engineering", "sales", "shipping", "support")
    ]
    part = ["replacement_part"]
    parts = [
        Handoff(
            "sales", "engineering", part, when=good_standing & (F.days_overdue == 0), minutes=20
        ),
        Handoff("sales", "billing", part, when=good_standing & (F.days_overdue > 0), minutes=10),
        Handoff(
            "billing",
            "accounts_receivable",
            part,
            when=good_standing & (F.days_overdue > 0),
            minutes=15,
        ),
        Handoff("accounts_receivable", "engineering", part, when=good_standing, minutes=15),
        Handoff("support", "engineering", part, when=good_standing, minutes=10),
        Handoff("engineering", "shipping", part, when=D.may_ship, minutes=30),
    ]
    return OrgGraph(departments, [*redirects, *payment_plans, *parts])


def acme_culture() -> Culture:
    """ACME's policy (`acme_policy`) with its org (`acme_org`).

    Examples:
        >>> culture = acme_culture()
        >>> good = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
        >>> culture.journey(good, "replacement_part", door="sales").departments
        ('sales', 'engineering', 'shipping')
        >>> late = {**good, "days_overdue": 12}
        >>> culture.journey(late, "replacement_part", door="sales").touched
        5
    """
    return Culture(acme_policy(), acme_org())
