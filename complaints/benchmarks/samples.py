# ruff: noqa: RUF001 - the Russian sample texts are meant to be Cyrillic.
"""Sample names and complaint texts, in English and Russian, for the bulk benchmark data."""

from complaints.models import Category, DesiredResolution
from complaints.transitions import Action
from customers.models import Language, Product

EN_FIRST = ("Alice", "David", "Sarah", "James", "Emily", "Michael", "Laura", "Daniel", "Sophie", "Thomas")
EN_LAST = ("Morgan", "Chen", "O'Neill", "Wright", "Patel", "Smith", "Brown", "Taylor", "Walker", "Evans")
RU_MALE = (("Иван", "Петров"), ("Дмитрий", "Кузнецов"), ("Алексей", "Смирнов"), ("Сергей", "Волков"))
RU_FEMALE = (("Ольга", "Смирнова"), ("Екатерина", "Соколова"), ("Анна", "Морозова"), ("Мария", "Лебедева"))

DESCRIPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (Category.DEFECT, Language.EN): (
        "My {product} stopped working after a few weeks. It no longer switches on at all.",
        "The {product} makes a loud rattling noise and smells of burning plastic.\nI have stopped using it.",
    ),
    (Category.DEFECT, Language.RU): (
        "{product} перестал работать через несколько недель: больше не включается.",
        "{product} сильно шумит и пахнет горелым пластиком. Пользоваться им я перестал.",
    ),
    (Category.SERVICE_OUTAGE, Language.EN): (
        "{product} was down for about four hours last night. My website was unreachable the whole time.",
        "There has been no {product} service since this morning and nobody answers the phone.",
    ),
    (Category.SERVICE_OUTAGE, Language.RU): (
        "Ночью {product} не работал около четырёх часов, сайт был недоступен всё это время.",
        "С утра нет услуги «{product}», а на горячей линии никто не отвечает.",
    ),
    (Category.BILLING, Language.EN): (
        "I was charged twice for {product} this month. Please refund the second payment.",
        "The invoice for {product} is higher than the price I agreed to.",
    ),
    (Category.BILLING, Language.RU): (
        "За {product} в этом месяце деньги списали дважды. Прошу вернуть второй платёж.",
        "Счёт за «{product}» больше, чем цена, о которой мы договаривались.",
    ),
    (Category.DELIVERY, Language.EN): (
        "The {product} arrived five days late and the box was crushed.",
        "The courier never came with my {product} although the tracking says delivered.",
    ),
    (Category.DELIVERY, Language.RU): (
        "{product} привезли на пять дней позже, коробка была смята.",
        "Курьер так и не привёз {product}, хотя в отслеживании написано «доставлено».",
    ),
    (Category.SERVICE_QUALITY, Language.EN): (
        "The speed of {product} is far below what was promised, especially in the evenings.",
        "Support kept me on hold for forty minutes about my {product} and then hung up.",
    ),
    (Category.SERVICE_QUALITY, Language.RU): (
        "Скорость услуги «{product}» намного ниже обещанной, особенно вечером.",
        "Поддержка сорок минут держала меня на линии по поводу «{product}», а потом сбросила звонок.",
    ),
    (Category.OTHER, Language.EN): (
        "I asked for a call back about {product} three times and nobody called.",
        "Your shop assistant was rude to me when I asked about {product}.",
    ),
    (Category.OTHER, Language.RU): (
        "Я трижды просил перезвонить по поводу «{product}», но никто не перезвонил.",
        "Продавец в магазине грубо ответил на мой вопрос о товаре «{product}».",
    ),
}

CATEGORIES_BY_KIND: dict[str, tuple[str, ...]] = {
    Product.Kind.SUBSCRIPTION: (
        Category.SERVICE_OUTAGE,
        Category.BILLING,
        Category.SERVICE_QUALITY,
        Category.SERVICE_QUALITY,
        Category.OTHER,
    ),
    Product.Kind.GOODS: (Category.DEFECT, Category.DEFECT, Category.DELIVERY, Category.BILLING, Category.OTHER),
}
RESOLUTIONS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    Category.DEFECT: (DesiredResolution.REPLACEMENT, DesiredResolution.REPAIR, DesiredResolution.REFUND),
    Category.SERVICE_OUTAGE: (DesiredResolution.COMPENSATION, DesiredResolution.APOLOGY, ""),
    Category.BILLING: (DesiredResolution.REFUND, DesiredResolution.COMPENSATION),
    Category.DELIVERY: (DesiredResolution.REFUND, DesiredResolution.REPLACEMENT, ""),
    Category.SERVICE_QUALITY: (DesiredResolution.COMPENSATION, DesiredResolution.APOLOGY, ""),
    Category.OTHER: (DesiredResolution.APOLOGY, DesiredResolution.OTHER, ""),
}
COMMENTS: dict[str, dict[str, str]] = {
    Action.REQUEST_INFO: {
        Language.EN: "We are sorry for the trouble. Could you send us a photo of the serial number label?",
        Language.RU: "Приносим извинения за неудобства. Пришлите, пожалуйста, фото наклейки с серийным номером.",
    },
    Action.REJECT: {
        Language.EN: "We are sorry: we could not find this order in our records, so we cannot offer a remedy.",
        Language.RU: "Приносим извинения: мы не нашли этот заказ в нашей системе и не можем предложить решение.",
    },
}
