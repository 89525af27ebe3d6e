"""Specification of the lookup errors: library errors that are also `KeyError`s."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from crmculture import (
    CrmCultureError,
    UnknownDirectiveError,
    UnknownFactError,
    UnknownRuleError,
)
from crmculture.stories import acme_policy, acme_schema

LOOKUPS = [
    pytest.param(
        lambda: acme_policy().directive("may_shop"),
        UnknownDirectiveError,
        "unknown directive `may_shop` (did you mean `may_ship`?)",
        ("directive", "may_shop"),
        id="policy-directive",
    ),
    pytest.param(
        lambda: acme_policy().rule("credit-hol"),
        UnknownRuleError,
        "unknown rule id `credit-hol` (did you mean `credit-hold`?)",
        ("rule_id", "credit-hol"),
        id="policy-rule",
    ),
    pytest.param(
        lambda: acme_policy().rule("zzz"),
        UnknownRuleError,
        "unknown rule id `zzz`",
        ("rule_id", "zzz"),
        id="policy-rule-no-suggestion",
    ),
    pytest.param(
        lambda: acme_schema()["days_overdu"],
        UnknownFactError,
        "unknown fact `days_overdu` (did you mean `days_overdue`?)",
        ("fact", "days_overdu"),
        id="schema-fact",
    ),
]


def _raised(lookup: Callable[[], object]) -> CrmCultureError:
    try:
        lookup()
    except CrmCultureError as error:
        return error
    raise AssertionError("the lookup did not raise")


class TestLookupErrors:
    """`Policy.directive`, `Policy.rule` and `Schema[name]` raise library errors."""

    @pytest.mark.parametrize(("lookup", "kind", "message", "attribute"), LOOKUPS)
    def test_library_error_with_data(
        self,
        lookup: Callable[[], object],
        kind: type[CrmCultureError],
        message: str,
        attribute: tuple[str, str],
    ) -> None:
        """The error is the library's, with a one-line lowercase message and the name asked
        for in an attribute."""
        error = _raised(lookup)
        name, value = attribute
        expected = (kind, message, value)
        assert expected == (type(error), str(error), getattr(error, name))

    @pytest.mark.parametrize(("lookup", "kind", "message", "attribute"), LOOKUPS)
    def test_caught_as_key_error(
        self,
        lookup: Callable[[], object],
        kind: type[CrmCultureError],
        message: str,
        attribute: tuple[str, str],
    ) -> None:
        """Code that does not know crmculture still catches it with ``except KeyError``."""
        with pytest.raises(KeyError) as caught:
            lookup()
        assert isinstance(caught.value, kind)

    @pytest.mark.parametrize(("lookup", "kind", "message", "attribute"), LOOKUPS)
    def test_pickles(
        self,
        lookup: Callable[[], object],
        kind: type[CrmCultureError],
        message: str,
        attribute: tuple[str, str],
    ) -> None:
        """The error survives a pickle round trip (to and from worker processes), with its
        message and every data attribute."""
        error = _raised(lookup)
        copy = pickle.loads(pickle.dumps(error))
        name, value = attribute
        assert value == vars(error)[name]
        expected = (type(error), str(error), vars(error))
        assert expected == (type(copy), str(copy), vars(copy))

    @pytest.mark.parametrize(
        "error",
        [
            pytest.param(UnknownRuleError(3, ["a"]), id="rule"),
            pytest.param(UnknownFactError(None, ["a"]), id="fact"),
        ],
    )
    def test_name_that_is_not_a_string(self, error: CrmCultureError) -> None:
        """A name that is not a string is shown as it is, without a suggestion."""
        assert str(error).startswith("unknown ")
        assert "did you mean" not in str(error)
