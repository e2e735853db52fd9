"""Form fields -> flow requests: money, times and dates; and the way back."""

import pytest

from tariffconnect.connect.web import forms, i18n
from tariffconnect.connect.web.fields import FormInvalid
from tariffconnect.connect.web.forms import to_request

TOKEN = "cot_" + "a" * 24


def request(route, form, data=None):
    return to_request(route, TOKEN, form, data or {})


def test_a_fixed_rate_in_minor_units_becomes_major_units():
    made = request("rate_fixed_capture", {"cost": "24,5"}, {"currency_code": "GBP"})
    assert made.model_dump(exclude_none=True) == {
        "route": "rate_fixed_capture",
        "connect_token": TOKEN,
        "type": "submit",
        "data": {"cost": 0.245},
    }
    assert request("rate_fixed_capture", {"cost": "0,123"}, {"currency_code": "EUR"}).data == {
        "cost": 0.00123
    }
    assert request("rate_fixed_capture", {"cost": "25"}, {"currency_code": "JPY"}).data == {
        "cost": 25.0
    }


def test_decimals_are_limited_to_what_the_machine_keeps():
    # The machine keeps 5 decimals of major units: 3 of pence, 4 of a major unit.
    yen = request("rate_fixed_capture", {"cost": "0,2451"}, {"currency_code": "JPY"})
    assert yen.data == {"cost": 0.2451}
    with pytest.raises(FormInvalid) as raised:
        request("rate_fixed_capture", {"cost": "24.1234"}, {"currency_code": "GBP"})
    (error,) = raised.value.errors
    assert (error.field, error.code) == ("cost", "cost_invalid")
    english, german = i18n.choose("en", None), i18n.choose("de", None)
    assert i18n.field_error_text(english, error) == "Enter a number with at most 3 decimal places."
    assert i18n.field_error_text(german, error) == (
        "Geben Sie eine Zahl mit höchstens 3 Nachkommastellen ein."
    )
    with pytest.raises(FormInvalid) as raised:
        request("surcharge_capture", {"surcharge_percentage": "5.1234"}, {"currency_code": "EUR"})
    assert raised.value.errors[0].params == (("places", "3"),)
    with pytest.raises(FormInvalid) as raised:
        request("rate_fixed_capture", {"cost": ""}, {"currency_code": "GBP"})
    assert [e.code for e in raised.value.errors] == ["cost_missing"]


