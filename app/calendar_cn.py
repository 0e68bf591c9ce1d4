"""The Chinese calendar the campaign runs on: festival dates (borax) and working days (chinese-calendar).

Pure functions of a date; no database. Festival dates come from borax's lunar calendar and solar
terms; tests keep a golden table of several years so a library upgrade cannot silently move one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from borax.calendars.festivals2 import LunarFestival, SolarFestival, TermFestival

logger = logging.getLogger(__name__)

# borax's lunar tables cover 1900-2100; the year before 春节 of 1901 is not computable.
FIRST_YEAR = 1901
LAST_YEAR = 2100

WEEKDAYS = "一二三四五六日"


def _lunar(month: int, day: int) -> Callable[[int], date]:
    # Always the ordinary (non-leap) month: 2031 has a leap third month, and 三月三 is in the first one.
    festival = LunarFestival(month=month, day=day, leap=0)
    return lambda year: festival.at(year).to_solar_date()


def _solar(month: int, day: int) -> Callable[[int], date]:
    festival = SolarFestival(month=month, day=day)
    return lambda year: festival.at(year)


def _term(name: str) -> Callable[[int], date]:
    festival = TermFestival(name)
    return lambda year: festival.at(year)


def _new_years_eve(year: int) -> date:
    # 除夕 is the day before 春节: 腊月三十 in some years, 腊月廿九 in others (2025-2029 have no 三十).
    return _lunar(1, 1)(year) - timedelta(days=1)


@dataclass(frozen=True)
class FestivalDef:
    name: str
    date_in: Callable[[int], date]  # the festival's date in a Gregorian year


# Catalogue order breaks ties when two festivals fall on one day (2015-03-05: 元宵 and 学雷锋纪念日).
CATALOGUE: tuple[FestivalDef, ...] = (
    FestivalDef("除夕", _new_years_eve),
    FestivalDef("春节", _lunar(1, 1)),
    FestivalDef("元宵", _lunar(1, 15)),
    FestivalDef("学雷锋纪念日", _solar(3, 5)),
    FestivalDef("植树节", _solar(3, 12)),
    FestivalDef("壮族三月三", _lunar(3, 3)),
    FestivalDef("清明", _term("清明")),
    FestivalDef("端午", _lunar(5, 5)),
    FestivalDef("中秋", _lunar(8, 15)),
    FestivalDef("重阳", _lunar(9, 9)),
)
FESTIVAL_NAMES = tuple(festival.name for festival in CATALOGUE)
_BY_NAME = {festival.name: festival for festival in CATALOGUE}


@dataclass(frozen=True, order=True)
class Occurrence:
    day: date
    order: int
    name: str


def festival_date(name: str, year: int) -> date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return _BY_NAME[name].date_in(year)


def rule_date(calendar: str, month: int, day: int, year: int) -> date:
    """A festival given by a rule (``"solar"`` or ``"lunar"`` month and day; lunar means the ordinary,
    never the leap, month) in year ``year`` of that calendar: a lunar date late in the twelfth month
    falls in January or February of the next Gregorian year."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return (_lunar if calendar == "lunar" else _solar)(month, day)(year)


def festivals_in(year: int) -> list[Occurrence]:
    """Every catalogued festival in a Gregorian year, sorted by date (then catalogue order)."""
    return sorted(
        Occurrence(festival_date(festival.name, year), order, festival.name)
        for order, festival in enumerate(CATALOGUE)
    )


def weekday_name(day: date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day: the State Council's holidays and 调休 make-up days included.

    chinese-calendar only knows the years whose holiday arrangement has been published; for a later
    year this falls back to "Monday to Friday" and logs it, so an outdated library is visible.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _years_without_data:
            _years_without_data.add(day.year)
            logger.warning(
                "chinese-calendar has no holiday data for %s; treating Monday to Friday as working days "
                "until it is upgraded",
                day.year,
            )
        return day.weekday() < 5


_years_without_data: set[int] = set()  # warned once per process and year
