"""Personal data: sealed under a key per alert, erased by destroying the key (crypto-shredding)."""
