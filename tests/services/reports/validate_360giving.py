#!/usr/bin/env python3
"""Validates a 360Giving data package against the standard's JSON schemas.

Usage: validate_360giving.py PACKAGE.json [SCHEMA_DIR]

Uses Debian's python3-jsonschema (Draft 2020-12), with the schemas read from
SCHEMA_DIR (default: the 360giving folder beside this script) and no network:
the package schema's reference to the grant schema resolves locally.

The standard relies on format checking: a date such as awardDate must match
exactly one of "format: date-time" and a YYYY-MM-DD pattern, so a validator
that ignores formats (or lacks a date-time checker, as Debian's jsonschema
does without python3-rfc3339-validator) rejects every plain date. This script
therefore checks date-time itself: RFC 3339, a date, "T", a time and an
offset. Exit 0 when valid; 1 with each error on stderr when not; 2 on a
usage error.
"""
import datetime
import json
import os
import re
import sys

import jsonschema

RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def format_checker():
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if not isinstance(value, str):
            return True  # the schema's "type" speaks to other values
        if not RFC3339.fullmatch(value):
            return False
        # Real calendar values: fromisoformat refuses 2018-02-30T...
        datetime.datetime.fromisoformat(
            re.sub(r"[Zz]$", "+00:00", value).replace("t", "T"))
        return True

    return checker


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    schema_dir = argv[2] if len(argv) == 3 else os.path.join(here, "360giving")
    with open(os.path.join(schema_dir, "360-giving-package-schema.json")) as f:
        package_schema = json.load(f)
    with open(os.path.join(schema_dir, "360-giving-schema.json")) as f:
        grant_schema = json.load(f)
    with open(argv[1]) as f:
        package = json.load(f)

    # The package refers to the grant schema by a versioned address; map
    # every address it may use, and the grant schema's own $id, to the copy.
    store = {grant_schema["$id"]: grant_schema}
    ref = package_schema["properties"]["grants"]["items"]["$ref"]
    store[ref] = grant_schema
    resolver = jsonschema.RefResolver.from_schema(package_schema, store=store)
    validator = jsonschema.Draft202012Validator(
        package_schema, resolver=resolver,
        format_checker=format_checker())
    errors = sorted(validator.iter_errors(package), key=lambda e: list(e.path))
    for e in errors:
        where = "/".join(str(p) for p in e.path) or "(package)"
        print(f"{where}: {e.message}", file=sys.stderr)

    if errors:
        return 1
    print(f"valid: {len(package['grants'])} grants")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
