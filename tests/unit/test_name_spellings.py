"""Latin spellings of Russian names as students really write them match the Cyrillic name."""

from __future__ import annotations

import pytest

from tdl_inbox.domain.names import name_key

# Each row: the Cyrillic name, then spellings seen in passports (ICAO), library catalogues
# (ALA-LC), old passports and everyday use.
SPELLINGS = [
    ("Екатерина Васильева", "Ekaterina Vasilieva", "Yekaterina Vasilyeva", "Ekaterina Vasileva"),
    ("Васильева", "Vasil'eva", "Vasiljeva"),
    ("Григорьева", "Grigorieva", "Grigoryeva", "Grigoreva", "Grigor'eva"),
    ("Соловьёв", "Soloviev", "Solovyov", "Solovyev", "Solovev", "Solov'ev"),
    ("Дмитрий", "Dmitriy", "Dmitry", "Dmitrii", "Dmitrij", "Dmitri"),
    ("Александр", "Aleksandr", "Alexander", "Alexandr", "Aleksander"),
    ("Алексей", "Aleksey", "Alexey", "Alexei", "Aleksei", "Alexej"),
    ("Юлия", "Yuliya", "Yulia", "Julia", "Iuliia", "Juliya"),
    ("Наталья", "Natalya", "Natalia", "Nataliya", "Natal'ia"),
    ("Михаил", "Mikhail", "Mihail"),
    ("Христина", "Khristina", "Hristina"),
    ("Цветков", "Tsvetkov", "Tcvetkov", "Cvetkov", "Tzvetkov"),
    ("Щукин", "Shchukin", "Schukin"),
    ("Хрущёв", "Khrushchev", "Khrushchyov", "Hrushchev"),
    ("Джамал", "Dzhamal", "Djamal"),
    ("Максим", "Maksim", "Maxim"),
    ("Андрей", "Andrey", "Andrei", "Andrej"),
    ("Сергей", "Sergey", "Sergei"),
    ("Евгений", "Yevgeny", "Evgeniy", "Evgenii", "Evgeny", "Jevgenij"),
    ("Фёдор", "Fyodor", "Fedor", "Fiodor"),
    ("Пётр", "Pyotr", "Petr", "Piotr"),
    ("Илья", "Ilya", "Ilia", "Il'ya", "Ilja"),
    ("Татьяна", "Tatyana", "Tatiana", "Tat'iana"),
    ("Дарья", "Darya", "Daria", "Dar'ia"),
    ("Анастасия", "Anastasiya", "Anastasia", "Anastasiia"),
    ("Ксения", "Kseniya", "Ksenia", "Xenia", "Kseniia"),
    ("Вячеслав", "Vyacheslav", "Viacheslav"),
    ("Ярослав", "Yaroslav", "Iaroslav", "Jaroslav"),
    ("Геннадий", "Gennadiy", "Gennady", "Gennadii"),
    ("Николай", "Nikolay", "Nikolai", "Nikolaj"),
    ("Николаев", "Nikolaev", "Nikolayev"),
    ("Василий", "Vasiliy", "Vasily", "Vasilii"),
    ("Кузнецов", "Kuznetsov", "Kuznetcov"),
    ("Беляев", "Belyaev", "Beliaev"),
    ("Зайцев", "Zaytsev", "Zaitsev", "Zajcev"),
    ("Алексеев", "Alekseev", "Alexeev", "Alekseyev"),
    ("Матвей", "Matvey", "Matvei"),
    ("Артём", "Artyom", "Artem", "Artiom"),
    ("Семён", "Semyon", "Semen", "Semion"),
    ("Ольга", "Olga", "Ol'ga"),
    ("Елена", "Yelena", "Elena", "Jelena"),
    ("Людмила", "Lyudmila", "Ludmila", "Liudmila", "Ljudmila"),
    ("Юрий", "Yury", "Yuriy", "Yuri", "Iurii", "Jurij"),
    ("Достоевский", "Dostoevsky", "Dostoyevsky", "Dostoevskii", "Dostoevskiy"),
    ("Чайковский", "Chaikovsky", "Tchaikovsky", "Chaykovskiy"),
    ("Софья", "Sofya", "Sofia", "Sophia", "Sof'ia"),
    ("Ильин", "Ilyin", "Ilin", "Il'in"),
    ("Мария", "Mariya", "Maria", "Mariia"),
    ("Кирилл", "Kirill", "Kiril"),
    ("Егор", "Yegor", "Egor"),
    ("Михайлов", "Mikhaylov", "Mikhailov"),
    ("Виталий", "Vitaliy", "Vitaly", "Vitalii"),
    ("Эдуард", "Eduard"),
    ("Жанна", "Zhanna"),
    ("Подъячев", "Pod'yachev", "Podyachev", "Podiachev"),
    ("Хабибуллин", "Khabibullin", "Habibullin"),
    ("Любовь", "Lyubov", "Liubov", "Lubov", "Ljubov"),
]

PAIRS = [
    pytest.param(cyrillic, latin, id=f"{cyrillic}={latin}")
    for cyrillic, *latins in SPELLINGS
    for latin in latins
]


def test_the_table_is_large() -> None:
    assert len(PAIRS) >= 30


@pytest.mark.parametrize(("cyrillic", "latin"), PAIRS)
def test_spelling_matches(cyrillic: str, latin: str) -> None:
    assert name_key(latin) == name_key(cyrillic)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Жанна", "Анна"),
        ("Яна", "Анна"),
        ("Юрий", "Урий"),
        ("Иван Иванов", "Иван Иванова"),
        ("Елена", "Алёна"),
        ("Мария Сидорова", "Марина Сидорова"),
        ("Александр", "Александра"),
    ],
)
def test_different_names_stay_different(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)
