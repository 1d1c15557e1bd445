"""An independent labelled Russian data set for `leadintake dedupe-eval` (issue 16).

Written from the issue's table of hard cases and the `dedupe-eval` file contract only, without
reading the detector or `generate.py`, so that it is not tuned alongside the detector:

    .venv/bin/python bench/dedupe/independent.py --out DIR [--contacts 20000 --leads 4000 --seed 1]
    .venv/bin/python bench/dedupe_quality.py --set independent [--contacts 5000 --leads 1000]

Writes `companies.jsonl`, `contacts.jsonl`, `leads.jsonl` (the `dedupe-eval` inputs) and
`truth.jsonl` (`lead_id`, `contact_id`, `company_id`, `kinds` = [one kind below], `channel`,
`hard_negative` = the kind for a new person, else null; `detail` says which variant was drawn).
`companies.jsonl` also has `city` and `contacts.jsonl` `position`, which dedupe-eval ignores.
The same seed gives byte-identical files. Standard library only.

Lead kinds and their shares (`KIND_SHARES`), one per lead:

- known people (54 %): `exact_repeat` 16 % (an identifier as the base holds it, maybe formatted
  otherwise), `name_company` 7 % (full name + company, nothing shared), `inn_name` 5 % (name +
  the company's INN), `identifier_typo` 6 % (phone one digit off / e-mail one character off,
  name agrees), `shared_phone_owner` 7 % (a holder of an office or family line, with their
  name), `job_change` 6 % (same mobile, new company and new e-mail; truth company = the new one,
  null when the base does not know it), `text_identifier` 7 % (phone/e-mail only in the text);
- new people (46 %, `hard_negative` = kind): `plain_new` 14 %, `office_colleague` 8 % (the
  company's shared line, a first name no holder has, or no name; truth company = that company),
  `family_member` 3.5 % (a family's shared phone, same family name, another first name),
  `company_variant` 8 % (a new person at a known company written as a variant: legal form at
  either end or spelled out, quotes, Latin, abbreviation, INN, corporate domain),
  `namesake_other_company` 6 % (a known contact's exact name at another company),
  `common_name_new` 4.5 % (first name + surname several contacts share),
  `near_identifier_new` 2 % (a stranger whose mobile is one digit off a contact's).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KIND_SHARES: tuple[tuple[str, float], ...] = (
    ("exact_repeat", 0.16),
    ("name_company", 0.07),
    ("inn_name", 0.05),
    ("identifier_typo", 0.06),
    ("shared_phone_owner", 0.07),
    ("job_change", 0.06),
    ("text_identifier", 0.07),
    ("plain_new", 0.14),
    ("office_colleague", 0.08),
    ("family_member", 0.035),
    ("company_variant", 0.08),
    ("namesake_other_company", 0.06),
    ("common_name_new", 0.045),
    ("near_identifier_new", 0.02),
)
KNOWN_KINDS = frozenset(
    {
        "exact_repeat",
        "name_company",
        "inn_name",
        "identifier_typo",
        "shared_phone_owner",
        "job_change",
        "text_identifier",
    }
)

# ---------------------------------------------------------------------------------------------
# Names

MALE = [
    "Александр",
    "Алексей",
    "Андрей",
    "Сергей",
    "Дмитрий",
    "Владимир",
    "Николай",
    "Михаил",
    "Иван",
    "Евгений",
    "Юрий",
    "Игорь",
    "Олег",
    "Павел",
    "Виктор",
    "Максим",
    "Артём",
    "Денис",
    "Антон",
    "Роман",
    "Константин",
    "Вадим",
    "Илья",
    "Никита",
    "Пётр",
    "Василий",
    "Анатолий",
    "Геннадий",
    "Валерий",
    "Григорий",
    "Станислав",
    "Кирилл",
    "Тимур",
    "Руслан",
    "Георгий",
    "Леонид",
    "Борис",
    "Фёдор",
    "Ярослав",
    "Егор",
    "Матвей",
    "Лев",
    "Вячеслав",
    "Степан",
    "Глеб",
    "Даниил",
    "Арсений",
    "Семён",
]
# Frequent names drawn more often (a base has many Александров and Сергеев).
MALE_WEIGHTS = tuple(12 if i < 10 else 5 if i < 25 else 2 for i in range(len(MALE)))
FEMALE = [
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Анна",
    "Мария",
    "Екатерина",
    "Юлия",
    "Марина",
    "Анастасия",
    "Людмила",
    "Галина",
    "Надежда",
    "Оксана",
    "Валентина",
    "Виктория",
    "Дарья",
    "Ксения",
    "Алина",
    "Полина",
    "Евгения",
    "Александра",
    "Вера",
    "Любовь",
    "Нина",
    "Лариса",
    "Кристина",
    "Алёна",
    "Софья",
    "Ульяна",
    "Елизавета",
    "Яна",
    "Жанна",
    "Инна",
    "Маргарита",
    "Валерия",
    "Вероника",
    "Диана",
    "Тамара",
    "Раиса",
    "Зоя",
    "Василиса",
]
FEMALE_WEIGHTS = tuple(12 if i < 10 else 5 if i < 25 else 2 for i in range(len(FEMALE)))
PATRONYMIC_SPECIAL = {
    "Михаил": ("Михайлович", "Михайловна"),
    "Илья": ("Ильич", "Ильинична"),
    "Никита": ("Никитич", "Никитична"),
    "Пётр": ("Петрович", "Петровна"),
    "Лев": ("Львович", "Львовна"),
    "Дмитрий": ("Дмитриевич", "Дмитриевна"),
    "Георгий": ("Георгиевич", "Георгиевна"),
    "Семён": ("Семёнович", "Семёновна"),
    "Артём": ("Артёмович", "Артёмовна"),
    "Фёдор": ("Фёдорович", "Фёдоровна"),
    "Даниил": ("Даниилович", "Данииловна"),
}
COMMON_SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоров",
]
RARE_SURNAMES = [
    "Абрамов",
    "Агафонов",
    "Аксёнов",
    "Белоусов",
    "Бирюков",
    "Блинов",
    "Бобров",
    "Воронцов",
    "Гаврилов",
    "Голубев",
    "Горбунов",
    "Гуляев",
    "Данилов",
    "Дорофеев",
    "Ершов",
    "Ефимов",
    "Жданов",
    "Зуев",
    "Игнатьев",
    "Исаев",
    "Калинин",
    "Карпов",
    "Клименко",
    "Князев",
    "Колесников",
    "Кондратьев",
    "Копылов",
    "Крылов",
    "Кудрявцев",
    "Лазарев",
    "Лаврентьев",
    "Лукин",
    "Мартынов",
    "Маслов",
    "Мельников",
    "Миронов",
    "Муравьёв",
    "Назаров",
    "Нестеров",
    "Овчинников",
    "Панов",
    "Пестов",
    "Платонов",
    "Прохоров",
    "Рожков",
    "Рябов",
    "Савельев",
    "Селезнёв",
    "Симонов",
    "Субботин",
    "Суханов",
    "Тимофеев",
    "Титов",
    "Третьяков",
    "Туманов",
    "Уваров",
    "Устинов",
    "Фадеев",
    "Филатов",
    "Харитонов",
    "Цветков",
    "Чернов",
    "Шаров",
    "Шестаков",
    "Щербаков",
    "Юдин",
    "Яшин",
    "Афанасьев",
    "Бурков",
    "Вершинин",
    "Гладков",
    "Дроздов",
    "Еремеев",
    "Журавлёв",
    "Зимин",
    "Капустин",
    "Лыков",
    "Мухин",
    "Ноздрин",
    "Оленев",
    "Пахомов",
    "Русаков",
    "Сазонов",
    "Терентьев",
    "Ульянов",
    "Хохлов",
    "Чистяков",
    "Шубин",
    "Щукин",
    "Якушев",
    "Белкин",
    "Воронин",
    "Грачёв",
    "Дьяконов",
    "Ерёмин",
    "Жилин",
    "Зотов",
    "Кочетков",
    "Ларионов",
    "Молчанов",
    "Никифоров",
    "Одинцов",
    "Пономарёв",
    "Родионов",
    "Скворцов",
    "Тихонов",
    "Успенский",
    "Хромов",
    "Чугунов",
    "Шилов",
    "Ястребов",
    "Бажов",
    "Вяземский",
    "Гончаров",
    "Загорский",
    "Оболенский",
    "Раевский",
    "Трубецкой",
    "Волконский",
    "Бестужев",
    "Толстой",
    "Островский",
    "Ковальский",
    "Вишневский",
    "Шевченко",
    "Бондаренко",
    "Ткаченко",
    "Коваленко",
    "Кравченко",
    "Аверченко",
    "Руденко",
    "Савченко",
    "Лысенко",
    "Бойко",
    "Гриценко",
    "Ляшко",
    "Черных",
    "Седых",
    "Белых",
    "Кривых",
    "Долгих",
    "Рыжих",
    "Гладких",
    "Ким",
    "Пак",
    "Цой",
    "Тен",
    "Хван",
    "Шевчук",
    "Мельник",
    "Нургалиев",
    "Хабибуллин",
    "Сафин",
    "Галиев",
    "Ахметов",
    "Алиев",
    "Гасанов",
    "Мамедов",
    "Садыков",
    "Каримов",
    "Юсупов",
    "Шарипов",
    "Погодин",
    "Свиридов",
    "Ларин",
    "Тарханов",
    "Бахтин",
    "Вавилов",
    "Гордеев",
    "Дементьев",
    "Елисеев",
    "Золотарёв",
    "Кирсанов",
    "Лапин",
    "Мишин",
    "Нечаев",
    "Озеров",
    "Потапов",
    "Рогов",
    "Сафонов",
    "Трофимов",
    "Уткин",
    "Фомин",
    "Хлебников",
    "Цыганков",
    "Чеботарёв",
    "Шмелёв",
    "Щеглов",
    "Ярцев",
    "Батурин",
    "Веселов",
    "Глухов",
    "Денисов",
    "Ермаков",
    "Жаров",
    "Зыков",
    "Корнилов",
    "Лосев",
    "Мамонтов",
    "Наумов",
    "Окунев",
    "Пирогов",
    "Разин",
    "Соболев",
    "Тюрин",
    "Фокин",
    "Чижов",
]

# Иванов ≈ 1.7 % of people, Смирнов ≈ 1.5 %, ... (a Zipf-like tail over the common list).
COMMON_WEIGHTS = [1 / (rank + 4) ** 0.9 for rank in range(len(COMMON_SURNAMES))]
# Rarer surnames built the way Russian ones are: a root and -ов/-ев, -ин, -енко, or a compound
# (Белоголов, Новосёлов), so that most people share their surname with few others.
_ROOTS_OV = [
    "Бурлак",
    "Казак",
    "Ямщик",
    "Федот",
    "Хомут",
    "Рыбак",
    "Кулик",
    "Грач",
    "Скворц",
    "Снегир",
    "Чиж",
    "Карас",
    "Окун",
    "Судак",
    "Налим",
    "Барсук",
    "Крот",
    "Горох",
    "Морков",
    "Огурц",
    "Пшеничник",
    "Кузнец",
    "Токар",
    "Слесар",
    "Плотник",
    "Столяр",
    "Гончар",
    "Бондар",
    "Шорник",
    "Кожевник",
    "Портн",
    "Пекар",
    "Повар",
    "Пастух",
    "Конюх",
    "Мельник",
    "Сотник",
    "Тысяч",
    "Полковник",
    "Дьяк",
    "Попад",
    "Звонар",
    "Писар",
    "Мясник",
    "Рогож",
    "Лапт",
    "Валенк",
    "Кафтан",
    "Шапошник",
    "Сукон",
    "Калач",
    "Пирожк",
    "Блинник",
    "Сухар",
    "Квасн",
    "Медовар",
    "Пивовар",
    "Солод",
    "Овсянник",
    "Гречих",
    "Просвирн",
    "Булыч",
    "Ворон",
    "Галк",
    "Дроздик",
    "Журавл",
    "Коршун",
    "Ласточкин",
    "Сыч",
    "Филин",
    "Чайк",
    "Щур",
    "Беркут",
    "Сокольник",
    "Бычк",
    "Телят",
    "Козлен",
    "Баран",
    "Коровин",
    "Жеребц",
    "Ослик",
    "Кабан",
    "Хряк",
    "Поросят",
    "Лосен",
    "Олен",
    "Соболь",
    "Куниц",
    "Горност",
    "Выдр",
    "Хорьк",
    "Ёрш",
    "Лещ",
    "Сиг",
    "Ряпушк",
    "Голавл",
    "Язик",
    "Карп",
    "Линьк",
    "Пескар",
    "Гольц",
]
_ROOTS_IN = [
    "Лап",
    "Кошк",
    "Мышк",
    "Пушк",
    "Репк",
    "Капуст",
    "Курочк",
    "Утк",
    "Гусик",
    "Птичк",
    "Синичк",
    "Вишн",
    "Малин",
    "Брусничк",
    "Смородин",
    "Рябин",
    "Калин",
    "Берёзк",
    "Осинк",
    "Ольшан",
    "Сосенк",
    "Ёлочк",
    "Пшенк",
    "Ячмен",
    "Гречк",
    "Бобк",
    "Шишк",
    "Орешк",
    "Жёлуд",
    "Листк",
    "Травк",
    "Цветк",
    "Ромашк",
    "Васильк",
    "Колоск",
    "Снежк",
    "Ветерк",
    "Тучк",
    "Зорьк",
    "Звёздочк",
]
_SKY = [
    "Преображенский",
    "Вознесенский",
    "Покровский",
    "Рождественский",
    "Успенский",
    "Троицкий",
    "Никольский",
    "Спасский",
    "Архангельский",
    "Знаменский",
    "Введенский",
    "Богоявленский",
    "Благовещенский",
    "Сретенский",
    "Крестовоздвиженский",
    "Смоленский",
    "Казанский",
    "Владимирский",
    "Ильинский",
    "Петропавловский",
    "Дмитриевский",
    "Георгиевский",
    "Михайловский",
    "Флоровский",
    "Космодемьянский",
    "Варваринский",
    "Пятницкий",
    "Воскресенский",
    "Всехсвятский",
    "Богословский",
    "Модестов",
    "Голицынский",
    "Протопопов",
]
_ENKO = [
    "Марченко",
    "Остапенко",
    "Тарасенко",
    "Петренко",
    "Кириленко",
    "Яковенко",
    "Гавриленко",
    "Данильченко",
    "Литвиненко",
    "Демченко",
    "Науменко",
    "Левченко",
    "Сидоренко",
    "Мищенко",
    "Зинченко",
    "Федоренко",
    "Харченко",
    "Ющенко",
    "Вакуленко",
    "Гончаренко",
    "Пономаренко",
    "Онищенко",
    "Кучеренко",
    "Дорошенко",
    "Слюсаренко",
]
_PREFIXES = [
    "Бело",
    "Черно",
    "Красно",
    "Ново",
    "Старо",
    "Добро",
    "Остро",
    "Криво",
    "Сухо",
    "Долго",
    "Мало",
    "Велико",
]
_COMPOUND_ROOTS = [
    "голов",
    "бород",
    "нос",
    "ус",
    "глаз",
    "брюх",
    "ног",
    "рук",
    "зуб",
    "лоб",
    "кудр",
    "волос",
    "сёл",
    "двор",
    "гор",
    "луг",
    "бор",
    "пол",
    "дуб",
    "лес",
    "кон",
    "рог",
    "хвост",
    "пер",
    "крыл",
    "сапож",
    "щёк",
]


def _ov(root: str) -> str:
    if root.endswith("ь"):
        return root[:-1] + "ев"
    if root.endswith(("ч", "щ")):
        return root + "ёв"
    if root.endswith("кин"):
        return root
    return root + "ов"


RARE_SURNAMES = list(
    dict.fromkeys(
        [
            *RARE_SURNAMES,
            *(_ov(r) for r in _ROOTS_OV),
            *(r + "ин" for r in _ROOTS_IN),
            *_SKY,
            *_ENKO,
            *(
                p + r.capitalize()[0].lower() + r[1:] + "ов"
                for p in _PREFIXES
                for r in _COMPOUND_ROOTS
            ),
        ]
    )
)

POSITIONS = (
    "Генеральный директор",
    "Коммерческий директор",
    "Менеджер по закупкам",
    "Главный бухгалтер",
    "Бухгалтер",
    "Инженер",
    "Главный инженер",
    "Руководитель отдела продаж",
    "Менеджер по продажам",
    "Специалист по снабжению",
    "Офис-менеджер",
    "Юрист",
    "Логист",
    "Секретарь",
    "Директор по развитию",
    "Заместитель директора",
    "Начальник производства",
    "Прораб",
)


def feminine(surname: str) -> str:
    """The woman's form of a surname (Иванов → Иванова, Толстой → Толстая, Ким stays)."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ой", "ый")) and len(surname) > 4:
        return surname[:-2] + "ая"
    return surname


