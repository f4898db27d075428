"""The e-HI card image: every value it shows is drawn whole beside the QR, never under it."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import ImageDraw, ImageFont

from sibook.book import card_image
from sibook.book.card_image import SIZE, card_png, no_card_png
from sibook.signing.qr import qr_png

CARD = {"birth_date": "1988-11-13", "card_number": "DN4080000000001", "benefit_level": 4,
        "valid_from": "2026-01-01", "valid_to": "2026-12-31", "initial_kcb_place": "08194",
        "issuer": "Bảo hiểm xã hội Việt Nam"}
QR_LEFT = SIZE[0] - 330 - 24  # where the pasted QR begins
NAME_ROW = range(124 + 78 + 26, 124 + 2 * 78)  # below its label, above the next one


def drawn(monkeypatch: pytest.MonkeyPatch, make: Any) -> list[tuple[int, int, str, float]]:
    """Each text the image draws: where, what, and how wide it is."""
    calls: list[tuple[int, int, str, float]] = []
    text = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: tuple[int, int], value: str, *args: Any,
            font: ImageFont.FreeTypeFont, **kwargs: Any) -> None:
        calls.append((int(xy[0]), int(xy[1]), value, font.getlength(value)))
        text(self, xy, value, *args, font=font, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    make()
    return calls


@pytest.mark.parametrize("name", [
    "Nguyễn Thanh Giang",
    "Nguyễn Hoàng Bảo Ngọc Phương Anh Thị Minh Khai",  # ran under the QR: "...ANH TH"
    "Nguyễn Hoàng Bảo Ngọc Phương Anh Thị Minh Khai Trần Lê Phạm Võ Đặng Bùi Đỗ Hồ Ngô Lý",
])
def test_a_long_name_is_shown_whole_left_of_the_qr(monkeypatch: pytest.MonkeyPatch,
                                                    name: str) -> None:
    calls = drawn(monkeypatch, lambda: card_png({**CARD, "full_name": name},
                                                 qr_png("SIB1:" + "A" * 300)))
    lines = [c for c in calls if c[1] in NAME_ROW]
    assert " ".join(c[2] for c in lines) == name.upper()
    assert all(x + width <= QR_LEFT for x, _, _, width in lines), lines


def test_a_name_too_long_for_two_lines_is_cut_with_an_ellipsis(
        monkeypatch: pytest.MonkeyPatch) -> None:
    name = " ".join(["Nguyễn Hoàng Bảo Ngọc"] * 10)
    calls = drawn(monkeypatch, lambda: card_png({**CARD, "full_name": name},
                                                 qr_png("SIB1:" + "A" * 300)))
    lines = [c for c in calls if c[1] in NAME_ROW]
    assert len(lines) == 2 and lines[-1][2].endswith(card_image.ELLIPSIS)
    assert all(x + width <= QR_LEFT for x, _, _, width in lines), lines


def test_the_no_card_image_keeps_a_long_name_on_the_card(
        monkeypatch: pytest.MonkeyPatch) -> None:
    name = "Nguyễn Hoàng Bảo Ngọc Phương Anh Thị Minh Khai Trần Lê Phạm Võ Đặng Bùi Đỗ"
    calls = drawn(monkeypatch, lambda: no_card_png({"realm": "civil", "full_name": name}))
    [(x, _, shown, width)] = [c for c in calls if c[2] == name.upper()]
    assert x + width <= SIZE[0] - 28
