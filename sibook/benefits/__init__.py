"""Benefits claimed and settled (giải quyết chế độ BHXH): the claims the agency receives, the
decisions it takes, and what the book shows of them (Decree 164/2025 content item 4)."""