def patronymic(father: str, female: bool) -> str:
    """Patronymic from a father's first name."""
    if father in PATRONYMIC_SPECIAL:
        return PATRONYMIC_SPECIAL[father][female]
    if father.endswith("ий"):
        stem = father[:-2] + "ь"
        return stem + ("евна" if female else "евич")
    if father.endswith("ей"):
        return father[:-1] + ("евна" if female else "евич")
    if father.endswith("ай"):
        return father[:-1] + ("евна" if female else "евич")
    return father + ("овна" if female else "ович")


@dataclass
class Person:
    """A person's name parts."""

    surname: str
    first: str
    middle: str
    female: bool


def name_text(p: Person, style: str) -> str:
    """A person's name written in one of the usual CRM and lead forms."""
    initials = f"{p.first[0]}.{p.middle[0]}."
    forms = {
        "fio": f"{p.surname} {p.first} {p.middle}",
        "iof": f"{p.first} {p.middle} {p.surname}",
        "if": f"{p.first} {p.surname}",
        "fi": f"{p.surname} {p.first}",
        "io": f"{p.first} {p.middle}",
        "i": p.first,
        "f_init": f"{p.surname} {initials}",
        "latin": f"{translit(p.first).title()} {translit(p.surname).title()}",
        "fio_lower": f"{p.surname} {p.first} {p.middle}".lower(),
    }
    return forms[style]


