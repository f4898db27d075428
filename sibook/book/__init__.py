"""The e-SI book (sổ BHXH điện tử): issued at registration, assembled from the database, signed."""
