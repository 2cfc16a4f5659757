"""Read the feed (CSV file or API rows) into fed items, applying each payment; the per-row report."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shebao.elsewhere.rows import COLUMNS, REQUIRED, FedItem, RowError, parse_row
from shebao.elsewhere.service import FedResult, apply_fed_payment, group
from shebao.runtime import Runtime

STATUSES = ("applied", "duplicate", "unchanged", "rejected")


class FeedUnreadable(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass
class FeedReport:
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # line, status, reason

    @property
    def rejected(self) -> int:
        return sum(1 for _, status, _ in self.rows if status == "rejected")

    def rejections(self) -> list[tuple[int, str]]:
        return [(line, reason) for line, status, reason in self.rows if status == "rejected"]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for _, status, _ in self.rows:
            counts[status] = counts.get(status, 0) + 1
        return counts

    def summary(self) -> str:
        counts = self.counts()
        names = {"applied": "入账", "duplicate": "重复缴费待退款", "unchanged": "未变", "rejected": "拒绝"}
        return "，".join(f"{names[k]} {counts.get(k, 0)} 行" for k in names)


def run_feed(runtime: Runtime, rows: Sequence[tuple[int, Mapping[str, object]]]) -> FeedReport:
    report = FeedReport()
    items: list[FedItem] = []
    today = runtime.clock.today()
    for line, values in rows:
        try:
            items.append(parse_row(line, values, today=today))
        except RowError as exc:
            report.rows.append((line, "rejected", exc.message))
    results: list[FedResult] = [apply_fed_payment(runtime, payment) for payment in group(items)]
    for result in results:
        report.rows.extend((line, result.status, result.reason) for line in result.lines)
    report.rows.sort()
    return report


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            if not header:
                raise FeedUnreadable("文件为空")
            missing = [column for column in REQUIRED if column not in header]
            unknown = [column for column in header if column not in COLUMNS]
            if missing or unknown:
                problems = (["缺少列：" + "、".join(missing)] if missing else []) + (
                    ["未知列：" + "、".join(unknown)] if unknown else []
                )
                raise FeedUnreadable("；".join(problems))
            return [
                (index, dict(zip(header, cells, strict=False))) for index, cells in enumerate(reader, start=2)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FeedUnreadable(str(exc)) from exc


def write_report(report: FeedReport, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "status", "reason"])
        writer.writerows(report.rows)