# ---------------------------------------------------------------------------------------------
# Transliteration

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_TRANSLIT_ALT = {"х": "h", "й": "i", "щ": "sch", "ю": "iu", "я": "ia", "ё": "yo", "ц": "c"}


def translit(text: str, alt: bool = False) -> str:
    """Latin spelling of Cyrillic text (passport-like, or an everyday variant with alt)."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _TRANSLIT:
            rep = _TRANSLIT_ALT.get(low, _TRANSLIT[low]) if alt else _TRANSLIT[low]
            out.append(rep.capitalize() if ch != low else rep)
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Companies

BRANDS = [
    "Вектор",
    "Ромашка",
    "Альфа",
    "Гранит",
    "Меридиан",
    "Союз",
    "Спектр",
    "Прогресс",
    "Магистраль",
    "Атлант",
    "Сфера",
    "Горизонт",
    "Импульс",
    "Статус",
    "Регион",
    "Фаворит",
    "Эталон",
    "Монолит",
    "Орион",
    "Вега",
    "Стимул",
    "Лидер",
    "Капитал",
    "Партнёр",
    "Ресурс",
    "Авангард",
    "Континент",
    "Арсенал",
    "Велес",
    "Зенит",
    "Каскад",
    "Квадрат",
    "Кристалл",
    "Легион",
    "Олимп",
    "Омега",
    "Пульсар",
    "Радуга",
    "Рубикон",
    "Сигма",
    "Тандем",
    "Феникс",
    "Форвард",
    "Элемент",
    "Янтарь",
    "Сапфир",
    "Берёзка",
    "Север",
    "Восток",
    "Байкал",
    "Алтай",
    "Ладога",
    "Ока",
    "Кама",
    "Иртыш",
    "Енисей",
    "Тайга",
    "Полюс",
    "Светоч",
]
PREFIXES = [
    "Строй",
    "Техно",
    "Агро",
    "Мед",
    "Энерго",
    "Транс",
    "Пром",
    "Евро",
    "Сиб",
    "Урал",
    "Волга",
    "Нева",
    "Дон",
    "Балт",
    "Рус",
    "Нефте",
    "Газ",
    "Лес",
    "Эко",
    "Мега",
    "Гео",
    "Электро",
    "Тепло",
    "Хим",
    "Авто",
    "Металл",
    "Инфо",
    "Проф",
]
SUFFIXES = [
    "сервис",
    "комплект",
    "снаб",
    "монтаж",
    "торг",
    "инвест",
    "групп",
    "проект",
    "лайн",
    "маркет",
    "трейд",
    "логистик",
    "систем",
    "строй",
    "ресурс",
    "холдинг",
    "альянс",
    "пром",
    "снабжение",
    "комплекс",
]
QUALIFIERS = ("", "", "", "", "-М", " Плюс", "-Юг", " СПб", "-Центр", " Групп", "-2000", " Про")
# (Cyrillic spelling in the register, the Latin name the firm uses in mail and on its site)
LATIN_BRANDS = (
    ("Смарт Лаб", "Smart Lab"),
    ("Диджитал Про", "Digital Pro"),
    ("Бест Вэй", "Best Way"),
    ("Грин Лайн", "Green Line"),
    ("Нордик Трейд", "Nordic Trade"),
    ("Скайлайн", "Skyline"),
    ("Логистик Плюс", "Logistic Plus"),
    ("Айти Сервис", "IT Service"),
    ("Медиа Групп", "Media Group"),
    ("Ферст Лайн", "First Line"),
    ("Глобал Тех", "Global Tech"),
    ("Про Консалт", "Pro Consult"),
    ("Стар Моторс", "Star Motors"),
    ("Оптима Фуд", "Optima Food"),
    ("Фреш Маркет", "Fresh Market"),
)
# (long descriptive form, abbreviation)
KINDS_OF_FIRM = (
    ("Научно-производственное предприятие", "НПП"),
    ("Торговый дом", "ТД"),
    ("Группа компаний", "ГК"),
    ("Строительная компания", "СК"),
    ("Производственная компания", "ПК"),
    ("Научно-производственное объединение", "НПО"),
)
LEGAL = (
    ("ООО", "Общество с ограниченной ответственностью", "LLC", 0.70),
    ("АО", "Акционерное общество", "JSC", 0.08),
    ("ЗАО", "Закрытое акционерное общество", "CJSC", 0.04),
    ("ПАО", "Публичное акционерное общество", "PJSC", 0.02),
    ("ОАО", "Открытое акционерное общество", "OJSC", 0.02),
    ("АНО", "Автономная некоммерческая организация", "ANO", 0.01),
    ("ИП", "Индивидуальный предприниматель", "IE", 0.13),
)
# city, landline codes, INN region prefixes
CITIES = (
    ("Москва", ("495", "499"), ("77", "50"), 0.38),
    ("Санкт-Петербург", ("812",), ("78", "47"), 0.16),
    ("Екатеринбург", ("343",), ("66",), 0.06),
    ("Новосибирск", ("383",), ("54",), 0.06),
    ("Казань", ("843",), ("16",), 0.06),
    ("Нижний Новгород", ("831",), ("52",), 0.05),
    ("Краснодар", ("861",), ("23",), 0.06),
    ("Самара", ("846",), ("63",), 0.05),
    ("Ростов-на-Дону", ("863",), ("61",), 0.05),
    ("Уфа", ("347",), ("02",), 0.04),
    ("Челябинск", ("351",), ("74",), 0.03),
)
PERSONAL_DOMAINS = (
    ("mail.ru", 30),
    ("yandex.ru", 25),
    ("gmail.com", 20),
    ("bk.ru", 6),
    ("list.ru", 5),
    ("inbox.ru", 5),
    ("rambler.ru", 4),
    ("ya.ru", 3),
    ("icloud.com", 2),
)
TOPICS = (  # each fits "цены на …" (accusative)
    "поставку кабеля ВВГ",
    "монтаж вентиляции на складе",
    "аренду экскаватора на две недели",
    "бухгалтерское обслуживание",
    "поставку офисной мебели",
    "ремонт кровли",
    "изготовление металлоконструкций",
    "поставку бумаги А4 оптом",
    "корпоративное обучение",
    "поставку спецодежды",
    "грузоперевозку Москва — Казань",
    "обслуживание кондиционеров",
    "разработку сайта",
    "установку видеонаблюдения",
    "поставку стройматериалов",
    "аудит отчётности",
)


def inn_checksum(digits: list[int], weights: Sequence[int]) -> int:
    """One INN control digit."""
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def make_inn(rng: random.Random, region: str, person: bool) -> str:
    """A valid INN: 10 digits for an organisation, 12 for an ИП."""
    if person:
        body = [int(c) for c in region] + [rng.randrange(10) for _ in range(8)]
        n11 = inn_checksum(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        n12 = inn_checksum([*body, n11], (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        return "".join(map(str, [*body, n11, n12]))
    body = [int(c) for c in region] + [rng.randrange(10) for _ in range(7)]
    return "".join(map(str, [*body, inn_checksum(body, (2, 4, 10, 3, 5, 9, 4, 6, 8))]))


@dataclass
class Company:
    """A company of the base (or one the base does not know, `cid` None)."""

    cid: str | None
    form: str  # ООО, АО, ..., ИП
    brand: str  # Cyrillic brand, or the ИП owner's full name
    latin: str | None  # the Latin brand the firm uses, if any
    firm_kind: tuple[str, str] | None  # (Торговый дом, ТД) when part of the name
    inn: str
    city: str
    domain: str | None
    office_phone: str | None  # 10 digits
    office_on_record: bool = False  # the company record lists the office line
    inn_on_record: bool = False  # the company record carries the INN (set by company_rows)
    domain_on_record: bool = False  # its website or role mailbox shows the domain (same)
    stored_name: str = ""
    staff: list[int] = field(default_factory=list)


def company_name(c: Company, style: str, rng: random.Random) -> str:
    """The company's name in one written form."""
    full_form = next(full for short, full, _, _ in LEGAL if short == c.form)
    latin_form = next(lat for short, _, lat, _ in LEGAL if short == c.form)
    brand = c.brand
    if c.firm_kind and style != "abbrev":
        brand = f"{c.firm_kind[0]} «{c.brand}»" if style != "bare" else f"{c.firm_kind[0]} {brand}"
    elif c.firm_kind:
        brand = f"{c.firm_kind[1]} «{c.brand}»"
    if c.form == "ИП":
        owner = c.brand
        return {
            "guillemets": f"ИП {owner}",
            "straight": f"ИП {owner}",
            "form_end": f"{owner}, ИП",
            "full_form": f"Индивидуальный предприниматель {owner}",
            "bare": f"ИП {owner}",
            "translit": f"IP {translit(owner)}",
            "abbrev": f"ИП {owner}",
            "lower": f"ип {owner.lower()}",
        }[style]
    quoted = brand if c.firm_kind else f"«{brand}»"
    if style == "guillemets":
        return f"{c.form} {quoted}"
    if style == "straight":
        plain = brand.replace("«", '"').replace("»", '"')
        return f'{c.form} "{plain}"' if not c.firm_kind else f"{c.form} {plain}"
    if style == "form_end":
        return (
            f"{brand.replace('«', '').replace('»', '')}, {c.form}"
            if rng.random() < 0.5
            else (f"{brand.replace('«', '').replace('»', '')} {c.form}")
        )
    if style == "full_form":
        return f"{full_form} {quoted}"
    if style == "bare":
        return brand.replace("«", "").replace("»", "")
    if style == "translit":
        latin = c.latin or translit(c.brand, alt=rng.random() < 0.4)
        if c.firm_kind and c.latin is None:
            latin = f"{translit(c.firm_kind[1])} {latin}"
        return rng.choice(
            (
                f"{latin} {latin_form}",
                f"OOO {latin}" if c.form == "ООО" else f"{translit(c.form)} {latin}",
                f'"{latin}" {latin_form}',
                latin,
            )
        )
    if style == "abbrev":
        return f"{c.form} {quoted}"
    if style == "lower":
        return f"{c.form} {brand.replace('«', '').replace('»', '')}".lower()
    raise ValueError(style)


