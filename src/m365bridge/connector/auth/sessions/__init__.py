"""UI sign-in: sessions, passwords (UI, Basic, the password grant) and the brute-force throttle."""
