"""Writes the customer makes: submitting a complaint, answering, rating the outcome, reopening, and asking
for lost tracking links."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.incidents.selectors import incident_affecting_customer
from complaints.attachments import attachment_save, attachments_validate
from complaints.models import PRIORITY_RANK, Category, Complaint, ComplaintEvent, Priority, Status
from complaints.queue import search_document_for
from complaints.services.core import (
    REOPEN_WINDOW,
    _apply_transition,
    _initial_priority,
    _lock,
    _notify_assignee,
    _queue_customer_letter,
    _record_field_change,
    _touch,
    reference_next,
    sla_due_iso,
    sla_policy_for,
    sla_schedule,
)
from complaints.services.teams import complaint_auto_assign, complaint_route
from complaints.sla import add_working_minutes, working_time_for
from complaints.tokens import tracking_url
from complaints.transitions import OPEN, Action
from config.exceptions import ApplicationError, TransitionNotAllowed
from customers.models import Customer, Language, Product
from customers.selectors import purchase_find_for_customer
from customers.services import customer_get_or_create_by_email, customer_normalize_email
from notifications.models import LetterKind, WebhookEventType
from notifications.services import letter_queue
from notifications.webhooks import events as webhook_data
from notifications.webhooks.services import webhook_event_publish


@transaction.atomic
def complaint_submit(
    *,
    name: str,
    email: str,
    category: str,
    description: str,
    phone: str = "",
    order_number: str = "",
    product_code: str = "",
    desired_resolution: str = "",
    details: Mapping[str, Any] | None = None,
    attachments: Sequence[UploadedFile[bytes]] = (),
    channel: str = "web",
    language: str = Language.EN,
    submission_token: str = "",
    consent: bool = True,
) -> Complaint:
    """Register a complaint with its attachments and queue its acknowledgement letter, in one transaction.

    A repeat customer (same email, any case) is the same ``Customer``. The order number links the purchase
    only when it belongs to that customer; otherwise ``product_code`` (a product from the catalogue) names
    the product. The same ``submission_token`` always yields the same single complaint, so a resubmitted
    form does not create a second one. Invalid attachments raise ``ApplicationError`` and nothing is saved.
    """
    if submission_token:
        existing = Complaint.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing
    if not consent:
        raise ApplicationError(
            _("Please agree to the processing of your personal data so we can handle your complaint."),
            extra={"field": "consent"},
        )
    files = attachments_validate(attachments)
    now = timezone.now()
    language = language if language in Language.values else Language.EN
    customer = customer_get_or_create_by_email(email=email, name=name, phone=phone, language=language)
    purchase = purchase_find_for_customer(customer=customer, order_number=order_number)
    product = purchase.product if purchase else _catalogue_product(product_code)
    priority = _initial_priority(category=category)
    promise = Complaint(priority=priority, category=category, product=product, received_at=now)
    sla_schedule(promise, now)
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                reference=(reference := reference_next(when=now)),
                customer=customer,
                purchase=purchase,
                product=product,
                category=category,
                description=description.strip(),
                desired_resolution=desired_resolution,
                details=_clean_details(category=category, details=details or {}),
                channel=channel,
                priority=priority,
                language=language,
                received_at=now,
                updated_at=now,
                sla_policy=promise.sla_policy,
                acknowledgement_due=promise.acknowledgement_due,
                first_response_due=promise.first_response_due,
                resolution_due=promise.resolution_due,
                consent_at=now if consent else None,
                submission_token=submission_token or None,
                search_document=search_document_for(
                    reference=reference, name=customer.name, email=customer.email, description=description.strip()
                ),
            )
    except IntegrityError:
        # The same form was submitted twice at the same moment: the other request created it.
        if submission_token:
            return Complaint.objects.get(submission_token=submission_token)
        raise
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.CREATED,
        is_public=True,
        by_customer=True,
        body=complaint.description,
        to_status=Status.NEW,
        data={"channel": channel, "order_number": order_number.strip(), "purchase_linked": purchase is not None},
        created_at=now,
    )
    for upload in files:
        attachment_save(complaint=complaint, upload=upload, by_customer=True, event=event)
    # Into its product's team, and to that team's least loaded agent on duty (if anyone is).
    complaint_route(complaint=complaint)
    complaint_auto_assign(complaint=complaint, now=now)
    _link_to_incident(complaint=complaint, now=now)
    _queue_customer_letter(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT, key="received")
    webhook_event_publish(event_type=WebhookEventType.COMPLAINT_CREATED, data=webhook_data.complaint_created(complaint))
    return complaint


def _link_to_incident(*, complaint: Complaint, now: datetime) -> None:
    """A complaint from a customer whose subscription an incident affected (still going on, or ended within
    ``INCIDENT_AUTO_LINK_DAYS``) is linked to it, on the timeline like a staff member's link (no author)."""
    incident = incident_affecting_customer(
        customer_id=complaint.customer_id, now=now, days=settings.INCIDENT_AUTO_LINK_DAYS
    )
    if incident is None:
        return
    complaint.incident = incident
    _touch(complaint, now, ["incident"])
    _record_field_change(
        complaint=complaint,
        actor=None,
        field="incident",
        old="",
        new=incident.title,
        reason=str(_("Affected by the outage “%(title)s”: linked automatically.") % {"title": incident.title}),
        now=now,
    )


