from tests.enrolment.support import cli  # noqa: F401  (fixture)
