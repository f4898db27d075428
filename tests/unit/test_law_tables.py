"""The shipped law tables load, validate, and answer by month with their sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sibook import law
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import LawDataError, NoRuleInForce, parse_table
from sibook.law.diseases import TABLE, check_rows

JAN_2026 = Period(2026, 1)
HEADER = "key,value,valid_from,valid_to,source,provisional,note\n"


def test_every_shipped_row_names_its_source() -> None:
    for table in law.book().tables.values():
        for row in table.rows:
            assert row.source.strip(), f"{table.name} line {row.line}"


def test_tables_load_once() -> None:
    assert law.book() is law.book()


def test_regional_minimum_region_ii_in_2026_is_4_730_000() -> None:
    fact = law.regional_minimum("II", on=JAN_2026)
    assert fact.value == 4_730_000
    assert fact.row.source == "Decree 293/2025/ND-CP Art 3"


def test_regional_minimum_region_i_in_december_2025_is_the_2024_decree() -> None:
    assert law.regional_minimum("I", on=Period(2025, 12)).value == 4_960_000


def test_reference_level_history() -> None:
    assert law.reference_level(Period(2019, 7)).value == 1_490_000
    assert law.reference_level(Period(2023, 7)).value == 1_800_000
    assert law.reference_level(Period(2024, 7)).value == 2_340_000
    assert law.reference_level(Period(2026, 6)).value == 2_340_000
    assert law.reference_level(Period(2026, 7)).value == 2_530_000  # Decree 161/2026 Art 3(2)


def test_compulsory_rates_in_2026_add_up_to_32_percent() -> None:
    rates = law.fund_rates("compulsory", on=JAN_2026)
    # employer 14 + 3 + 0.5 + 3 + 1 = 21.5; employee 8 + 1.5 + 1 = 10.5
    assert sum(r.employer for r in rates.rates) == Decimal("21.5")
    assert sum(r.employee for r in rates.rates) == Decimal("10.5")


def test_reduced_oa_rate_is_0_3_percent() -> None:
    rates = law.fund_rates("compulsory", on=JAN_2026, oa_rate="reduced")
    occupational = rates.of("occupational")
    assert occupational is not None and occupational.employer == Decimal("0.3")


def test_foreign_employees_pay_no_unemployment_insurance() -> None:
    ui = law.fund_rates("foreign", on=JAN_2026).of("unemployment")
    assert ui is not None and ui.employer == ui.employee == 0


def test_voluntary_participants_pay_only_retirement_survivorship() -> None:
    rates = law.fund_rates("voluntary", on=JAN_2026)
    assert [r.fund for r in rates.rates] == ["retirement_survivorship"]


def test_asking_before_the_first_table_names_the_month_and_first_known_month() -> None:
    with pytest.raises(NoRuleInForce) as caught:
        law.regional_minimum("I", on=Period(2014, 6))
    assert "2014-06" in str(caught.value) and "2015-01" in str(caught.value)


def test_unknown_region_names_the_valid_regions() -> None:
    with pytest.raises(ValidationError, match="valid: I, II, III, IV"):
        law.regional_minimum("V", on=JAN_2026)


def test_man_born_october_1961_retires_at_60_years_6_months() -> None:
    # 2021: 60y3m -> 1961-10 + 723 months = 2022-01, not in 2021; 2022: 60y6m -> 2022-04
    assert law.book().retirement_age("male", Period(1961, 10)).value == 60 * 12 + 6


def test_woman_born_january_1970_retires_at_57_years_4_months() -> None:
    assert law.book().retirement_age("female", Period(1970, 1)).value == 57 * 12 + 4


def test_revaluation_of_2010_salary_settled_in_2025_is_1_90() -> None:
    assert law.book().revaluation(2010, Period(2025, 6)).value == Decimal("1.90")


def test_revaluation_settled_in_2024_uses_circular_20_2023() -> None:
    """Circular 20/2023/TT-BLDTBXH as reproduced: 2010 1.83, 2022 1.03; 2023 has no table."""
    book = law.book()
    assert [book.revaluation(y, Period(2024, 6)).value for y in (2010, 2022)] == \
        [Decimal("1.83"), Decimal("1.03")]
    with pytest.raises(NoRuleInForce):
        book.revaluation(2010, Period(2023, 12))


def test_revaluation_settled_in_2026_uses_the_2026_table() -> None:
    """VSS Official Letter 340/BHXH-CSXH (2026-02-03): before 1995 5.81, 2010 1.96, 2024 1.03;
    2027 has no table yet."""
    book = law.book()
    on = Period(2026, 11)
    assert [book.revaluation(y, on).value for y in (1990, 2010, 2024, 2026)] == \
        [Decimal("5.81"), Decimal("1.96"), Decimal("1.03"), Decimal("1.00")]
    with pytest.raises(NoRuleInForce):
        book.revaluation(2010, Period(2027, 1))


def test_a_pension_from_2021_averages_by_law_58_and_one_from_2026_by_law_41() -> None:
    """Law 58/2014 Art 62(1) from 2016-01 to 2025-06, Law 41/2024 Art 72(1) from 2025-07, the
    same windows: SI begun in 2001-2006 averages the last 8 years, from 2025 the whole period."""
    book = law.book()
    for on, source in ((Period(2016, 1), "Law 58/2014/QH13 Art 62(1)"),
                       (Period(2021, 5), "Law 58/2014/QH13 Art 62(1)"),
                       (Period(2025, 6), "Law 58/2014/QH13 Art 62(1)"),
                       (Period(2025, 7), "Law 41/2024/QH15 Art 72(1)"),
                       (Period(2026, 1), "Law 41/2024/QH15 Art 72(1)")):
        eight = book.averaging_window(2001, on)
        assert (eight.value, eight.row.source) == (8, source)
        assert book.averaging_window(2025, on).value is None
        assert book.averaging_law(on).source == source


def test_no_salary_averaging_rule_is_known_before_law_58() -> None:
    with pytest.raises(NoRuleInForce, match="first known month is 2016-01"):
        law.book().averaging_window(2001, Period(2015, 12))
    with pytest.raises(NoRuleInForce):
        law.book().averaging_law(Period(2015, 12))


def test_overlapping_rows_are_refused() -> None:
    text = HEADER + "a,1,2020-01,2020-12,Decree X,false,\na,2,2020-06,,Decree Y,false,\n"
    with pytest.raises(LawDataError, match="overlap"):
        parse_table("t", text)


def test_open_ended_row_followed_by_another_is_an_overlap() -> None:
    text = HEADER + "a,1,2020-01,,Decree X Art 1,false,\na,2,2021-01,,Decree Y Art 1,false,\n"
    with pytest.raises(LawDataError, match="overlap"):
        parse_table("t", text)


def test_row_without_source_is_refused() -> None:
    with pytest.raises(LawDataError, match="legal source"):
        parse_table("t", HEADER + "a,1,2020-01,,,false,\n")


def test_row_with_bad_provisional_flag_is_refused() -> None:
    with pytest.raises(LawDataError, match="provisional"):
        parse_table("t", HEADER + "a,1,2020-01,,Decree X,maybe,\n")


def test_row_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(LawDataError, match="before valid_from"):
        parse_table("t", HEADER + "a,1,2020-05,2020-01,Decree X,false,\n")


def test_comment_lines_are_skipped_and_line_numbers_kept() -> None:
    table = parse_table("t", "# a comment\n" + HEADER + "a,1,2020-01,,Decree X,true,\n")
    assert table.rows[0].line == 3 and table.rows[0].provisional


def test_gap_between_rows_is_reported() -> None:
    text = HEADER + "a,1,2020-01,2020-06,Decree X,false,\na,2,2021-01,,Decree Y,false,\n"
    with pytest.raises(NoRuleInForce, match="in force in 2020-09"):
        parse_table("t", text).at("a", Period(2020, 9))


def test_a_pension_needs_20_years_to_june_2025_and_15_from_july() -> None:
    """Law 58/2014 Art 54(1): 20 years; Law 41/2024 Art 64(1), in force from 2025-07: 15, for
    men and women alike; none is known before the 2014 law took effect (2016-01)."""
    assert law.book().pension_min_years(Period(2016, 1)).value == 20
    assert law.book().pension_min_years(Period(2025, 6)).value == 20
    assert law.book().pension_min_years(Period(2025, 7)).value == 15
    with pytest.raises(NoRuleInForce):
        law.book().pension_min_years(Period(2015, 12))


def test_the_lowest_pension_band_begins_at_the_years_a_pension_needs() -> None:
    on = Period(2026, 1)
    table = law.book().table("pension_rates")
    lowest = min(int(table.at(k, on).value("from_years")) for k in table.keys)
    assert lowest == law.book().pension_min_years(on).value


def test_a_disease_guarantee_period_is_counted_from_the_end_of_the_month_exposure_ended() -> None:
    """Circular 15/2016/TT-BYT Art 2 and its appendices, per form where they differ."""
    book, ended, on = law.book(), Period(2025, 2), Period(2025, 9)
    lead = book.disease_guarantee(8, "inorganic_glomerulonephritis", on)
    assert (lead.period, lead.last_day(ended)) == ("10 years", date(2035, 2, 28))
    assert book.disease_guarantee(8, "inorganic_colic", on).last_day(ended) == date(2025, 3, 30)
    # 24 hours of acute CO poisoning: one whole day after the month's last.
    assert book.disease_guarantee(16, "acute", on).last_day(ended) == date(2025, 3, 1)
    assert book.disease_guarantee(6, None, on).last_day(ended) == date(2026, 2, 28)
    asbestosis = book.disease_guarantee(2, None, on)
    assert (asbestosis.period, asbestosis.last_day(ended)) == ("no time limit", None)
    assert asbestosis.source == "Circular 15/2016/TT-BYT Appendix 2, provisional"


def test_the_appendices_read_from_other_reproductions_load_with_their_periods() -> None:
    """Appendices 3, 5, 15, 23, 25, 27, 29 and 34 of Circular 15/2016/TT-BYT, and 35 (COVID-19)
    from Circular 02/2023/TT-BYT, covering a diagnosis from 2020-02."""
    book, ended, on = law.book(), Period(2025, 2), Period(2025, 9)
    assert book.disease_guarantee(3, "acute", on).last_day(ended) == date(2025, 3, 2)  # 48 h
    assert book.disease_guarantee(5, None, on).last_day(ended) == date(2060, 2, 29)
    assert book.disease_guarantee(23, "ionizing", on).period == "5 years"
    assert book.disease_guarantee(27, "other", on).last_day(ended) == date(2025, 3, 15)
    assert book.disease_guarantee(29, "skin_brain_joint", on).period == "10 years"
    for code, form in ((15, "acute"), (34, None)):
        assert book.disease_guarantee(code, form, on).last_day(ended) is None
    covid = book.disease_guarantee(35, None, Period(2020, 2))
    assert (covid.name, covid.last_day(ended)) == ("Bệnh COVID-19 nghề nghiệp", date(2025, 3, 28))
    assert covid.source.startswith("Circular 02/2023/TT-BYT")
    with pytest.raises(NoRuleInForce):
        book.disease_guarantee(35, None, Period(2020, 1))


def test_appendices_1_11_and_19_load_with_their_periods_per_form() -> None:
    """Silicosis (1: acute 1 year, chronic 35 years), manganese (11: acute 48 hours, chronic 20
    years) and decompression sickness (19: acute 36 hours, chronic 20 years), each form counted
    from the end of the month exposure ended; a form must be named."""
    book, ended, on = law.book(), Period(2025, 2), Period(2025, 9)
    for code, form, period, last in ((1, "acute", "1 year", date(2026, 2, 28)),
                                     (1, "chronic", "35 years", date(2060, 2, 29)),
                                     (11, "acute", "48 hours", date(2025, 3, 2)),
                                     (11, "chronic", "20 years", date(2045, 2, 28)),
                                     (19, "acute", "36 hours", date(2025, 3, 2)),
                                     (19, "chronic", "20 years", date(2045, 2, 28))):
        g = book.disease_guarantee(code, form, on)
        assert (g.period, g.last_day(ended)) == (period, last), (code, form)
        assert g.source == f"Circular 15/2016/TT-BYT Appendix {code}, provisional"
    assert book.disease_guarantee(1, "acute", on).name == "Bệnh bụi phổi silic nghề nghiệp"
    assert book.disease_guarantee(19, "chronic", on).form_name == "bệnh giảm áp mạn tính"
    with pytest.raises(ValidationError) as no:
        book.disease_guarantee(1, None, on)
    assert no.value.problems[0].field == "disease_form"
    assert "acute, chronic" in no.value.problems[0].reason


def test_a_disease_or_form_the_table_has_no_period_for_is_refused_by_field() -> None:
    book, on = law.book(), Period(2025, 9)
    for code, form, field, words in ((9, None, "disease_code", "no guarantee period in the law "
                                                             "tables for disease 9"),
                                     (8, None, "disease_form", "inorganic_colic"),
                                     (8, "acute", "disease_form", "got 'acute'"),
                                     (6, "acute", "disease_form", "takes no form")):
        with pytest.raises(ValidationError) as no:
            book.disease_guarantee(code, form, on)
        assert no.value.problems[0].field == field
        assert words in no.value.problems[0].reason
    with pytest.raises(NoRuleInForce):  # Circular 15/2016 is in force from 2016-07
        book.disease_guarantee(6, None, Period(2016, 6))


def test_text_columns_are_kept_and_a_disease_row_needs_a_known_unit() -> None:
    header = "key,appendix,amount,unit,name,form,valid_from,valid_to,source,provisional,note\n"
    texts = ("unit", "name", "form")
    table = parse_table(TABLE, header + "6,6,12,month,Bệnh X,,2016-07,,C,true,\n", texts)
    assert (table.rows[0].texts["name"], table.rows[0].value("amount")) == ("Bệnh X", 12)
    for bad in ("6,6,12,week,Bệnh X,,2016-07,,C,true,\n",
                "6,6,none,month,Bệnh X,,2016-07,,C,true,\n"):
        with pytest.raises(LawDataError, match="line 2"):
            check_rows(parse_table(TABLE, header + bad, texts))
