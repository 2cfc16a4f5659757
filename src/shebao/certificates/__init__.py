"""社保缴费证明: certificate requests, generation in the worker, the signed PDF and public verification."""

from shebao.config import Settings, register_production_check


def _check_signing_material(settings: Settings) -> None:
    # Imported when the check runs: pyHanko is heavy, and a process that issues no certificate never needs it.
    from shebao.certificates.signing import check_production_keys

    check_production_keys(settings)


register_production_check(
    "certificates",
    _check_signing_material,
    applies=lambda settings: bool(settings.certificate_signing_key or settings.certificate_signing_cert),
)
