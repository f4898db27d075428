"""sibook: the electronic Social Insurance Book (sổ BHXH điện tử) and the National Database on
Insurance behind it (Decree 164/2025/ND-CP)."""

__version__ = "0.1.0"
