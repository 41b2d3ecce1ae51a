"""Complaints, their timeline and the response-time promises they are held to.

Status changes are not made here: ``complaints.transitions`` holds the only table of allowed changes and
``complaints.services.complaint_transition`` the only code that applies them.
"""

import uuid
from datetime import UTC, datetime, time
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import LetterKind


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CUSTOMER = "awaiting_customer", _("Waiting for your reply")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Declined")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)


class Category(models.TextChoices):
    DEFECT = "defect", _("Faulty product")
    SERVICE_OUTAGE = "service_outage", _("Service outage")
    DELIVERY = "delivery", _("Delivery")
    BILLING = "billing", _("Billing")
    SERVICE_QUALITY = "service_quality", _("Quality of service")
    OTHER = "other", _("Something else")


class DesiredResolution(models.TextChoices):
    REFUND = "refund", _("A refund")
    REPLACEMENT = "replacement", _("A replacement")
    REPAIR = "repair", _("A repair")
    COMPENSATION = "compensation", _("Compensation")
    APOLOGY = "apology", _("An apology and an explanation")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    CHAT = "chat", _("Chat")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Outcome(models.TextChoices):
    """How a complaint ended, asked when it is resolved or declined (ISO 10002's "continual improvement")."""

    EXPLAINED = "explained", _("Explained, no relief")
    NON_MONETARY = "non_monetary", _("Non-monetary relief")
    MONETARY = "monetary", _("Monetary relief")
    REJECTED = "rejected", _("Rejected with reasons")


class RootCause(models.TextChoices):
    """What went wrong, so reports can show what keeps going wrong."""

    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SERVICE_FAILURE = "service_failure", _("Service failure or outage")
    DELIVERY = "delivery", _("Delivery or logistics")
    BILLING_ERROR = "billing_error", _("Billing error")
    STAFF_CONDUCT = "staff_conduct", _("Staff conduct")
    COMMUNICATION = "communication", _("Unclear or wrong information")
    PROCESS_GAP = "process_gap", _("Process or policy gap")
    THIRD_PARTY = "third_party", _("Supplier or partner")
    NO_FAULT = "no_fault", _("No fault found")
    OTHER = "other", _("Other")


# Promise times read by the reports (see the indexes of ``Complaint``).
_REPORT_PROMISE_COLUMNS = [
    "acknowledged_at",
    "acknowledgement_due",
    "first_responded_at",
    "first_response_due",
    "resolution_due",
]
REPORT_RECEIVED_COLUMNS = [
    "id",
    "merged_into",
    "status",
    "category",
    "channel",
    "priority",
    "product",
    "team",
    *_REPORT_PROMISE_COLUMNS,
    "decided_at",
    "acknowledgement_minutes",
    "acknowledgement_working_minutes",
    "first_response_minutes",
    "first_response_working_minutes",
]
REPORT_DECIDED_COLUMNS = [
    "id",
    "merged_into",
    "status",
    "customer",
    "assignee",
    "team",
    "priority",
    "product",
    "incident",
    "outcome",
    "root_cause",
    "reopen_count",
    "customer_accepted",
    "rating",
    *_REPORT_PROMISE_COLUMNS,
    "first_response_working_minutes",
    "resolution_minutes",
    "resolution_working_minutes",
]

# Stands in for "no due time" in the due-soonest order, so its key is never NULL (NULLs would break keysets).
NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


def complaint_sla_due_key() -> Least:
    """The next due time still owed: the earliest of the first response (until it is given), the next response
    (after the customer wrote, until we answer) and the resolution.

    Shared by the queue's sort and its indexes, which PostgreSQL uses only when the expressions are equal. Each
    part is coalesced, since SQLite's ``MIN()`` of several values is NULL when one of them is.
    """
    owed_first = When(first_responded_at__isnull=True, first_response_due__isnull=False, then=F("first_response_due"))
    return Least(
        Case(owed_first, default=Value(NO_DUE)),
        Coalesce(F("next_response_due"), Value(NO_DUE)),
        Coalesce(F("resolution_due"), Value(NO_DUE)),
    )


