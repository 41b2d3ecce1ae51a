"""Letter wording edited in the admin (``LetterTemplate``), written in a safe subset of the template language.

A template may use text, ``{{ placeholders }}`` documented for its kind (``PLACEHOLDERS``), a few harmless
filters, ``{% if %}`` and ``{% for %}``. Nothing else: no ``{% load %}``, ``{% include %}``, ``{% url %}``,
custom tags, unknown names or names starting with "_". It is checked when saved and again when rendered,
and it is rendered with a context of plain values (strings, numbers, dates, lists and dicts of them) built
from the real one by ``safe_context``, so a template cannot reach a model instance, let alone the ORM.
"""

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.template import (
    Context,
    Engine,
    Library,
    Node,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Lexer, TextNode, TokenType, Variable, VariableNode
from django.template.defaulttags import ForNode, IfNode, TemplateLiteral
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.models import LetterKind, LetterTemplate

# --- what a template may use ----------------------------------------------------------------------------------

ALLOWED_FILTERS = frozenset(
    {
        "default",
        "default_if_none",
        "date",
        "time",
        "linebreaksbr",
        "linebreaks",
        "upper",
        "lower",
        "capfirst",
        "title",
        "truncatewords",
        "truncatechars",
        "floatformat",
        "length",
        "pluralize",
        "yesno",
    }
)
# The tag words of {% if %} … {% endif %} and {% for %} … {% endfor %}.
ALLOWED_TAG_WORDS = frozenset({"if", "elif", "else", "endif", "for", "empty", "endfor"})
# Names a loop provides inside its body besides its own variables.
LOOP_NAMES = frozenset({"forloop"})

_STRING_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")
_UNDERSCORE_NAME = re.compile(r"(?<![\w])_\w*")


@dataclass(frozen=True)
class Placeholder:
    """A name a template may use, where its value comes from in the real context, and what it means."""

    name: str
    description: Any  # a lazy translated string
    source: str = ""  # a dotted path in the real context; the name itself when empty
    items: tuple[str, ...] = ()  # for a list: the keys of each item (``{% for x in list %}{{ x.key }}``)

    @property
    def path(self) -> str:
        return self.source or self.name


_CUSTOMER = (
    Placeholder("customer.name", gettext_lazy("The customer's name")),
    Placeholder("complaint.reference", gettext_lazy("The reference number, e.g. RC-2026-000123")),
    Placeholder("complaint.status", gettext_lazy("The complaint's status, in words"), "complaint.status_label"),
    Placeholder(
        "complaint.category", gettext_lazy("What the complaint is about, in words"), "complaint.category_label"
    ),
    Placeholder("complaint.product", gettext_lazy("The product or service, if known"), "complaint.product.name"),
    Placeholder("complaint.received_at", gettext_lazy("When we received the complaint (a date and time)")),
    Placeholder("complaint.resolution_due", gettext_lazy("When we promised to resolve it (a date and time)")),
    Placeholder("first_response_due", gettext_lazy("When we promised to reply first (a date and time)")),
    Placeholder(
        "tracking_url",
        gettext_lazy("The customer's private link to the complaint's page (to follow it, write, appeal and rate us)"),
    ),
)
_COMMENT = Placeholder("comment", gettext_lazy("What the agent wrote for this step (may be empty)"))
_APPEAL_DAYS = Placeholder("appeal_days", gettext_lazy("How many days the customer has to appeal"))
_STAFF = (
    Placeholder("assignee.name", gettext_lazy("The assigned agent's first name (or user name)"), "assignee.first_name"),
    Placeholder("staff_url", gettext_lazy("The link to the complaint's page for staff")),
)
_OFFER = (
    Placeholder("offer.kind", gettext_lazy("The kind of compensation, in words"), "offer.get_kind_display"),
    Placeholder("offer.amount", gettext_lazy("The amount of money, if any")),
    Placeholder("offer.currency", gettext_lazy("The currency of the amount")),
    Placeholder("offer.duration_days", gettext_lazy("How many days (for a free period), if any")),
    Placeholder("offer.reason", gettext_lazy("Why we offer it")),
)
_OFFER_EXPIRES = Placeholder("offer.expires_at", gettext_lazy("Until when the customer may accept (a date and time)"))
_OFFER_DONE = (
    Placeholder("offer.voucher_code", gettext_lazy("The voucher code, if the offer was a voucher")),
    Placeholder("offer.voucher_expires_on", gettext_lazy("The last day the voucher is valid (a date)")),
    Placeholder("offer.billing_reference", gettext_lazy("Our billing or shipping reference, if any")),
)
_OFFER_REVIEW = (
    Placeholder(
        "proposer.name", gettext_lazy("The first name of the agent who proposed the offer"), "proposer.first_name"
    ),
)
_PROMISE = (
    Placeholder("complaint.reference", gettext_lazy("The reference number, e.g. RC-2026-000123")),
    Placeholder("complaint.status", gettext_lazy("The complaint's status, in words"), "complaint.status_label"),
    Placeholder("customer.name", gettext_lazy("The customer's name")),
    Placeholder("promise", gettext_lazy("Which promise: first response, next response or resolution, in words")),
    Placeholder("due_at", gettext_lazy("When the promise falls due (a date and time)")),
    Placeholder("staff_url", gettext_lazy("The link to the complaint's page for staff")),
)

PLACEHOLDERS: dict[str, tuple[Placeholder, ...]] = {
    LetterKind.ACKNOWLEDGEMENT: _CUSTOMER,
    LetterKind.REPLY: (
        *_CUSTOMER,
        Placeholder("message", gettext_lazy("The agent's reply")),
        Placeholder("author.first_name", gettext_lazy("The first name of the agent who replied")),
    ),
    LetterKind.INFO_REQUEST: (*_CUSTOMER, _COMMENT),
    LetterKind.RESOLUTION: (*_CUSTOMER, _COMMENT),
    LetterKind.REJECTION: (*_CUSTOMER, _COMMENT, _APPEAL_DAYS),
    LetterKind.REOPENED: (*_CUSTOMER, _COMMENT),
    LetterKind.CLOSED: (*_CUSTOMER, _COMMENT, _APPEAL_DAYS),
    LetterKind.MERGED: (
        *_CUSTOMER,
        _COMMENT,
        Placeholder("target_reference", gettext_lazy("The reference number of the complaint it was merged into")),
        Placeholder("target_tracking_url", gettext_lazy("The link to the complaint it was merged into")),
    ),
    LetterKind.OFFER: (*_CUSTOMER, *_OFFER, _OFFER_EXPIRES),
    LetterKind.OFFER_FULFILLED: (*_CUSTOMER, *_OFFER, *_OFFER_DONE),
    LetterKind.OFFER_EXPIRED: (*_CUSTOMER, *_OFFER),
    LetterKind.OFFER_APPROVAL: (
        *_CUSTOMER[:3],
        *_OFFER,
        *_OFFER_REVIEW,
        Placeholder("recipient.name", gettext_lazy("The first name of the manager"), "recipient.first_name"),
        Placeholder("approvals_url", gettext_lazy("The link to the approvals page")),
        Placeholder("staff_url", gettext_lazy("The link to the complaint's page for staff")),
    ),
    LetterKind.OFFER_REVIEWED: (
        *_CUSTOMER[:3],
        *_OFFER,
        *_OFFER_REVIEW,
        Placeholder("reviewer.name", gettext_lazy("The first name of the manager who decided"), "reviewer.first_name"),
        Placeholder("approved", gettext_lazy("True when the offer was approved")),
        Placeholder("offer.rejection_reason", gettext_lazy("Why it was not approved")),
        Placeholder("staff_url", gettext_lazy("The link to the complaint's page for staff")),
    ),
    LetterKind.LOST_LINKS: (
        Placeholder("customer.name", gettext_lazy("The customer's name")),
        Placeholder(
            "complaints",
            gettext_lazy("The customer's open complaints: a list, each with reference, status and url"),
            items=("reference", "status", "url"),
        ),
    ),
    LetterKind.CUSTOMER_REPLIED: (
        *_CUSTOMER[:3],
        *_STAFF,
        Placeholder("message", gettext_lazy("What the customer wrote")),
        Placeholder("files", gettext_lazy("How many files the customer attached")),
    ),
    LetterKind.OFFER_DECIDED: (
        *_CUSTOMER[:3],
        *_STAFF,
        *_OFFER,
        Placeholder("accepted", gettext_lazy("True when the customer accepted the offer")),
        Placeholder("offer.decline_reason", gettext_lazy("Why the customer declined it")),
    ),
    LetterKind.SLA_WARNING: (
        *_PROMISE,
        Placeholder(
            "assignee.name", gettext_lazy("The assigned agent's first name (or user name)"), "assignee.first_name"
        ),
    ),
    LetterKind.ESCALATION: (
        *_PROMISE,
        Placeholder("recipient.name", gettext_lazy("The first name of the lead or manager"), "recipient.first_name"),
        Placeholder("assignee_name", gettext_lazy("Who the complaint is assigned to (empty: nobody)")),
    ),
    LetterKind.DIGEST: (
        Placeholder("recipient.name", gettext_lazy("The first name of the manager"), "recipient.first_name"),
        Placeholder("period_start", gettext_lazy("The start of the period (a date and time)")),
        Placeholder("period_end", gettext_lazy("The end of the period (a date and time)")),
        Placeholder("new_count", gettext_lazy("How many complaints came in")),
        Placeholder("resolved_count", gettext_lazy("How many were resolved")),
        Placeholder("breached_count", gettext_lazy("How many promises were broken")),
        Placeholder("open_count", gettext_lazy("How many complaints are open now")),
        Placeholder(
            "oldest_open",
            gettext_lazy("The oldest open complaints: a list, each with reference, age_days and url"),
            items=("reference", "age_days", "url"),
        ),
        Placeholder(
            "compensation",
            gettext_lazy("Compensation given: a list per currency, each with currency, total and count"),
            items=("currency", "total", "count"),
        ),
        Placeholder("dashboard_url", gettext_lazy("The link to the staff dashboard")),
    ),
    LetterKind.INCIDENT_APOLOGY: (
        Placeholder("customer.name", gettext_lazy("The customer's name")),
        Placeholder("product", gettext_lazy("The product or service that was down")),
        Placeholder("started_at", gettext_lazy("When the outage began (a date and time)")),
        Placeholder("ended_at", gettext_lazy("When it ended (a date and time; empty: still going on)")),
        Placeholder("what_we_did", gettext_lazy("What we did about it")),
        Placeholder("remedy", gettext_lazy("The remedy we give, if any")),
        Placeholder("tracking_url", gettext_lazy("A link to follow it (may be empty)")),
        Placeholder("is_update", gettext_lazy("True when we wrote before and the outage turned out longer")),
    ),
}

# Letters to a customer about one complaint are wrapped in the same layout as the file templates
# (templates/notifications/letters/_base.html: reference number and tracking link at the foot).
LAYOUT_KINDS = frozenset(
    {
        LetterKind.ACKNOWLEDGEMENT,
        LetterKind.REPLY,
        LetterKind.INFO_REQUEST,
        LetterKind.RESOLUTION,
        LetterKind.REJECTION,
        LetterKind.REOPENED,
        LetterKind.CLOSED,
        LetterKind.MERGED,
        LetterKind.OFFER,
        LetterKind.OFFER_FULFILLED,
        LetterKind.OFFER_EXPIRED,
    }
)
_BASE_LAYOUT = (
    '{% extends "notifications/letters/_base.html" %}'
    "{% block subject %}{{ subject }}{% endblock %}{% block body %}{{ body }}{% endblock %}"
)
_PLAIN_LAYOUT = (
    '<!doctype html>\n<html lang="{{ LANGUAGE_CODE|default:\'en\' }}"><head><meta charset="utf-8">'
    "<title>{{ subject }}</title></head>\n"
    '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; '
    'color: #1f2933; max-width: 640px;">\n{{ body }}\n</body></html>\n'
)


_NUMERIC_PLACEHOLDERS = frozenset(
    {"appeal_days", "files", "new_count", "resolved_count", "breached_count", "open_count", "offer.duration_days"}
)


_DATE_PLACEHOLDERS = frozenset(
    {
        "complaint.received_at",
        "complaint.resolution_due",
        "first_response_due",
        "due_at",
        "period_start",
        "period_end",
        "started_at",
        "ended_at",
        "offer.voucher_expires_on",
        "offer.expires_at",
    }
)


def placeholders_for(kind: str) -> tuple[Placeholder, ...]:
    return PLACEHOLDERS.get(kind, ())


# --- the engine ---------------------------------------------------------------------------------------------------


@functools.cache
def _engine() -> Engine:
    """An engine that knows only {% if %}, {% for %} and the built-in filters (checked against the whitelist
    separately, so a refused filter gets a clear message rather than "invalid filter"). No loaders: nothing
    can be included or extended."""
    library = Library()
    library.tag("if", defaulttags.do_if)
    library.tag("for", defaulttags.do_for)
    for name, function in defaultfilters.register.filters.items():
        library.filter(name, function)
    engine = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, builtins=[])
    engine.template_builtins = [library]
    return engine


