"""Invented, realistic demo data produced by running the real processes on a simulated clock."""
