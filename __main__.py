"""Pulumi entry point: the program lives in program/entry.py (also run inline by the real-engine tests)."""

from program.entry import program

program()