def _refused(message: str, **params: Any) -> ValidationError:
    return ValidationError(message % params, code="refused")


def _check_tokens(source: str) -> None:
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        contents = token.contents.strip()
        if token.token_type == TokenType.BLOCK:
            word = contents.split()[0] if contents else ""
            if word not in ALLOWED_TAG_WORDS:
                raise _refused(
                    _("The tag {%% %(tag)s %%} is not allowed in letter templates (line %(line)s)."),
                    tag=word,
                    line=token.lineno,
                )
        underscore = _UNDERSCORE_NAME.search(_STRING_LITERAL.sub('""', contents))
        if underscore is not None:
            raise _refused(
                _("Names starting with “_” are not allowed in letter templates: %(name)s (line %(line)s)."),
                name=underscore.group(0),
                line=token.lineno,
            )


def _allowed_paths(kind: str) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """Every documented name and each of its prefixes (``customer`` for ``customer.name``), and the item
    keys of list placeholders."""
    paths: set[str] = set()
    items: dict[str, tuple[str, ...]] = {}
    for placeholder in placeholders_for(kind):
        parts = placeholder.name.split(".")
        for end in range(1, len(parts) + 1):
            paths.add(".".join(parts[:end]))
        if placeholder.items:
            items[placeholder.name] = placeholder.items
    return frozenset(paths), items


