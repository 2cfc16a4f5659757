"""Policy tables: the TOML files of a region, loaded into typed, frozen records and validated.

Layout of a region directory (the packaged default is `shebao/policies/beijing/`): any number of
`*.toml` files (by convention `<year>.toml` plus `rules.toml`), each made of arrays of records:

    [[resident_medical.contributions]]      fee_year, annual_yuan = {elderly, student_child, working_age}
    [[resident_medical.collection_windows]] fee_year, opens, closes (TOML dates)
    [[resident_pension.ranges]]             fee_year, min_yuan, max_yuan, common_yuan = [...]
    [[resident_pension.payment_windows]]    fee_year, opens, closes
    [[resident_pension.subsidies]]          fee_year, tiers = [{from_yuan, to_yuan, subsidy_yuan}, ...]
    [[flexible_employment.base_limits]]     base_year, lower_yuan, upper_yuan
    [[flexible_employment.rates]]           rates = {pension, unemployment, medical, work_injury} (strings)
    [[flexible_employment.due_dates]]       months_after, day ("last" or 1..28)
    [[late_fee.daily_rates]]                daily_rate (string)

Every record also has `period_from`, `period_to` (YYYY-MM; only the two rule kinds may leave `period_to`
out, meaning "in force until this file says otherwise"), `source` (text) and `verified` (bool).
Records of one kind may sit in any file; together they must not overlap. Yuan become integer fen on
load (`yuan_to_fen`, floats refused), rates become `Decimal` from their string. Unknown sections and
fields are refused, so a typo cannot silently drop a figure.

A lookup for a period or fee year that no record covers raises `PolicyMissing`: never a guess.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from shebao.policy.reading import build_policy
from shebao.policy.records import (
    _REGION_NAME,
    CATEGORIES,
    DEFAULT_REGION,
    INSURANCE_TYPES,
    SCHEME_LABELS,
    BaseLimits,
    CollectionWindow,
    ContributionRates,
    DueDateRule,
    Figure,
    LateFeeRate,
    MedicalContribution,
    PensionRange,
    PensionSubsidy,
    PolicyFileError,
    PolicyMissing,
    PolicyTables,
    SubsidyTier,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_REGION",
    "INSURANCE_TYPES",
    "SCHEME_LABELS",
    "BaseLimits",
    "CollectionWindow",
    "ContributionRates",
    "DueDateRule",
    "Figure",
    "LateFeeRate",
    "MedicalContribution",
    "PensionRange",
    "PensionSubsidy",
    "PolicyFileError",
    "PolicyMissing",
    "PolicyTables",
    "SubsidyTier",
    "build_policy",
    "default_policy",
    "load_policy",
    "packaged_directory",
]

# ---------------------------------------------------------------------------------------------- loading


def packaged_directory(region: str = DEFAULT_REGION) -> Traversable:
    """The region's directory shipped inside the package (`shebao/policies/<region>`)."""
    if not _REGION_NAME.fullmatch(region):
        raise PolicyFileError(f"地区代码不正确：{region!r}")
    return resources.files("shebao") / "policies" / region


def load_policy(
    region: str = DEFAULT_REGION, directory: Traversable | str | os.PathLike[str] | None = None
) -> PolicyTables:
    """Load and validate every `*.toml` under `directory` (default: the packaged tables of `region`)."""
    folder: Traversable
    if directory is None:
        folder = packaged_directory(region)
    elif isinstance(directory, (str, os.PathLike)):
        folder = Path(directory)
    else:
        folder = directory
    if not folder.is_dir():
        raise PolicyFileError(f"政策目录不存在：{folder}")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda entry: entry.name
    )
    if not files:
        raise PolicyFileError(f"政策目录中没有政策文件（*.toml）：{folder}")
    return build_policy(region, ((entry.name, entry.read_text(encoding="utf-8")) for entry in files))


@functools.cache
def default_policy() -> PolicyTables:
    """The packaged Beijing tables, loaded once per process."""
    return load_policy(DEFAULT_REGION)
