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

import attrs

from crmculture.culture import Culture
from crmculture.model import D, Directive, F, Fact, Layer, Policy, Promise, Rule, Schema
from crmculture.org.graph import Department, Handoff, OrgGraph, Referral

__all__ = [
    "ACME_DEPARTMENTS",
    "acme_culture",
    "acme_org",
    "acme_policy",
    "acme_promises",
    "acme_schema",
    "crm_initiative_policy",
    "example_customers",
    "profitable_customer_policy",
    "warehouse_culture",
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
        Directive.enum(
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
            overrides=True,
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
        promises=acme_promises(),
    )


def acme_promises() -> list[Promise]:
    """ACME's non-negotiables, which `crmculture.analysis.check_promises` proves.

    Examples:
        >>> from crmculture.analysis import check_promises
        >>> check_promises(acme_policy()).clean("promises")
        True
    """
    return [
        Promise(
            "credit-hold-goes-to-accounts-receivable",
            when=F.credit_hold,
            then={"route_to": "accounts_receivable", "may_ship": False, "may_quote": False},
            rationale="Nobody ships, quotes or helps around accounts receivable.",
        ),
        Promise(
            "discount-cap",
            when=True,
            then=D.discount_pct <= 15,
            rationale="No customer gets more than 15% off.",
        ),
        Promise(
            "best-customers-first",
            when=(F.tier >= "gold") & (F.days_overdue <= 30) & ~F.credit_hold,
            then=D.service_level >= "priority",
            rationale="A gold customer who pays on time never gets less than priority service.",
        ),
    ]


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


_ON_HOLD_MESSAGE = (
    "Your account is on hold until accounts receivable clears the balance;"
    " I'll put you through to them."
)
"""What every ACME department tells a customer on hold who asks for a replacement part."""

_CLEAR_THE_HOLD_MESSAGE = (
    "Your account is on hold: we can clear the balance or set up a payment plan now,"
    " and the part ships once the hold is lifted."
)
"""What accounts receivable itself tells that customer."""


def acme_org() -> OrgGraph:
    """ACME's six departments and the handoffs between them, as they are today.

    The replacement-part story:

    - A customer the policy routes to accounts receivable (credit hold, or more than 60 days
      overdue) who asks any department for a replacement part is *referred* to accounts
      receivable, with a message saying why: that is the culture's answer, not a dead end
      (`crmculture.Referral`). For anything else they are sent there (a redirect).
    - Sales sends a customer in good standing to engineering, which identifies the part and
      hands it to shipping; support and billing do the same.
    - But sales will not pass on a customer with any overdue days without a detour: billing,
      then accounts receivable, which releases the order to engineering. That customer talks
      to five departments to get one part.
    - Shipping resolves a replacement part only for a customer the policy lets it ship to
      (``resolves_when``): a customer on hold who walks up to the shipping desk is sent to
      accounts receivable too.

    Examples:
        >>> acme_org().names
        ('accounts_receivable', 'billing', 'engineering', 'sales', 'shipping', 'support')
    """
    good_standing = D.route_to != "accounts_receivable"
    on_hold = D.route_to == "accounts_receivable"
    part = ["replacement_part"]
    hold = Referral(
        "accounts_receivable",
        part,
        when=on_hold,
        message=_ON_HOLD_MESSAGE,
    )
    # The model covers two requests: a replacement part, and a payment plan.
    departments = [
        Department(
            "accounts_receivable",
            ["payment_plan"],
            refers=[attrs.evolve(hold, message=_CLEAR_THE_HOLD_MESSAGE)],
        ),
        Department("billing", refers=[hold]),
        Department("engineering", refers=[hold]),
        Department("sales", refers=[hold]),
        Department(
            "shipping",
            ["replacement_part"],
            resolves_when={"replacement_part": D.may_ship},
            refers=[hold],
        ),
        Department("support", refers=[hold]),
    ]
    redirects = [
        Handoff(source, "accounts_receivable", when=on_hold, kind="redirect", minutes=5)
        for source in ("billing", "engineering", "sales", "shipping", "support")
    ]
    payment_plans = [
        Handoff(source, "accounts_receivable", ["payment_plan"], when=good_standing, minutes=5)
        for source in ("billing", "engineering", "sales", "shipping", "support")
    ]
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
        Handoff(
            "billing",
            "engineering",
            part,
            when=good_standing & (F.days_overdue == 0),
            minutes=10,
        ),
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


def warehouse_culture() -> Culture:
    """Eight departments where a warehouse releases a part to shipping only for a customer
    who owes nothing; anyone else goes through receivables, the credit check, first.

    The reorganisation story: merging the warehouse and shipping into one fulfilment desk
    shortens every long journey, and makes the warehouse's guarded handoff to shipping
    (``days_overdue == 0``) an internal step: the customers it stopped now skip the credit
    check. `crmculture.analysis.what_if.compare` reports that dropped checkpoint, and the
    customers, next to the metrics. Customers on credit hold (or more than 60 days overdue)
    are referred to receivables by every department.

    Examples:
        >>> culture = warehouse_culture()
        >>> late = {"credit_hold": False, "days_overdue": 12}
        >>> print(culture.journey(late, "part", door="sales"))
        sales -> engineering -> warehouse -> receivables -> shipping (resolved, 4 handoffs, 60 minutes)
    """  # noqa: E501
    schema = Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline"),
        Directive.bool("may_ship", default=True, combine="all"),
    ]
    hold_rule = Rule(
        "credit-hold",
        F.credit_hold | (F.days_overdue > 60),
        {"route_to": "receivables", "may_ship": False},
        rationale="Whoever the customer talks to sends them to receivables.",
    )
    policy = Policy("warehouse", schema, directives, [hold_rule], version="1")
    part = ["part"]
    on_hold = Referral(
        "receivables",
        part,
        when=D.route_to == "receivables",
        message="Your account is on hold until receivables clears the balance.",
    )
    names = [
        "billing",
        "engineering",
        "receivables",
        "returns",
        "sales",
        "shipping",
        "support",
        "warehouse",
    ]
    departments = [
        Department(name, refers=[on_hold])
        if name != "shipping"
        else Department(name, part, resolves_when={"part": D.may_ship}, refers=[on_hold])
        for name in names
    ]
    handoffs = [
        Handoff("sales", "engineering", part, minutes=10),
        Handoff("support", "engineering", part, minutes=10),
        Handoff("billing", "engineering", part, minutes=10),
        Handoff("returns", "warehouse", part, minutes=10),
        Handoff("engineering", "warehouse", part, minutes=20),
        Handoff("warehouse", "shipping", part, when=F.days_overdue == 0, minutes=10),
        Handoff(
            "warehouse",
            "receivables",
            part,
            when=(D.route_to != "receivables") & (F.days_overdue > 0),
            minutes=15,
        ),
        Handoff("receivables", "shipping", part, when=D.route_to != "receivables", minutes=15),
    ]
    return Culture(policy, OrgGraph(departments, handoffs))


