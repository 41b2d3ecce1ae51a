"""A first set of canned responses in English and Russian, written to the house tone.

Each opens by taking responsibility, names the remedy and says what happens next and by when. Placeholders:
{name}, {reference}, {due}, {agent} (see complaints/canned.py). Staff edit or retire them in the admin; the
reverse migration removes only the ones it added and nobody has changed since.
"""

from django.db import migrations

RESPONSES = [
    (
        "en",
        "Faulty product: replacement",
        "Dear {name},\n\n"
        "We are sorry: the product we sent you is faulty, and that is our fault, not yours. "
        "We will send you a replacement free of charge and collect the faulty one at no cost to you. "
        "You will have the replacement by {due} at the latest; if you would rather have a refund, reply to this "
        "email and we will refund you in full instead.\n\n"
        "Your reference number is {reference}.\n\n"
        "{agent}\nCustomer support",
    ),
    (
        "en",
        "Service outage: service credit",
        "Dear {name},\n\n"
        "We apologise for the outage: it was our failure, and you should not have had to tell us about it. "
        "We will credit your account for the whole time the service was down; you will see the credit on your "
        "next bill. We will also write to you by {due} with what went wrong and what we have changed so it does "
        "not happen again.\n\n"
        "Your reference number is {reference}.\n\n"
        "{agent}\nCustomer support",
    ),
    (
        "en",
        "Late delivery: refund of the delivery charge",
        "Dear {name},\n\n"
        "We are sorry your order is late: we promised a date and did not keep it. "
        "We will refund the delivery charge today, and our courier team will call you to agree a delivery time "
        "by {due}.\n\n"
        "Your reference number is {reference}.\n\n"
        "{agent}\nCustomer support",
    ),
    (
        "en",
        "Need one detail to put it right",
        "Dear {name},\n\n"
        "We are sorry for the trouble this has caused you, and for the wait. "
        "To put it right quickly, could you send us a photo of the label on the product? "
        "As soon as we have it, we will arrange the repair or replacement, whichever you prefer, and we will "
        "have it sorted by {due}.\n\n"
        "Your reference number is {reference}.\n\n"
        "{agent}\nCustomer support",
    ),
    (
        "ru",
        "Неисправный товар: замена",
        "Здравствуйте, {name}!\n\n"
        "Приносим извинения: мы отправили вам неисправный товар, и это наша ошибка. "
        "Мы бесплатно заменим товар и сами заберём неисправный. Замену вы получите не позднее {due}; "
        "если вам удобнее возврат денег, ответьте на это письмо, и мы вернём всю сумму.\n\n"
        "Номер обращения: {reference}.\n\n"
        "{agent}, служба поддержки",
    ),
    (
        "ru",
        "Перебой в работе сервиса: перерасчёт",
        "Здравствуйте, {name}!\n\n"
        "Просим прощения за перебой в работе сервиса: это наша вина. "
        "Мы сделаем перерасчёт стоимости услуги за всё время простоя, он будет виден в следующем счёте. "
        "До {due} мы напишем вам, что произошло и что мы изменили, чтобы это не повторилось.\n\n"
        "Номер обращения: {reference}.\n\n"
        "{agent}, служба поддержки",
    ),
    (
        "ru",
        "Задержка доставки: возврат стоимости доставки",
        "Здравствуйте, {name}!\n\n"
        "Извините за задержку заказа: мы обещали срок и не выполнили обещание. "
        "Сегодня мы вернём вам стоимость доставки, а курьерская служба позвонит вам и согласует время "
        "доставки до {due}.\n\n"
        "Номер обращения: {reference}.\n\n"
        "{agent}, служба поддержки",
    ),
    (
        "ru",
        "Нужна одна деталь, чтобы всё исправить",
        "Здравствуйте, {name}!\n\n"
        "Приносим извинения за доставленные неудобства и за ожидание. "
        "Чтобы быстро всё исправить, пришлите, пожалуйста, фото этикетки на товаре. "
        "Как только мы его получим, мы организуем ремонт или замену, как вам удобнее, и решим вопрос до {due}.\n\n"
        "Номер обращения: {reference}.\n\n"
        "{agent}, служба поддержки",
    ),
]


def add_responses(apps, schema_editor):
    CannedResponse = apps.get_model("complaints", "CannedResponse")
    for language, title, body in RESPONSES:
        CannedResponse.objects.get_or_create(language=language, title=title, defaults={"body": body})


def remove_responses(apps, schema_editor):
    CannedResponse = apps.get_model("complaints", "CannedResponse")
    for language, title, body in RESPONSES:
        CannedResponse.objects.filter(language=language, title=title, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_complaint_search"),
    ]

    operations = [
        migrations.RunPython(add_responses, remove_responses),
    ]
