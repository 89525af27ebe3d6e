"""The documentation says what the code does: the metrics a comparison knows, and the API
reference's signatures (constructors shown, no private names)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from crmculture.analysis.org_metrics import RequestMetrics
from crmculture.analysis.what_if import MetricDelta, compare
from crmculture.stories import acme_culture

ROOT = Path(__file__).parent.parent


class TestMetricDelta:
    def documented(self) -> list[str]:
        """The metric names `MetricDelta`'s docstring lists."""
        doc = MetricDelta.__doc__ or ""
        part = doc.split("metric:", 1)[1].split("(each", 1)[0]
        return re.findall(r"``(\w+)``", part)

    def test_the_docstring_lists_exactly_the_metrics_compared(self) -> None:
        """Every metric of a comparison is documented, and every documented one exists."""
        culture = acme_culture()
        comparison = compare(culture, culture)
        compared = list(dict.fromkeys(delta.metric for delta in comparison.deltas))
        assert self.documented() == compared

    def test_each_documented_metric_is_an_attribute_of_request_metrics(self) -> None:
        """The docstring's claim: each is an attribute or property of RequestMetrics."""
        metrics = RequestMetrics("*")
        for name in self.documented():
            assert hasattr(metrics, name), name

    @pytest.mark.parametrize("name", ["resolved", "first_contact"])
    def test_the_counts_are_compared_as_shares(self, name: str) -> None:
        """`resolved` and `first_contact` are not metrics of a comparison (their shares are):
        asking for one is a KeyError, as the docstring says."""
        culture = acme_culture()
        comparison = compare(culture, culture)
        with pytest.raises(KeyError, match=f"no metric `{name}`"):
            comparison.delta(name)
        assert comparison.delta(f"{name}_share").metric == f"{name}_share"


@pytest.fixture(scope="module")
def reference() -> Any:
    """crmculture as the API reference sees it: griffe with the docs' extension."""
    griffe = pytest.importorskip("griffe")
    extensions = griffe.load_extensions(
        f"{ROOT / 'docs' / 'griffe_public_signatures.py'}:PublicSignatures"
    )
    return griffe.load("crmculture", search_paths=[ROOT / "src"], extensions=extensions)


class TestApiReferenceSignatures:
    @pytest.mark.parametrize(
        ("name", "parameters"),
        [
            ("Schema", ["facts"]),
            ("Fact", ["name", "type", "values", "ordered", "min", "max", "optional"]),
            ("Rule", ["id", "when", "then", "priority", "departments", "rationale"]),
            ("Directive", ["name", "type", "values", "combine", "default", "uniform"]),
        ],
    )
    def test_attrs_classes_show_their_constructor(
        self, reference: Any, name: str, parameters: list[str]
    ) -> None:
        """The constructor attrs writes is in the reference, parameter by parameter."""
        init = reference[name]["__init__"]
        names = [parameter.name for parameter in init.parameters][1:]
        assert names[: len(parameters)] == parameters

    def test_no_private_names_in_signatures(self, reference: Any) -> None:
        """No annotation, default or base of the front door's classes names a private name
        (`_Int`, `_Bool`, `_ProblemsError`, ...)."""
        import crmculture

        private = re.compile(r"(?<![\w.])_[A-Za-z]\w*")
        found = []
        for name in crmculture.__all__:
            obj = reference[name]
            members = [obj, *getattr(obj, "members", {}).values()]
            for member in members:
                if member.is_alias or (member.name.startswith("_") and member.name != "__init__"):
                    continue
                texts = [str(base) for base in getattr(member, "bases", [])]
                for parameter in getattr(member, "parameters", []):
                    texts += [str(parameter.annotation), str(parameter.default)]
                texts.append(str(getattr(member, "returns", "")))
                texts.append(str(getattr(member, "annotation", "")))
                found += [(member.path, text) for text in texts if private.search(text)]
        assert found == []
