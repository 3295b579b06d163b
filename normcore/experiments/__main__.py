"""Run one experiment and write its results as JSON (see the package docstring); gzipped if the path ends in .gz."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

from normcore.experiments import discover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m normcore.experiments", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in discover().items():
        sub = commands.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(sub)
        sub.add_argument("--json", type=Path, help="write the results to this file ('-' for stdout)")
    args = parser.parse_args(argv)
    try:
        results = discover()[args.command].run(args)
    except ValueError as error:
        parser.error(str(error))
    text = json.dumps(results, indent=1, allow_nan=False)
    if args.json is None or str(args.json) == "-":
        print(text)
    else:
        data = (text + "\n").encode()
        args.json.write_bytes(gzip.compress(data, mtime=0) if args.json.suffix == ".gz" else data)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
