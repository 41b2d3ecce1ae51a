# ruff: noqa: RUF001 - the Russian replies are meant to be Cyrillic.
"""The apology check: the house tone (GLOSSARY.md) as advice on a reply, in English and Russian."""

import importlib

import pytest
from django.utils import translation

from complaints.apology import ApologyHint, apology_check, detect_language, normalise

_seed = importlib.import_module("complaints.migrations.0006_canned_responses")


def _codes(hints: list[ApologyHint]) -> list[str]:
    return [hint.code for hint in hints]


# --- replies that read well -------------------------------------------------------------------------------

GOOD_EN = [
    "We are sorry: this is our fault. We will send a replacement kettle by Friday.",
    "We apologise for the outage. We will credit your account for the full day of downtime.",
    "Sorry, that was our mistake. A refund of 1,990 RUB is on its way and will reach your card within 3 days.",
    "Please accept our apologies. Our engineer will repair the boiler tomorrow between 10:00 and 12:00.",
    "We are sorry the parcel was late; it is our fault. We have refunded the delivery charge today.",
    "This is our fault, and we apologize. You will get a voucher for a free month by 5 December.",
    "Our error entirely: we charged you twice. We will return the second payment by 12.12.2026.",
    "We are sorry for the scheduled maintenance that ran over. We will credit you two days of service.",
    "We let you down, and we are sorry. We'll call you today to arrange the replacement.",
    "I am so sorry for the trouble. You should have received a new charger by now; we are sending another one "
    "by courier, it will be delivered by Tuesday.",
    "We’re sorry — it’s our fault. Compensation of 500 RUB is credited to your account.",
]

GOOD_RU = [
    "Приносим извинения: это наша ошибка. Мы заменим чайник до пятницы.",
    "Просим прощения за перебой в работе сервиса. Мы сделаем перерасчёт за весь день простоя.",
    "Извините, это наша вина. Вернём деньги на карту в течение трёх дней.",
    "Приносим извинения за задержку: курьер привезёт заказ завтра с 10:00 до 12:00.",
    "Сожалеем, что так вышло, это наша ошибка. Мастер отремонтирует котёл к 5 декабря.",
    "Прошу прощения: мы ошиблись и списали оплату дважды. Мы вернём второй платёж до 12.12.2026.",
    "Извините нас за технические работы, которые затянулись. Мы начислим вам два бесплатных дня.",
    "Это наша вина, извините. Отправили вам промокод на бесплатный месяц.",
    "ПРИНОСИМ ИЗВИНЕНИЯ. МЫ ВЕРНЁМ ДЕНЬГИ СЕГОДНЯ.",
    "Приносим извинения: нам надо было предупредить вас заранее. Компенсация уже начислена.",
    "Извините за неудобства. Вы сами можете выбрать: замена или возврат денег, ответим до 18:00.",
]


@pytest.mark.parametrize("text", GOOD_EN)
def test_a_good_english_reply_has_no_hints(text: str) -> None:
    assert apology_check(text, language="en") == []


@pytest.mark.parametrize("text", GOOD_RU)
def test_a_good_russian_reply_has_no_hints(text: str) -> None:
    assert apology_check(text, language="ru") == []


def test_the_glossarys_own_examples_read_well() -> None:
    assert _codes(apology_check("We are sorry: this is our fault. We will fix it by Monday.", language="en")) == []
    assert _codes(apology_check("Приносим извинения: это наша ошибка. Исправим до понедельника.", language="ru")) == []
    # Without a next step, even the right first sentence is not enough.
    assert _codes(apology_check("We are sorry: this is our fault.", language="en")) == ["no_next_step"]
    assert _codes(apology_check("Приносим извинения: это наша ошибка.", language="ru")) == ["no_next_step"]


@pytest.mark.parametrize(("language", "text"), [(language, body) for language, _title, body in _seed.RESPONSES])
def test_the_seeded_canned_responses_pass_their_own_check(language: str, text: str) -> None:
    assert apology_check(text, language=language) == []


# --- replies that need another look -----------------------------------------------------------------------

