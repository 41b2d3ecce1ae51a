"""Letter wording edited in the admin: overriding the files, the safe template subset, the preview, and the
letter files for warnings, escalations, digests and incident apologies."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from notifications.letter_templates import compile_safe, render_letter_template, safe_context, sample_context
from notifications.models import Letter, LetterKind, LetterTemplate
from notifications.services import letter_queue, letter_render
from tests.factories import submit_complaint

pytestmark = pytest.mark.django_db


def _template(**fields: Any) -> LetterTemplate:
    values: dict[str, Any] = {
        "kind": LetterKind.ACKNOWLEDGEMENT,
        "language": "en",
        "subject": "Got it: {{ complaint.reference }}",
        "body_text": "Hi {{ customer.name }}, we will reply by {{ first_response_due|date:'j F Y' }}.",
        "body_html": "",
    }
    values.update(fields)
    return LetterTemplate.objects.create(**values)


def _acknowledgement(complaint: Complaint) -> Letter:
    return Letter.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)


def _context(complaint: Complaint, **extra: Any) -> dict[str, Any]:
    return {"complaint": complaint, "customer": complaint.customer, "tracking_url": "https://t.example/x", **extra}


# --- overriding the files ----------------------------------------------------------------------------------------


def test_an_active_template_overrides_the_file_in_english() -> None:
    _template()
    complaint = submit_complaint(name="Alice Example")
    letter = _acknowledgement(complaint)
    assert letter.subject == f"Got it: {complaint.reference}"
    assert letter.body_text.startswith("Hi Alice Example, we will reply by ")
    assert "Hi Alice Example" in letter.body_html
    # In the usual layout: reference number and tracking link at the foot.
    assert complaint.reference in letter.body_html
    assert "<!doctype html>" in letter.body_html


def test_an_active_template_overrides_the_file_in_russian() -> None:
    _template(
        language="ru", subject="Получили: {{ complaint.reference }}", body_text="Здравствуйте, {{ customer.name }}!"
    )
    complaint = submit_complaint(name="Анна", language="ru", email="anna@example.com")
    letter = _acknowledgement(complaint)
    assert letter.subject == f"Получили: {complaint.reference}"
    assert letter.body_text == "Здравствуйте, Анна!\n"
    # The English letter is untouched by a Russian template.
    english = _acknowledgement(submit_complaint(email="bob@example.com"))
    assert not english.subject.startswith("Получили")


def test_an_inactive_template_does_not_override_the_file() -> None:
    _template(is_active=False)
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    assert not letter.subject.startswith("Got it")
    assert "We are sorry for the trouble" in letter.body_text


def test_letter_queue_with_an_admin_template_stores_the_rendered_subject_and_body() -> None:
    _template(
        kind=LetterKind.REPLY,
        subject="Re: {{ complaint.reference }}",
        body_text="{{ message }}\n\n{{ author.first_name|default:'Team' }}",
        body_html="<p>{{ message|linebreaksbr }}</p>",
    )
    complaint = submit_complaint()
    letter = letter_queue(
        kind=LetterKind.REPLY,
        recipient="alice@example.com",
        language="en",
        idempotency_key="test:reply:1",
        context=_context(complaint, message="Line one\nLine two", author=None),
        complaint=complaint,
    )
    letter.refresh_from_db()
    assert letter.subject == f"Re: {complaint.reference}"
    assert letter.body_text == "Line one\nLine two\n\nTeam\n"
    assert "<p>Line one<br>Line two</p>" in letter.body_html


def test_a_template_that_breaks_at_send_time_falls_back_to_the_file(caplog: pytest.LogCaptureFixture) -> None:
    # Written around the admin's validation (e.g. straight into the database): never loses the letter.
    _template(body_text="{% load static %}{% static 'x' %}")
    complaint = submit_complaint()
    letter = _acknowledgement(complaint)
    assert "We are sorry for the trouble" in letter.body_text
    assert "failed to render" in caplog.text


# --- the safe subset ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("{% load static %}", "{% load %}"),
        ('{% include "notifications/letters/_footer.txt" %}', "{% include %}"),
        ('{% extends "notifications/letters/_base.html" %}', "{% extends %}"),
        ('{% url "admin:index" %}', "{% url %}"),
        ("{% csrf_token %}", "{% csrf_token %}"),
        ("{% debug %}", "{% debug %}"),
        ("{% now 'Y' %}", "{% now %}"),
        ("{{ customer.delete }}", "customer.delete"),
        ("{{ settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{{ complaint._meta }}", "_meta"),
        ("{{ customer.name|safe }}", "safe"),
        ("{{ customer.name|default:secret }}", "secret"),
        ("{% if user.is_superuser %}x{% endif %}", "user.is_superuser"),
        ("{% for c in complaint.events %}{% endfor %}", "complaint.events"),
    ],
)
def test_refused_constructs_are_refused_with_an_error_naming_them(source: str, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_safe(source, kind=LetterKind.REJECTION)
    assert named in caught.value.messages[0]


def test_allowed_constructs_compile() -> None:
    compile_safe(
        "{% if comment %}{{ comment|linebreaksbr }}{% elif appeal_days > 1 %}{{ appeal_days }}{% else %}-{% endif %}"
        "{{ complaint.received_at|date:'j F Y' }} {{ customer.name|upper|truncatewords:2 }}",
        kind=LetterKind.REJECTION,
    )
    compile_safe(
        "{% for c in complaints %}{{ forloop.counter }}. {{ c.reference }} {{ c.url }}{% empty %}-{% endfor %}",
        kind=LetterKind.LOST_LINKS,
    )
    with pytest.raises(ValidationError, match=r"c\.customer"):
        compile_safe("{% for c in complaints %}{{ c.customer }}{% endfor %}", kind=LetterKind.LOST_LINKS)


def test_the_template_sees_plain_values_only_never_model_instances() -> None:
    complaint = submit_complaint(name="Alice Example")
    values = safe_context(kind=LetterKind.ACKNOWLEDGEMENT, context=_context(complaint))

    def walk(value: Any) -> None:
        assert value is None or isinstance(value, str | int | float | Decimal | dict | list | type(timezone.now()))
        if isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(values)
    assert values["customer"] == {"name": "Alice Example"}
    assert values["complaint"]["reference"] == complaint.reference
    # The customer's email and the complaint's description were not documented, so they are not there.
    assert "email" not in values["customer"]
    assert "description" not in values["complaint"]


def test_a_template_cannot_reach_model_data_outside_the_safe_context() -> None:
    complaint = submit_complaint(name="Alice Example", email="alice@example.com")
    template = _template(body_text="{{ customer.name }}", subject="{{ complaint.reference }}")
    # Even if the stored template were changed behind the form's back, rendering checks it again.
    LetterTemplate.objects.filter(pk=template.pk).update(body_text="{{ customer.email }}{{ customer.pk }}")
    template.refresh_from_db()
    with pytest.raises(ValidationError, match=r"customer\.email"):
        render_letter_template(template, context=_context(complaint))


def test_the_html_body_escapes_what_the_customer_wrote() -> None:
    _template(body_html="<p>Dear {{ customer.name }}</p>")
    _template(kind=LetterKind.REOPENED, body_text="{{ customer.name }}: {{ comment }}")
    complaint = submit_complaint(name="<script>alert(1)</script>")
    letter = _acknowledgement(complaint)
    assert "<script>" not in letter.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter.body_html
    assert letter.body_text.startswith("Hi <script>alert(1)</script>")  # plain text stays as written
    # An HTML body made from the text escapes it too.
    _, text, html = letter_render(
        kind=LetterKind.REOPENED, language="en", context=_context(complaint, comment="<b>x</b> & y")
    )
    assert text == "<script>alert(1)</script>: <b>x</b> & y\n"
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
    assert "<script>" not in html


# --- the admin -----------------------------------------------------------------------------------------------------


def test_the_admin_shows_a_preview_and_the_placeholders(admin_client: Any, django_assert_max_num_queries: Any) -> None:
    template = _template(body_text="Dear {{ customer.name }},\n\n{{ comment }}", kind=LetterKind.REJECTION)
    url = reverse("admin:notifications_lettertemplate_change", args=[template.pk])
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Got it: RC-2026-000123" in page  # the subject, with sample data
    assert "Dear Alice Example," in page  # the text
    assert '<iframe sandbox="" srcdoc="' in page  # the HTML, sandboxed
    assert "&lt;p&gt;Dear Alice Example," in page
    assert "{{ appeal_days }}" in page  # the placeholder list for a rejection


def test_the_preview_of_a_broken_stored_template_shows_the_error(admin_client: Any) -> None:
    template = _template()
    LetterTemplate.objects.filter(pk=template.pk).update(body_text="{{ customer.email }}")
    response = admin_client.get(reverse("admin:notifications_lettertemplate_change", args=[template.pk]))
    assert response.status_code == 200
    assert "customer.email" in response.content.decode()


def test_the_admin_list_shows_kind_language_and_whether_in_use(admin_client: Any) -> None:
    _template()
    response = admin_client.get(reverse("admin:notifications_lettertemplate_changelist"))
    assert response.status_code == 200
    assert "We have received your complaint" in response.content.decode()


def test_saving_a_template_with_a_refused_tag_shows_the_form_error(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("admin:notifications_lettertemplate_add"),
        {
            "kind": LetterKind.ACKNOWLEDGEMENT,
            "language": "en",
            "is_active": "on",
            "subject": "Hello {{ customer.name }}",
            "body_text": '{% include "notifications/letters/_footer.txt" %}',
            "body_html": "{{ customer.name|safe }}",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The tag {% include %} is not allowed" in page
    assert "The filter “safe” is not allowed" in page
    assert not LetterTemplate.objects.exists()


def test_saving_a_valid_template_in_the_admin_works(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("admin:notifications_lettertemplate_add"),
        {
            "kind": LetterKind.RESOLUTION,
            "language": "en",
            "is_active": "on",
            "subject": "Resolved: {{ complaint.reference }}",
            "body_text": "Dear {{ customer.name }},\n{{ comment }}\nRate us: {{ tracking_url }}",
            "body_html": "",
        },
    )
    assert response.status_code == 302
    assert LetterTemplate.objects.get().kind == LetterKind.RESOLUTION


def test_start_from_the_built_in_text(admin_client: Any) -> None:
    response = admin_client.get(
        reverse("admin:notifications_lettertemplate_add"), {"kind": "rejection", "language": "en", "builtin": "1"}
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["subject"]
    body = form.initial["body_text"]
    assert "{{ customer.name }}" in body
    assert "{{ tracking_url }}" in body
    # And what it suggests passes the checks.
    compile_safe(form.initial["subject"], kind="rejection")
    compile_safe(body, kind="rejection")


# --- the new letter files --------------------------------------------------------------------------------------


def _file_contexts() -> dict[str, dict[str, Any]]:
    complaint = submit_complaint(name="Alice Example")
    now = timezone.now()
    staff = {"first_name": "Bob", "username": "bob"}
    common = {"complaint": complaint, "customer": complaint.customer, "staff_url": "https://s.example/c/1/"}
    return {
        LetterKind.SLA_WARNING: {**common, "assignee": staff, "promise": "first response", "due_at": now},
        LetterKind.ESCALATION: {
            **common,
            "recipient": {"first_name": "Tess", "username": "tess"},
            "promise": "resolution",
            "due_at": now - timedelta(hours=3),
            "assignee_name": "Bob Agentson",
        },
        LetterKind.DIGEST: {
            "recipient": {"first_name": "Carol", "username": "carol"},
            "period_start": now - timedelta(days=1),
            "period_end": now,
            "new_count": 12,
            "resolved_count": 9,
            "breached_count": 2,
            "open_count": 30,
            "oldest_open": [{"reference": "RC-2026-000042", "age_days": 17, "url": "https://s.example/42/"}],
            "compensation": [{"currency": "EUR", "total": Decimal("120.00"), "count": 3}],
            "dashboard_url": "https://s.example/",
        },
        LetterKind.INCIDENT_APOLOGY: {
            "customer": complaint.customer,
            "product": "Cloud backup",
            "started_at": now - timedelta(hours=5),
            "ended_at": now - timedelta(hours=1),
            "what_we_did": "Restored the service.",
            "remedy": "A free month.",
            "tracking_url": "https://t.example/x",
        },
    }


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_new_letter_files_render(language: str) -> None:
    contexts = _file_contexts()
    expected: dict[str, tuple[str, str]] = {
        LetterKind.SLA_WARNING: ("https://s.example/c/1/", "first response"),
        LetterKind.ESCALATION: ("Bob Agentson", "resolution"),
        LetterKind.DIGEST: ("RC-2026-000042", "EUR"),
        LetterKind.INCIDENT_APOLOGY: ("Cloud backup", "A free month."),
    }
    for kind, context in contexts.items():
        subject, text, html = letter_render(kind=kind, language=language, context=context)
        assert subject, kind
        for snippet in expected[kind]:
            assert snippet in text, (kind, snippet)
            assert snippet in html, (kind, snippet)
        assert "{%" not in text
        assert "{{" not in html


def test_the_new_letter_files_render_without_optional_parts() -> None:
    context = _file_contexts()[LetterKind.INCIDENT_APOLOGY]
    context.update(ended_at=None, remedy="", tracking_url="")
    _, text, html = letter_render(kind=LetterKind.INCIDENT_APOLOGY, language="en", context=context)
    assert "has not been working since" in text
    assert "href" not in html
    context = _file_contexts()[LetterKind.DIGEST]
    context.update(compensation=[], oldest_open=[])
    _, text, _ = letter_render(kind=LetterKind.DIGEST, language="en", context=context)
    assert "No compensation was given." in text


@pytest.mark.parametrize("kind", list(LetterKind.values))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_kind_has_a_preview_with_sample_data(kind: str, language: str) -> None:
    template = LetterTemplate(
        kind=kind,
        language=language,
        subject="Sample subject",
        body_text="Sample",
    )
    _, text, html = render_letter_template(template, context=sample_context(kind=kind, language=language))
    assert text == "Sample\n"
    assert "Sample" in html


def test_resolution_and_rejection_letters_invite_a_rating_and_explain_the_appeal() -> None:
    complaint = submit_complaint()
    context = _context(complaint, comment="Fixed.", appeal_days=14)
    _, resolution, _ = letter_render(kind=LetterKind.RESOLUTION, language="en", context=context)
    assert "grateful to hear how we did" in resolution
    assert "https://t.example/x" in resolution
    _, rejection, _ = letter_render(kind=LetterKind.REJECTION, language="en", context=context)
    assert "you can appeal" in rejection


@pytest.mark.parametrize("kind", list(LetterKind.values))
def test_the_built_in_text_of_every_kind_passes_the_checks(kind: str) -> None:
    from notifications.letter_templates import builtin_letter

    for language in ("en", "ru"):
        subject, text = builtin_letter(kind=kind, language=language)
        compile_safe(subject, kind=kind)
        compile_safe(text, kind=kind)
        assert "{{" in subject + text
