"""Prior knowledge of how common a surname is, for bases too small to say it themselves."""

from __future__ import annotations

from functools import cache

from dedupe.translit import skeleton

# The most frequent Russian surnames (male form; the skeleton covers both genders and
# scripts) in three bands of approximate population share.
VERY_COMMON = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров Морозов"
    " Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов Андреев"
    " Макаров Никитин Захаров"
)
COMMON = (
    "Зайцев Соловьев Борисов Яковлев Григорьев Романов Воробьев Сергеев Кузьмин Фролов"
    " Александров Дмитриев Королев Гусев Киселев Ильин Максимов Поляков Сорокин Виноградов"
    " Ковалев Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев"
    " Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов"
    " Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев"
    " Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышев"
    " Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарев Голубев"
    " Кудрявцев Прохоров Наумов Потапов Журавлев Овчинников Трофимов Леонов Соболев Ермаков"
    " Колесников Гончаров Емельянов Никифоров Грачев Котов Гришин Ефремов Архипов Громов"
    " Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов"
    " Еремин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов"
    " Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронов Аксенов Софронов Мальцев"
    " Логинов Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников Демин"
    " Хохлов Фадеев Молчанов Игнатов Литвинов Ершов Ушаков Дементьев Рябов Мухин Калашников"
    " Леонтьев Лобанов Кузин Корнилов Евдокимов Бородин Платонов Некрасов Балашов Бобров"
    " Жданов Блинов Игнатьев Коротков Муравьев Крюков Беляков Богомолов Дроздов Лавров Зуев"
    " Петухов Ларин Никулин Серов Терентьев Зотов Устинов Фокин Самойлов Константинов"
    " Сахаров Шишкин Самсонов Черкасов Чистяков Носов Спиридонов Карасев Авдеев Воронцов"
    " Зверев Владимиров Селезнев Нечаев Кудрявцев Седов Фирсов Андрианов Панин Головин"
    " Терехов Ульянов Шестаков Агафонов Воробьев Бондаренко Шевченко Коваленко Ким"
)
VERY_COMMON_SHARE = 0.008
COMMON_SHARE = 0.002
# Below this many contacts, a base's own counts say little about rarity.
MIN_POPULATION = 2000


@cache
def _shares() -> dict[str, float]:
    shares = {skeleton(s): COMMON_SHARE for s in COMMON.split()}
    shares.update({skeleton(s): VERY_COMMON_SHARE for s in VERY_COMMON.split()})
    return shares


def prior_share(surname_skeleton: str) -> float:
    """Approximate population share of a surname (0 when not among the frequent ones)."""
    return _shares().get(surname_skeleton, 0.0)


def effective_frequency(
    surname_skeleton: str, shared_by: int, contacts_total: int
) -> tuple[float, float]:
    """(frequency, population) with the prior filling in for small bases."""
    population = float(max(contacts_total, MIN_POPULATION))
    frequency = max(float(shared_by), population * prior_share(surname_skeleton), 1.0)
    return frequency, population