def _catalogue_product(code: str) -> Product | None:
    code = code.strip()
    return Product.objects.filter(code=code, is_active=True).first() if code else None


# The follow-up answers each category keeps (anything else sent along is dropped).
DETAIL_FIELDS: dict[str, tuple[str, ...]] = {
    Category.SERVICE_OUTAGE: ("outage_started_at", "outage_ongoing"),
    Category.DELIVERY: ("delivery_date",),
}


def _clean_details(*, category: str, details: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name in DETAIL_FIELDS.get(category, ()):
        value = details.get(name)
        if value is None or value == "":
            continue
        kept[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return kept


@transaction.atomic
def complaint_customer_reply(
    *, complaint: Complaint | int, body: str, attachments: Sequence[UploadedFile[bytes]] = (), channel: str = "web"
) -> ComplaintEvent:
    """The customer writes to us (tracking page or email).

    An answer to our question moves the complaint back into work; the assignee is told by letter.
    """
    body = body.strip()
    files = attachments_validate(attachments)
    if not body and not files:
        raise ApplicationError(_("Please write your message."), extra={"field": "body"})
    locked = _lock(complaint)
    now = timezone.now()
    if locked.status == Status.AWAITING_CUSTOMER:
        _apply_transition(complaint=locked, action=Action.CUSTOMER_REPLIED, actor=None, comment="", now=now)
    fields: list[str] = []
    if locked.next_response_due is None and locked.status in OPEN:
        # We owe an answer to this message; a staff reply clears it.
        policy = sla_policy_for(priority=locked.priority, category=locked.category, product_id=locked.product_id)
        minutes = policy.next_response_minutes or policy.first_response_minutes
        locked.next_response_due = add_working_minutes(working_time_for(policy.calendar), now, minutes)
        fields.append("next_response_due")
    _touch(locked, now, fields)
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE,
        is_public=True,
        by_customer=True,
        body=body,
        data={"channel": channel},
        created_at=now,
    )
    for upload in files:
        attachment_save(complaint=locked, upload=upload, by_customer=True, event=event)
    _notify_assignee(
        complaint=locked, kind=LetterKind.CUSTOMER_REPLIED, key=f"event:{event.pk}", message=body, files=len(files)
    )
    return event


@transaction.atomic
def complaint_rate(*, complaint: Complaint | int, rating: int, comment: str = "") -> Complaint:
    """The customer rates the outcome (1 to 5, once) after the complaint is resolved."""
    locked = _lock(complaint)
    if locked.status not in (Status.RESOLVED, Status.CLOSED, Status.REJECTED):
        raise ApplicationError(_("You can rate the outcome once your complaint is resolved."))
    if locked.rated_at is not None:
        raise ApplicationError(_("You have already rated this complaint. Thank you!"))
    if not 1 <= rating <= 5:
        raise ApplicationError(_("Choose a rating from 1 to 5."), extra={"field": "rating"})
    now = timezone.now()
    locked.rating, locked.rating_comment, locked.rated_at = rating, comment.strip(), now
    _touch(locked, now, ["rating", "rating_comment", "rated_at"])
    ComplaintEvent.objects.create(
        complaint=locked,
        kind=ComplaintEvent.Kind.RATED,
        is_public=True,
        by_customer=True,
        body=locked.rating_comment,
        data={"rating": rating},
        created_at=now,
    )
    return locked


def complaint_reopen_deadline(complaint: Complaint) -> datetime | None:
    """Until when the customer may reopen the complaint from the tracking page: ``REOPEN_WINDOW`` after it was
    resolved, or after it was declined or closed. ``None`` while it is open, and for a duplicate merged into
    another complaint (the conversation goes on there)."""
    if complaint.merged_into_id is not None:
        return None
    if complaint.status == Status.RESOLVED:
        since = complaint.resolved_at
    elif complaint.status in (Status.CLOSED, Status.REJECTED):
        since = complaint.closed_at
    else:
        return None
    return since + REOPEN_WINDOW if since is not None else None


def complaint_can_reopen(complaint: Complaint) -> bool:
    """Whether the customer may still reopen (or appeal): within ``REOPEN_WINDOW`` of the resolution, the
    refusal or the closure."""
    deadline = complaint_reopen_deadline(complaint)
    return deadline is not None and timezone.now() <= deadline


def complaint_is_appeal(complaint: Complaint) -> bool:
    """Whether reopening would be an appeal: the complaint was declined, or closed with an outcome the customer
    did not accept."""
    return complaint.status == Status.REJECTED or (
        complaint.status == Status.CLOSED and complaint.customer_accepted is False
    )


@transaction.atomic
def complaint_reopen_by_customer(*, complaint: Complaint | int, reason: str) -> Complaint:
    """The customer says the remedy was not enough: the complaint goes back into work and the assignee is told.

    Against a refusal or an outcome they did not accept it is an appeal: the timeline event's data says
    ``{"appeal": true}`` and the priority goes up to at least high (a staff-only ``FIELD_CHANGED`` event records
    that), so a senior colleague looks at it soon.
    """
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Please tell us what is still wrong."), extra={"field": "reason"})
    locked = _lock(complaint)
    if not complaint_can_reopen(locked):
        raise TransitionNotAllowed(
            _("This complaint can no longer be reopened here. Please write to us below and we will look again.")
        )
    appeal = complaint_is_appeal(locked)
    now = timezone.now()
    event = _apply_transition(
        complaint=locked,
        action=Action.REOPEN,
        actor=None,
        comment=reason,
        now=now,
        by_customer=True,
        data={"appeal": True} if appeal else None,
    )
    if appeal and PRIORITY_RANK[Priority(locked.priority)] > PRIORITY_RANK[Priority.HIGH]:
        previous = locked.priority
        locked.priority = Priority.HIGH
        _touch(locked, now, ["priority", *sla_schedule(locked, now)])
        _record_field_change(
            complaint=locked,
            actor=None,
            field="priority",
            old=previous,
            new=Priority.HIGH,
            now=now,
            appeal=True,
            due=sla_due_iso(locked),
        )
    _notify_assignee(complaint=locked, kind=LetterKind.CUSTOMER_REPLIED, key=f"event:{event.pk}", message=reason)
    return locked


def customer_send_tracking_links(*, email: str) -> bool:
    """Send the customer a letter with the links to their open complaints.

    Returns whether a letter was queued; callers must answer the same either way, so nobody can learn whether
    an address is known. At most one such letter per customer every 10 minutes.
    """
    customer = Customer.objects.filter(email=customer_normalize_email(email)).first()
    if customer is None:
        return False
    complaints = list(
        Complaint.objects.filter(customer=customer)
        .exclude(status__in=[Status.CLOSED, Status.REJECTED])
        .order_by("-received_at")[:20]
    )
    if not complaints:
        return False
    window = int(timezone.now().timestamp() // 600)
    with transaction.atomic():
        letter_queue(
            kind=LetterKind.LOST_LINKS,
            recipient=customer.email,
            language=customer.language,
            idempotency_key=f"lost_links:customer:{customer.pk}:{window}",
            context={
                "customer": customer,
                "complaints": [(complaint, tracking_url(complaint)) for complaint in complaints],
            },
        )
    return True
