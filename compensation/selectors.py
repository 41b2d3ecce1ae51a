"""Reads for compensation: offers, the policy rule that applies, and who may approve what."""

from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.db.models import Q, QuerySet

from compensation.models import (
    DURATION_KINDS,
    ApprovalLimit,
    CompensationOffer,
    CompensationRule,
    OfferStatus,
    ProductKind,
    RemedyType,
)
from complaints.models import Complaint

APPROVE_PERMISSION = "compensation.approve_offer"


def offer_list_for_complaint(*, complaint: Complaint) -> QuerySet[CompensationOffer]:
    return (
        CompensationOffer.objects.filter(complaint=complaint)
        .select_related("created_by", "approved_by", "fulfilled_by")
        .order_by("created_at", "id")
    )


# What the customer sees on the tracking page: offers made to them, never drafts or those awaiting approval.
CUSTOMER_VISIBLE = (
    OfferStatus.OFFERED,
    OfferStatus.ACCEPTED,
    OfferStatus.DECLINED,
    OfferStatus.EXPIRED,
    OfferStatus.FULFILLED,
)


def offer_list_for_customer(*, complaint: Complaint) -> QuerySet[CompensationOffer]:
    """The offers made to the customer (a withdrawn one only if they had seen it)."""
    return CompensationOffer.objects.filter(
        Q(status__in=CUSTOMER_VISIBLE) | Q(status=OfferStatus.WITHDRAWN, offered_at__isnull=False),
        complaint=complaint,
    ).order_by("created_at", "id")


def offer_pending_approval_list() -> QuerySet[CompensationOffer]:
    """Offers waiting for a manager's approval, the oldest first, with what the approvals page shows."""
    return (
        CompensationOffer.objects.filter(status=OfferStatus.PENDING_APPROVAL)
        .select_related("complaint", "complaint__customer", "created_by")
        .order_by("created_at", "id")
    )


def _fallback_rule(product_kind: str) -> CompensationRule:
    """Used when an admin deleted or switched off every rule for a product kind (an unsaved rule)."""
    if product_kind == ProductKind.SUBSCRIPTION:
        return CompensationRule(
            name="Built-in: pro-rata credit", product_kind=product_kind, remedy_type=RemedyType.SERVICE_CREDIT
        )
    return CompensationRule(
        name="Built-in: refund, warranty, partial refund", product_kind=ProductKind.GOODS, remedy_type=RemedyType.GOODS
    )


def compensation_rule_for(
    *, product_kind: str, product_id: int | None, category: str, priority: str
) -> CompensationRule:
    """The active rule that applies, the most specific first: the product's, then the category's with the
    priority, the category's, the priority's, and the product kind's default (else a built-in one). One query."""
    general = Q(product__isnull=True, category__in=[category, ""], priority__in=[priority, ""])
    scope = general | Q(product_id=product_id) if product_id is not None else general
    rules = list(CompensationRule.objects.filter(scope, product_kind=product_kind, is_active=True))
    if rules:
        return min(rules, key=lambda rule: (rule.specificity, -rule.updated_at.timestamp(), -rule.pk))
    return _fallback_rule(product_kind)


def can_approve_offers(user: User) -> bool:
    return bool(user.is_active and user.has_perm(APPROVE_PERMISSION))


def approval_limit_covers(
    *, user: User, kind: str, amount: Decimal | None, currency: str, duration_days: int | None
) -> bool:
    """Whether ``user`` may offer this without approval: the most generous of their groups' limits for the
    currency (a row without a currency covers every currency). Free days count against the days limit; money
    against the amount; a repair or replacement (no amount) is covered by any limit row."""
    if user.is_superuser:
        return True
    rows = list(ApprovalLimit.objects.filter(group__user=user))
    if kind in DURATION_KINDS:
        days = duration_days or 0
        return any(row.max_free_days is None or days <= row.max_free_days for row in rows)
    if amount is None:
        return bool(rows)
    return any(
        row.currency in ("", currency.upper()) and (row.max_amount is None or amount <= row.max_amount) for row in rows
    )


def offer_approvers() -> QuerySet[User]:
    """Active users who may approve offers (by a group or their own permission) and have an email."""
    permission = Permission.objects.filter(content_type__app_label="compensation", codename="approve_offer")
    return (
        User.objects.filter(
            Q(groups__permissions__in=permission) | Q(user_permissions__in=permission) | Q(is_superuser=True),
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def offer_exists_on_complaint(*, offer_id: int, complaint_id: int) -> bool:
    return CompensationOffer.objects.filter(pk=offer_id, complaint_id=complaint_id).exists()