# -- identify, attract, retain the most profitable customer ---------------------------------


def profitable_customer_policy() -> Policy:
    """Identify, attract and retain the most profitable customers.

    Value and profitability facts put every customer (and prospect) in a segment; the segment
    brings an offer; a valuable customer at risk of leaving gets a retention action. The
    segment is *monotone*: a customer who brings more revenue at a better margin is never in
    a lower segment, and the verifier proves it over every customer.

    Examples:
        >>> decide = profitable_customer_policy().compile()
        >>> star = {"annual_revenue": 800_000, "margin_pct": 34.0, "years_as_customer": 6,
        ...         "churn_risk": "high"}
        >>> decision = decide(star)
        >>> decision["segment"], decision["offer"], decision["retention_action"]
        ('most_profitable', ('dedicated_engineer', 'early_access'), ('account_review', 'executive_call', 'loyalty_credit'))
        >>> decide({**star, "margin_pct": 3.0})["segment"]
        'unprofitable'
    """  # noqa: E501
    schema = Schema(
        [
            Fact.int(
                "annual_revenue",
                min=0,
                better="higher",
                description="Revenue over the last twelve months, in dollars (0 for a prospect).",
            ),
            Fact.float(
                "margin_pct",
                min=-100,
                max=100,
                optional=True,
                better="higher",
                description="Margin after the cost to serve, in percent; missing for a prospect.",
            ),
            Fact.int("years_as_customer", min=0, better="higher"),
            Fact.enum(
                "churn_risk",
                ["high", "medium", "low"],
                better="higher",
                description="From the churn model: how likely the customer is to leave.",
            ),
            Fact.bool("is_prospect", optional=True, default=False),
            Fact.int(
                "lookalike_score",
                min=0,
                max=100,
                optional=True,
                default=0,
                description="How much a prospect looks like our most profitable customers.",
            ),
        ]
    )
    directives = [
        Directive.enum(
            "segment",
            ["unprofitable", "standard", "valuable", "most_profitable"],
            default="standard",
            combine="max",
            monotone=True,
            description="Where the customer stands, by value and profitability.",
        ),
        Directive.text(
            "offer",
            values=["dedicated_engineer", "early_access", "pilot_project", "self_service_portal"],
            combine="collect",
        ),
        Directive.text(
            "retention_action",
            values=["account_review", "executive_call", "loyalty_credit"],
            combine="collect",
        ),
        Directive.bool("account_manager", default=False, combine="any", monotone=True),
    ]
    rules = [
        Rule(
            "identify-most-profitable",
            when=(F.annual_revenue >= 500_000) & (F.margin_pct >= 30),
            then={
                "segment": "most_profitable",
                "offer": "dedicated_engineer",
                "account_manager": True,
            },
            rationale="The few customers who make most of our profit get a named engineer.",
        ),
        Rule(
            "identify-valuable",
            when=(F.annual_revenue >= 100_000) & (F.margin_pct >= 20),
            then={"segment": "valuable", "offer": "early_access"},
            rationale="Valuable customers see new products first.",
        ),
        Rule(
            "identify-unprofitable",
            when=F.margin_pct < 5,
            then={"segment": "unprofitable", "offer": "self_service_portal"},
            rationale="Customers we lose money on are served well, and cheaply.",
        ),
        Rule(
            "attract-lookalikes",
            when=F.is_prospect & (F.lookalike_score >= 70),
            then={"offer": "pilot_project"},
            rationale="Prospects who look like our best customers get a pilot project.",
        ),
        Rule(
            "retain-valuable-at-risk",
            when=(F.churn_risk == "high") & (F.annual_revenue >= 100_000) & (F.margin_pct >= 20),
            then={"retention_action": ["executive_call", "loyalty_credit"]},
            rationale="Losing a valuable customer costs more than keeping them.",
        ),
        Rule(
            "retain-long-standing",
            when=(F.years_as_customer >= 5) & (F.churn_risk != "low"),
            then={"retention_action": "account_review"},
            rationale="A long relationship that wobbles deserves a review.",
        ),
    ]
    return Policy(
        "profitable-customers",
        schema,
        directives,
        rules,
        version="2026.11",
        description="Identify, attract and retain the most profitable customers.",
    )


