"""Volume: complaints received in the period by bucket, category, product and channel; the backlog now."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from complaints.models import OPEN_STATUSES, Category, Channel, Complaint
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table

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
    """Four queries over the period's complaints (per bucket, per category and channel, per product) and one
    over the open backlog, whatever their number."""
    received = received_in(period)
    trunc = TRUNC[period.group]

    per_bucket = (
        received.annotate(bucket=trunc("received_at")).values_list("bucket").annotate(n=Count("id")).order_by("bucket")
    )
    bucket_rows = [{"bucket": bucket_label(bucket, period.group), "received": n} for bucket, n in per_bucket]
    total = sum(row["received"] for row in bucket_rows)

    by_category: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for category, channel, n in received.values_list("category", "channel").annotate(n=Count("id")).order_by():
        by_category[category] = by_category.get(category, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n

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
    per_product = (
        received.values_list("product__code", "product__name").annotate(n=Count("id")).order_by("-n", "product__name")
    )
    product_rows = [
        {"product": name or _("No product named"), "code": code or "", "received": n, "share": share(n)}
        for code, name, n in per_product
    ]

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
