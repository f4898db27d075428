"""Who may see what: identity (OIDC client + development provider), policy, and the access log."""
