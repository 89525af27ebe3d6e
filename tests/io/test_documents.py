"""Culture documents: round trips in three formats, and precise errors for malformed ones."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crmculture import (
    Condition,
    CrmCultureError,
    Culture,
    DocumentError,
    F,
    Fact,
    Policy,
    PolicyError,
    Rule,
    dump,
    dump_policy,
    load,
    load_policy,
)
from crmculture.io.documents import policy_document, read_document
from crmculture.stories import acme_culture, acme_policy
from crmculture.testing import cultures, policies

MALFORMED = Path(__file__).parent / "malformed"
FORMATS = ["yaml", "json", "toml"]

# file -> (path, line, column, what the message says); source: written for this corpus.
EXPECTED: dict[str, tuple[str, int | None, int | None, str]] = {
    "01_unknown_fact_in_when.yaml": (
        "rules[0].when",
        16,
        26,
        "unknown fact `days_overdu` (did you mean `days_overdue`?)",
    ),
    "02_unknown_top_key.yaml": ("factz", 3, 8, "unknown key `factz` (did you mean `facts`?)"),
    "03_missing_format.yaml": ("", 1, 1, "must start with `format: crmculture/1`"),
    "04_wrong_format.yaml": ("format", 1, 9, "unsupported format `crmculture/9`"),
    "05_unknown_fact_key.yaml": (
        "facts.credit_hold.beter",
        6,
        37,
        "unknown key `beter` (did you mean `better`?)",
    ),
    "06_unknown_fact_type.yaml": (
        "facts.credit_hold.type",
        6,
        24,
        "unknown fact type `boolean` (did you mean `bool`?)",
    ),
    "07_min_above_max.yaml": (
        "facts.days_overdue.min",
        7,
        34,
        "min `4000` is greater than max `3650`",
    ),
    "08_duplicate_rule_id.yaml": ("rules[1].id", 19, 9, "rule id `credit-hold` is used twice"),
    "09_directive_value_outside_domain.yaml": (
        "rules[1].then.service_level",
        21,
        27,
        "`platinum` is not one of the allowed values",
    ),
    "10_unknown_directive_in_then.yaml": (
        "rules[1].then.service_levl",
        21,
        26,
        "unknown directive `service_levl` (did you mean `service_level`?)",
    ),
    "11_layer_sets_uniform.yaml": (
        "layers[0].rules[0].then.route_to",
        28,
        26,
        "department layer `support` may not set the uniform directive `route_to`",
    ),
    "12_unquoted_string_in_condition.yaml": (
        "rules[1].when",
        20,
        19,
        'strings need double quotes: "gold"',
    ),
    "13_version_not_a_string.yaml": ("version", 3, 10, "expected a string, got float"),
    "14_wrong_type_bool.yaml": (
        "directives.may_ship.default",
        13,
        40,
        "expected a bool, got str `'yes please'`",
    ),
    "15_unknown_combine.yaml": (
        "directives.service_level.combine",
        12,
        102,
        "unknown combine strategy `maximum` (did you mean `max`?)",
    ),
    "16_combine_not_for_type.yaml": (
        "directives.may_ship.combine",
        13,
        55,
        "combine `sum` does not apply to a `bool`",
    ),
    "17_rule_missing_then.yaml": ("rules[1].then", 19, 5, "required key is missing"),
    "18_rule_not_a_mapping.yaml": ("rules[1]", 19, 5, "a rule is a mapping with `id`"),
    "19_duplicate_key.yaml": ("facts.credit_hold", 8, 3, "key is given twice"),
    "20_yaml_syntax_error.yaml": ("", 18, 14, "invalid YAML"),
    "21_enum_value_not_string.yaml": (
        "facts.tier.values[2]",
        8,
        55,
        "expected a string, got int `3`",
    ),
    "22_default_outside_domain.yaml": (
        "facts.balance.default",
        9,
        66,
        "`-5` is below the minimum 0",
    ),
    "23_department_unknown.yaml": (
        "layers[0].departments",
        24,
        18,
        "unknown department `suport` (did you mean `support`?)",
    ),
    "24_priority_not_int.yaml": ("rules[0].priority", 18, 15, "expected an integer, got str"),
    "25_condition_syntax_error.yaml": (
        "layers[0].rules[0].when",
        27,
        36,
        "expected a fact name, `not` or `(`, found the end",
    ),
    "26_ordering_unordered.yaml": (
        "rules[1].when",
        20,
        23,
        "`>` does not apply to the boolean fact `credit_hold`",
    ),
    "27_structured_unknown_op.yaml": ("rules[1].when.op", 20, 28, "unknown operator `=>`"),
    "28_structured_bad_shape.yaml": (
        "rules[1].when.all",
        20,
        17,
        "`all` takes a list of at least two conditions",
    ),
    "29_rules_not_a_list.yaml": ("rules", 14, 8, "expected a list, got dict"),
    "30_better_invalid.yaml": (
        "facts.tier.better",
        8,
        80,
        "better must be `higher` or `lower`, not `up`",
    ),
    "31_constant_outside_domain.yaml": (
        "rules[0].when",
        16,
        41,
        "`9000` is above the maximum 3650",
    ),
    "32_top_level_list.yaml": ("", 1, 1, "a culture document is a mapping of keys, not list"),
    "33_json_wrong_value_type.json": (
        "rules[0].then.route_to",
        20,
        21,
        "expected a string, got int `5`",
    ),
    "34_json_duplicate_key.json": ("name", 4, 3, "key is given twice"),
    "35_json_syntax_error.json": ("", 4, 13, "invalid JSON: expected a key in double quotes"),
    "36_toml_unknown_key.toml": ("facts.credit_hold.colour", None, None, "unknown key `colour`"),
    "37_toml_syntax_error.toml": ("", 2, 8, "invalid TOML"),
    "38_not_utf8.yaml": ("", None, None, "not UTF-8 text: byte 27 is `0xff`"),
    "39_org_handoff_to_unknown_department.yaml": (
        "org.handoffs[0].to",
        34,
        25,
        "unknown department `suport` (did you mean `support`?)",
    ),
    "40_org_guard_unknown_directive.yaml": (
        "org.handoffs[0].when",
        34,
        85,
        "unknown directive `rout_to` (did you mean `route_to`?)",
    ),
    "41_org_handoff_uses_source_key.yaml": (
        "org.handoffs[0].source",
        34,
        16,
        "unknown key `source` (a handoff goes `from`",
    ),
    "42_promise_unknown_fact.yaml": (
        "promises[0].when",
        31,
        11,
        "unknown fact `credit_hol` (did you mean `credit_hold`?)",
    ),
    "43_promise_unknown_directive.yaml": (
        "promises[0].then.may_shp",
        32,
        21,
        "unknown directive `may_shp` (did you mean `may_ship`?)",
    ),
    "44_promise_value_outside_domain.yaml": (
        "promises[0].then.service_level",
        32,
        27,
        "`gold` is not one of the allowed values",
    ),
    "45_promise_then_wrong_type.yaml": (
        "promises[0].then",
        32,
        11,
        "`then` is a mapping of directive values or a condition over the decision, not list",
    ),
    "46_promise_condition_unknown_directive.yaml": (
        "promises[0].then",
        32,
        11,
        "unknown directive `service_levl` (did you mean `service_level`?)",
    ),
    "47_promise_then_reads_a_fact.yaml": (
        "promises[0].then",
        32,
        11,
        "unknown fact `service_level` (did you mean `decision.service_level`?)",
    ),
    "48_promise_overrides.yaml": (
        "promises[0].overrides",
        33,
        16,
        "unknown key `overrides` (a promise is kept by rules: `overrides: true` goes on the rule",
    ),
    "49_overrides_not_a_bool.yaml": (
        "layers[0].rules[0].overrides",
        27,
        20,
        "expected true or false, got str `'yes please'`",
    ),
    "50_layer_overriding_rule_sets_uniform.yaml": (
        "layers[0].rules[0].then.route_to",
        28,
        51,
        "department layer `support` may not hold an overriding rule that sets the uniform "
        "directive `route_to`",
    ),
    "51_promise_department_unknown.yaml": (
        "promises[0].departments",
        33,
        18,
        "unknown department `suport` (did you mean `support`?)",
    ),
}


class TestMalformed:
    def test_the_corpus_is_complete(self) -> None:
        """Every file in the corpus has an expectation, and there are at least 30."""
        files = sorted(p.name for p in MALFORMED.iterdir() if not p.name.startswith("_"))
        assert files == sorted(EXPECTED)
        assert len(files) >= 30

    def test_the_base_document_is_valid(self) -> None:
        """The corpus is built from a valid document, so each file has exactly its fault."""
        policy = load_policy(MALFORMED / "_base.yaml")
        assert [rule.id for rule in policy.effective_rules] == [
            "best-customers",
            "credit-hold",
            "support-priority",
        ]

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_each_fault_is_reported_at_its_place(self, name: str) -> None:
        """The first problem names the document path, line, column and reason."""
        path, line, column, reason = EXPECTED[name]
        with pytest.raises(DocumentError) as raised:
            load(MALFORMED / name)
        problem = raised.value.problems[0]
        assert (problem.path_text, problem.line, problem.column) == (path, line, column)
        assert reason in problem.message
        assert str(MALFORMED / name) in str(raised.value)

    def test_every_problem_is_reported_at_once(self) -> None:
        """Several faults in one document are all listed, in document order."""
        text = (MALFORMED / "_base.yaml").read_text()
        text = text.replace("days_overdue > 60", "days_overdu > 60")
        text = text.replace("then: {service_level: white_glove}", "then: {service_level: gold}")
        text = text.replace(
            "balance:      {type: decimal,", "balance:      {type: decimal, colour: 1,"
        )
        with pytest.raises(DocumentError) as raised:
            load_policy(text)
        assert [p.path_text for p in raised.value.problems] == [
            "facts.balance.colour",
            "rules[0].when",
            "rules[1].then.service_level",
        ]

    def test_rules_using_a_broken_fact_are_not_reported_twice(self) -> None:
        """A fact with a problem is reported once, not again in every rule that uses it."""
        text = (MALFORMED / "_base.yaml").read_text()
        text = text.replace("credit_hold:  {type: bool,", "credit_hold:  {type: bool, colour: red,")
        with pytest.raises(DocumentError) as raised:
            load_policy(text)
        assert [p.path_text for p in raised.value.problems] == ["facts.credit_hold.colour"]


ORG = """
org:
  departments:
    sales: {resolves: [quote]}
    support: {resolves: [technical_question]}
  handoffs:
    - {from: sales, to: suport, requests: [technical_question]}