@dataclass(frozen=True)
class _Scope:
    paths: frozenset[str]
    # loop variable → the keys its items have (empty: a loop helper such as forloop, any key)
    loop_vars: Mapping[str, tuple[str, ...]]
    lists: Mapping[str, tuple[str, ...]]


def _check_variable(variable: Variable, scope: _Scope) -> None:
    if variable.lookups is None:
        return  # a literal: "text", 3, 1.5
    lookups = [str(part) for part in variable.lookups]
    name = ".".join(lookups)
    for part in lookups:
        if part.startswith("_"):
            raise _refused(_("Names starting with “_” are not allowed in letter templates: %(name)s."), name=name)
    root = lookups[0]
    if root in scope.loop_vars:
        keys = scope.loop_vars[root]
        if keys and len(lookups) > 1 and lookups[1] not in keys:
            raise _refused(
                _("“%(name)s” is not available here. Each item has: %(keys)s."), name=name, keys=", ".join(keys)
            )
        if not keys and root not in LOOP_NAMES and len(lookups) > 1:
            raise _refused(_("“%(name)s” is not available here."), name=name)
        return
    if name not in scope.paths:
        raise _refused(
            _("“%(name)s” is not a placeholder of this kind of letter. See the list of placeholders."), name=name
        )


def _check_expression(expression: FilterExpression, scope: _Scope) -> None:
    if isinstance(expression.var, Variable):
        _check_variable(expression.var, scope)
    for function, arguments in expression.filters:
        filter_name = getattr(function, "_filter_name", None) or function.__name__
        if filter_name not in ALLOWED_FILTERS:
            raise _refused(
                _("The filter “%(filter)s” is not allowed in letter templates. Allowed: %(allowed)s."),
                filter=filter_name,
                allowed=", ".join(sorted(ALLOWED_FILTERS)),
            )
        for is_lookup, argument in arguments:
            if is_lookup and isinstance(argument, Variable):
                _check_variable(argument, scope)


