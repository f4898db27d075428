"""sibook: the electronic Social Insurance Book (sổ BHXH điện tử) and the National Database on Insurance."""

__version__ = "0.1.0"
