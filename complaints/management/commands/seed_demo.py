# ruff: noqa: RUF001 - the Russian demo texts are meant to be Cyrillic.
"""Demo data for ``make run``: staff logins, customers, products, purchases and complaints in every status.

Complaints are made the way users make them, through ``complaints.services`` (submit, assign, reply,
status changes, the customer's answer), so their timelines and letters are real; the letters go to the
outbox and the worker sends them. Half the story is in Russian.

Running it again creates nothing new: customers are found by email, products by code, purchases by order
number, users by username, and a complaint by its customer and description. The logins are printed on
every run.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from compensation.incidents.services import incident_compensate, incident_declare
from compensation.models import CompensationOffer, Incident, OfferKind
from compensation.services import offer_propose
from complaints.benchmarks.seeding import history_seed
from complaints.models import (
    AgentDuty,
    BusinessCalendar,
    Category,
    Channel,
    Complaint,
    DesiredResolution,
    Holiday,
    Priority,
    SlaPolicy,
    Team,
    TeamMember,
)
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP, TEAM_LEADS_GROUP
from complaints.services import (
    agent_duty_set,
    complaint_assign,
    complaint_customer_reply,
    complaint_reply,
    complaint_submit,
    complaint_transition,
)
from complaints.tokens import tracking_url
from complaints.transitions import Action
from customers.models import Customer, Language, Product, Purchase
from customers.services import customer_get_or_create_by_email

Role = Literal["agent", "manager"]


@dataclass(frozen=True)
class DemoUser:
    role: Role | Literal["lead", "admin"]
    label: str
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    group: str = ""


# Fixed demo passwords, set only when the user is created (a changed password is left alone).
USERS = (
    DemoUser(
        "agent", "Support agent", "agent", "agent-demo-2026", "Anna", "Volkova", "anna@amends.localhost", AGENTS_GROUP
    ),
    DemoUser(
        "lead",
        "Team lead",
        "lead",
        "lead-demo-2026",
        "Tatiana",
        "Lebedeva",
        "tatiana@amends.localhost",
        TEAM_LEADS_GROUP,
    ),
    DemoUser(
        "manager",
        "Manager",
        "manager",
        "manager-demo-2026",
        "Mikhail",
        "Orlov",
        "mikhail@amends.localhost",
        MANAGERS_GROUP,
    ),
    DemoUser("admin", "Administrator", "admin", "admin-demo-2026", "Admin", "", "admin@amends.localhost"),
)


@dataclass(frozen=True)
class DemoCustomer:
    email: str
    name: str
    phone: str
    language: str


CUSTOMERS = (
    DemoCustomer("alice.morgan@example.com", "Alice Morgan", "+44 20 7946 0018", Language.EN),
    DemoCustomer("david.chen@example.com", "David Chen", "+7 916 204-11-87", Language.EN),
    DemoCustomer("sarah.oneill@example.com", "Sarah O'Neill", "", Language.EN),
    DemoCustomer("james.wright@brightleaf.example.com", "James Wright (Brightleaf Studio)", "", Language.EN),
    DemoCustomer("ivan.petrov@example.ru", "Иван Петров", "+7 912 345-67-89", Language.RU),
    DemoCustomer("olga.smirnova@example.ru", "Ольга Смирнова", "+7 903 118-42-30", Language.RU),
    DemoCustomer("dmitry.kuznetsov@example.ru", "Дмитрий Кузнецов", "", Language.RU),
    DemoCustomer("ekaterina.sokolova@example.ru", "Екатерина Соколова", "+7 921 600-15-75", Language.RU),
)


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name: str
    kind: str
    price: str
    warranty_days: int


PRODUCTS = (
    DemoProduct("home-internet-500", "Home Internet 500", Product.Kind.SUBSCRIPTION, "890.00", 0),
    DemoProduct("web-hosting-pro", "Web Hosting Pro", Product.Kind.SUBSCRIPTION, "1490.00", 0),
    DemoProduct("kettle-aqua-17", "Electric Kettle Aqua 1.7 L", Product.Kind.GOODS, "2490.00", 365),
    DemoProduct("router-ax3000", "Wi-Fi Router AX3000", Product.Kind.GOODS, "5990.00", 730),
)


@dataclass(frozen=True)
class DemoTeam:
    name: str
    product_kind: str
    is_default: bool = False


# The subscriptions have their own team; goods, and anything no team takes, go to the shop's team.
TEAMS = (
    DemoTeam("Hosting", Product.Kind.SUBSCRIPTION),
    DemoTeam("Shop", Product.Kind.GOODS, is_default=True),
)


@dataclass(frozen=True)
class DemoPurchase:
    order_number: str
    email: str
    product_code: str
    days_ago: int


PURCHASES = (
    DemoPurchase("ORD-2026-10231", "alice.morgan@example.com", "kettle-aqua-17", 34),
    DemoPurchase("ORD-2026-10244", "ivan.petrov@example.ru", "router-ax3000", 21),
    DemoPurchase("ORD-2026-10302", "sarah.oneill@example.com", "router-ax3000", 6),
    DemoPurchase("ORD-2026-10315", "ekaterina.sokolova@example.ru", "kettle-aqua-17", 12),
    # Subscriptions: one month of service starting on the purchase date.
    DemoPurchase("INT-500-000187", "david.chen@example.com", "home-internet-500", 18),
    DemoPurchase("INT-500-000204", "dmitry.kuznetsov@example.ru", "home-internet-500", 25),
    DemoPurchase("HST-PRO-000052", "james.wright@brightleaf.example.com", "web-hosting-pro", 15),
    DemoPurchase("HST-PRO-000061", "olga.smirnova@example.ru", "web-hosting-pro", 9),
)


@dataclass(frozen=True)
class Step:
    """One thing that happens to a complaint after it is submitted."""

    kind: Literal["assign", "reply", "transition", "customer_reply"]
    by: Role = "agent"
    action: str = ""
    text: str = ""
    # Closing the loop: outcome, root cause and corrective action to resolve or decline; customer_accepted to close.
    closing: dict[str, Any] = field(default_factory=dict)


def assign(by: Role = "agent") -> Step:
    return Step("assign", by=by)


def reply(text: str, by: Role = "agent") -> Step:
    return Step("reply", by=by, text=text)


def move(action: str, text: str = "", by: Role = "agent", **closing: Any) -> Step:
    return Step("transition", by=by, action=action, text=text, closing=closing)


def customer_says(text: str) -> Step:
    return Step("customer_reply", text=text)


@dataclass(frozen=True)
class DemoComplaint:
    email: str
    category: str
    description: str
    order_number: str = ""
    desired_resolution: str = ""
    channel: str = Channel.WEB
    steps: tuple[Step, ...] = ()

    @property
    def language(self) -> str:
        return next(c.language for c in CUSTOMERS if c.email == self.email)


COMPLAINTS = (
    # --- new ---
    DemoComplaint(
        "alice.morgan@example.com",
        Category.DEFECT,
        "The kettle I bought a month ago no longer switches itself off when the water boils. It keeps "
        "boiling until I unplug it, which does not feel safe with children in the house.",
        order_number="ORD-2026-10231",
        desired_resolution=DesiredResolution.REPLACEMENT,
    ),
    DemoComplaint(
        "ivan.petrov@example.ru",
        Category.DEFECT,
        "Роутер Wi-Fi Router AX3000 каждые 15–20 минут сам перезагружается, и интернет пропадает. "
        "Сбрасывал настройки до заводских и обновлял прошивку — не помогло.",
        order_number="ORD-2026-10244",
        desired_resolution=DesiredResolution.REPLACEMENT,
    ),
    # --- in progress ---
    DemoComplaint(
        "david.chen@example.com",
        Category.BILLING,
        "I was charged 890.00 RUB twice for Home Internet 500 this month: two identical payments on the "
        "same day. Please refund the duplicate.",
        order_number="INT-500-000187",
        desired_resolution=DesiredResolution.REFUND,
        steps=(
            assign(),
            reply(
                "We are sorry: the second charge is our mistake, not yours. Our billing team is checking the "
                "payment now. We will refund the duplicate 890.00 RUB and confirm by the end of tomorrow."
            ),
        ),
    ),
    DemoComplaint(
        "dmitry.kuznetsov@example.ru",
        Category.SERVICE_QUALITY,
        "Вечером скорость «Home Internet 500» падает до 30–40 Мбит/с вместо 500. Проверял по кабелю, "
        "на разных устройствах, в разные дни.",
        order_number="INT-500-000204",
        desired_resolution=DesiredResolution.COMPENSATION,
        steps=(
            assign(),
            reply(
                "Приносим извинения: скорость должна соответствовать тарифу. Мы перенастроили оборудование "
                "на вашем участке сети. Проверьте, пожалуйста, скорость сегодня вечером."
            ),
            move(
                Action.RESOLVE,
                "Мы устранили перегрузку узла связи, к которому подключён ваш дом.",
                outcome="non_monetary",
                root_cause="service_failure",
                corrective_action="Moved half of the building's subscribers to a second access switch.",
            ),
            customer_says("Сегодня вечером скорость снова упала до 50 Мбит/с. Проблема не решена."),
            move(
                Action.REOPEN,
                "Приносим извинения: это наша ошибка, мы поспешили закрыть обращение. Инженер проверит линию "
                "до вашего дома и ответит до конца завтрашнего дня.",
            ),
        ),
    ),
    # --- awaiting the customer ---
    DemoComplaint(
        "sarah.oneill@example.com",
        Category.DELIVERY,
        "My router arrived with a cracked case and the box was crushed on one side. The courier left it "
        "at the door without waiting for me.",
        order_number="ORD-2026-10302",
        desired_resolution=DesiredResolution.REPLACEMENT,
        steps=(
            assign(),
            move(Action.START),
            move(
                Action.REQUEST_INFO,
                "We are sorry the router reached you damaged: that should not have happened. Could you send us "
                "a photo of the box and the case? We will send a replacement as soon as we have it.",
            ),
        ),
    ),
    DemoComplaint(
        "ekaterina.sokolova@example.ru",
        Category.DEFECT,
        "Чайник протекает снизу: после каждого кипячения на столе остаётся лужа. Куплен две недели назад.",
        order_number="ORD-2026-10315",
        desired_resolution=DesiredResolution.REPLACEMENT,
        channel=Channel.PHONE,
        steps=(
            move(Action.START, by="manager"),
            move(
                Action.REQUEST_INFO,
                "Приносим извинения за неудобства. Подскажите, пожалуйста, серийный номер с наклейки на дне "
                "чайника — и мы сразу оформим замену.",
                by="manager",
            ),
        ),
    ),
    # --- resolved: the night outage of the hosting plan ---
    DemoComplaint(
        "james.wright@brightleaf.example.com",
        Category.SERVICE_OUTAGE,
        "Our online shop on Web Hosting Pro was unreachable last night from 01:00 to 05:00 Moscow time. "
        "For four hours our customers saw a connection error, and we lost orders.",
        order_number="HST-PRO-000052",
        desired_resolution=DesiredResolution.COMPENSATION,
        channel=Channel.EMAIL,
        steps=(
            assign(),
            reply(
                "We are sorry: this is our fault. A storage failure in our data centre took the hosting platform "
                "down from 01:00 to 05:00. Your site has been running normally since 05:00."
            ),
            move(
                Action.RESOLVE,
                "We have credited three days of Web Hosting Pro (149.00 RUB) to your account for the four hours "
                "of downtime, and we have added a second storage controller so this failure cannot repeat.",
                outcome="monetary",
                root_cause="service_failure",
                corrective_action="Added a second storage controller to the hosting platform.",
            ),
        ),
    ),
    DemoComplaint(
        "olga.smirnova@example.ru",
        Category.SERVICE_OUTAGE,
        "Ночью с 01:00 до 05:00 сайт на тарифе Web Hosting Pro был недоступен. Прошу объяснить, что "
        "произошло, и сделать перерасчёт за простой.",
        order_number="HST-PRO-000061",
        desired_resolution=DesiredResolution.COMPENSATION,
        steps=(
            move(Action.START),
            move(
                Action.RESOLVE,
                "Приносим извинения: это наша ошибка. Из-за сбоя системы хранения данных хостинг не работал "
                "с 01:00 до 05:00. Мы сделали перерасчёт стоимости услуги за три дня (149,00 ₽) и установили "
                "резервный контроллер, чтобы такой сбой не повторился.",
                outcome="monetary",
                root_cause="service_failure",
                corrective_action="Added a second storage controller to the hosting platform.",
            ),
        ),
    ),
    # --- closed ---
    DemoComplaint(
        "james.wright@brightleaf.example.com",
        Category.BILLING,
        "The invoice for Web Hosting Pro shows 1690.00 RUB, but the plan costs 1490.00 RUB per month.",
        order_number="HST-PRO-000052",
        desired_resolution=DesiredResolution.REFUND,
        steps=(
            assign(by="manager"),
            reply("We are sorry for the wrong invoice. We are checking how the extra 200.00 RUB got there.", "manager"),
            move(
                Action.RESOLVE,
                "An old add-on was billed by mistake. We have refunded 200.00 RUB to your card; it arrives "
                "within three working days.",
                by="manager",
                outcome="monetary",
                root_cause="billing_error",
                corrective_action="Removed the retired add-on from billing; invoices are now checked against the plan.",
            ),
            move(Action.CLOSE, by="manager", customer_accepted=True),
        ),
    ),
    DemoComplaint(
        "ivan.petrov@example.ru",
        Category.DELIVERY,
        "Роутер привезли на три дня позже обещанного срока, хотя доставку я оплатил отдельно.",
        order_number="ORD-2026-10244",
        desired_resolution=DesiredResolution.REFUND,
        steps=(
            assign(),
            move(Action.START),
            move(
                Action.REQUEST_INFO,
                "Приносим извинения за задержку. Подскажите, пожалуйста, какую сумму вы заплатили за доставку?",
            ),
            customer_says("Доставка стоила 390 рублей, чек приложил к заказу."),
            reply("Спасибо! Мы вернём стоимость доставки полностью."),
            move(
                Action.RESOLVE,
                "Мы вернули 390,00 ₽ за доставку на вашу карту. Ещё раз просим прощения.",
                outcome="monetary",
                root_cause="delivery",
                corrective_action="The courier service now refunds the delivery fee itself when it is late.",
            ),
            move(Action.CLOSE, customer_accepted=True),
        ),
    ),
    # --- declined ---
    DemoComplaint(
        "sarah.oneill@example.com",
        Category.OTHER,
        "I would like a refund for the Ultra TV Box I ordered, order TVX-5531. It never worked properly.",
        order_number="TVX-5531",
        desired_resolution=DesiredResolution.REFUND,
        steps=(
            assign(),
            move(
                Action.REJECT,
                "We are sorry we cannot help with this one directly: we could not find order TVX-5531, and the "
                "Ultra TV Box is not a product we sell. The receipt should show which shop it came from; if it "
                "was us after all, reply with a photo of it and we will look again straight away.",
                root_cause="no_fault",
            ),
        ),
    ),
    DemoComplaint(
        "ekaterina.sokolova@example.ru",
        Category.DEFECT,
        "Повторяю своё обращение по телефону: чайник протекает, прошу заменить.",
        order_number="ORD-2026-10315",
        desired_resolution=DesiredResolution.REPLACEMENT,
        steps=(
            move(
                Action.REJECT,
                "Приносим извинения за неудобства. Мы уже работаем над вашим первым обращением о том же чайнике, "
                "поэтому закрываем это, чтобы ответы не разошлись. Замену оформим по первому обращению.",
                by="manager",
                root_cause="other",
            ),
        ),
    ),
)


@dataclass
class Created:
    users: int = 0
    customers: int = 0
    products: int = 0
    purchases: int = 0
    complaints: int = 0
    teams: int = 0
    incidents: int = 0
    offers: int = 0
    history: int = 0

    def __bool__(self) -> bool:
        return any(
            (
                self.users,
                self.customers,
                self.products,
                self.purchases,
                self.complaints,
                self.teams,
                self.incidents,
                self.offers,
                self.history,
            )
        )


def _users(created: Created) -> dict[str, User]:
    user_model = get_user_model()
    users: dict[str, User] = {}
    for spec in USERS:
        user = user_model.objects.filter(username=spec.username).first()
        if user is None:
            fields = {"first_name": spec.first_name, "last_name": spec.last_name, "email": spec.email}
            if spec.role == "admin":
                user = user_model.objects.create_superuser(spec.username, password=spec.password, **fields)
            else:
                user = user_model.objects.create_user(spec.username, password=spec.password, is_staff=True, **fields)
            created.users += 1
        if spec.group:
            group = Group.objects.filter(name=spec.group).first()
            if group is None:
                raise CommandError(f'The group "{spec.group}" is missing. Run "manage.py migrate" first.')
            user.groups.add(group)
        # Fetched again so permission checks see the groups just added.
        users[spec.role] = user_model.objects.get(pk=user.pk)
    return users


def _catalogue(created: Created, today: datetime) -> None:
    customers = {}
    for spec in CUSTOMERS:
        existed = Customer.objects.filter(email=spec.email).exists()
        customers[spec.email] = customer_get_or_create_by_email(
            email=spec.email, name=spec.name, phone=spec.phone, language=spec.language
        )
        if not existed:
            created.customers += 1
    products = {}
    for product_spec in PRODUCTS:
        product, made = Product.objects.get_or_create(
            code=product_spec.code,
            defaults={
                "name": product_spec.name,
                "kind": product_spec.kind,
                "price": Decimal(product_spec.price),
                "warranty_days": product_spec.warranty_days,
            },
        )
        products[product_spec.code] = product
        created.products += made
    for purchase_spec in PURCHASES:
        product = products[purchase_spec.product_code]
        bought = today - timedelta(days=purchase_spec.days_ago)
        is_subscription = product.kind == Product.Kind.SUBSCRIPTION
        _, made = Purchase.objects.get_or_create(
            order_number=purchase_spec.order_number,
            defaults={
                "customer": customers[purchase_spec.email],
                "product": product,
                "purchased_on": bought.date(),
                "amount": product.price,
                "currency": product.currency,
                "service_start": bought if is_subscription else None,
                "service_end": bought + timedelta(days=30) if is_subscription else None,
            },
        )
        created.purchases += made


def _teams(created: Created, users: dict[str, User]) -> None:
    """Both teams, led by the demo lead, with the demo agent in both and on duty (set once, when the agent
    first gets a duty status), so new complaints are assigned to them automatically."""
    for spec in TEAMS:
        is_default = spec.is_default and not Team.objects.filter(is_default=True).exists()
        team, made = Team.objects.get_or_create(name=spec.name, defaults={"is_default": is_default})
        if made:
            team.products.add(*Product.objects.filter(kind=spec.product_kind))
            created.teams += 1
        TeamMember.objects.get_or_create(team=team, user=users["agent"])
        TeamMember.objects.get_or_create(team=team, user=users["lead"], defaults={"is_lead": True})
    agent = users["agent"]
    if not AgentDuty.objects.filter(user=agent).exists():
        agent_duty_set(user=agent, on_duty=True, actor=agent)


# Public holidays (month, day, name) of the demo office calendar.
OFFICE_HOLIDAYS = (
    *((1, day, "New Year holidays") for day in range(1, 9)),
    (2, 23, "Defender of the Fatherland Day"),
    (3, 8, "International Women's Day"),
    (5, 1, "Spring and Labour Day"),
    (5, 9, "Victory Day"),
    (6, 12, "Russia Day"),
    (11, 4, "Unity Day"),
)


def _office_hours(today: datetime) -> None:
    """The "Office hours" calendar (09:00-18:00 Monday to Friday, Yekaterinburg time, with this and next year's
    public holidays), on which the low and normal priority promises count; urgent and high stay 24/7."""
    calendar, _made = BusinessCalendar.objects.get_or_create(
        name="Office hours",
        defaults={
            "time_zone": "Asia/Yekaterinburg",
            "working_days": [0, 1, 2, 3, 4],
            "opens_at": time(9, 0),
            "closes_at": time(18, 0),
        },
    )
    for year in (today.year, today.year + 1):
        for month, day, name in OFFICE_HOLIDAYS:
            Holiday.objects.get_or_create(calendar=calendar, date=date(year, month, day), defaults={"name": name})
    SlaPolicy.objects.filter(
        priority__in=[Priority.LOW, Priority.NORMAL], category="", product__isnull=True, calendar__isnull=True
    ).update(calendar=calendar)


def _play(complaint: Complaint, step: Step, users: dict[str, User]) -> None:
    actor = users[step.by]
    if step.kind == "assign":
        complaint_assign(complaint=complaint, assignee=actor, actor=actor)
    elif step.kind == "reply":
        complaint_reply(complaint=complaint, author=actor, body=step.text)
    elif step.kind == "transition":
        complaint_transition(complaint=complaint, action=step.action, actor=actor, comment=step.text, **step.closing)
    else:
        complaint_customer_reply(complaint=complaint, body=step.text)


def _complaints(created: Created, users: dict[str, User]) -> None:
    for spec in COMPLAINTS:
        description = spec.description.strip()
        if Complaint.objects.filter(customer__email=spec.email, description=description).exists():
            continue
        customer = Customer.objects.get(email=spec.email)
        complaint = complaint_submit(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            category=spec.category,
            description=description,
            order_number=spec.order_number,
            desired_resolution=spec.desired_resolution,
            channel=spec.channel,
            language=spec.language,
        )
        for step in spec.steps:
            _play(complaint, step, users)
        created.complaints += 1


# A year of settled complaints behind the demo, so the managers' reports have a history to show.
HISTORY_COMPLAINTS = 600
HISTORY_DAYS = 365


def _history(created: Created, users: dict[str, User]) -> None:
    """Once: the settled history (the benchmark's generator on the demo's products, agent and teams)."""
    if Customer.objects.filter(email__startswith="history-").exists():
        return
    teams = {spec.product_kind: Team.objects.get(name=spec.name).pk for spec in TEAMS}
    result = history_seed(
        complaints=HISTORY_COMPLAINTS,
        days=HISTORY_DAYS,
        products=Product.objects.filter(code__in=[spec.code for spec in PRODUCTS]),
        agent_ids=[users["agent"].pk, users["lead"].pk],
        team_ids=teams,
        log=lambda line: None,
    )
    created.history = result.complaints


# The model case: the hosting's equipment failed last night for four hours; the manager apologises to every
# customer of the plan and credits the downtime (the worker writes the letters and credits).
DEMO_OUTAGE_TITLE = "Night power failure in the data centre"
DEMO_OUTAGE_TEXT = (
    "A power unit in our data centre failed at 01:00 and Web Hosting Pro sites were down until 05:00. "
    "The fault was ours: the unit has been replaced and a second power feed is being installed."
)
# An agent's goodwill voucher above their approval limit, waiting on the managers' approvals page.
DEMO_OFFER_REASON = "A voucher for the trouble the router caused and the week you waited for it."


def _outage_and_offer(created: Created, users: dict[str, User], today: datetime) -> None:
    if not Incident.objects.filter(title=DEMO_OUTAGE_TITLE).exists():
        night = today.replace(hour=1, minute=0) - timedelta(days=1)
        hosting = Product.objects.get(code="web-hosting-pro")
        incident = incident_declare(
            actor=users["manager"],
            title=DEMO_OUTAGE_TITLE,
            public_description=DEMO_OUTAGE_TEXT,
            product_ids=[hosting.pk],
            started_at=night,
            ended_at=night + timedelta(hours=4),
        )
        incident_compensate(incident=incident, actor=users["manager"])
        created.incidents += 1
    complaint = Complaint.objects.filter(customer__email="ivan.petrov@example.ru").order_by("received_at").first()
    if complaint is not None and not CompensationOffer.objects.filter(reason=DEMO_OFFER_REASON).exists():
        offer_propose(
            complaint=complaint,
            actor=users["agent"],
            kind=OfferKind.VOUCHER,
            amount=Decimal("3000.00"),
            currency="RUB",
            reason=DEMO_OFFER_REASON,
        )
        created.offers += 1


class Command(BaseCommand):
    help = "Create demo users, customers, products, purchases and complaints (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = Created()
        today = datetime.combine(timezone.now().date(), time(9, 0), tzinfo=timezone.get_current_timezone())
        with transaction.atomic():
            users = _users(created)
            _catalogue(created, today)
            _teams(created, users)
            _office_hours(today)
            _history(created, users)
            _complaints(created, users)
            _outage_and_offer(created, users, today)

        out = self.stdout.write
        if created:
            out(
                self.style.SUCCESS(
                    f"Demo data: created {created.users} users, {created.customers} customers, "
                    f"{created.products} products, {created.purchases} purchases, {created.teams} teams and "
                    f"{created.complaints} complaints, {created.incidents} outage apologised for and {created.offers}"
                    " offer awaiting approval (their letters are queued for the worker), and a year's history of"
                    f" {created.history} settled complaints for the reports."
                )
            )
        else:
            out("Demo data is already in place; nothing new was created.")
        out("")
        out("  Demo logins (passwords are set when a user is first created):")
        for spec in USERS:
            out(f"    {spec.label + ':':<16} {spec.username} / {spec.password}")
        for email in ("alice.morgan@example.com", "ivan.petrov@example.ru"):
            complaint = Complaint.objects.filter(customer__email=email).order_by("received_at").first()
            if complaint is not None:
                out(f"  Tracking page of {complaint.reference} ({complaint.customer.name}): {tracking_url(complaint)}")