# ---------------------------------------------------------------------------------------------
# Phones and e-mails


def fmt_phone(d: str, rng: random.Random, style: str | None = None) -> str:
    """A 10-digit Russian number in one of the ways people write it."""
    a, b, c, e = d[:3], d[3:6], d[6:8], d[8:]
    styles = {
        "e164": f"+7{d}",
        "eight": f"8{d}",
        "seven": f"7{d}",
        "plus_paren": f"+7 ({a}) {b}-{c}-{e}",
        "eight_paren": f"8 ({a}) {b}-{c}-{e}",
        "eight_dash": f"8-{a}-{b}-{c}-{e}",
        "plus_space": f"+7 {a} {b} {c} {e}",
        "plus_compact": f"+7 {a} {b}{c}{e}",
        "bare": f"{a} {b}-{c}-{e}",
        "eight_space": f"8 {a} {b} {c} {e}",
    }
    if style is None:
        style = rng.choices(list(styles), weights=(30, 12, 3, 15, 14, 4, 8, 4, 4, 6))[0]
    return styles[style]


def office_format(d: str, rng: random.Random) -> str:
    """An office line as written, sometimes with an extension."""
    text = fmt_phone(d, rng, rng.choice(("plus_paren", "eight_paren", "e164", "plus_space")))
    if rng.random() < 0.3:
        text += rng.choice((" доб. ", " (доб. ", " вн. ", " ext. ")) + str(rng.randrange(100, 400))
        if "(доб." in text:
            text += ")"
    return text


