"""The enrolment terms' Chinese labels cover exactly the policy tables' codes, in their order."""

from __future__ import annotations

from shebao.enrolment.terms import CATEGORY_LABELS, INSURANCE_TYPE_LABELS
from shebao.policy.tables import CATEGORIES, INSURANCE_TYPES


def test_labels_follow_the_policy_codes() -> None:
    assert tuple(CATEGORY_LABELS) == CATEGORIES == ("student_child", "working_age", "elderly")
    assert (
        tuple(INSURANCE_TYPE_LABELS)
        == INSURANCE_TYPES
        == ("pension", "unemployment", "medical", "work_injury")
    )
