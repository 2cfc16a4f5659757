from tests.support.enrolment import cli  # noqa: F401  (fixture)
