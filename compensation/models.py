"""Remedies offered to customers. Money is Decimal with its currency; durations are whole days."""

from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.money import round_money
from customers.models import currency_validator, default_currency

if TYPE_CHECKING:
    from compensation.calculations import CreditTier


class OfferKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    SERVICE_CREDIT = "service_credit", _("Service credit")
    FREE_PERIOD = "free_period", _("Free period")
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Repair")
    VOUCHER = "voucher", _("Voucher")
    GOODWILL = "goodwill", _("Goodwill gesture")


# Kinds whose value is an amount of money, and those measured in days of service.
MONEY_KINDS = (
    OfferKind.REFUND,
    OfferKind.PARTIAL_REFUND,
    OfferKind.SERVICE_CREDIT,
    OfferKind.VOUCHER,
    OfferKind.GOODWILL,
)
DURATION_KINDS = (OfferKind.FREE_PERIOD,)


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not approved")


class CompensationOffer(models.Model):
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="offers", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=OfferKind)
    # Three decimals, for dinars; read back rounded to the currency's own minor unit (see ``from_db``).
    amount = models.DecimalField(
        _("amount"), max_digits=13, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator], default=default_currency)
    duration_days = models.PositiveIntegerField(_("duration, days"), null=True, blank=True)
    # What the policy suggested (compensation.services.offer_suggest), kept beside what was offered.
    suggested_kind = models.CharField(_("suggested kind"), max_length=32, choices=OfferKind, blank=True)
    suggested_amount = models.DecimalField(
        _("suggested amount"), max_digits=13, decimal_places=3, null=True, blank=True
    )
    suggested_duration_days = models.PositiveIntegerField(_("suggested duration, days"), null=True, blank=True)
    suggestion_basis = models.JSONField(_("how the suggestion was calculated"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=OfferStatus, default=OfferStatus.DRAFT)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="compensation_offers",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    decided_at = models.DateTimeField(_("customer decided"), null=True, blank=True)
    decline_reason = models.TextField(_("why the customer declined"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    rejection_reason = models.TextField(_("why it was not approved"), blank=True)
    offered_at = models.DateTimeField(_("offered to the customer"), null=True, blank=True)
    expires_at = models.DateTimeField(_("the customer may accept until"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fulfilled by"),
    )
    voucher_code = models.CharField(_("voucher code"), max_length=16, null=True, blank=True, unique=True)
    voucher_expires_on = models.DateField(_("voucher valid until"), null=True, blank=True)
    billing_reference = models.CharField(_("billing reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("compensation offer")
        verbose_name_plural = _("compensation offers")
        permissions = [("approve_offer", _("Can approve compensation offers above the proposer's limit"))]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OfferKind.values), name="offer_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in MONEY_KINDS]) | Q(amount__isnull=False),
                name="offer_money_kind_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in DURATION_KINDS]) | Q(duration_days__gt=0),
                name="offer_period_kind_has_duration",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="offer_status_created")]

    def __str__(self) -> str:
        if self.amount is not None:
            return f"{self.get_kind_display()} {self.amount} {self.currency}"
        if self.duration_days:
            return f"{self.get_kind_display()} {self.duration_days} d"
        return str(self.get_kind_display())

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> "CompensationOffer":
        offer = super().from_db(db, field_names, values, **kwargs)
        # Stored with three decimals; shown with the currency's own (600.00 RUB, 17 JPY, 0.056 KWD).
        for name in ("amount", "suggested_amount"):
            value = offer.__dict__.get(name)
            if isinstance(value, Decimal) and offer.__dict__.get("currency"):
                offer.__dict__[name] = round_money(value, offer.currency)
        return offer


class IncidentSeverity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    """An incident is ongoing until its end is known; then it is resolved (a later end time may reopen it)."""

    ONGOING = "ongoing", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")


# The one map of allowed status changes (compensation.incidents.services applies it).
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.ONGOING: frozenset({IncidentStatus.RESOLVED}),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.ONGOING}),
}


