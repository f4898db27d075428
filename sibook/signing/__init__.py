"""Keys and certificates, trust list, signed QR (COSE), PAdES, revocation and verification.

Import from the modules: ``keys`` (Signer, load_signer, init_keys, rotate), ``held``
(current_signer), ``inventory`` (list_certs), ``distrust``, ``trust_list`` (TrustList), ``qr``
(sign_qr, verify_qr, qr_png), ``pades`` (sign_pdf, validate_pdf, pdf_book_metadata),
``status`` (RevocationStatus, RevocationList, renew, current_lists, published), ``claims``
(what a payload says held to its signer's realm and the clock) and ``verify`` (verify,
VerifyResult). Each function takes a keys directory, a ``Signer`` or a ``TrustList``
explicitly; the CLI resolves them from settings. One setting is read here:
``status.list_validity`` (SIBOOK_REVOCATION_LIST_HOURS), for lists saved by callers that name
no window.
"""
