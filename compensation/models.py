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
