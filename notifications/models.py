"""The outbox: every letter is a row written in the transaction that causes it, then sent by a worker."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.webhooks.transport import validate_webhook_url, webhook_secret_new


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("We have received your complaint")
    REPLY = "reply", _("Reply")
    INFO_REQUEST = "info_request", _("Information request")
    RESOLUTION = "resolution", _("Resolution")
    REJECTION = "rejection", _("Decision")
    REOPENED = "reopened", _("Reopened")
    OFFER = "offer", _("Compensation offer")
    LOST_LINKS = "lost_links", _("Your complaint links")
    CUSTOMER_REPLIED = "customer_replied", _("The customer replied")
    OFFER_DECIDED = "offer_decided", _("The customer decided on an offer")
    MERGED = "merged", _("Merged into another complaint")
    CLOSED = "closed", _("Closed")
    SLA_WARNING = "sla_warning", _("A promise is about to be broken")
    ESCALATION = "escalation", _("A promise was broken")
    DIGEST = "digest", _("Daily digest")
    INCIDENT_APOLOGY = "incident_apology", _("Apology for an incident")
    OFFER_FULFILLED = "offer_fulfilled", _("Your compensation is ready")
    OFFER_EXPIRED = "offer_expired", _("An offer expired")
    OFFER_APPROVAL = "offer_approval", _("An offer awaits approval")
    OFFER_REVIEWED = "offer_reviewed", _("An offer was approved or not approved")


class LetterTemplate(models.Model):
    """A letter's wording edited in the admin, per kind and language; without one the files under
    ``templates/notifications/letters/`` are used. Written in a safe subset of the template language."""

    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind)
    language = models.CharField(_("language"), max_length=8, choices=[("en", _("English")), ("ru", _("Russian"))])
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML (empty: made from the text)"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "language"]
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="letter_template_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class LetterStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Letter(models.Model):
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, null=True, blank=True, related_name="letters"
    )
    recipient = models.EmailField(_("recipient"))
    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=LetterStatus, default=LetterStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Whatever causes a letter names it once (e.g. "acknowledgement:complaint:42"), so it is written once.
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # When a queued letter may be tried next (retry backoff); the sweeper respects it.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sending_started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LetterStatus.values), name="letter_status_valid"),
        ]
        indexes = [
            # The sweeper reads only letters that still wait, or hang, however large the archive grows.
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="letter_queued_due"),
            models.Index(fields=["sending_started_at"], condition=Q(status="sending"), name="letter_sending_since"),
            models.Index(fields=["status", "created_at"], name="letter_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class Heartbeat(models.Model):
    """The last time a background job ran (the SLA sweep, the letter sweeper, a worker's heartbeat), so the
    operations page shows a stopped beat or worker within minutes."""

    name = models.CharField(_("name"), max_length=120, primary_key=True)
    beat_at = models.DateTimeField(_("last run"), default=timezone.now)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundMailStatus(models.TextChoices):
    MATCHED = "matched", _("Added to a complaint")
    UNMATCHED = "unmatched", _("Not matched to a complaint")
    IGNORED = "ignored", _("Ignored (auto-reply or bounce)")


class InboundMail(models.Model):
    """A letter customers sent us, as received. Unmatched ones wait on a staff list; none is dropped."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    sender = models.EmailField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    raw = models.BinaryField(_("original message"))
    status = models.CharField(_("status"), max_length=16, choices=InboundMailStatus)
    reason = models.CharField(_("why"), max_length=255, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_mail"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("incoming letter")
        verbose_name_plural = _("incoming letters")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=InboundMailStatus.values), name="inbound_mail_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "-received_at"], name="inbound_status_received")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


# --- Outgoing webhooks ------------------------------------------------------------------------------------------


class WebhookEventType(models.TextChoices):
    COMPLAINT_CREATED = "complaint.created", _("A complaint was received")
    COMPLAINT_TRANSITIONED = "complaint.transitioned", _("A complaint's status changed")
    OFFER_ACCEPTED = "offer.accepted", _("A customer accepted an offer")
    CREDIT_ISSUED = "credit.issued", _("A credit or refund was issued")
    # Sent only by "send a test ping"; no one subscribes to it.
    PING = "ping", _("Test ping")


# The events a subscriber may choose (an empty choice means all of them).
SUBSCRIBABLE_EVENTS = [
    WebhookEventType.COMPLAINT_CREATED,
    WebhookEventType.COMPLAINT_TRANSITIONED,
    WebhookEventType.OFFER_ACCEPTED,
    WebhookEventType.CREDIT_ISSUED,
]


class WebhookSubscriber(models.Model):
    """Another system told about what happens here: each event it wants is POSTed to ``url`` as JSON, signed
    with ``secret`` (HMAC-SHA256, see ``notifications.webhooks.transport``)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"]), validate_webhook_url],
        help_text=_("Where the events are POSTed: an http:// or https:// address."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        default=webhook_secret_new,
        help_text=_("The receiver checks each request's signature with it."),
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("The events to send; none chosen means all of them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("webhook subscriber")
        verbose_name_plural = _("webhook subscribers")
        ordering = ["name", "id"]
        permissions = [("manage_webhooks", _("Can manage webhook subscribers and their deliveries"))]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    """One event for one subscriber: the outbox row written in the transaction that caused the event, and the
    log of trying to deliver it. The same event reaches a subscriber once (unique per subscriber and event)."""

    subscriber = models.ForeignKey(
        WebhookSubscriber, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscriber")
    )
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEventType)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=WebhookDeliveryStatus, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=WebhookDeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            # The retry sweep reads the pending rows that are due.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            # A subscriber's delivery log, newest first.
            models.Index(fields=["subscriber", "-created_at", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscriber_id}"