def test_day_and_night_periods():
    form = {
        "day_from": "07:00",
        "day_to": "23:00",
        "day_cost": "30",
        "night_from": "23:00",
        "night_to": "07:00:00",
        "night_cost": "10,5",
    }
    assert request("rate_tod_capture", form, {"currency_code": "GBP"}).data == {
        "hours": [
            {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": 0.3},
            {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": 0.105},
        ]
    }
    broken = form | {"day_to": "25:00", "night_cost": ""}
    with pytest.raises(FormInvalid) as raised:
        request("rate_tod_capture", broken, {"currency_code": "GBP"})
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("day_to", "time_invalid"),
        ("night_cost", "night_cost_missing"),
    ]


def test_surcharges():
    data = {"currency_code": "EUR"}
    made = request(
        "surcharge_capture", {"surcharge_fixed": "1,5", "surcharge_percentage": "5"}, data
    )
    assert made.data == {"surcharge": {"fixed": 0.015, "percentage": 5.0}}
    empty = request("surcharge_capture", {"surcharge_fixed": "", "surcharge_percentage": ""}, data)
    assert empty.data == {"surcharge": {"fixed": 0.0, "percentage": 0.0}}


def test_contract_end():
    assert request("contract_term_capture", {"skip": "1", "contract_end_date": "x"}).data is None
    assert request("contract_term_capture", {"contract_end_date": ""}).data is None
    dated = request("contract_term_capture", {"contract_end_date": "2027-06-30"})
    assert dated.data == {"contract_end_date": "2027-06-30T00:00:00Z"}
    dotted = request("contract_term_capture", {"contract_end_date": "30.6.2027"})
    assert dotted.data == dated.data
    with pytest.raises(FormInvalid) as raised:
        request("contract_term_capture", {"contract_end_date": "31.02.2027"})
    assert raised.value.errors[0].code == "date_format_invalid"


def test_choices_and_text():
    assert request("provider_select", {"provider_id": "prv_1"}).data == {
        "provider": {"id": "prv_1"}
    }
    assert request("tariff_structure_select", {"structure": "FIXED"}).data == {"options": ["FIXED"]}
    form = {"city": "  Ba\x00th  ", "country_code": "gb", "post_code": "BA1 " + "1" * 40}
    address = request("postal_address_capture", form)
    assert address.data == {
        "postal_address": {
            "address_line1": "",
            "address_line2": "",
            "city": "Bath",
            "state": "",
            "post_code": ("BA1 " + "1" * 40)[:32],
            "country_code": "GB",
        }
    }
    with pytest.raises(FormInvalid) as raised:
        request("provider_select", {})
    assert raised.value.errors[0].field == "provider_id"
    assert forms.anchor("provider_id") == "provider_id-0"


def test_a_button_is_an_action_and_sends_no_data():
    made = request("provider_select", {"action": "provider_missing", "provider_id": "prv_1"})
    assert (made.action, made.data) == ("PROVIDER_MISSING", None)
    assert request("tariff_summary", {}) is None  # nothing asked
    assert forms.has_garbage_action({"action": "DROP TABLE"})


def test_values_shown_in_the_locales_format():
    english = i18n.Formatter(i18n.choose("en-GB", None)).input_number
    german = i18n.Formatter(i18n.choose("de-DE", None)).input_number
    data = {"currency_code": "GBP", "cost": 0.245, "standing_charge": 0.535}
    shown = forms.values("rate_fixed_capture", data, english)
    assert shown == {"cost": "24.5", "standing_charge": "53.5"}
    shown = forms.values("rate_fixed_capture", data, german)
    assert shown == {"cost": "24,5", "standing_charge": "53,5"}
    none = data | {"cost": 0, "standing_charge": None}
    assert forms.values("rate_fixed_capture", none, german) == {"cost": "", "standing_charge": ""}
    hours = [
        {"cost": 0, "valid_from": "00:00:00", "valid_to": "00:00:00"},
        {"cost": 0.1, "valid_from": "22:00:00", "valid_to": "06:30:00"},
    ]
    tod = forms.values("rate_tod_capture", {"currency_code": "EUR", "hours": hours}, german)
    assert tod == {
        "day_from": "07:00",
        "day_to": "23:00",
        "day_cost": "",
        "night_from": "22:00",
        "night_to": "06:30",
        "night_cost": "10",
        "standing_charge": "",
    }


@pytest.mark.parametrize(
    ("route", "code", "field"),
    [
        ("postal_address_capture", "post_code_missing", "post_code"),
        ("postal_address_capture", "country_code_invalid", "country_code"),
        ("postal_address_capture", "postal_address_invalid", None),
        ("provider_select", "provider_id_invalid", "provider_id"),
        ("tariff_select", "tariff_id_missing", "tariff_id"),
        ("tariff_structure_select", "options_invalid", "structure"),
        ("rate_fixed_capture", "cost_value_zero", "cost"),
        ("region_select", "market_region_invalid", "region"),
        ("surcharge_capture", "surcharge_percentage_invalid", "surcharge_percentage"),
        ("surcharge_capture", "surcharge_fixed_invalid", "surcharge_fixed"),
        ("surcharge_capture", "geo_location_not_found", None),
        ("tariff_name_capture", "tariff_name_missing", "tariff_name"),
        ("contract_term_capture", "contract_end_date_invalid", "contract_end_date"),
        ("tariff_summary", "action_invalid", None),
    ],
)
def test_machine_errors_belong_to_fields(route, code, field):
    assert forms.field_of(route, code, {}) == field


def test_time_of_day_errors_point_at_the_field_to_fix():
    form = {"day_from": "07:00", "day_to": "22:00", "night_from": "23:00", "night_to": "07:00"}
    assert forms.field_of("rate_tod_capture", "gap_in_time_period", form) == "day_to"
    met = form | {"day_to": "23:00", "night_to": "06:00"}
    assert forms.field_of("rate_tod_capture", "gap_in_time_period", met) == "night_to"
    costs = {"day_cost": "30", "night_cost": "0"}
    assert forms.field_of("rate_tod_capture", "cost_value_zero", costs) == "night_cost"