class Registry:
    """Every identifier handed out, so that new ones never collide by accident."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.domains: set[str] = set()
        self.inns: set[str] = set()
        self.numbers: set[int] = set()

    def mobile(self) -> str:
        """A fresh mobile number (10 digits)."""
        while True:
            d = "9" + "".join(str(self.rng.randrange(10)) for _ in range(9))
            if d[:3] not in ("900",) and d not in self.phones:
                self.phones.add(d)
                return d

    def landline(self, codes: Sequence[str]) -> str:
        """A fresh city number."""
        while True:
            d = (
                self.rng.choice(codes)
                + str(self.rng.randrange(2, 8))
                + "".join(str(self.rng.randrange(10)) for _ in range(6))
            )
            if d not in self.phones:
                self.phones.add(d)
                return d

    def email(self, local: str, domain: str) -> str:
        """local@domain, with digits added until unused."""
        candidate = f"{local}@{domain}"
        while candidate in self.emails:
            local2 = f"{local}{self.rng.randrange(1, 99)}"
            candidate = f"{local2}@{domain}"
        self.emails.add(candidate)
        return candidate

    def number(self, low: int, high: int) -> int:
        """A fresh messenger id."""
        while True:
            n = self.rng.randrange(low, high)
            if n not in self.numbers:
                self.numbers.add(n)
                return n

    def inn(self, region: str, person: bool) -> str:
        """A fresh INN."""
        while True:
            inn = make_inn(self.rng, region, person)
            if inn not in self.inns:
                self.inns.add(inn)
                return inn


def personal_local(p: Person, rng: random.Random) -> str:
    """A personal mailbox login built from a name."""
    f, s = translit(p.first, alt=rng.random() < 0.3).lower(), translit(p.surname).lower()
    year = str(rng.randrange(60, 100) if rng.random() < 0.7 else rng.randrange(2000, 2006))
    return rng.choice(
        (
            f"{f}.{s}",
            f"{s}.{f}",
            f"{f[0]}.{s}",
            f"{s}{year}",
            f"{f}{s}{year[-2:]}",
            f"{s}_{f[0]}",
            f"{f}_{year}",
            f"{s}.{f[0]}{year[-2:]}",
        )
    )


def corporate_local(p: Person, rng: random.Random) -> str:
    """A corporate mailbox login."""
    f, s = translit(p.first).lower(), translit(p.surname).lower()
    return rng.choice((f"{f[0]}.{s}", f"{f}.{s}", s, f"{s}.{f[0]}", f"{s}{f[0]}"))


# ---------------------------------------------------------------------------------------------
# The base


@dataclass
class Contact:
    """A contact of the base."""

    cid: str
    person: Person
    company: Company | None
    position: str | None
    name_style: str
    mobile: str | None = None  # personal, unshared
    office: str | None = None  # the company line, shared
    family_phone: str | None = None  # shared with a relative
    personal_email: str | None = None
    corp_email: str | None = None
    telegram_id: int | None = None
    telegram_username: str | None = None
    vk_id: int | None = None
    phone_text: dict[str, str] = field(default_factory=dict)


class World:
    """The generated base and the means to draw people and leads from it."""

    def __init__(self, seed: int, n_contacts: int) -> None:
        self.rng = random.Random(seed)
        self.reg = Registry(self.rng)
        self.companies: list[Company] = []
        self.contacts: list[Contact] = []
        self.families: list[tuple[int, int]] = []
        self.full_names: dict[tuple[str, str, str], list[int]] = {}
        self.first_surname: dict[tuple[str, str], list[int]] = {}
        self._company_names_used: dict[str, int] = {}
        self._build(n_contacts)

    # -- people -------------------------------------------------------------------------------
    def surname(self) -> str:
        """A surname: a fifth from the common list with a Zipf-like skew, the rest rarer."""
        rng = self.rng
        if rng.random() < 0.22:
            return rng.choices(COMMON_SURNAMES, COMMON_WEIGHTS)[0]
        return rng.choice(RARE_SURNAMES)

    def person(self, female: bool | None = None, surname: str | None = None) -> Person:
        """A random Russian person."""
        rng = self.rng
        if female is None:
            female = rng.random() < 0.45
        base = surname or self.surname()
        first = rng.choices(
            FEMALE if female else MALE, FEMALE_WEIGHTS if female else MALE_WEIGHTS
        )[0]
        father = rng.choices(MALE, MALE_WEIGHTS)[0]
        return Person(
            feminine(base) if female else base, first, patronymic(father, female), female
        )

    # -- companies ----------------------------------------------------------------------------
    def new_company(self, cid: str | None) -> Company:
        """A company, registered in the base when cid is given."""
        rng = self.rng
        city, codes, regions, _ = rng.choices(CITIES, [c[3] for c in CITIES])[0]
        form = rng.choices([f[0] for f in LEGAL], [f[3] for f in LEGAL])[0]
        latin = None
        firm_kind = None
        if form == "ИП":
            owner = self.person()
            brand = name_text(owner, "fio") if rng.random() < 0.7 else name_text(owner, "f_init")
        else:
            roll = rng.random()
            if roll < 0.35:
                brand = rng.choice(BRANDS) + rng.choice(QUALIFIERS)
            elif roll < 0.75:
                brand = rng.choice(PREFIXES) + rng.choice(SUFFIXES)
            elif roll < 0.85:
                brand, latin = rng.choice(LATIN_BRANDS)
            else:
                brand = rng.choice([*BRANDS, *PREFIXES])
                firm_kind = rng.choice(KINDS_OF_FIRM)
            # A base holds a few firms of the same name (told apart by INN), not dozens.
            key = f"{firm_kind}{brand}"
            while cid and self._company_names_used.get(key, 0) >= (2 if rng.random() < 0.9 else 3):
                brand = rng.choice(PREFIXES) + rng.choice(SUFFIXES) + rng.choice(QUALIFIERS)
                latin = None
                key = f"{firm_kind}{brand}"
            if cid:
                self._company_names_used[key] = self._company_names_used.get(key, 0) + 1
        inn = self.reg.inn(rng.choice(regions), form == "ИП")
        domain = None
        if form != "ИП" and rng.random() < 0.7:
            root = latin or translit(brand.replace(" ", "").replace("-", ""), rng.random() < 0.3)
            root = root.lower().replace(" ", "")
            root = "".join(ch for ch in root if ch.isalnum())
            tld = rng.choices(("ru", "com", "su", "pro", "net"), (80, 10, 3, 4, 3))[0]
            domain = f"{root}.{tld}"
            while domain in self.reg.domains:
                tail = rng.choice(
                    ("-" + translit(city[:3]).lower(), str(rng.randrange(1, 99)), "-group", "-m")
                )
                domain = f"{root}{tail}.{tld}"
            self.reg.domains.add(domain)
        office = self.reg.landline(codes) if form != "ИП" and rng.random() < 0.75 else None
        listed = office is not None and rng.random() < 0.7
        return Company(cid, form, brand, latin, firm_kind, inn, city, domain, office, listed)

    def _build(self, n_contacts: int) -> None:
        rng = self.rng
        n_companies = max(20, n_contacts // 4)
        for i in range(n_companies):
            c = self.new_company(f"co{i + 1:06d}")
            c.stored_name = company_name(
                c,
                rng.choices(
                    ("guillemets", "straight", "form_end", "full_form", "bare"), (60, 20, 8, 5, 7)
                )[0],
                rng,
            )
            self.companies.append(c)
        i = 0
        while len(self.contacts) < n_contacts:
            company = self.companies[i % n_companies] if rng.random() < 0.85 else None
            i += 1
            if company is None and rng.random() < 0.5:
                company = rng.choice(self.companies)
            self._add_contact(company)
            if rng.random() < 0.06 and len(self.contacts) < n_contacts:
                self._add_relative(len(self.contacts) - 1)
        for k, ct in enumerate(self.contacts):
            p = ct.person
            self.full_names.setdefault((p.surname, p.first, p.middle), []).append(k)
            self.first_surname.setdefault((p.surname, p.first), []).append(k)

    def _add_contact(self, company: Company | None, person: Person | None = None) -> Contact:
        rng = self.rng
        if company is not None and company.form == "ИП" and not company.staff:
            parts = company.brand.split()
            if len(parts) == 3:
                person = Person(parts[0], parts[1], parts[2], parts[2].endswith("на"))
        p = person or self.person()
        ct = Contact(
            cid=f"c{len(self.contacts) + 1:06d}",
            person=p,
            company=company,
            position=(
                "Индивидуальный предприниматель"
                if company and company.form == "ИП" and not company.staff
                else rng.choice(POSITIONS)
                if company and rng.random() < 0.7
                else None
            ),
            name_style=rng.choices(("fio", "if", "fi", "iof", "f_init"), (55, 22, 13, 5, 5))[0],
        )
        if rng.random() < 0.88:
            ct.mobile = self.reg.mobile()
        if company and company.office_phone and rng.random() < (0.6 if not company.staff else 0.3):
            ct.office = company.office_phone
        if company and company.domain and rng.random() < 0.55:
            ct.corp_email = self.reg.email(corporate_local(p, rng), company.domain)
        if rng.random() < (0.45 if ct.corp_email else 0.7):
            domain = rng.choices(
                [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
            )[0]
            ct.personal_email = self.reg.email(personal_local(p, rng), domain)
        if rng.random() < 0.25:
            ct.telegram_id = self.reg.number(100_000_000, 7_000_000_000)
            if rng.random() < 0.5:
                ct.telegram_username = (
                    translit(p.first).lower()
                    + "_"
                    + translit(p.surname).lower()[:6]
                    + str(rng.randrange(10, 99))
                )
        if rng.random() < 0.2:
            ct.vk_id = self.reg.number(1_000_000, 900_000_000)
        if company is not None:
            company.staff.append(len(self.contacts))
        self.contacts.append(ct)
        return ct

    def _add_relative(self, k: int) -> None:
        """A relative of contact k: same family name, another first name, one shared phone."""
        rng = self.rng
        a = self.contacts[k]
        base_surname = masculine_of(a.person.surname)
        female = not a.person.female if rng.random() < 0.7 else a.person.female
        rel = self.person(female=female, surname=base_surname)
        while rel.first == a.person.first:
            rel = self.person(female=female, surname=base_surname)
        home = (
            self.reg.landline(("495", "812", "343"))
            if rng.random() < 0.3
            else (a.mobile or self.reg.mobile())
        )
        b = self._add_contact(None, rel)
        # The shared number is nobody's personal mobile any more.
        if a.mobile == home:
            a.mobile = None
        a.family_phone = home
        b.family_phone = home
        if b.mobile and rng.random() < 0.5:
            b.mobile = None
        self.families.append((k, len(self.contacts) - 1))

    # -- output -------------------------------------------------------------------------------
    def company_rows(self) -> list[dict[str, Any]]:
        """companies.jsonl lines."""
        rng = self.rng
        rows = []
        for c in self.companies:
            row: dict[str, Any] = {"id": c.cid, "name": c.stored_name}
            c.inn_on_record = rng.random() < 0.85
            if c.inn_on_record:
                row["inn"] = c.inn
            phones = (
                [office_format(c.office_phone, rng)]
                if c.office_phone and c.office_on_record
                else []
            )
            if phones:
                row["phones"] = phones
            if c.domain:
                if rng.random() < 0.5:
                    row["emails"] = [
                        f"{rng.choice(('info', 'office', 'sales', 'zakaz'))}@{c.domain}"
                    ]
                if rng.random() < 0.6:
                    row["website"] = rng.choice(
                        (c.domain, f"https://{c.domain}", f"www.{c.domain}")
                    )
                c.domain_on_record = "emails" in row or "website" in row
            row["city"] = c.city
            rows.append(row)
        return rows

    def contact_rows(self) -> list[dict[str, Any]]:
        """contacts.jsonl lines."""
        rng = self.rng
        rows = []
        for ct in self.contacts:
            row: dict[str, Any] = {"id": ct.cid, "name": name_text(ct.person, ct.name_style)}
            if ct.company is not None:
                row["company_id"] = ct.company.cid
                row["company"] = ct.company.stored_name
            if ct.position:
                row["position"] = ct.position
            phones = []
            if ct.mobile:
                phones.append(fmt_phone(ct.mobile, rng))
            if ct.family_phone:
                phones.append(fmt_phone(ct.family_phone, rng))
            if ct.office:
                phones.append(office_format(ct.office, rng))
            if phones:
                row["phones"] = phones
            emails = [e for e in (ct.corp_email, ct.personal_email) if e]
            if emails:
                row["emails"] = emails
            if ct.telegram_id:
                row["telegram_id"] = ct.telegram_id
            if ct.telegram_username:
                row["telegram_username"] = ct.telegram_username
            if ct.vk_id:
                row["vk_id"] = ct.vk_id
            rows.append(row)
        return rows


def masculine_of(surname: str) -> str:
    """The family's base surname form (Иванова → Иванов, Толстая → Толстой)."""
    if surname.endswith(("ова", "ева", "ёва", "ина", "ына")):
        return surname[:-1]
    if surname.endswith(("ская", "цкая")):
        return surname[:-2] + "ий"
    if surname.endswith("ая") and surname[:-2] + "ой" in RARE_SURNAMES + COMMON_SURNAMES:
        return surname[:-2] + "ой"
    return surname