"""


class TestEverySection:
    """Each section is checked whatever is broken in another, without follow-on noise."""

    def test_mistakes_in_three_sections_are_all_reported(self) -> None:
        """An unknown combine, a repeated rule id and a handoff to a misspelled department
        are reported together, each at its place."""
        text = (MALFORMED / "_base.yaml").read_text()
        text = text.replace("combine: max}", "combine: maximum}")
        text = text.replace("id: best-customers", "id: credit-hold")
        with pytest.raises(DocumentError) as raised:
            load(text + ORG)
        found = [(p.path_text, p.message) for p in raised.value.problems]
        assert found == [
            (
                "directives.service_level.combine",
                "unknown combine strategy `maximum` (did you mean `max`?)",
            ),
            ("rules[1].id", "rule id `credit-hold` is used twice"),
            ("org.handoffs[0].to", "unknown department `suport` (did you mean `support`?)"),
        ]

    def test_a_broken_directive_does_not_hide_the_policy_checks(self) -> None:
        """A layer setting a uniform directive is reported next to a broken directive."""
        text = (MALFORMED / "_base.yaml").read_text()
        text = text.replace("combine: max}", "combine: maximum}")
        text = text.replace("then: {service_level: priority}", "then: {route_to: support_desk}")
        with pytest.raises(DocumentError) as raised:
            load(text)
        paths = [p.path for p in raised.value.problems]
        assert paths == [
            ("directives", "service_level", "combine"),
            ("layers", 0, "rules", 0, "then", "route_to"),
        ]

    def test_the_org_is_checked_when_the_policy_is_broken(self) -> None:
        """A handoff's problems are reported even when no directive is valid."""
        text = (MALFORMED / "_base.yaml").read_text()
        text = text.replace("{type: bool, default: true,", "{type: boolean, default: true,")
        text = text.replace("{type: text, default: frontline, uniform: true}", "{type: txt}")
        text = text.replace("service_level: {type: enum,", "service_level: {type: emun,")
        with pytest.raises(DocumentError) as raised:
            load(text + ORG)
        paths = [p.path_text for p in raised.value.problems]
        assert paths == [
            "directives.route_to.type",
            "directives.service_level.type",
            "directives.may_ship.type",
            "org.handoffs[0].to",
        ]