# -- a CRM initiative, judged as a policy -------------------------------------------------------


def crm_initiative_policy() -> Policy:
    """The warning signs of a CRM initiative, as a policy over the initiative itself.

    The "customer" here is a CRM project: was the culture defined before the software was
    chosen, is there an executive sponsor, do the departments agree on how to treat a
    customer, how good is the data, how many departments does a customer talk to. The
    decision is a risk level, the warnings (collected, with their reasons) and whether to go
    ahead. A healthier project is never judged riskier (``risk_level`` is monotone).

    Examples:
        >>> decide = crm_initiative_policy().compile()
        >>> healthy = {"culture_defined_first": True, "executive_sponsor": True,
        ...            "departments_agree_on_treatment": True,
        ...            "software_chosen_before_process": False, "data_quality_pct": 95,
        ...            "departments_per_request": 2, "phase": "selection"}
        >>> decision = decide(healthy)
        >>> decision["risk_level"], decision["warning"], decision["proceed"]
        ('low', (), True)
        >>> typical = {**healthy, "culture_defined_first": False,
        ...            "software_chosen_before_process": True, "data_quality_pct": 55}
        >>> decision = decide(typical)
        >>> decision["risk_level"], decision["proceed"], len(decision["warning"])
        ('critical', False, 3)
    """
    schema = Schema(
        [
            Fact.bool(
                "culture_defined_first",
                better="higher",
                description="Leadership decided how customers are treated before any software.",
            ),
            Fact.bool("executive_sponsor", better="higher"),
            Fact.bool(
                "departments_agree_on_treatment",
                better="higher",
                description="Every department treats a customer in a given condition alike.",
            ),
            Fact.bool("software_chosen_before_process", better="lower"),
            Fact.int(
                "data_quality_pct",
                min=0,
                max=100,
                better="higher",
                description="Customer records that pass validation, in percent.",
            ),
            Fact.int(
                "departments_per_request",
                min=1,
                max=50,
                better="lower",
                description="The most departments a customer talks to for one request.",
            ),
            Fact.enum("phase", ["planning", "selection", "rollout", "live"]),
        ]
    )
    directives = [
        Directive.enum(
            "risk_level",
            ["critical", "high", "medium", "low"],
            default="low",
            combine="min",
            monotone=True,
            description="From least to most favourable: the worst risk any sign gives wins.",
        ),
        Directive.text("warning", combine="collect"),
        Directive.bool("proceed", default=True, combine="all", monotone=True),
    ]
    rules = [
        Rule(
            "no-culture",
            when=~F.culture_defined_first,
            then={
                "risk_level": "high",
                "warning": "no customer culture: decide how customers are treated first",
            },
            rationale="Software automates a culture; it cannot invent one.",
        ),
        Rule(
            "software-first",
            when=F.software_chosen_before_process,
            then={
                "risk_level": "high",
                "warning": "software chosen before the process: the tool will set the rules",
            },
            rationale="Installing software first is how most CRM projects fail.",
        ),
        Rule(
            "no-sponsor",
            when=~F.executive_sponsor,
            then={"risk_level": "medium", "warning": "no executive sponsor"},
            rationale="Treating customers the same everywhere needs someone who can insist.",
        ),
        Rule(
            "departments-disagree",
            when=~F.departments_agree_on_treatment,
            then={
                "risk_level": "high",
                "warning": "departments treat the same customer differently",
            },
            rationale="A customer should get the same answer from every department.",
        ),
        Rule(
            "poor-data",
            when=F.data_quality_pct < 80,
            then={"risk_level": "medium", "warning": "customer data below 80% quality"},
            rationale="Bad records must be rejected loudly, and many bad records stall a CRM.",
        ),
        Rule(
            "unusable-data",
            when=F.data_quality_pct < 60,
            then={"risk_level": "critical", "proceed": False},
            rationale="With this much bad data, no rule can be applied with confidence.",
        ),
        Rule(
            "too-many-departments",
            when=F.departments_per_request >= 5,
            then={
                "risk_level": "high",
                "warning": "customers talk to five or more departments for one request",
            },
            rationale="If a customer needs five departments, change the organisation first.",
        ),
        Rule(
            "rollout-without-culture",
            when=(F.phase == "rollout") & ~F.culture_defined_first,
            then={"risk_level": "critical", "proceed": False},
            rationale="Rolling out a CRM without a culture makes the chaos permanent.",
        ),
    ]
    return Policy(
        "crm-initiative",
        schema,
        directives,
        rules,
        version="2026.11",
        description="The warning signs of a CRM initiative, judged before it fails.",
    )
