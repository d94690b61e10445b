"""build_signers: a smart card is configured together with the record of whose card it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.bootstrap.settlement import build_signers
from gateway.config.settings import Settings, load_settings
from gateway.primitives.errors import ConfigurationError
from tests.gateway.settlement.service.helpers import CA_PEM, CERTS


def card_settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(card_pkcs11_module=tmp_path / "libcard.so", card_token_label="card",
                         card_pin_env="NORDGATE_TEST_NO_SUCH_PIN", signing_trust_anchors=CA_PEM, **overrides)


def test_a_card_without_the_card_holder_record_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_signers(card_settings(tmp_path))
    assert (caught.value.code, caught.value.location) == ("SETTINGS_INVALID", "card_holders")


def test_an_unreadable_record_stops_the_start_before_the_card_is_opened(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_signers(card_settings(tmp_path, card_holders=tmp_path / "none.json"))
    assert caught.value.code == "CARD_HOLDERS_UNREADABLE"


def test_with_the_record_the_card_itself_is_opened_next(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_signers(card_settings(tmp_path, card_holders=CERTS.parent / "card-holders.json"))
    assert caught.value.code == "SIGNING_SECRET_MISSING"  # the PIN: past the record
