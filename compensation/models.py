"""Remedies offered to customers. Money is Decimal with its currency; durations are whole days."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import currency_validator, default_currency


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


class CompensationOffer(models.Model):
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="offers", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=OfferKind)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator], default=default_currency)
    duration_days = models.PositiveIntegerField(_("duration, days"), null=True, blank=True)
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

    class Meta:
        verbose_name = _("compensation offer")
        verbose_name_plural = _("compensation offers")
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


class IncidentSeverity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Incident(models.Model):
    """An outage or another failure of ours that affected the customers of some products, for a time window
    (``ended_at`` empty: still going on). Complaints about it are linked to it."""

    title = models.CharField(_("title"), max_length=200)
    public_description = models.TextField(_("what happened, as customers read it"))
    products = models.ManyToManyField(
        "customers.Product", related_name="incidents", verbose_name=_("affected products")
    )
    severity = models.CharField(_("severity"), max_length=16, choices=IncidentSeverity, default=IncidentSeverity.MAJOR)
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
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_ongoing(self) -> bool:
        return self.ended_at is None