class TestOneChecker:
    """A condition written as text, as a structured mapping or in Python is checked by the same
    checker: the same mistake gets the same message."""

    @pytest.mark.parametrize(
        ("text", "structured", "python"),
        [
            pytest.param(
                "credit_hold > true",
                "{fact: credit_hold, op: '>', value: true}",
                F.credit_hold > True,
                id="order-on-bool",
            ),
            pytest.param(
                "days_overdu > 1",
                "{fact: days_overdu, op: '>', value: 1}",
                F.days_overdu > 1,
                id="unknown-fact",
            ),
            pytest.param(
                'tier == "diamond"',
                "{fact: tier, value: diamond}",
                F.tier == "diamond",
                id="value-outside-domain",
            ),
            pytest.param(
                "days_overdue between 9 and 1",
                "{fact: days_overdue, op: between, value: [9, 1]}",
                F.days_overdue.between(9, 1),
                id="reversed-between",
            ),
        ],
    )
    def test_the_same_mistake_gets_the_same_message(
        self, text: str, structured: str, python: Condition
    ) -> None:
        """Text, structured document and `F` give one message."""
        base = (MALFORMED / "_base.yaml").read_text()
        messages = []
        for when in (f"'{text}'", structured):
            with pytest.raises(DocumentError) as raised:
                load_policy(base.replace("when: days_overdue == 0", f"when: {when}"))
            messages.append(raised.value.problems[0].message.split("\n")[0])
        policy = load_policy(base)
        with pytest.raises(PolicyError) as python_raised:
            Policy(
                "p",
                policy.schema,
                policy.directives,
                [Rule("r", when=python, then={"route_to": "x"})],
            )
        messages.append(python_raised.value.problems[0].message)
        assert len(set(messages)) == 1, messages

    def test_a_structured_problem_points_at_its_part(self) -> None:
        """A structured atom's problem is reported at the key it is about."""
        base = (MALFORMED / "_base.yaml").read_text()
        when = "{all: [{fact: tier, value: gold}, {fact: credit_hold, op: '>', value: true}]}"
        with pytest.raises(DocumentError) as raised:
            load_policy(base.replace("when: days_overdue == 0", f"when: {when}"))
        (problem,) = raised.value.problems
        assert problem.path == ("layers", 0, "rules", 0, "when", "all", 1, "op")


