"""Weapon records, serials, search and hits across states."""