# ---------------------------------------------------------------------------------------------
# Leads


@dataclass
class Lead:
    """One lead line and its truth."""

    fields: dict[str, Any]
    contact: Contact | None
    company: Company | None
    kind: str
    channel: str
    detail: str


def typo_digit(d: str, rng: random.Random) -> str:
    """One digit of a number changed, or two neighbours swapped (never the first three)."""
    digits = list(d)
    i = rng.randrange(3, 10)
    if rng.random() < 0.3 and i < 9 and digits[i] != digits[i + 1]:
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    else:
        digits[i] = rng.choice([x for x in "0123456789" if x != digits[i]])
    return "".join(digits)


_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu",
    "z": "x",
}  # fmt: skip


def typo_email(email: str, rng: random.Random) -> str:
    """One slip in the login: a neighbouring key, a dropped, doubled or swapped letter."""
    local, domain = email.split("@")
    letters = [i for i, ch in enumerate(local) if ch in _NEIGHBOURS]
    i = rng.choice(letters) if letters else len(local) - 1
    how = rng.choice(("neighbour", "drop", "double", "swap"))
    if how == "neighbour" and local[i] in _NEIGHBOURS:
        local = local[:i] + rng.choice(_NEIGHBOURS[local[i]]) + local[i + 1 :]
    elif how == "drop" and len(local) > 4:
        local = local[:i] + local[i + 1 :]
    elif how == "swap" and i + 1 < len(local) and local[i] != local[i + 1]:
        local = local[:i] + local[i + 1] + local[i] + local[i + 2 :]
    else:
        local = local[:i] + local[i] + local[i:]
    return f"{local}@{domain}"


def same_mailbox(a: str, b: str) -> bool:
    """Whether two addresses reach one mailbox (Gmail ignores dots in the login)."""
    (la, da), (lb, db) = a.lower().split("@"), b.lower().split("@")
    if da == db == "gmail.com":
        la, lb = la.replace(".", ""), lb.replace(".", "")
    return (la, da) == (lb, db)


def message(rng: random.Random, channel: str) -> str:
    """A plain request text."""
    topic = rng.choice(TOPICS)
    if channel == "call":
        return rng.choice(
            (
                f"Входящий звонок. Спрашивали про {topic}.",
                f"Интересуются ценой на {topic}, просят КП.",
                f"Звонок, вопрос про {topic}",
                "Пропущенный звонок",
            )
        )
    return rng.choice(
        (
            f"Здравствуйте! Пришлите, пожалуйста, коммерческое предложение на {topic}.",
            f"Добрый день, нужен расчёт на {topic}.",
            f"Подскажите цены на {topic}",
            f"Хотим заказать {topic}, свяжитесь со мной.",
            f"Рассматриваем {topic}: какие сроки и стоимость?",
        )
    )