BAD_EN = [
    ("Your complaint has been received.", ["no_apology", "no_next_step"]),
    ("A new kettle is on its way.", ["no_apology"]),
    ("We will refund you by Friday.", ["no_apology"]),
    ("Sorry for the inconvenience.", ["no_next_step"]),
    ("You should have read the manual before using the kettle.", ["no_apology", "blames_customer", "no_next_step"]),
    ("It is your fault that the parcel was returned. We will resend it for a fee.", ["no_apology", "blames_customer"]),
    ("You failed to provide your order number.", ["no_apology", "blames_customer", "no_next_step"]),
    ("As we already told you, the warranty does not cover this.", ["no_apology", "blames_customer", "no_next_step"]),
    ("You didn't read the terms. We will not refund.", ["no_apology", "blames_customer"]),
    (
        "The service was unavailable due to technical works.",
        ["no_apology", "technical_works_excuse", "no_next_step"],
    ),
    (
        "Scheduled maintenance was announced on our website.",
        ["no_apology", "technical_works_excuse", "no_next_step"],
    ),
    ("We are sorry, but you should have checked the parcel. We will repair it.", ["blames_customer"]),
]

BAD_RU = [
    ("Ваше обращение принято.", ["no_apology", "no_next_step"]),
    ("Новый чайник уже в пути, заменим завтра.", ["no_apology"]),
    ("Извините за неудобства.", ["no_next_step"]),
    ("Вы должны были прочитать инструкцию.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Это ваша вина: заказ вернулся на склад.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Вы сами сломали чайник.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Посылка вернулась по вашей вине.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Надо было проверить посылку при получении.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Как мы уже писали, гарантия на это не распространяется.", ["no_apology", "blames_customer", "no_next_step"]),
    ("Сервис был недоступен из-за технических работ.", ["no_apology", "technical_works_excuse", "no_next_step"]),
    ("Технические работы.", ["no_apology", "technical_works_excuse", "no_next_step"]),
    ("Проводились плановые работы, сейчас всё работает.", ["no_apology", "technical_works_excuse", "no_next_step"]),
    ("Приносим извинения, но вы должны были проверить товар. Заменим его.", ["blames_customer"]),
]


@pytest.mark.parametrize(("text", "codes"), BAD_EN)
def test_a_poor_english_reply_gets_hints(text: str, codes: list[str]) -> None:
    assert _codes(apology_check(text, language="en")) == codes


@pytest.mark.parametrize(("text", "codes"), BAD_RU)
def test_a_poor_russian_reply_gets_hints(text: str, codes: list[str]) -> None:
    assert _codes(apology_check(text, language="ru")) == codes


def test_technical_works_with_an_apology_and_a_remedy_are_fine() -> None:
    text = "Приносим извинения за технические работы без предупреждения. Мы сделаем перерасчёт за этот день."
    assert apology_check(text, language="ru") == []


# --- language, normalisation, shape -----------------------------------------------------------------------


def test_a_russian_reply_on_an_english_complaint_is_checked_in_russian() -> None:
    assert _codes(apology_check("Вы должны были прочитать инструкцию.", language="en")) == [
        "no_apology",
        "blames_customer",
        "no_next_step",
    ]
    assert apology_check("Извините, это наша ошибка. Вернём деньги сегодня.", language="en") == []


def test_an_english_reply_on_a_russian_complaint_is_checked_in_english() -> None:
    assert _codes(apology_check("You failed to read the manual.", language="ru")) == [
        "no_apology",
        "blames_customer",
        "no_next_step",
    ]


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("Приносим извинения, RC-2026-000001", "en", "ru"),
        ("We are sorry, Алиса", "ru", "en"),
        ("12.12.2026 18:00", "ru", "ru"),
        ("", "en", "en"),
        ("!!!", "de", "en"),
    ],
)
def test_the_language_is_the_one_most_letters_are_in(text: str, default: str, expected: str) -> None:
    assert detect_language(text, default=default) == expected


def test_yo_and_case_are_normalised() -> None:
    assert normalise("  МЫ  ВЕРНЁМ\nденьги ") == "мы вернем деньги"
    assert apology_check("Извините. Мы вернём деньги.", language="ru") == []
    assert apology_check("Извините. Мы вернем деньги.", language="ru") == []


def test_an_empty_reply_gets_no_advice() -> None:
    # Emptiness is the reply form's business, not the tone check's.
    assert apology_check("   ", language="en") == []


def test_each_hint_says_what_to_do_and_quotes_the_words_that_triggered_it() -> None:
    hints = apology_check("Сервис был недоступен из-за технических работ.", language="ru")

    excuse = next(hint for hint in hints if hint.code == "technical_works_excuse")
    assert excuse.phrase == "технических работ"
    blame = next(hint for hint in apology_check("Вы сами виноваты.", language="ru") if hint.code == "blames_customer")
    assert blame.phrase == "вы сами"
    assert all(str(hint.message) for hint in hints)


def test_hint_messages_follow_the_readers_language() -> None:
    hint = apology_check("Thanks.", language="en")[0]
    with translation.override("en"):
        english = str(hint.message)
    assert english.startswith("Start by taking responsibility")
