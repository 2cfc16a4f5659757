"""Batch deduction (批扣) inside the settlement core: declare, open, send and settle many payments at once.

The set-based twins of `DeclarationService.do_declare`, `PaymentOpener._new` and `settle.apply_success`
/ `apply_end`, for a chunk of items at a time. The caller (the batch run) hands in a subquery naming,
per item, the ids to use and the outcome to apply; every change here is one SQL statement over the
chunk, guarded by the state tables (a payable is declared only from to_declare, a payment succeeds only
from the states `payments.states` allows), with one audit row per changed object, written by SQL too.
Locks follow the settlement core's order: declarations, then payments (PostgreSQL row locks; SQLite
holds the write lock for the whole step).

Batch payments have method `agreement` and channel `batch`, and are created `pending` (their channel's
first state, `payments.states.FIRST_STATE`): the query job leaves them alone (their outcome comes in the
bank's result file), and while one is open the declaration can neither be paid
again nor voided (缴费结果确认中).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    MetaData,
    Subquery,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.db import bulk_update
from shebao.declarations.models import NORMAL, PAID, UNPAID, Declaration, DeclarationItem
from shebao.declarations.models import SUCCEEDED as DECLARED_OK
from shebao.payables import models as payable_status
from shebao.payables.models import Payable
from shebao.payments import states
from shebao.payments.models import CREATED, FAILED, PENDING, SUCCEEDED, Payment
from shebao.payments.refunds import Refund, open_refund

CHANNEL = "batch"
METHOD = "agreement"
OPEN = (CREATED, PENDING)


Chunk = Table  # a chunk's rows, materialized (see `materialized`)
_counter = itertools.count()


@contextmanager
def materialized(session: Session, source: Subquery, *extra: Column[Any]) -> Iterator[Table]:
    """The chunk as a temporary table of its own, analysed: every statement over it then joins a small
    table the planner knows, instead of re-planning (and re-running) the chunk's query each time.
    `extra` columns (left empty) hold what the step works out once per row."""
    name = f"batch_chunk_{next(_counter)}"
    table = Table(
        name,
        MetaData(),
        *(Column(column.name, column.type) for column in source.columns),
        *extra,
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    table.create(connection)
    try:
        connection.execute(insert(table).from_select([c.name for c in source.columns], select(source)))
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {name}"))
        yield table
    finally:
        table.drop(connection)


# A UUIDv7 as `kit.ids.new_id` makes them (the time in milliseconds first, version 7), from a random
# UUID: PostgreSQL 15 has no uuidv7(). Audit ids in time order are appended at the right of their
# primary key's index; random ones split pages all over it (and each first touch after a checkpoint
# writes the whole page to the WAL).
_UUID7 = (
    "CAST(encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) "
    "FROM 1 FOR 6), 52, 1), 53, 1), 'hex') AS uuid)"
)


def _new_uuid(session: Session) -> ColumnElement[Any]:
    """A fresh id per row, made by the database (UUIDv7 on PostgreSQL, 32 hex digits as SQLite stores
    them)."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column(_UUID7, AuditEntry.id.type)
    return func.lower(func.hex(func.randomblob(16)))


def _json(session: Session, **pairs: Any) -> ColumnElement[Any]:
    build = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    args: list[Any] = []
    for key, value in pairs.items():
        args += [literal(key), value]
    return build(*args)


def _audit(
    session: Session,
    rows: Any,
    *,
    action: str,
    object_type: str,
    object_id: ColumnElement[Any],
    now: datetime,
    before: ColumnElement[Any] | None,
    after: ColumnElement[Any],
) -> None:
    """One audit row per row of `rows` (a select's FROM and WHERE), written by one INSERT … SELECT."""
    columns = [
        _new_uuid(session),
        literal(now, AuditEntry.occurred_at.type),
        literal("system"),
        literal("batch_deduction"),
        literal(CHANNEL),
        literal(action),
        literal(object_type),
        cast(object_id, AuditEntry.object_id.type)
        if session.get_bind().dialect.name == "postgresql"
        else object_id,
        before if before is not None else literal(None, AuditEntry.before.type),
        after,
    ]
    session.execute(
        insert(AuditEntry).from_select(
            [
                "id",
                "occurred_at",
                "actor_type",
                "actor_id",
                "channel",
                "action",
                "object_type",
                "object_id",
                "before",
                "after",
            ],
            rows.with_only_columns(*columns),
        )
    )


