"""Pulumi entry point: the program lives in stacks/program.py (also run inline by the real-engine tests)."""

from stacks.program import program

program()