class Incident(models.Model):
    """An outage or another failure of ours that affected the customers of some products, for a time window
    (``ended_at`` empty: still going on). Complaints about it are linked to it."""

    title = models.CharField(_("title"), max_length=200)
    public_description = models.TextField(_("what happened, as customers read it"))
    products = models.ManyToManyField(
        "customers.Product", related_name="incidents", verbose_name=_("affected products")
    )
    severity = models.CharField(_("severity"), max_length=16, choices=IncidentSeverity, default=IncidentSeverity.MAJOR)
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus, default=IncidentStatus.ONGOING)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    created_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="incident_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=Q(severity__in=IncidentSeverity.values), name="incident_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_status_valid"),
        ]
        permissions = [("compensate_incident", _("Can apologise and compensate the customers of an incident"))]

    def __str__(self) -> str:
        return self.title

    @property
    def is_ongoing(self) -> bool:
        return self.ended_at is None


class ProductKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SUBSCRIPTION = "subscription", _("Subscription service")


class RemedyType(models.TextChoices):
    SERVICE_CREDIT = "service_credit", _("Service credit, pro-rata for the downtime")
    SERVICE_CREDIT_TIERS = "service_credit_tiers", _("Service credit by availability tiers")
    FREE_PERIOD = "free_period", _("Free period of service")
    GOODS = "goods", _("Goods: refund, repair or replacement, partial refund")
    VOUCHER_FIXED = "voucher_fixed", _("Voucher for a fixed amount")
    VOUCHER_PERCENT = "voucher_percent", _("Voucher for a percent of the price")


