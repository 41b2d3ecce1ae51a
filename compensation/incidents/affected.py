"""Which purchases an incident affected, computed in the database (PostgreSQL; SQLite in the embedded mode): the
purchases of the incident's subscription products whose service period overlaps the window ``[start, end)``,
written to ``IncidentAffected`` with one ``INSERT … SELECT``. Nothing here loads purchases into Python, however
many there are."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from compensation.models import AffectedState, Incident, IncidentAffected
from customers.models import Product, Purchase

# The seconds of the window [start, end) the purchase's service period [service_start, service_end) covers;
# an open-ended period (no service_end) runs to the end of the window. PostgreSQL, and SQLite for the embedded
# mode (its datetimes are UTC text, whole seconds through strftime).
_OVERLAP_SQL = {
    "postgresql": (
        "GREATEST(0, FLOOR(EXTRACT(EPOCH FROM ("
        "LEAST(%(end)s::timestamptz, COALESCE(p.service_end, %(end)s::timestamptz)) "
        "- GREATEST(%(start)s::timestamptz, p.service_start)))))::integer"
    ),
    "sqlite": (
        "MAX(0, CAST(strftime('%%s', MIN(%(end)s, COALESCE(p.service_end, %(end)s))) AS INTEGER) "
        "- CAST(strftime('%%s', MAX(%(start)s, p.service_start)) AS INTEGER))"
    ),
}


@dataclass(frozen=True)
class AffectedRefresh:
    inserted: int  # purchases affected for the first time
    changed: int  # purchases already known whose time affected changed (pending again)


def affected_refresh(*, incident: Incident, start: datetime, end: datetime) -> AffectedRefresh:
    """Bring the incident's affected purchases up to date with the window ``[start, end)``: recompute the overlap
    of those already known (one ``UPDATE``: a row whose time affected no longer matches what it was apologised
    for becomes pending again) and add the newly affected ones (one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``). Touching windows do not overlap; goods (no service period) are never affected."""
    affected = IncidentAffected._meta.db_table
    purchase = Purchase._meta.db_table
    product = Product._meta.db_table
    links = Incident.products.through._meta.db_table
    params: dict[str, Any] = {
        "incident": incident.pk,
        "start": connection.ops.adapt_datetimefield_value(start),
        "end": connection.ops.adapt_datetimefield_value(end),
        "pending": AffectedState.PENDING,
    }
    overlap = _OVERLAP_SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {affected} AS a
               SET overlap_seconds = o.seconds,
                   state = CASE WHEN o.seconds = a.overlap_seconds_done THEN a.state ELSE %(pending)s END
              FROM (SELECT x.id, {overlap} AS seconds
                      FROM {affected} x JOIN {purchase} p ON p.id = x.purchase_id
                     WHERE x.incident_id = %(incident)s) AS o
             WHERE a.id = o.id AND a.overlap_seconds <> o.seconds
            """,  # noqa: S608 - table names from the models, values as parameters
            params,
        )
        changed = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {affected}
                   (incident_id, customer_id, purchase_id, overlap_seconds, overlap_seconds_done, state,
                    credited_amount, currency)
            SELECT %(incident)s, p.customer_id, p.id, {overlap}, 0, %(pending)s, 0, p.currency
              FROM {purchase} p
              JOIN {links} l ON l.product_id = p.product_id AND l.incident_id = %(incident)s
              JOIN {product} pr ON pr.id = p.product_id AND pr.kind = 'subscription'
             WHERE p.service_start IS NOT NULL
               AND p.service_start < %(end)s
               AND (p.service_end IS NULL OR p.service_end > %(start)s)
            ON CONFLICT (incident_id, purchase_id) DO NOTHING
            """,  # noqa: S608 - table names from the models, values as parameters
            params,
        )
        inserted = cursor.rowcount
    return AffectedRefresh(inserted=inserted, changed=changed)


def pending_customer_ranges(*, incident_id: int, size: int) -> list[tuple[int, int, int]]:
    """The incident's customers with pending purchases, cut in consecutive ranges of ``size`` customers:
    ``(first customer id, last customer id, customers)`` each, in one query."""
    affected = IncidentAffected._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT MIN(customer_id), MAX(customer_id), COUNT(*)
              FROM (SELECT customer_id, (ROW_NUMBER() OVER (ORDER BY customer_id) - 1) / %(size)s AS bucket
                      FROM (SELECT DISTINCT customer_id FROM {affected}
                             WHERE incident_id = %(incident)s AND state = %(pending)s) c) b
             GROUP BY bucket ORDER BY bucket
            """,  # noqa: S608 - table name from the model, values as parameters
            {"incident": incident_id, "size": size, "pending": AffectedState.PENDING},
        )
        return [(int(first), int(last), int(count)) for first, last, count in cursor.fetchall()]
