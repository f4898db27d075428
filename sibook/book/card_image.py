"""The e-HI card as an image (thẻ BHYT điện tử): what Circular 09/2026 says the card shows
(name, card number, benefit level, validity, initial registration place), with a signed QR a
health facility can check offline (FACTS §2, §7.2 item 11)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from sibook.book.fonts import FontMissing
from sibook.book.render_pdf import FONT, FONT_BOLD
from sibook.signing.certs import REALMS

SIZE = (1012, 638)  # ID-1 card proportions (85.6 x 54 mm) at 300 dpi
BLUE, INK = (0, 84, 166), (20, 20, 20)


def no_card_png(header: dict[str, Any]) -> bytes:
    """The answer for a person with no HI card on record: the card says so, with no QR."""
    image, draw = _blank("THẺ BẢO HIỂM Y TẾ", REALMS.get(header["realm"], header["realm"]))
    body = ImageFont.truetype(str(FONT), 30)
    draw.text((28, 160), header["full_name"].upper(), font=body, fill=INK)
    draw.text((28, 220), "Không có thẻ BHYT trong Cơ sở dữ liệu quốc gia về bảo hiểm.",
              font=body, fill=(160, 0, 0))
    return _png(image)


def _blank(title: str, issuer: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    if not FONT.exists():
        raise FontMissing(f"font {FONT} is missing: install fonts-dejavu-core")
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SIZE[0], 96), fill=BLUE)
    draw.text((28, 14), issuer.upper(), font=ImageFont.truetype(str(FONT), 22), fill="white")
    draw.text((28, 46), title, font=ImageFont.truetype(str(FONT_BOLD), 30), fill="white")
    return image, draw


def _png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG")  # optimize=True: 3.5 times the time (70 ms) for 2.5% smaller
    return out.getvalue()


def card_png(card: dict[str, Any], qr: bytes) -> bytes:
    """``card``: full_name, birth_date, card_number, benefit_level, valid_from, valid_to,
    initial_kcb_place, issuer; ``qr``: the QR image (PNG) of the signed card payload."""
    image, draw = _blank("THẺ BẢO HIỂM Y TẾ", card["issuer"])
    small = ImageFont.truetype(str(FONT), 22)
    text = ImageFont.truetype(str(FONT), 27)
    # The card design since 1/4/2021 (Decision 1666/QD-BHXH, FACTS §5.3) prints only the
    # 10-digit SI code; the group and level stay in the data (the level has its own line).
    rows = (("Mã số", card["card_number"][-10:]), ("Họ và tên", card["full_name"].upper()),
            ("Ngày sinh", _date(card["birth_date"])),
            ("Mức hưởng", str(card["benefit_level"])),
            ("Giá trị sử dụng", f"{_date(card['valid_from'])} – {_date(card['valid_to'])}"),
            ("Nơi ĐK KCB ban đầu", card["initial_kcb_place"]))
    y = 124
    for label, value in rows:
        draw.text((28, y), f"{label}:", font=small, fill=(90, 90, 90))
        draw.text((28, y + 26), value, font=text, fill=INK)
        y += 78
    code = Image.open(BytesIO(qr)).convert("RGB")
    side = 330
    image.paste(code.resize((side, side), Image.Resampling.NEAREST), (SIZE[0] - side - 24, 150))
    draw.text((SIZE[0] - side - 10, 150 + side + 8), "Quét để kiểm tra chữ ký số",
              font=small, fill=(90, 90, 90))
    return _png(image)


def _date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"
