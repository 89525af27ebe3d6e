"""Rules' and promises' governance metadata and effective dates in documents: loaded, dumped,
checked against the JSON Schema, and round-tripped in every format."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from crmculture import DocumentError, Policy, Promise, dump_policy, load_policy
from crmculture.io.json_schema import json_schema
from crmculture.testing import as_of_dates, policies

FORMATS = ("yaml", "json", "toml")

DOCUMENT = """\
format: crmculture/1
name: kyc
facts:
  verified_on: {type: date, optional: true}
  vip: {type: bool}
directives:
  reverify: {type: bool, default: false}
  route_to: {type: text, default: desk}
rules:
  - id: stale
    when: verified_on < as_of - 365 days
    then: {reverify: true}
    owner: kyc-team
    approved_by: head-of-compliance
    ticket: CHG-7
    tags: [kyc, compliance]
  - id: spring-vip
    when: vip
    then: {route_to: vip-desk}
    effective_from: 2026-03-01
    effective_until: "2026-05-31"
promises:
  - id: stale-reverified
    when: verified_on < as_of - 365 days
    then: {reverify: true}
    owner: kyc-team
    effective_from: 2026-01-01
"""


class TestLoading:
    def test_metadata_and_dates_are_read(self) -> None:
        """Every governance key is read; dates come as YAML dates or ISO text."""
        policy = load_policy(DOCUMENT)
        stale, vip = policy.rule("stale"), policy.rule("spring-vip")
        assert (stale.owner, stale.approved_by, stale.ticket, stale.tags) == (
            "kyc-team",
            "head-of-compliance",
            "CHG-7",
            ("compliance", "kyc"),
        )
        assert (vip.effective_from, vip.effective_until) == (
            dt.date(2026, 3, 1),
            dt.date(2026, 5, 31),
        )
        promise = policy.promise("stale-reverified")
        assert (promise.owner, promise.effective_from) == ("kyc-team", dt.date(2026, 1, 1))
        assert policy.as_of_users == ("spring-vip", "stale", "stale-reverified")

    def test_the_document_is_valid_against_the_json_schema(self) -> None:
        """The shipped schema accepts the governance keys (dates as text)."""
        text = DOCUMENT.replace("2026-03-01", '"2026-03-01"')
        raw = yaml.safe_load(text.replace("from: 2026-01-01", 'from: "2026-01-01"'))
        jsonschema.validate(raw, json_schema())
        load_policy(text)
        raw["rules"][0]["owner"] = ["not", "text"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(raw, json_schema())

    @pytest.mark.parametrize(
        ("replace", "by", "where", "message"),
        [
            (
                "effective_from: 2026-03-01",
                "effective_from: soon",
                "effective_from",
                "is a date YYYY-MM-DD",
            ),
            (
                'effective_until: "2026-05-31"',
                'effective_until: "2026-02-01"',
                "effective_until",
                "is before `effective_from`",
            ),
            ("owner: kyc-team\n    approved_by", "owner: [a]\n    approved_by", "owner", ""),
            ("tags: [kyc, compliance]", "tags: [kyc, 3]", "tags", ""),
        ],
        ids=["not-a-date", "until-before-from", "owner-not-text", "tag-not-text"],
    )
    def test_bad_metadata_is_a_document_error_at_its_path(
        self, replace: str, by: str, where: str, message: str
    ) -> None:
        """A bad governance value is reported at its key, nothing loaded."""
        assert replace in DOCUMENT
        with pytest.raises(DocumentError) as caught:
            load_policy(DOCUMENT.replace(replace, by, 1))
        paths = [problem.path for problem in caught.value.problems]
        assert any(where in path for path in paths), paths
        assert message in str(caught.value)


def test_structured_conditions_name_the_as_of_date() -> None:
    """`{as_of: N}` in a structured condition is the as-of date shifted by N days."""
    text = DOCUMENT.replace(
        "when: verified_on < as_of - 365 days",
        'when: {fact: verified_on, op: "<", value: {as_of: -365}}',
        1,
    )
    assert str(load_policy(text).rule("stale").when) == "verified_on < as_of - 365 days"


@st.composite
def governed(draw: st.DrawFn) -> Policy:
    """Generated policies using the as-of date, with governance metadata on rules and
    promises."""
    policy = draw(policies(as_of=True))
    text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)

    def metadata() -> dict[str, Any]:
        return {
            "owner": draw(text),
            "approved_by": draw(text),
            "ticket": draw(text),
            "tags": draw(st.lists(text.filter(bool), max_size=3)),
        }

    rules = [attrs.evolve(rule, **metadata()) for rule in policy.rules]
    start = draw(st.none() | as_of_dates())
    promise = (
        Promise(
            "p",
            when=True,
            then=dict(policy.rules[0].then) if policy.rules else {},
            **metadata(),
            effective_from=start,
        )
        if policy.rules
        else None
    )
    return attrs.evolve(policy, rules=rules, promises=() if promise is None else (promise,))


@given(governed(), st.sampled_from(FORMATS))
def test_governed_policies_round_trip(policy: Policy, format: str) -> None:
    """load(dump(policy)) == policy with every metadata field and date, in every format, and
    dumping again changes nothing."""
    text = dump_policy(policy, format)  # type: ignore[arg-type]
    loaded = load_policy(text, format)  # type: ignore[arg-type]
    assert loaded == policy
    assert loaded.fingerprint == policy.fingerprint
    assert dump_policy(loaded, format) == text  # type: ignore[arg-type]