class LeadMaker:
    """Draws leads of every kind from a World."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.used: set[int] = set()
        self.order = list(range(len(world.contacts)))
        self.rng.shuffle(self.order)
        # Indexes built once (the rows are written, so what the base shows is settled).
        self.by_phone: dict[str, list[Contact]] = {}
        for ct in world.contacts:
            for phone in dict.fromkeys(p for p in (ct.mobile, ct.office, ct.family_phone) if p):
                self.by_phone.setdefault(phone, []).append(ct)
        self.name_count: dict[tuple[str, str], int] = {}
        for co in world.companies:
            self.name_count[(co.form, co.brand)] = self.name_count.get((co.form, co.brand), 0) + 1
        self.office_lines = [
            c
            for c in world.companies
            if c.office_phone and (c.office_on_record or c.office_phone in self.by_phone)
        ]
        self.crowded = [k for k, v in world.first_surname.items() if len(v) >= 2]

    # -- helpers ------------------------------------------------------------------------------
    def pick(self, ok: Callable[[Contact], bool]) -> Contact | None:
        """An unused contact satisfying ok (a random scan)."""
        start = self.rng.randrange(len(self.order))
        n = len(self.order)
        for step in range(n):
            k = self.order[(start + step) % n]
            if k not in self.used and ok(self.w.contacts[k]):
                self.used.add(k)
                return self.w.contacts[k]
        return None

    def holders(self, phone: str) -> list[Contact]:
        """Contacts whose record carries this number."""
        return self.by_phone.get(phone, [])

    def company_ref(self, lead: dict[str, Any], c: Company, force: bool = False) -> str:
        """Write the company into the lead in a variant form; returns the variant's name."""
        rng = self.rng
        collided = self.name_count.get((c.form, c.brand), 0) > 1
        # Only evidence the base can see: an INN on the record, a domain it has met.
        by_domain = self.domain_known(c) and str(lead.get("email", "")).endswith(f"@{c.domain}")
        style = rng.choices(
            (
                "guillemets",
                "straight",
                "form_end",
                "full_form",
                "bare",
                "translit",
                "abbrev",
                "lower",
                "inn",
                "domain",
            ),
            (
                14,
                12,
                12,
                6,
                16,
                10,
                6 if c.firm_kind else 0,
                4,
                12 * c.inn_on_record,
                30 * by_domain,
            ),
        )[0]
        if style == "inn":
            if rng.random() < 0.6:
                lead["inn"] = c.inn
            else:
                lead["text"] = (lead.get("text", "") + f" Реквизиты: ИНН {c.inn}.").strip()
            if rng.random() < 0.4 or force:
                lead["company"] = company_name(c, "bare", rng)
            return "inn"
        if style == "domain":
            return "domain"
        lead["company"] = company_name(c, style, rng)
        if collided and "inn" not in lead:
            # Two firms share the name: the lead says which by the INN, as people do. The city
            # is not in the dedupe-eval contract, so it is the fallback only when the record
            # has no INN (then the case stays ambiguous for a detector).
            if c.inn_on_record:
                if rng.random() < 0.7:
                    lead["inn"] = c.inn
                else:
                    lead["text"] = f"{lead.get('text', '')} ИНН {c.inn}.".strip()
            else:
                lead["company"] += f", г. {c.city}"
        return style

    def domain_known(self, c: Company) -> bool:
        """Whether the base shows the company's mail domain (record or a colleague's mailbox)."""
        return c.domain is not None and (
            c.domain_on_record or any(self.w.contacts[k].corp_email for k in c.staff)
        )

    def base(self, channel: str) -> dict[str, Any]:
        """A lead skeleton for a channel."""
        return {"channel": channel, "text": message(self.rng, channel)}

    def new_person_contacts(
        self, lead: dict[str, Any], p: Person, company: Company | None
    ) -> None:
        """Fresh phone and/or e-mail for a new person."""
        rng = self.rng
        if lead["channel"] in ("webform", "call") or rng.random() < 0.3:
            lead["phone"] = fmt_phone(self.w.reg.mobile(), rng)
        if lead["channel"] == "email" or (lead["channel"] == "webform" and rng.random() < 0.6):
            if company and company.domain and rng.random() < 0.6:
                lead["email"] = self.w.reg.email(corporate_local(p, rng), company.domain)
            else:
                domain = rng.choices(
                    [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
                )[0]
                lead["email"] = self.w.reg.email(personal_local(p, rng), domain)
        self.messenger(lead, p)

    def messenger(self, lead: dict[str, Any], p: Person | None) -> None:
        """A fresh Telegram or VK id for those channels."""
        if lead["channel"] == "telegram":
            lead["telegram_id"] = self.w.reg.number(100_000_000, 7_000_000_000)
        elif lead["channel"] == "vk":
            lead["vk_id"] = self.w.reg.number(1_000_000, 900_000_000)

    def channel(self, weights: tuple[int, int, int, int, int] = (40, 20, 15, 15, 10)) -> str:
        """webform, call, email, telegram, vk."""
        return self.rng.choices(("webform", "call", "email", "telegram", "vk"), weights)[0]

    def full_name(self, p: Person) -> str:
        """A name with at least surname and first name."""
        return name_text(p, self.rng.choices(("fio", "if", "fi", "iof"), (45, 35, 15, 5))[0])

    # -- known people -------------------------------------------------------------------------
    def exact_repeat(self) -> Lead | None:
        """A known contact comes back with an identifier exactly as the base has it."""
        rng = self.rng
        ct = self.pick(
            lambda c: bool(
                c.mobile or c.personal_email or c.corp_email or c.telegram_id or c.vk_id
            )
        )
        if ct is None:
            return None
        options = [
            o
            for o, ok in (
                ("phone", ct.mobile),
                ("email", ct.personal_email or ct.corp_email),
                ("telegram", ct.telegram_id),
                ("vk", ct.vk_id),
            )
            if ok
        ]
        via = rng.choice(options)
        channel = {
            "phone": rng.choice(("webform", "call")),
            "email": rng.choice(("email", "webform")),
            "telegram": "telegram",
            "vk": "vk",
        }[via]
        lead = self.base(channel)
        if via == "phone" and ct.mobile:
            lead["phone"] = fmt_phone(ct.mobile, rng)
        elif via == "email":
            lead["email"] = ct.personal_email or ct.corp_email
        elif via == "telegram":
            lead["telegram_id"] = ct.telegram_id
            if ct.telegram_username and rng.random() < 0.7:
                lead["telegram_username"] = ct.telegram_username
        else:
            lead["vk_id"] = ct.vk_id
        if channel != "call" or rng.random() < 0.5:
            lead["name"] = name_text(ct.person, rng.choice((ct.name_style, "if", "i", "fio")))
        if ct.company and channel == "webform" and rng.random() < 0.5:
            lead["company"] = ct.company.stored_name
        return Lead(lead, ct, ct.company, "exact_repeat", channel, via)

    def name_company(self) -> Lead | None:
        """A known contact recognised only by full name + company (nothing shared)."""
        rng = self.rng
        ct = self.pick(lambda c: c.company is not None and c.company.form != "ИП")
        if ct is None or ct.company is None:
            return None
        channel = self.channel((55, 10, 25, 5, 5))
        lead = self.base(channel)
        form = rng.choices(("fio", "if", "fi", "iof"), (45, 35, 15, 5))[0]
        lead["name"] = name_text(ct.person, form)
        detail = f"{form}+no_identifier"
        if rng.random() < 0.7:
            p = ct.person
            if channel == "email" or rng.random() < 0.4:
                if ct.company.domain and rng.random() < 0.4:
                    local = (
                        translit(p.first).lower()
                        + "."
                        + translit(p.surname).lower()
                        + str(rng.randrange(2, 9))
                    )
                    lead["email"] = self.w.reg.email(local, ct.company.domain)
                    detail = f"{form}+new_corporate_email"
                else:
                    domain = rng.choices(
                        [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
                    )[0]
                    lead["email"] = self.w.reg.email(personal_local(p, rng), domain)
                    detail = f"{form}+new_email"
            else:
                lead["phone"] = fmt_phone(self.w.reg.mobile(), rng)
                detail = f"{form}+new_phone"
        self.messenger(lead, ct.person)
        style = self.company_ref(lead, ct.company, force=True)
        if style == "inn" and "company" not in lead:
            lead["company"] = company_name(ct.company, "bare", rng)
        return Lead(lead, ct, ct.company, "name_company", channel, f"{detail}+{style}")

    def inn_name(self) -> Lead | None:
        """A known contact recognised by the company's INN plus the name."""
        rng = self.rng
        ct = self.pick(lambda c: c.company is not None and c.company.inn_on_record)
        if ct is None or ct.company is None:
            return None
        channel = self.channel((60, 5, 30, 3, 2))
        lead = self.base(channel)
        lead["name"] = self.full_name(ct.person)
        if rng.random() < 0.65:
            lead["inn"] = ct.company.inn
            detail = "inn_field"
        else:
            lead["text"] += f" Наш ИНН {ct.company.inn}, выставьте счёт."
            detail = "inn_in_text"
        if rng.random() < 0.5:
            lead["phone"] = fmt_phone(self.w.reg.mobile(), rng)
        elif channel == "email" or rng.random() < 0.5:
            domain = rng.choices(
                [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
            )[0]
            lead["email"] = self.w.reg.email(personal_local(ct.person, rng), domain)
        self.messenger(lead, ct.person)
        return Lead(lead, ct, ct.company, "inn_name", channel, detail)

    def identifier_typo(self) -> Lead | None:
        """A known contact whose phone or e-mail arrives with one slip."""
        rng = self.rng
        ct = self.pick(lambda c: bool(c.mobile or c.personal_email or c.corp_email))
        if ct is None:
            return None
        email = ct.personal_email or ct.corp_email
        use_phone = ct.mobile is not None and (email is None or rng.random() < 0.55)
        channel = (
            rng.choice(("webform", "call")) if use_phone else rng.choice(("webform", "email"))
        )
        lead = self.base(channel)
        lead["name"] = self.full_name(ct.person)
        if use_phone and ct.mobile:
            wrong = typo_digit(ct.mobile, rng)
            while wrong in self.w.reg.phones:
                wrong = typo_digit(ct.mobile, rng)
            self.w.reg.phones.add(wrong)
            lead["phone"] = fmt_phone(wrong, rng)
            detail = "phone"
        else:
            assert email is not None
            wrong = typo_email(email, rng)
            while wrong in self.w.reg.emails or same_mailbox(wrong, email):
                wrong = typo_email(email, rng)
            self.w.reg.emails.add(wrong)
            lead["email"] = wrong
            detail = "email"
        if ct.company and rng.random() < 0.3:
            lead["company"] = ct.company.stored_name
        return Lead(lead, ct, ct.company, "identifier_typo", channel, detail)

    def shared_phone_owner(self) -> Lead | None:
        """A holder of an office or family number calls or writes from it, with their name."""
        rng = self.rng
        family = rng.random() < 0.4
        ct = self.pick(lambda c: bool(c.family_phone if family else c.office))
        if ct is None:
            return None
        phone = ct.family_phone if family else ct.office
        assert phone is not None
        channel = rng.choice(("call", "webform", "webform", "telegram"))
        lead = self.base(channel)
        lead["phone"] = office_format(phone, rng) if not family else fmt_phone(phone, rng)
        lead["name"] = (
            self.full_name(ct.person) if rng.random() < 0.7 else name_text(ct.person, "if")
        )
        self.messenger(lead, ct.person)
        if not family and ct.company and rng.random() < 0.5:
            self.company_ref(lead, ct.company)
        return Lead(
            lead, ct, ct.company, "shared_phone_owner", channel, "family" if family else "office"
        )

    def job_change(self) -> Lead | None:
        """A known contact at a new company with a new e-mail there, same mobile."""
        rng = self.rng
        ct = self.pick(lambda c: c.mobile is not None and c.company is not None)
        if ct is None or ct.mobile is None:
            return None
        known_new = rng.random() < 0.6
        if known_new:
            new = rng.choice(self.w.companies)
            while new is ct.company or new.form == "ИП":
                new = rng.choice(self.w.companies)
        else:
            new = self.w.new_company(None)
            while new.form == "ИП":
                new = self.w.new_company(None)
        channel = rng.choice(("webform", "webform", "email", "call"))
        lead = self.base(channel)
        lead["phone"] = fmt_phone(ct.mobile, rng)
        lead["name"] = self.full_name(ct.person)
        if new.domain and channel != "call":
            lead["email"] = self.w.reg.email(corporate_local(ct.person, rng), new.domain)
        elif channel != "call":
            domain = rng.choices(
                [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
            )[0]
            lead["email"] = self.w.reg.email(personal_local(ct.person, rng), domain)
        if known_new:
            style = self.company_ref(lead, new)
        else:
            lead["company"] = company_name(
                new, rng.choice(("guillemets", "straight", "bare")), rng
            )
            style = "unknown_company"
        lead["text"] = (
            rng.choice(("Я теперь работаю в другой компании. ", "Сменил место работы. ", ""))
            + lead["text"]
        )
        return Lead(
            lead,
            ct,
            new if known_new else None,
            "job_change",
            channel,
            ("known" if known_new else "unknown") + "_new_company+" + style,
        )

    def text_identifier(self) -> Lead | None:
        """A known contact's phone or e-mail written only inside the message."""
        rng = self.rng
        ct = self.pick(lambda c: bool(c.mobile or c.personal_email))
        if ct is None:
            return None
        channel = rng.choice(("telegram", "vk", "webform", "email"))
        lead = self.base(channel)
        use_phone = ct.mobile is not None and (ct.personal_email is None or rng.random() < 0.7)
        if use_phone and ct.mobile:
            ident = fmt_phone(ct.mobile, rng)
            lead["text"] = rng.choice(
                (
                    f"{lead['text']} Перезвоните мне, пожалуйста: {ident}",
                    f"Мой номер {ident}. {lead['text']}",
                    f"{lead['text']}\n--\nС уважением, {name_text(ct.person, 'if')}\nтел. {ident}",
                )
            )
            detail = "phone"
        else:
            ident = str(ct.personal_email)
            lead["text"] = f"{lead['text']} Ответьте на почту {ident}"
            detail = "email"
        if channel == "email":
            # A letter from another mailbox (a colleague's or a new one), the known one inside.
            domain = rng.choices(
                [d for d, _ in PERSONAL_DOMAINS], [w for _, w in PERSONAL_DOMAINS]
            )[0]
            lead["email"] = self.w.reg.email(personal_local(ct.person, rng), domain)
        self.messenger(lead, ct.person)
        roll = rng.random()
        if roll < 0.5:
            lead["name"] = name_text(ct.person, rng.choice(("if", "fio", "fi")))
        elif roll < 0.8:
            lead["name"] = name_text(ct.person, rng.choice(("i", "latin")))
        return Lead(lead, ct, ct.company, "text_identifier", channel, detail)

    # -- new people ---------------------------------------------------------------------------
    def plain_new(self) -> Lead | None:
        """Someone the base does not know, at an unknown company or none."""
        rng = self.rng
        p = self.w.person()
        channel = self.channel()
        lead = self.base(channel)
        company = None
        if rng.random() < 0.4:
            company = self.w.new_company(None)
            lead["company"] = company_name(
                company, rng.choice(("guillemets", "straight", "bare")), rng
            )
        if channel != "call" or rng.random() < 0.4:
            lead["name"] = name_text(p, rng.choice(("fio", "if", "if", "i", "fi")))
        self.new_person_contacts(lead, p, company)
        return Lead(
            lead, None, None, "plain_new", channel, "unknown_company" if company else "private"
        )

    def office_colleague(self) -> Lead | None:
        """A new colleague calls or writes from the company's shared office line."""
        rng = self.rng
        # The line must be known to the base: on the company record or on a colleague's.
        c = rng.choice(self.office_lines)
        assert c.office_phone is not None
        holders = self.holders(c.office_phone)
        # Another first name than every holder's: a first name alone must not fit a holder.
        taken = {h.person.first for h in holders}
        p = self.w.person()
        while p.first in taken:
            p = self.w.person()
        channel = rng.choices(("call", "webform", "telegram"), (55, 35, 10))[0]
        lead = self.base(channel)
        lead["phone"] = office_format(c.office_phone, rng)
        roll = rng.random()
        if channel == "call" and roll < 0.35:
            detail = "no_name"
        elif roll < 0.55:
            lead["name"] = name_text(p, rng.choice(("i", "io")))
            detail = "first_name"
        else:
            lead["name"] = self.full_name(p)
            detail = "full_name"
        if rng.random() < 0.4:
            self.company_ref(lead, c)
        self.messenger(lead, p)
        detail += f"+holders{min(len(holders), 3)}"
        return Lead(lead, None, c, "office_colleague", channel, detail)

    def family_member(self) -> Lead | None:
        """A relative new to us, on a phone the family shares."""
        rng = self.rng
        if not self.w.families:
            return None
        a, b = rng.choice(self.w.families)
        pa, pb = self.w.contacts[a].person, self.w.contacts[b].person
        phone = self.w.contacts[a].family_phone
        assert phone is not None
        p = self.w.person(surname=masculine_of(pa.surname))
        while p.first in (pa.first, pb.first):
            p = self.w.person(surname=masculine_of(pa.surname))
        if not pa.female and rng.random() < 0.5:
            # A child: the father's name in the patronymic.
            p.middle = patronymic(pa.first, p.female)
        channel = rng.choices(("call", "webform", "telegram"), (40, 45, 15))[0]
        lead = self.base(channel)
        lead["phone"] = fmt_phone(phone, rng)
        lead["name"] = name_text(p, rng.choice(("fio", "if", "if", "i")))
        self.messenger(lead, p)
        return Lead(lead, None, None, "family_member", channel, "relative")

    def company_variant(self) -> Lead | None:
        """A new person at a known company written in a variant form."""
        rng = self.rng
        c = rng.choice([x for x in self.w.companies if x.form != "ИП"] or self.w.companies)
        p = self.w.person()
        channel = self.channel((60, 5, 25, 5, 5))
        lead = self.base(channel)
        lead["name"] = self.full_name(p)
        self.new_person_contacts(lead, p, c)
        style = self.company_ref(lead, c, force=True)
        return Lead(lead, None, c, "company_variant", channel, style)

    def namesake_other_company(self) -> Lead | None:
        """Exactly the full name of a known contact, but another person at another company."""
        rng = self.rng
        ct = self.pick(lambda c: c.company is not None and c.name_style != "f_init")
        if ct is None:
            return None
        known_other = rng.random() < 0.5
        if known_other:
            c = rng.choice(self.w.companies)
            while c is ct.company or c.form == "ИП":
                c = rng.choice(self.w.companies)
        else:
            c = self.w.new_company(None)
        p = Person(ct.person.surname, ct.person.first, ct.person.middle, ct.person.female)
        channel = self.channel((55, 10, 25, 5, 5))
        lead = self.base(channel)
        lead["name"] = name_text(p, rng.choice(("fio", "fio", "if", ct.name_style)))
        self.new_person_contacts(lead, p, c)
        if known_other:
            self.company_ref(lead, c)
        else:
            lead["company"] = company_name(c, rng.choice(("guillemets", "straight", "bare")), rng)
        return Lead(
            lead,
            None,
            c if known_other else None,
            "namesake_other_company",
            channel,
            "known_company" if known_other else "unknown_company",
        )

    def common_name_new(self) -> Lead | None:
        """A new person whose first name + common surname several contacts share."""
        rng = self.rng
        crowded = self.crowded
        if not crowded:
            return None
        surname, first = rng.choice(crowded)
        female = any(
            self.w.contacts[i].person.female for i in self.w.first_surname[(surname, first)]
        )
        p = self.w.person(female=female, surname=masculine_of(surname))
        p.first = first
        channel = self.channel()
        lead = self.base(channel)
        lead["name"] = name_text(p, rng.choice(("if", "fi", "fio")))
        self.new_person_contacts(lead, p, None)
        return Lead(lead, None, None, "common_name_new", channel, "crowded_name")

    def near_identifier_new(self) -> Lead | None:
        """A stranger whose mobile is one digit off a known contact's, another name."""
        rng = self.rng
        ct = self.pick(lambda c: c.mobile is not None)
        if ct is None or ct.mobile is None:
            return None
        near = typo_digit(ct.mobile, rng)
        while near in self.w.reg.phones:
            near = typo_digit(ct.mobile, rng)
        self.w.reg.phones.add(near)
        p = self.w.person()
        while p.first == ct.person.first:
            p = self.w.person()
        channel = rng.choice(("webform", "call", "telegram"))
        lead = self.base(channel)
        lead["phone"] = fmt_phone(near, rng)
        if channel != "call" or rng.random() < 0.5:
            lead["name"] = self.full_name(p)
        self.messenger(lead, p)
        return Lead(lead, None, None, "near_identifier_new", channel, "phone_one_digit_off")


def plan(n_leads: int, rng: random.Random) -> list[str]:
    """The kind of every lead, in the stated shares, shuffled."""
    kinds: list[str] = []
    for kind, share in KIND_SHARES:
        kinds += [kind] * round(n_leads * share)
    while len(kinds) < n_leads:
        kinds.append("plain_new")
    kinds = kinds[:n_leads]
    rng.shuffle(kinds)
    return kinds


def generate(out: Path, seed: int, n_contacts: int = 20000, n_leads: int = 4000) -> dict[str, int]:
    """Write the four files into out; return the counts."""
    world = World(seed, n_contacts)
    companies = world.company_rows()
    contacts = world.contact_rows()
    maker = LeadMaker(world)
    leads: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for kind in plan(n_leads, world.rng):
        made: Lead | None = getattr(maker, kind)()
        if made is None:
            made = maker.plain_new()
        assert made is not None
        lead_id = f"l{len(leads) + 1:06d}"
        fields = {"id": lead_id, **made.fields}
        leads.append(fields)
        truth.append(
            {
                "lead_id": lead_id,
                "contact_id": made.contact.cid if made.contact else None,
                "company_id": made.company.cid if made.company else None,
                "kinds": [made.kind],
                "channel": made.channel,
                "hard_negative": None if made.contact else made.kind,
                "detail": made.detail,
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("companies.jsonl", companies),
        ("contacts.jsonl", contacts),
        ("leads.jsonl", leads),
        ("truth.jsonl", truth),
    ):
        with (out / name).open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"companies": len(companies), "contacts": len(contacts), "leads": len(leads)}


def main() -> None:
    """Command line: write a set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--leads", type=int, default=4000)
    args = parser.parse_args()
    counts = generate(args.out, args.seed, args.contacts, args.leads)
    print(f"seed {args.seed}: {counts} → {args.out}")


if __name__ == "__main__":
    main()