def complaint_owed_due_q(**lookup: Any) -> Q:
    """A promise still owed by an open complaint's row whose due time matches ``lookup`` (e.g. ``lt=now``,
    ``range=(now, soon)``): the first response until given, the next response, the resolution. Each arm is
    answered by the partial index on its due time."""
    [(op, value)] = lookup.items()
    return Q(status__in=list(OPEN_STATUSES)) & (
        Q(first_responded_at__isnull=True, **{f"first_response_due__{op}": value})
        | Q(**{f"next_response_due__{op}": value})
        | Q(**{f"resolution_due__{op}": value})
    )


def complaint_priority_rank() -> Case:
    """Urgent first (0) to low (3), for the queue's priority order and its index."""
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
        output_field=models.IntegerField(),
    )


class Complaint(models.Model):
    """A customer's complaint, from receipt to closure.

    ``public_id`` is the random identifier behind the customer's signed tracking link; sequential ids and the
    reference never appear in customer URLs.
    """

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer")
    )
    purchase = models.ForeignKey(
        "customers.Purchase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("purchase"),
    )
    product = models.ForeignKey(
        "customers.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("product"),
    )
    category = models.CharField(_("category"), max_length=32, choices=Category)
    description = models.TextField(_("description"))
    desired_resolution = models.CharField(_("desired resolution"), max_length=32, choices=DesiredResolution, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel, default=Channel.WEB)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=32, choices=Status, default=Status.NEW)
    language = models.CharField(_("language"), max_length=8, default="en")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("assignee"),
    )

    incident = models.ForeignKey(
        "compensation.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("incident"),
    )
    team = models.ForeignKey(
        "complaints.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("team"),
    )

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now)

    acknowledgement_due = models.DateTimeField(_("acknowledgement due"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    # After a customer's reply, when our next answer is due (cleared when we answer).
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The promise the due times come from, and the clock's pauses while we wait for the customer.
    sla_policy = models.ForeignKey(
        "complaints.SlaPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("response time promise"),
    )
    sla_paused_at = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    sla_paused_minutes = models.PositiveIntegerField(_("working minutes paused so far"), default=0)

    # Answers to the category's follow-up questions (outage start and whether it goes on, delivery date...).
    details = models.JSONField(_("details"), default=dict, blank=True)
    consent_at = models.DateTimeField(_("consent to process personal data given"), null=True, blank=True)
    # The form's one-time token: a resubmitted POST finds this complaint instead of creating a second one.
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("customer's rating"), null=True, blank=True)
    rating_comment = models.TextField(_("customer's comment on the outcome"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # Closing the loop: asked when the complaint is resolved or declined, and when it is closed.
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, blank=True)
    root_cause = models.CharField(_("root cause"), max_length=32, choices=RootCause, blank=True)
    corrective_action = models.TextField(_("corrective action taken"), blank=True)
    customer_accepted = models.BooleanField(_("customer accepted the outcome"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # When it was last decided, resolved or declined (cleared when reopened): the reports' date for outcomes.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # How long each step took from receipt, fixed when it happened: whole minutes on the clock and on the working
    # time of the complaint's promise (its business calendar; around the clock for a 24/7 promise). Reports take
    # medians of these without replaying calendars. Resolution is the first decision: resolved or declined.
    acknowledgement_minutes = models.PositiveIntegerField(_("minutes to acknowledgement"), null=True, blank=True)
    acknowledgement_working_minutes = models.PositiveIntegerField(
        _("working minutes to acknowledgement"), null=True, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(_("minutes to first response"), null=True, blank=True)
    first_response_working_minutes = models.PositiveIntegerField(
        _("working minutes to first response"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("minutes to resolution"), null=True, blank=True)
    resolution_working_minutes = models.PositiveIntegerField(_("working minutes to resolution"), null=True, blank=True)
    # A duplicate merged into another complaint of the same customer; its timeline and letters stay its own.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        verbose_name=_("merged into"),
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("related complaints"))
    # Reference, customer name and email, and the text: what staff search, kept by the services that change it.
    search_document = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="complaint_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="complaint_category_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="complaint_priority_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="complaint_channel_valid"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="complaint_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(outcome__in=["", *Outcome.values]), name="complaint_outcome_valid"),
            models.CheckConstraint(
                condition=Q(root_cause__in=["", *RootCause.values]), name="complaint_root_cause_valid"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("id")), name="complaint_not_merged_into_itself"
            ),
        ]
        permissions = [
            ("lead_team", _("Can lead teams: duty rota, team assignment and workload")),
            ("view_reports", _("Can see managers' pages and reports")),
        ]
        indexes = [
            # The staff queue: open complaints, newest first, paged by (received_at, id).
            models.Index(
                fields=["-received_at", "-id"],
                condition=Q(status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_open_queue",
            ),
            models.Index(fields=["status", "-received_at"], name="complaint_status_received"),
            models.Index(fields=["assignee", "status"], name="complaint_assignee_status"),
            models.Index(fields=["team", "status"], name="complaint_team_status"),
            models.Index(fields=["incident", "status"], name="complaint_incident_status"),
            # The reports read the complaints received, or decided, in a period: each index carries the columns
            # they aggregate, so PostgreSQL answers from the index alone (``include`` is ignored on SQLite).
            models.Index(fields=["received_at"], include=REPORT_RECEIVED_COLUMNS, name="complaint_received"),
            models.Index(
                fields=["decided_at"],
                include=REPORT_DECIDED_COLUMNS,
                condition=Q(decided_at__isnull=False),
                name="complaint_decided",
            ),
            # SLA watchers look only at complaints still owing an answer or a resolution.
            models.Index(
                fields=["first_response_due"],
                condition=Q(first_responded_at__isnull=True, status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_first_response_due",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=Q(status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_resolution_due",
            ),
            models.Index(
                fields=["next_response_due"],
                condition=Q(next_response_due__isnull=False, status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_next_response_due",
            ),
            # The queue's full-text search uses a GIN index on to_tsvector('simple', search_document), created by
            # migration 0005 on PostgreSQL only (SQLite, the embedded mode, has no full-text index).
            # The queue's tab counts: one index-only scan over open complaints reads every column they test.
            models.Index(
                fields=[
                    "status",
                    "assignee",
                    "first_responded_at",
                    "first_response_due",
                    "next_response_due",
                    "resolution_due",
                ],
                condition=Q(status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_open_sla",
            ),
            # The queue's "due soonest" and "priority" orders, walked by keyset like the default one.
            models.Index(
                complaint_sla_due_key(),
                "id",
                condition=Q(status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_open_due_order",
            ),
            # "Next complaint": the unassigned ones still to be worked, due soonest first, per team and anywhere.
            models.Index(
                "team",
                complaint_sla_due_key(),
                "id",
                condition=Q(status__in=["new", "in_progress"], assignee__isnull=True),
                name="complaint_unassigned_team_due",
            ),
            models.Index(
                complaint_sla_due_key(),
                "id",
                condition=Q(status__in=["new", "in_progress"], assignee__isnull=True),
                name="complaint_unassigned_due",
            ),
            models.Index(
                complaint_priority_rank(),
                models.F("received_at").desc(),
                models.F("id").desc(),
                condition=Q(status__in=["new", "in_progress", "awaiting_customer"]),
                name="complaint_open_priority_order",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # Labels by enum lookup: get_<field>_display() rebuilds (and translates) the whole choices list per call,
    # which dominates the queue page's render time.
    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)

    @property
    def priority_label(self) -> str:
        return str(Priority(self.priority).label)


class EventKind(models.TextChoices):
    CREATED = "created", _("Complaint received")
    CUSTOMER_MESSAGE = "customer_message", _("Message from the customer")
    STAFF_REPLY = "staff_reply", _("Reply")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    FIELD_CHANGED = "field_changed", _("Field changed")
    LETTER_SENT = "letter_sent", _("Letter sent")
    LETTER_FAILED = "letter_failed", _("Letter failed")
    RATED = "rated", _("Outcome rated")
    OFFER_ACCEPTED = "offer_accepted", _("Offer accepted")
    OFFER_DECLINED = "offer_declined", _("Offer declined")
    MERGED = "merged", _("Merged")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Link removed")
    SLA_WARNING = "sla_warning", _("Promise about to be broken")
    SLA_BREACHED = "sla_breached", _("Promise broken")
    ESCALATED = "escalated", _("Escalated")
    OFFER_PROPOSED = "offer_proposed", _("Offer proposed")
    OFFER_APPROVAL_REQUESTED = "offer_approval_requested", _("Offer awaits approval")
    OFFER_APPROVED = "offer_approved", _("Offer approved")
    OFFER_REJECTED = "offer_rejected", _("Offer not approved")
    OFFER_WITHDRAWN = "offer_withdrawn", _("Offer withdrawn")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")
    OFFER_FULFILLED = "offer_fulfilled", _("Offer fulfilled")


class ComplaintEvent(models.Model):
    """One entry on a complaint's timeline: a message, a note, a status change, a letter sent.

    The timeline, the audit trail and the reports read the same rows. ``is_public`` rows are what the
    customer sees on the tracking page.
    """

    Kind = EventKind

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind)
    is_public = models.BooleanField(_("visible to the customer"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaint_events",
        verbose_name=_("author"),
    )
    by_customer = models.BooleanField(_("written by the customer"), default=False)
    body = models.TextField(_("text"), blank=True)
    from_status = models.CharField(_("from status"), max_length=32, choices=Status, blank=True)
    to_status = models.CharField(_("to status"), max_length=32, choices=Status, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="event_complaint_time")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def field_change(self) -> tuple[str, str, str] | None:
        """For a recorded change of priority, category, team or incident: (field, old, new), in the reader's
        language."""
        field = self.data.get("field")
        labels: dict[str, dict[str, Any]] = {
            "priority": dict(Priority.choices),
            "category": dict(Category.choices),
            "team": {"": "—"},  # teams are recorded by name; "" is no team
            "incident": {"": "—"},  # incidents by title; "" is none
        }
        names = {"priority": _("priority"), "category": _("category"), "team": _("team"), "incident": _("incident")}
        if field not in labels:
            return None
        old, new = self.data.get("from", ""), self.data.get("to", "")
        return str(names[field]), str(labels[field].get(old, old)), str(labels[field].get(new, new))

    @property
    def letter_kind_label(self) -> str:
        """For letter events: the kind of letter, in the reader's language."""
        kind = self.data.get("letter_kind", "")
        return str(LetterKind(kind).label) if kind in LetterKind.values else kind


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Random names in a private folder under MEDIA_ROOT: never served by the web server, only by the
    # permission-checked download view. The customer's file name is kept in ``original_name``.
    return f"private/attachments/{instance.received_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file a customer or staff member attached. Only images and PDF, checked from the content."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        ComplaintEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(max_length=64)
    by_customer = models.BooleanField(_("from the customer"), default=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CannedResponse(models.Model):
    """A reply staff start from. Placeholders: {name}, {reference}, {due}, {agent}."""

    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=[("en", _("English")), ("ru", _("Russian"))])
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["language", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class SavedFilter(models.Model):
    """A staff member's named queue filter (the query string of the queue page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")]

    def __str__(self) -> str:
        return self.name


def default_working_days() -> list[int]:
    """Monday to Friday (Monday is 0, as ``datetime.weekday`` counts)."""
    return [0, 1, 2, 3, 4]


class BusinessCalendar(models.Model):
    """When the response-time clock runs: working days and hours in a time zone, minus holidays; or 24/7."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    always_open = models.BooleanField(_("24/7"), default=False)
    working_days = models.JSONField(_("working days (0 = Monday … 6 = Sunday)"), default=default_working_days)
    opens_at = models.TimeField(_("opens at"), default=time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=time(18, 0))

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="calendar_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day the calendar's clock does not run."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SlaPolicy(models.Model):
    """How quickly we promise to acknowledge, answer and resolve, per priority; a row with a category or a
    product overrides the priority's general row for those complaints. Minutes count on the calendar's working
    time (none: around the clock)."""

    priority = models.CharField(_("priority"), max_length=16, choices=Priority)
    category = models.CharField(_("only for the category"), max_length=32, choices=Category, blank=True)
    product = models.ForeignKey(
        "customers.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("only for the product"),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("business calendar (empty: 24/7)"),
    )
    acknowledgement_minutes = models.PositiveIntegerField(_("acknowledgement within, minutes"), default=15)
    first_response_minutes = models.PositiveIntegerField(_("first response within, minutes"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response after a customer's reply within, minutes"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution within, minutes"))

    class Meta:
        verbose_name = _("response time promise")
        verbose_name_plural = _("response time promises")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="sla_resolution_after_first_response",
            ),
            models.UniqueConstraint(
                fields=["priority"], condition=Q(category="", product__isnull=True), name="sla_policy_one_general"
            ),
            models.UniqueConstraint(
                fields=["priority", "category"],
                condition=~Q(category="") & Q(product__isnull=True),
                name="sla_policy_one_per_category",
            ),
            models.UniqueConstraint(
                fields=["priority", "product"], condition=Q(product__isnull=False), name="sla_policy_one_per_product"
            ),
        ]

    def __str__(self) -> str:
        scope = self.product or (self.get_category_display() if self.category else "")
        return f"{self.get_priority_display()} · {scope}" if scope else str(self.get_priority_display())


class Team(models.Model):
    """A group of agents who take the complaints about some products (a product line).

    A new complaint goes to the team whose products include the complaint's product, else to the default
    team, and inside the team to the least loaded member who is on duty.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    products = models.ManyToManyField("customers.Product", blank=True, related_name="teams", verbose_name=_("products"))
    is_default = models.BooleanField(_("takes complaints no other team takes"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams", verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="team_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A staff member in a team; ``is_lead`` for the team's lead."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships", verbose_name=_("member")
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.team}: {self.user}"


class AgentDuty(models.Model):
    """Whether a staff member is on duty (takes new complaints automatically), and when they last got one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="duty",
        verbose_name=_("staff member"),
    )
    on_duty = models.BooleanField(_("on duty"), default=False)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    # Ties between equally loaded agents go to the one who waited longest for a complaint.
    last_assigned_at = models.DateTimeField(_("last given a complaint"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty status")
        verbose_name_plural = _("duty statuses")

    def __str__(self) -> str:
        return f"{self.user}: {'on' if self.on_duty else 'off'}"


class SlaTarget(models.TextChoices):
    """The promises a complaint is held to, each with its due time on the complaint."""

    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement")
    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    RESOLUTION = "resolution", _("resolution")


class SlaAlertLevel(models.TextChoices):
    WARNING = "warning", _("Warning (three quarters of the time used)")
    BREACH = "breach", _("Breach")


class SlaAlert(models.Model):
    """A warning or a breach of one promise of one complaint, for one due time: written once (the unique
    constraint), so two sweeps at once never warn or escalate twice. A due time that moves gets its own alerts."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(_("promise"), max_length=32, choices=SlaTarget)
    level = models.CharField(_("level"), max_length=16, choices=SlaAlertLevel)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # Who was told: the assignee for a warning, team leads and managers for a breach.
    notified = models.JSONField(_("told"), default=list, blank=True)

    class Meta:
        verbose_name = _("promise alert")
        verbose_name_plural = _("promise alerts")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "target", "level", "due_at"], name="sla_alert_once"),
            models.CheckConstraint(condition=Q(target__in=SlaTarget.values), name="sla_alert_target_valid"),
            models.CheckConstraint(condition=Q(level__in=SlaAlertLevel.values), name="sla_alert_level_valid"),
        ]
        indexes = [models.Index(fields=["level", "created_at"], name="sla_alert_level_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.target} {self.level}"


class SlaHealthCheck(models.Model):
    """The daily proof of the promise "no complaint goes unanswered", shown on the health page."""

    checked_at = models.DateTimeField(_("checked"), default=timezone.now)
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("to"))
    received = models.PositiveIntegerField(_("complaints received"), default=0)
    unacknowledged = models.PositiveIntegerField(_("received but not acknowledged"), default=0)
    breaches = models.PositiveIntegerField(_("promises broken"), default=0)
    escalated = models.PositiveIntegerField(_("of those, escalated"), default=0)
    # References of the complaints that break the invariant (not acknowledged, or breached and not escalated).
    offenders = models.JSONField(_("complaints to look at"), default=list, blank=True)

    class Meta:
        verbose_name = _("daily promise check")
        verbose_name_plural = _("daily promise checks")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def holds(self) -> bool:
        return self.unacknowledged == 0 and self.escalated == self.breaches


class ReferenceCounter(models.Model):
    """The last reference number issued in a year (RC-<year>-<number>)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