class TestPathsAreData:
    def test_rewording_a_message_does_not_move_the_problem(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The loader places a model problem by its path, never by reading its message."""
        text = (MALFORMED / "07_min_above_max.yaml").read_text()
        with pytest.raises(DocumentError) as before:
            load(text)
        original = Fact._definition_problems

        def reworded(fact: Fact) -> Iterator[tuple[str | None, str]]:
            for field, message in original(fact):
                yield field, "REWORDED " + message[::-1]

        monkeypatch.setattr(Fact, "_definition_problems", reworded)
        with pytest.raises(DocumentError) as after:
            load(text)
        where = [(p.path, p.line, p.column) for p in before.value.problems]
        assert where == [(p.path, p.line, p.column) for p in after.value.problems]
        assert after.value.problems[0].message.startswith("REWORDED")


class TestRoundTrip:
    @pytest.mark.parametrize("format", FORMATS)
    def test_the_acme_policy_round_trips(self, format: str) -> None:
        """load(dump(policy)) == policy, and a second round trip changes nothing."""
        text = dump_policy(acme_policy(), format)  # type: ignore[arg-type]
        loaded = load_policy(text, format)  # type: ignore[arg-type]
        assert loaded == acme_policy()
        assert loaded.fingerprint == acme_policy().fingerprint
        assert dump_policy(loaded, format) == text  # type: ignore[arg-type]

    @pytest.mark.parametrize("format", FORMATS)
    def test_control_characters_in_text_round_trip(self, format: str) -> None:
        """TOML forbids a raw DEL (U+007F) in strings, and YAML folds NEL and the Unicode line
        separators outside double quotes; both are written escaped (found by the round-trip
        property under the larger Hypothesis profile)."""
        description = "tab\there, del\x7f, nul\x00, nel\x85, ls\u2028, ps\u2029 é"
        policy = attrs.evolve(acme_policy(), description=description)
        loaded = load_policy(dump_policy(policy, format), format)  # type: ignore[arg-type]
        assert loaded.description == policy.description

    @given(policies(), st.sampled_from(FORMATS))
    def test_generated_policies_round_trip(self, policy: Policy, format: str) -> None:
        """Every generated policy survives dump and load in every format."""
        text = dump_policy(policy, format)  # type: ignore[arg-type]
        loaded = load_policy(text, format)  # type: ignore[arg-type]
        assert loaded == policy
        assert loaded.fingerprint == policy.fingerprint
        assert dump_policy(loaded, format) == text  # type: ignore[arg-type]

    @given(cultures(), st.sampled_from(FORMATS))
    def test_generated_cultures_round_trip(self, culture: Culture, format: str) -> None:
        """load(dump(culture)) == culture, org and all, and dumping again changes nothing."""
        text = dump(culture, format)  # type: ignore[arg-type]
        loaded = load(text, format)  # type: ignore[arg-type]
        assert loaded == culture
        assert dump(loaded, format) == text  # type: ignore[arg-type]

    @pytest.mark.parametrize("format", FORMATS)
    def test_the_acme_culture_round_trips(self, format: str) -> None:
        """The replacement-part org survives every format."""
        text = dump(acme_culture(), format)  # type: ignore[arg-type]
        assert load(text, format) == acme_culture()  # type: ignore[arg-type]

    def test_a_document_without_org_is_a_culture_with_an_empty_org(self) -> None:
        """load() of a policy-only document gives an empty org; dump() leaves `org` out."""
        culture = load(dump_policy(acme_policy()))
        assert culture.policy == acme_policy()
        assert culture.org.departments == ()
        assert "org" not in dump(culture)

    @given(policies())
    def test_the_three_formats_load_to_equal_policies(self, policy: Policy) -> None:
        """YAML, JSON and TOML carry the same structure."""
        loaded = [load_policy(dump_policy(policy, f), f) for f in FORMATS]  # type: ignore[arg-type]
        assert loaded[0] == loaded[1] == loaded[2]

    def test_the_format_is_sniffed_from_text_and_taken_from_extensions(
        self, tmp_path: Path
    ) -> None:
        """Text is recognised as JSON, TOML or YAML; files by their extension."""
        for format in FORMATS:
            text = dump_policy(acme_policy(), format)  # type: ignore[arg-type]
            assert read_document(text)[3] == format
            file = tmp_path / f"acme.{'yml' if format == 'yaml' else format}"
            file.write_text(text)
            assert load_policy(file) == acme_policy()
            assert load_policy(str(file)) == acme_policy()

    def test_structured_conditions_load_and_dump_as_text(self) -> None:
        """{all/any/not/fact-op-value} conditions are accepted; dump writes text."""
        document = policy_document(acme_policy())
        rules = {rule["id"]: rule for rule in document["rules"]}
        rules["credit-hold"]["when"] = {
            "any": [
                {"fact": "credit_hold", "value": True},
                {"fact": "days_overdue", "op": ">", "value": 60},
            ]
        }
        rules["best-customers"]["when"] = {
            "all": [
                {"fact": "tier", "op": ">=", "value": "gold"},
                {"not": "credit_hold"},
            ]
        }
        import json

        loaded = load_policy(json.dumps(document), "json")
        assert loaded == acme_policy()


def _load(source: str | bytes, format: str | None) -> Policy | DocumentError:
    """The policy `source` holds, or the library's error saying why it holds none; any other
    exception propagates and fails the test."""
    try:
        return load_policy(source, format)  # type: ignore[arg-type]
    except DocumentError as error:
        return error


def _assert_loads_or_explains(outcome: Policy | DocumentError) -> None:
    """A policy that loads writes back to itself; one that does not comes with at least one
    problem, each with a path (a tuple) and a message."""
    if isinstance(outcome, DocumentError):
        assert outcome.problems, f"a DocumentError without problems: {outcome}"
        for problem in outcome.problems:
            assert isinstance(problem.path, tuple)
            assert problem.message
    else:
        assert load_policy(dump_policy(outcome, "json"), "json") == outcome


class TestFuzz:
    @given(st.text(max_size=300))
    # Found under the larger profile: YAML `?` is a mapping whose key is null.
    @example(text="?")
    @example(text="{1: 2}")
    def test_arbitrary_text_raises_only_library_errors(self, text: str) -> None:
        """Any text either loads or raises a crmculture error."""
        for format in FORMATS:
            with contextlib.suppress(CrmCultureError):
                load_policy(text, format)  # type: ignore[arg-type]

    @given(st.binary(max_size=200))
    def test_arbitrary_bytes_raise_only_library_errors(self, data: bytes) -> None:
        """Any bytes either load or raise a crmculture error that says what is wrong."""
        _assert_loads_or_explains(_load(data, None))

    @given(st.data())
    def test_mutated_documents_raise_only_library_errors(self, data: st.DataObject) -> None:
        """A valid document with a value replaced by junk loads or fails cleanly."""
        document = policy_document(acme_policy())
        junk = data.draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=5),
                st.booleans(),
                st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            )
        )
        section = data.draw(st.sampled_from(["facts", "directives", "rules", "top"]))
        if section == "top":
            key = data.draw(st.sampled_from(sorted(document)))
            document[key] = junk
        elif section == "rules":
            rule = data.draw(st.sampled_from(document["rules"]))
            rule[data.draw(st.sampled_from(sorted(rule)))] = junk
        else:
            entry = document[section][data.draw(st.sampled_from(sorted(document[section])))]
            entry[data.draw(st.sampled_from([*sorted(entry), "extra"]))] = junk
        import json

        outcome = _load(json.dumps(document), "json")
        _assert_loads_or_explains(outcome)
        if isinstance(outcome, DocumentError) and section != "top":
            # The problem is reported where the junk went, or where it is used.
            assert any(p.path[:1] in ((section,), ("rules",)) for p in outcome.problems)