def _hex_id(session: Session, column: Any) -> ColumnElement[Any]:
    """An id as the audit log writes it (`str(uuid)`: with dashes)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, AuditEntry.object_id.type)
    text = func.lower(column)
    return (
        func.substr(text, 1, 8)
        + "-"
        + func.substr(text, 9, 4)
        + "-"
        + func.substr(text, 13, 4)
        + "-"
        + func.substr(text, 17, 4)
        + "-"
        + func.substr(text, 21, 12)
    )


def lock_payables(session: Session, source: Chunk) -> None:
    session.execute(
        select(Payable.id)
        .where(Payable.id.in_(select(source.c.payable_id)))
        .order_by(Payable.id)
        .with_for_update()
    )


def _declare_and_open(session: Session, source: Chunk, now: datetime) -> None:
    """Declare the items marked `new_declaration` (their payables to_declare → declared), then open one
    payment per item whose payable is declared by the item's declaration.

    `source` columns: declaration_id, declaration_item_id, payment_id, item_id, payable_id, person_id,
    payer_id, amount_fen, deadline, new_declaration.
    """
    lock_payables(session, source)
    fresh = and_(
        source.c.new_declaration == true(),
        Payable.id == source.c.payable_id,
        Payable.status == payable_status.TO_DECLARE,
    )
    declared_columns = [
        source.c.declaration_id,
        source.c.person_id,
        source.c.payer_id,
        Payable.scheme,
        literal(NORMAL),
        literal(CHANNEL),
        Payable.tax_office_code,
        Payable.agency_code,
        Payable.period_start,
        Payable.period_end,
        source.c.amount_fen,
        literal(0),
        literal(DECLARED_OK),
        literal(UNPAID),
        source.c.deadline,
        literal(now, Declaration.declared_at.type),
        literal(now, Declaration.decided_at.type),
    ]
    session.execute(
        insert(Declaration).from_select(
            [
                "id",
                "person_id",
                "declared_by_id",
                "scheme",
                "kind",
                "channel",
                "tax_office_code",
                "agency_code",
                "period_start",
                "period_end",
                "total_fen",
                "late_fee_fen",
                "status",
                "payment_status",
                "deadline",
                "declared_at",
                "decided_at",
            ],
            select(*declared_columns)
            .select_from(source)
            .join(Payable, Payable.id == source.c.payable_id)
            .where(fresh),
        )
    )
    session.execute(
        insert(DeclarationItem).from_select(
            [
                "id",
                "declaration_id",
                "payable_id",
                "position",
                "levy_item",
                "insurance_type",
                "period_start",
                "period_end",
                "base_amount_fen",
                "late_fee_fen",
                "amount_fen",
            ],
            select(
                source.c.declaration_item_id,
                source.c.declaration_id,
                source.c.payable_id,
                literal(0),
                Payable.levy_item,
                Payable.insurance_type,
                Payable.period_start,
                Payable.period_end,
                source.c.amount_fen,
                literal(0),
                source.c.amount_fen,
            )
            .select_from(source)
            .join(Payable, Payable.id == source.c.payable_id)
            .where(fresh),
        )
    )
    declared_now = select(source.c.declaration_id).where(source.c.new_declaration == true())
    _audit(
        session,
        select()
        .select_from(Declaration)
        .where(Declaration.id.in_(declared_now), Declaration.declared_at == now),
        action="declaration.declare",
        object_type="declaration",
        object_id=_hex_id(session, Declaration.id),
        now=now,
        before=None,
        after=_json(
            session, status=Declaration.status, total_fen=Declaration.total_fen, channel=Declaration.channel
        ),
    )
    session.execute(
        bulk_update(Payable)
        .where(fresh, exists(select(Declaration.id).where(Declaration.id == source.c.declaration_id)))
        .values(status=payable_status.DECLARED, declaration_id=source.c.declaration_id, updated_at=now)
    )
    # One payment per item whose declaration its payable now belongs to (unpaid, not past its deadline).
    payable_ok = and_(
        Payable.id == source.c.payable_id,
        Payable.status == payable_status.DECLARED,
        Payable.declaration_id == source.c.declaration_id,
    )
    session.execute(
        insert(Payment).from_select(
            [
                "id",
                "declaration_id",
                "payer_id",
                "person_id",
                "method",
                "channel",
                "out_trade_no",
                "amount_fen",
                "status",
                "close_pending",
                "duplicate",
                "query_attempts",
                "created_at",
                "updated_at",
                "expires_at",
            ],
            select(
                source.c.payment_id,
                source.c.declaration_id,
                source.c.payer_id,
                source.c.person_id,
                literal(METHOD),
                literal(CHANNEL),
                source.c.item_id,
                Declaration.total_fen,
                literal(states.first_state(CHANNEL)),
                literal(False, Boolean),
                literal(False, Boolean),
                literal(0),
                literal(now, Payment.created_at.type),
                literal(now, Payment.updated_at.type),
                literal(now + timedelta(days=7), Payment.expires_at.type),
            )
            .select_from(source)
            .join(Payable, payable_ok)
            .join(Declaration, Declaration.id == source.c.declaration_id)
            .where(
                Declaration.status == DECLARED_OK,
                Declaration.payment_status == UNPAID,
                Declaration.deadline >= source.c.deadline_floor,
                ~exists(select(Payment.id).where(Payment.id == source.c.payment_id)),
            ),
        )
    )
    _audit(
        session,
        select()
        .select_from(Payment)
        .where(Payment.id.in_(select(source.c.payment_id)), Payment.created_at == now),
        action="payment.created",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=None,
        after=_json(session, status=Payment.status, method=Payment.method, amount_fen=Payment.amount_fen),
    )


def _mark_sent(session: Session, payments: Chunk, now: datetime) -> None:
    """The bank received the batch: payments still `created` are pending (created → pending). Batch
    payments are created pending now (payments.states.FIRST_STATE); this is for those created before."""
    chosen = and_(Payment.id.in_(select(payments.c.payment_id)), Payment.status == CREATED)
    _audit(
        session,
        select().select_from(Payment).where(chosen),
        action="payment.pending",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=_json(session, status=Payment.status),
        after=_json(session, status=literal(PENDING)),
    )
    session.execute(bulk_update(Payment).where(chosen).values(status=PENDING, updated_at=now))


def _close_unsent(session: Session, payments: Chunk, now: datetime, reason: str) -> None:
    """Payments never sent to the bank (their setting was voided meanwhile): closed, nothing moved."""
    chosen = and_(Payment.id.in_(select(payments.c.payment_id)), Payment.status.in_(OPEN))
    _audit(
        session,
        select().select_from(Payment).where(chosen),
        action="payment.closed",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=_json(session, status=Payment.status),
        after=_json(session, status=literal("closed"), reason=literal(reason)),
    )
    session.execute(
        bulk_update(Payment).where(chosen).values(status="closed", updated_at=now, failure_reason=reason)
    )


BATCH = Actor("system", "batch_deduction", CHANNEL)  # as the SQL-written audit rows name it


def _open_refunds(session: Session, source: Chunk, now: datetime) -> None:
    """Each duplicate this chunk made gets its `pending` refund in the same step (few: one per race lost)."""
    found = session.execute(
        select(Payment, Declaration.tax_office_code)
        .join(source, source.c.payment_id == Payment.id)
        .join(Declaration, Declaration.id == Payment.declaration_id)
        .where(
            Payment.duplicate.is_(True),
            ~exists(select(Refund.id).where(Refund.payment_id == Payment.id)),
        )
    )
    for payment, tax_office_code in found:
        open_refund(session, payment, tax_office_code=tax_office_code, now=now, actor=BATCH)


def _apply_outcomes(session: Session, source: Chunk, now: datetime) -> None:
    """Apply the bank's answers: a success pays the declaration (its payables paid, an e-ticket); a success
    for a declaration already paid is a duplicate to refund, never lost; a failure keeps the reason and
    leaves the declaration payable in real time.

    `source` columns: payment_id, declaration_id, succeeded, serial_no, settled_at, eticket_no, reason,
    and `unpaid`, filled here once the declarations are locked.
    """
    session.execute(
        select(Declaration.id)
        .where(Declaration.id.in_(select(source.c.declaration_id)))
        .order_by(Declaration.id)
        .with_for_update()
    )
    session.execute(
        select(Payment.id)
        .where(Payment.id.in_(select(source.c.payment_id)))
        .order_by(Payment.id)
        .with_for_update()
    )
    # Whether each row's declaration is still unpaid, read once under the lock (the payment's update
    # and its audit rows used to probe the declaration three times a row).
    session.execute(
        update(source).values(
            unpaid=exists(
                select(Declaration.id).where(
                    Declaration.id == source.c.declaration_id,
                    Declaration.status == DECLARED_OK,
                    Declaration.payment_status == UNPAID,
                )
            )
        )
    )
    may_succeed = Payment.status.in_(sorted(states.ALLOWED_FROM[SUCCEEDED]))
    success = and_(Payment.id == source.c.payment_id, source.c.succeeded == true(), may_succeed)
    unpaid = source.c.unpaid == true()
    first = select().select_from(Payment).join(source, source.c.payment_id == Payment.id)
    _audit(
        session,
        first.where(source.c.succeeded == true(), may_succeed, unpaid),
        action="payment.succeeded",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=_json(session, status=Payment.status),
        after=_json(
            session, status=literal(SUCCEEDED), eticket_no=source.c.eticket_no, duplicate=literal(False)
        ),
    )
    _audit(
        session,
        first.where(source.c.succeeded == true(), may_succeed, ~unpaid),
        action="payment.duplicate",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=_json(session, status=Payment.status),
        after=_json(session, status=literal(SUCCEEDED), duplicate=literal(True)),
    )
    session.execute(
        bulk_update(Payment)
        .where(success)
        .values(
            status=SUCCEEDED,
            close_pending=False,
            provider_trade_no=source.c.serial_no,
            succeeded_at=source.c.settled_at,
            updated_at=now,
            next_query_at=None,
            eticket_no=case((unpaid, source.c.eticket_no), else_=None),
            duplicate=case((unpaid, literal(False)), else_=literal(True)),
            refund_status=case((unpaid, literal(None)), else_=literal("to_refund")),
        )
    )
    _open_refunds(session, source, now)
    paid_now = and_(
        Declaration.id == source.c.declaration_id,
        Declaration.status == DECLARED_OK,
        Declaration.payment_status == UNPAID,
        exists(
            select(Payment.id).where(
                Payment.id == source.c.payment_id, Payment.status == SUCCEEDED, Payment.duplicate.is_(False)
            )
        ),
    )
    _audit(
        session,
        select()
        .select_from(Declaration)
        .join(source, source.c.declaration_id == Declaration.id)
        .where(paid_now),
        action="declaration.paid",
        object_type="declaration",
        object_id=_hex_id(session, Declaration.id),
        now=now,
        before=_json(session, payment_status=literal(UNPAID)),
        after=_json(session, payment_status=literal(PAID)),
    )
    session.execute(bulk_update(Declaration).where(paid_now).values(payment_status=PAID, paid_at=now))
    session.execute(
        bulk_update(Payable)
        .where(
            Payable.declaration_id == source.c.declaration_id,
            Payable.status == payable_status.DECLARED,
            exists(
                select(Declaration.id).where(
                    Declaration.id == source.c.declaration_id, Declaration.payment_status == PAID
                )
            ),
        )
        .values(status=payable_status.PAID, updated_at=now)
    )
    failure = and_(Payment.id == source.c.payment_id, source.c.succeeded != true(), Payment.status.in_(OPEN))
    _audit(
        session,
        first.where(source.c.succeeded != true(), Payment.status.in_(OPEN)),
        action="payment.failed",
        object_type="payment",
        object_id=_hex_id(session, Payment.id),
        now=now,
        before=_json(session, status=Payment.status),
        after=_json(session, status=literal(FAILED), reason=source.c.reason),
    )
    session.execute(
        bulk_update(Payment)
        .where(failure)
        .values(status=FAILED, failure_reason=source.c.reason, updated_at=now, next_query_at=None)
    )


def declare_and_open(session: Session, source: Subquery, now: datetime) -> None:
    with materialized(session, source) as chunk:
        _declare_and_open(session, chunk, now)


def mark_sent(session: Session, payments: Subquery, now: datetime) -> None:
    if (
        session.scalar(
            select(Payment.id).where(Payment.status == CREATED, Payment.channel == CHANNEL).limit(1)
        )
        is None
    ):
        return  # every batch payment was created pending
    with materialized(session, payments) as chunk:
        _mark_sent(session, chunk, now)


def close_unsent(session: Session, payments: Subquery, now: datetime, reason: str) -> None:
    with materialized(session, payments) as chunk:
        _close_unsent(session, chunk, now, reason)


def apply_outcomes(session: Session, source: Subquery, now: datetime) -> None:
    with materialized(session, source, Column("unpaid", Boolean)) as chunk:
        _apply_outcomes(session, chunk, now)


__all__ = [
    "CHANNEL",
    "METHOD",
    "apply_outcomes",
    "close_unsent",
    "declare_and_open",
    "mark_sent",
    "materialized",
]
