from tests.payments.conftest import alipay, routed_http  # noqa: F401  (fixtures)
