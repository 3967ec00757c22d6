import pytest
from django.core.exceptions import ValidationError

from portfolio.credit_codes import check_character, is_valid_credit_code
from portfolio.models import Party

VALID = [
    "11430100MB1A2B3C46",  # from the shared examples
    "91430100MA4L0P7Q2C",
    "12440300MB2C3D4E5X",
    "91440300MA5F6G7H8B",
    "91350100M000100Y43",  # a published business licence code
]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code, why",
    [
        ("11430100MB1A2B3C47", "wrong check character"),
        ("91430100MA4L0P7Q2D", "wrong check character"),
        ("91430100MA4L0P7Q2", "17 characters"),
        ("91430100MA4L0P7Q2CC", "19 characters"),
        ("91430100MA4L0P7Q2c", "lower case"),
        ("9143010OMA4L0P7Q2C", "letter O is not in the charset"),
        ("91430100MI4L0P7Q2C", "letter I is not in the charset"),
        ("", "empty"),
    ],
)
def test_invalid_codes_fail(code, why):
    assert not is_valid_credit_code(code), why


def test_check_character_wraps_31_to_zero():
    # given a prefix whose weighted sum is a multiple of 31
    prefix = "0" * 17
    # then the check character is 0, not the (nonexistent) 31st character
    assert check_character(prefix) == "0"
    assert is_valid_credit_code("0" * 18)


@pytest.mark.django_db
def test_party_model_rejects_an_invalid_code():
    party = Party(kind=Party.Kind.ENTERPRISE, name="某某公司", credit_code="91430100MA4L0P7Q2D")
    with pytest.raises(ValidationError) as error:
        party.full_clean()
    assert "credit_code" in error.value.message_dict


@pytest.mark.django_db
def test_party_model_accepts_a_valid_or_empty_code():
    Party(kind=Party.Kind.ENTERPRISE, name="某某公司", credit_code=VALID[1]).full_clean()
    Party(kind=Party.Kind.ENTERPRISE, name="Example Ltd", credit_code="").full_clean()