def _check_condition(condition: Any, scope: _Scope) -> None:
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        value: Any = condition.value  # a FilterExpression (the stubs say otherwise)
        if isinstance(value, FilterExpression):
            _check_expression(value, scope)
        return
    _check_condition(getattr(condition, "first", None), scope)
    _check_condition(getattr(condition, "second", None), scope)


def _check_nodes(nodes: Iterable[Node], scope: _Scope) -> None:
    for node in nodes:
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope)
        elif isinstance(node, IfNode):
            for condition, nodelist in node.conditions_nodelists:
                _check_condition(condition, scope)
                _check_nodes(nodelist, scope)
        elif isinstance(node, ForNode):
            if not isinstance(node.sequence, FilterExpression):
                raise _refused(_("This part of the template is not allowed: %(node)s."), node="for")
            _check_expression(node.sequence, scope)
            sequence = node.sequence.var
            keys: tuple[str, ...] = ()
            if isinstance(sequence, Variable) and sequence.lookups is not None:
                keys = scope.lists.get(".".join(str(part) for part in sequence.lookups), ())
            loop_vars = dict(scope.loop_vars)
            loop_vars["forloop"] = ()
            for loop_var in node.loopvars:
                loop_vars[loop_var] = keys
            inner = _Scope(paths=scope.paths, loop_vars=loop_vars, lists=scope.lists)
            _check_nodes(cast("Iterable[Node]", node.nodelist_loop), inner)
            _check_nodes(cast("Iterable[Node]", node.nodelist_empty), scope)
        else:
            raise _refused(_("This part of the template is not allowed: %(node)s."), node=type(node).__name__)


