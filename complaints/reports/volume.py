"""Volume: complaints received in the period by bucket, category, product and channel; the backlog now."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from complaints.models import OPEN_STATUSES, Category, Channel, Complaint
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from customers.models import Product

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
# Age buckets of the open backlog: (upper bound in days or None, label maker).
AGE_BUCKETS: tuple[tuple[int | None, int], ...] = ((1, 0), (3, 1), (7, 3), (30, 7), (None, 30))


def received_in(period: Period) -> QuerySet[Complaint]:
    """Complaints received in the period, duplicates merged into another left out (they are counted once)."""
    return Complaint.objects.filter(received_at__gte=period.start, received_at__lt=period.end, merged_into__isnull=True)


def bucket_label(moment: datetime | None, group: str) -> str:
    if moment is None:
        return ""
    day = moment.date() if isinstance(moment, datetime) else moment
    if group == "month":
        return day.strftime("%Y-%m")
    if group == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return day.isoformat()


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return _("over %(days)s days") % {"days": low}
    if low == 0:
        return _("under a day")
    return _("%(low)s to %(high)s days") % {"low": low, "high": high}


def report_volume(*, period: Period, now: datetime) -> Report:
    """One pass over the period's complaints (per bucket, category, channel and product), the products' names,
    and one pass over the open backlog, whatever their number."""
    passes = grouped(
        received_in(period),
        columns={
            "bucket": TRUNC[period.group]("received_at"),
            "category": "category",
            "channel": "channel",
            "product": "product_id",
        },
        groupings=[("bucket",), ("category",), ("channel",), ("product",)],
    )
    bucket_rows = [
        {"bucket": bucket_label(row["bucket"], period.group), "received": row["n"]}
        for row in sorted(passes[("bucket",)], key=lambda row: row["bucket"])
    ]
    total = sum(row["received"] for row in bucket_rows)
    by_category = {row["category"]: row["n"] for row in passes[("category",)]}
    by_channel = {row["channel"]: row["n"] for row in passes[("channel",)]}

    def share(n: int) -> float | None:
        return round(100 * n / total, 1) if total else None

    category_rows = [
        {"category": str(label), "received": by_category.get(code, 0), "share": share(by_category.get(code, 0))}
        for code, label in Category.choices
    ]
    channel_rows = [
        {"channel": str(label), "received": by_channel.get(code, 0), "share": share(by_channel.get(code, 0))}
        for code, label in Channel.choices
    ]
    per_product = {row["product"]: row["n"] for row in passes[("product",)]}
    products = {
        pk: (code, name)
        for pk, code, name in Product.objects.filter(pk__in=[pk for pk in per_product if pk is not None]).values_list(
            "pk", "code", "name"
        )
    }
    product_rows = sorted(
        (
            {
                "product": products[pk][1] if pk in products else _("No product named"),
                "code": products[pk][0] if pk in products else "",
                "received": n,
                "share": share(n),
            }
            for pk, n in per_product.items()
        ),
        key=lambda row: (-row["received"], row["product"]),
    )

    # The backlog now: open complaints by how long ago they came in (one pass, a FILTER per bucket).
    buckets: dict[str, Q] = {}
    for index, (high, low) in enumerate(AGE_BUCKETS):
        condition = Q(received_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(received_at__gt=now - timedelta(days=high))
        buckets[f"age{index}"] = condition
    # A duplicate is closed when merged, so the open complaints are all counted once.
    backlog = Complaint.objects.filter(status__in=list(OPEN_STATUSES)).aggregate(
        total=Count("id"), **{key: Count("id", filter=condition) for key, condition in buckets.items()}
    )
    age_rows = [
        {"age": _age_label(low, high), "open": backlog[f"age{index}"]} for index, (high, low) in enumerate(AGE_BUCKETS)
    ]

    count = _("Complaints")
    share_label = _("Share")
    return Report(
        slug="volume",
        title=_("Volume"),
        description=_("Complaints received in the period, and the complaints still open now by their age."),
        period=period,
        figures=[
            Figure("received", _("Received in the period"), total),
            Figure("per_day", _("Per day on average"), round(total / period.days, 2), kind="decimal"),
            Figure("backlog", _("Open now"), backlog["total"]),
        ],
        tables=[
            Table(
                key="received",
                title=_("Received"),
                columns=[Column("bucket", _("Period"), "text"), Column("received", count, "count")],
                rows=bucket_rows,
                chart=Chart("line" if len(bucket_rows) > 12 else "bar", "bucket", ("received",)),
            ),
            Table(
                key="by_category",
                title=_("By category"),
                columns=[
                    Column("category", _("Category"), "text"),
                    Column("received", count, "count"),
                    Column("share", share_label, "percent"),
                ],
                rows=category_rows,
                chart=Chart("bar", "category", ("received",)),
            ),
            Table(
                key="by_product",
                title=_("By product"),
                columns=[
                    Column("product", _("Product"), "text"),
                    Column("code", _("Code"), "text"),
                    Column("received", count, "count"),
                    Column("share", share_label, "percent"),
                ],
                rows=product_rows,
                chart=Chart("bar", "product", ("received",)),
            ),
            Table(
                key="by_channel",
                title=_("By channel"),
                columns=[
                    Column("channel", _("Channel"), "text"),
                    Column("received", count, "count"),
                    Column("share", share_label, "percent"),
                ],
                rows=channel_rows,
                chart=Chart("pie", "channel", ("received",)),
            ),
            Table(
                key="backlog_age",
                title=_("Open now, by age"),
                columns=[Column("age", _("Age"), "text"), Column("open", _("Open complaints"), "count")],
                rows=age_rows,
                chart=Chart("bar", "age", ("open",)),
                note=_("Counted now, whatever the period chosen."),
            ),
        ],
    )
