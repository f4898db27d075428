"""HI visits (lịch sử khám chữa bệnh BHYT): the health facilities' claims for the medical
examination and treatment they gave insured persons, kept in the HI information group
(Decree 164/2025; FACTS §1.4 group 5, §6.5, §7.1)."""