def compile_safe(source: str, *, kind: str) -> Template:
    """Parse ``source`` in the safe subset for letters of ``kind``; a refused construct raises a
    ``ValidationError`` naming it."""
    _check_tokens(source)
    try:
        template = _engine().from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("The template cannot be read: %(error)s") % {"error": exc}, code="syntax") from exc
    paths, lists = _allowed_paths(kind)
    _check_nodes(template.nodelist, _Scope(paths=paths, loop_vars={}, lists=lists))
    return template


def validate_letter_template(*, kind: str, subject: str, body_text: str, body_html: str) -> dict[str, list[str]]:
    """Errors per field (empty when the template is fine)."""
    errors: dict[str, list[str]] = {}
    for field, source in (("subject", subject), ("body_text", body_text), ("body_html", body_html)):
        if not source:
            continue
        try:
            compile_safe(source, kind=kind)
        except ValidationError as exc:
            errors[field] = list(exc.messages)
    return errors


# --- the safe context ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value a template may see: strings, numbers, dates, booleans, None, lists and dicts of them."""
    if value is None or isinstance(value, str | bool | int | float | Decimal | date | datetime | time):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def _resolve(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        if callable(value):
            value = value()
    return value


def _set(target: dict[str, Any], name: str, value: Any) -> None:
    *parents, leaf = name.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _lost_links(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = []
    for entry in context.get("complaints") or ():
        if isinstance(entry, Mapping):  # already plain (the preview's sample data)
            items.append(dict(entry))
            continue
        complaint, url = entry if isinstance(entry, tuple | list) else (entry, "")
        items.append({"reference": complaint.reference, "status": str(complaint.status_label), "url": url})
    return items


# Places where the real context is not a dotted path away from the documented value.
_SPECIAL_SOURCES: dict[tuple[str, str], Callable[[Mapping[str, Any]], Any]] = {
    (LetterKind.LOST_LINKS, "complaints"): _lost_links,
}


def safe_context(*, kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The documented placeholders of ``kind``, as plain values taken from the real ``context``."""
    safe: dict[str, Any] = {}
    for placeholder in placeholders_for(kind):
        special = _SPECIAL_SOURCES.get((kind, placeholder.name))
        value = special(context) if special is not None else _resolve(context, placeholder.path)
        if placeholder.name == "assignee.name" or placeholder.name == "recipient.name":
            root = placeholder.name.split(".")[0]
            value = value or _resolve(context, f"{root}.username") or ""
        if placeholder.items and value is not None:
            value = [{key: _resolve(item, key) for key in placeholder.items} for item in value]
        _set(safe, placeholder.name, _plain(value))
    return safe


# --- rendering ---------------------------------------------------------------------------------------------------


def active_letter_template(*, kind: str, language: str) -> LetterTemplate | None:
    return LetterTemplate.objects.filter(kind=kind, language=language, is_active=True).first()


def render_letter_template(
    template: LetterTemplate, *, context: Mapping[str, Any], language: str | None = None
) -> tuple[str, str, str]:
    """Subject, text and HTML of an admin-edited letter; raises ``ValidationError`` if it is not (or no longer)
    in the safe subset."""
    language = language or template.language
    kind = template.kind
    values = safe_context(kind=kind, context=context)
    with translation.override(language):
        rendered_subject = compile_safe(template.subject, kind=kind).render(Context(values, autoescape=False))
        subject = " ".join(rendered_subject.split())
        text = compile_safe(template.body_text, kind=kind).render(Context(values, autoescape=False)).strip() + "\n"
        body: str
        if template.body_html.strip():
            body = mark_safe(compile_safe(template.body_html, kind=kind).render(Context(values, autoescape=True)))
        else:
            body = mark_safe(linebreaks(escape(text.strip())))
        layout = _BASE_LAYOUT if kind in LAYOUT_KINDS else _PLAIN_LAYOUT
        html = (
            Engine.get_default()
            .from_string(layout)
            .render(Context({**values, "LANGUAGE_CODE": language, "subject": subject, "body": body}, autoescape=True))
        )
    return subject, text, html


# --- sample data for the preview -------------------------------------------------------------------------------


def sample_context(*, kind: str, language: str) -> dict[str, Any]:
    """Made-up values for every placeholder of ``kind``, for the admin's preview."""
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    with translation.override(language):
        values: dict[str, Any] = {
            "customer": {"name": _("Alice Example")},
            "complaint": {
                "reference": "RC-2026-000123",
                "status_label": _("In progress"),
                "category_label": _("Faulty product"),
                "product": {"name": _("Electric kettle")},
                "received_at": now,
                "resolution_due": now + timedelta(days=5),
            },
            "first_response_due": now + timedelta(hours=8),
            "tracking_url": "https://example.com/track/sample/",
            "staff_url": "https://example.com/dashboard/complaints/RC-2026-000123/",
            "dashboard_url": "https://example.com/dashboard/",
            "comment": _("We have replaced the kettle; the new one is on its way."),
            "message": _("Thank you for your patience. Here is what we found."),
            "author": {"first_name": "Bob"},
            "assignee": {"first_name": "Bob"},
            "recipient": {"first_name": "Carol"},
            "assignee_name": "Bob Agentson",
            "appeal_days": 14,
            "target_reference": "RC-2026-000100",
            "target_tracking_url": "https://example.com/track/other/",
            "offer": {
                "get_kind_display": _("Partial refund"),
                "amount": Decimal("25.00"),
                "currency": "EUR",
                "duration_days": None,
                "reason": _("For the days without a working kettle."),
                "decline_reason": _("I would prefer a replacement."),
                "expires_at": now + timedelta(days=14),
                "voucher_code": "K7M2QX9PRT4H",
                "voucher_expires_on": (now + timedelta(days=180)).date(),
                "billing_reference": "VOUCHER-K7M2QX9PRT4H",
                "rejection_reason": _("Please offer a replacement first."),
            },
            "proposer": {"first_name": "Bob"},
            "reviewer": {"first_name": "Carol"},
            "approved": True,
            "approvals_url": "https://example.com/dashboard/approvals/",
            "accepted": True,
            "files": 2,
            "complaints": [
                {"reference": "RC-2026-000123", "status": _("In progress"), "url": "https://example.com/track/a/"}
            ],
            "promise": _("first response"),
            "due_at": now + timedelta(hours=1),
            "period_start": now - timedelta(days=1),
            "period_end": now,
            "new_count": 12,
            "resolved_count": 9,
            "breached_count": 1,
            "open_count": 30,
            "oldest_open": [{"reference": "RC-2026-000042", "age_days": 17, "url": "https://example.com/d/42/"}],
            "compensation": [{"currency": "EUR", "total": Decimal("120.00"), "count": 3}],
            "product": _("Cloud backup"),
            "started_at": now - timedelta(hours=5),
            "ended_at": now - timedelta(hours=2),
            "what_we_did": _("We restored the service and added monitoring so we notice sooner."),
            "remedy": _("A free month of the service."),
            "is_update": False,
        }
    return values


def builtin_letter(*, kind: str, language: str) -> tuple[str, str]:
    """The file template's subject and text with the documented placeholders left in as ``{{ name }}``:
    a starting point for an admin-edited template."""
    context: dict[str, Any] = {}
    # Numbers and dates cannot be "{{ name }}" strings (a file template counts with them or formats them):
    # distinct stand-ins are rendered, then swapped for the placeholder.
    swaps: dict[str, str] = {}
    dates: dict[str, datetime] = {}
    for index, placeholder in enumerate(placeholders_for(kind)):
        if placeholder.items:
            continue
        value: Any = "{{ " + placeholder.name + " }}"
        if placeholder.name in _NUMERIC_PLACEHOLDERS:
            value = 987654300 + index
            swaps[str(value)] = "{{ " + placeholder.name + " }}"
        elif placeholder.name in _DATE_PLACEHOLDERS:
            value = datetime(2099, 1, 1 + index, 23, 58, tzinfo=UTC)
            dates[placeholder.name] = value
        _set(context, placeholder.path, value)
        if placeholder.path.endswith(".first_name"):  # the files say first_name|default:username
            _set(context, placeholder.path.removesuffix(".first_name") + ".username", value)
    base = f"notifications/letters/{kind}"
    from notifications.services import _text_engine

    subject: str
    text: str
    with translation.override(language):
        for name, moment in dates.items():
            for date_format in ("DATETIME_FORMAT", "DATE_FORMAT", "TIME_FORMAT"):
                swaps[formats.date_format(moment, date_format)] = "{{ " + name + '|date:"' + date_format + '" }}'
            swaps[f"{formats.date_format(moment, 'DATETIME_FORMAT')} (UTC)"] = (
                "{{ " + name + '|date:"DATETIME_FORMAT" }} ({{ ' + name + '|date:"e" }})'
            )
        engine = _text_engine()
        subject = engine.get_template(f"{base}.subject.txt").render(Context(context, autoescape=False))
        text = engine.get_template(f"{base}.txt").render(Context(context, autoescape=False)).strip() + "\n"
    # The longest stand-ins first, so a date-and-time is not half-replaced as a date.
    for stand_in in sorted(swaps, key=len, reverse=True):
        subject, text = subject.replace(stand_in, swaps[stand_in]), text.replace(stand_in, swaps[stand_in])
    return " ".join(subject.split()), text