class DefectRemedy(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Repair")


class CompensationRule(models.Model):
    """The remedy our policy suggests for complaints it matches. The most specific active rule wins:
    the product's, then a category with a priority, a category, a priority, and last the product kind's default.
    Amounts (minimum, fixed vouchers) are in the purchase's currency."""

    name = models.CharField(_("name"), max_length=120)
    product_kind = models.CharField(_("product kind"), max_length=16, choices=ProductKind)
    category = models.CharField(_("only for the category"), max_length=32, blank=True)
    priority = models.CharField(_("only for the priority"), max_length=16, blank=True)
    product = models.ForeignKey(
        "customers.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="compensation_rules",
        verbose_name=_("only for the product"),
    )
    remedy_type = models.CharField(_("remedy"), max_length=32, choices=RemedyType)
    multiplier = models.DecimalField(
        _("multiplier (pro-rata credit)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    minimum = models.DecimalField(
        _("minimum credit"), max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    tiers = models.JSONField(
        _("availability tiers"),
        default=list,
        blank=True,
        help_text=_('A list such as [{"below_availability": "99.9", "credit_share": "10"}]: percent values.'),
    )
    free_days = models.PositiveIntegerField(_("free days"), null=True, blank=True)
    defect_remedy = models.CharField(
        _("a defect within the warranty gets"), max_length=16, choices=DefectRemedy, default=DefectRemedy.REPLACEMENT
    )
    return_window_days = models.PositiveIntegerField(_("return window, days"), default=14)
    partial_refund_share = models.DecimalField(
        _("partial refund after the return window, percent"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    voucher_amount = models.DecimalField(
        _("voucher amount"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    voucher_percent = models.DecimalField(
        _("voucher percent of the price"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    voucher_expiry_days = models.PositiveIntegerField(_("voucher valid for, days"), default=180)
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")
        ordering = ["product_kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(product_kind__in=ProductKind.values), name="rule_product_kind_valid"),
            models.CheckConstraint(condition=Q(remedy_type__in=RemedyType.values), name="rule_remedy_type_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            self.credit_tiers()
        except (TypeError, ValueError, KeyError, InvalidOperation):
            errors["tiers"] = _(
                'Write the tiers as a list of {"below_availability": "99.9", "credit_share": "10"}, '
                "with availability above 0 and at most 100, and a share from 0 to 100."
            )
        if self.remedy_type == RemedyType.SERVICE_CREDIT_TIERS and not self.tiers:
            errors["tiers"] = _("A tiered credit needs at least one tier.")
        if self.remedy_type == RemedyType.FREE_PERIOD and not self.free_days:
            errors["free_days"] = _("How many days of free service?")
        if self.remedy_type == RemedyType.VOUCHER_FIXED and not self.voucher_amount:
            errors["voucher_amount"] = _("Enter the voucher's amount.")
        if self.remedy_type == RemedyType.VOUCHER_PERCENT and not self.voucher_percent:
            errors["voucher_percent"] = _("Enter the voucher's percent of the price.")
        outage_types = (RemedyType.SERVICE_CREDIT, RemedyType.SERVICE_CREDIT_TIERS, RemedyType.FREE_PERIOD)
        if self.remedy_type in outage_types and self.product_kind == ProductKind.GOODS:
            errors["remedy_type"] = _("Service credits and free periods are for subscriptions.")
        if self.remedy_type == RemedyType.GOODS and self.product_kind != ProductKind.GOODS:
            errors["remedy_type"] = _("Refunds, repairs and replacements by warranty are for goods.")
        if errors:
            raise ValidationError(errors)

    def credit_tiers(self) -> tuple["CreditTier", ...]:
        """The tiers as calculation objects (raises on a malformed list)."""
        from compensation.calculations import CreditTier

        if not isinstance(self.tiers, list):
            raise TypeError("tiers must be a list")
        return tuple(
            CreditTier(
                below_availability=Decimal(str(row["below_availability"])),
                credit_share=Decimal(str(row["credit_share"])),
            )
            for row in self.tiers
        )

    @property
    def specificity(self) -> int:
        """Lower wins: product, category and priority, category, priority, the kind's default."""
        if self.product_id is not None:
            return 0
        if self.category and self.priority:
            return 1
        if self.category:
            return 2
        if self.priority:
            return 3
        return 4


class ApprovalLimit(models.Model):
    """What members of a group may offer without a manager's approval. A user's limit is the most generous of
    their groups' rows for the offer's currency (an empty currency: any currency); empty limits are unlimited."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="approval_limits", verbose_name=_("group"))
    currency = models.CharField(_("currency (empty: any)"), max_length=3, blank=True, validators=[currency_validator])
    max_amount = models.DecimalField(
        _("up to this amount (empty: no limit)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    max_free_days = models.PositiveIntegerField(_("up to this many free days (empty: no limit)"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        ordering = ["group__name", "currency"]
        constraints = [models.UniqueConstraint(fields=["group", "currency"], name="approval_limit_one_per_currency")]

    def __str__(self) -> str:
        return f"{self.group} {self.currency or '*'}"


class IncidentEventKind(models.TextChoices):
    DECLARED = "declared", _("Declared")
    UPDATED = "updated", _("Updated")
    APOLOGY_STARTED = "apology_started", _("Apology and compensation started")
    BATCH_DONE = "batch_done", _("A batch of customers done")
    FINISHED = "finished", _("Apology and compensation finished")
    RESUMED = "resumed", _("Apology and compensation resumed")


class IncidentEvent(models.Model):
    """The incident's timeline: what was declared and changed, and each step of apologising for it."""

    Kind = IncidentEventKind

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events", verbose_name=_("incident"))
    kind = models.CharField(_("kind"), max_length=32, choices=IncidentEventKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentEventKind.values), name="incident_event_kind_valid"),
        ]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_event_timeline")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.kind}"


class AffectedState(models.TextChoices):
    PENDING = "pending", _("Waiting for the apology")
    DONE = "done", _("Apologised")


class IncidentAffected(models.Model):
    """One purchase whose service period overlapped the incident's window (written in SQL by
    ``compensation.incidents.affected``). ``pending`` until its customer's apology and its credit are done;
    a changed window makes it pending again with the new overlap."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="affected", verbose_name=_("incident")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    purchase = models.ForeignKey(
        "customers.Purchase", on_delete=models.CASCADE, related_name="+", verbose_name=_("purchase")
    )
    overlap_seconds = models.PositiveIntegerField(_("time affected, seconds"), default=0)
    # The overlap the last apology was about (0: not apologised yet), so a longer window writes again.
    overlap_seconds_done = models.PositiveIntegerField(_("time apologised for, seconds"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=AffectedState, default=AffectedState.PENDING)
    credited_amount = models.DecimalField(_("credited so far"), max_digits=12, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    letter = models.ForeignKey(
        "notifications.Letter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last apology letter"),
    )
    apologised_at = models.DateTimeField(_("apologised"), null=True, blank=True)

    class Meta:
        verbose_name = _("affected purchase")
        verbose_name_plural = _("affected purchases")
        constraints = [
            models.UniqueConstraint(fields=["incident", "purchase"], name="incident_affected_once"),
            models.CheckConstraint(condition=Q(state__in=AffectedState.values), name="incident_affected_state_valid"),
        ]
        indexes = [
            # The fan-out walks an incident's pending rows by customer id.
            models.Index(fields=["incident", "state", "customer"], name="incident_affected_walk"),
            # A submitted complaint finds its customer's incidents.
            models.Index(fields=["customer", "incident"], name="incident_affected_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.purchase_id}"


class IncidentCredit(models.Model):
    """A credit given to a purchase for an incident, for the window it was computed over. A longer window later
    adds a credit for the difference only; the same window is never credited twice. An amount of 0 records
    that a recomputation (a shortened window) gave nothing and took nothing back."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="credits", verbose_name=_("incident"))
    purchase = models.ForeignKey(
        "customers.Purchase", on_delete=models.PROTECT, related_name="+", verbose_name=_("purchase")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    basis = models.JSONField(_("how it was computed"), default=dict, blank=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("incident credit")
        verbose_name_plural = _("incident credits")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "purchase", "window_start", "window_end"], name="incident_credit_once_per_window"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="incident_credit_not_negative"),
        ]
        indexes = [models.Index(fields=["customer", "incident"], name="incident_credit_customer")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class IncidentRun(models.Model):
    """One "apologise and compensate" pass over an incident's pending affected purchases, in batches. At most
    one runs per incident at a time; a stalled one is resumed, never started twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="runs", verbose_name=_("incident"))
    status = models.CharField(_("status"), max_length=16, choices=RunStatus, default=RunStatus.RUNNING)
    is_update = models.BooleanField(_("after a changed window"), default=False)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    progress_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    batches_total = models.PositiveIntegerField(_("batches"), default=0)
    batches_done = models.PositiveIntegerField(_("batches done"), default=0)
    customers_total = models.PositiveIntegerField(_("customers"), default=0)
    customers_done = models.PositiveIntegerField(_("customers done"), default=0)
    letters_queued = models.PositiveIntegerField(_("letters queued"), default=0)
    credits_issued = models.PositiveIntegerField(_("credits issued"), default=0)

    class Meta:
        verbose_name = _("apology run")
        verbose_name_plural = _("apology runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], condition=Q(status="running"), name="incident_one_running_run"
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="incident_run_status_valid"),
        ]
        indexes = [models.Index(fields=["progress_at"], condition=Q(status="running"), name="incident_run_running")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.status}"

    @property
    def percent(self) -> int:
        if not self.customers_total:
            return 100 if self.status == RunStatus.FINISHED else 0
        return min(100, self.customers_done * 100 // self.customers_total)


class IncidentBatch(models.Model):
    """A range of customer ids of a run, handled by one task in one transaction."""

    run = models.ForeignKey(IncidentRun, on_delete=models.CASCADE, related_name="batches", verbose_name=_("run"))
    first_customer_id = models.BigIntegerField(_("first customer id"))
    last_customer_id = models.BigIntegerField(_("last customer id"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("apology batch")
        verbose_name_plural = _("apology batches")
        ordering = ["run", "first_customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_customer_id"], name="incident_batch_once"),
        ]
        indexes = [models.Index(fields=["run"], condition=Q(done=False), name="incident_batch_pending")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.first_customer_id}-{self.last_customer_id}"
