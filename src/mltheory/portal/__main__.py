"""``python -m mltheory.portal <command>``: Django's manage.py for the portal.

Settings that are missing or wrong (no ``SECRET_KEY`` outside debug mode, a bad
``DATABASE_URL``, a database that cannot be reached) are reported in one line, exit status 2,
not as a traceback. Help
(``--help``, ``help``, no command) works without them: it needs no secret, so it gets a
throwaway one.
"""

import os
import secrets
import sys

HELP_WORDS = {"help", "--help", "-h"}


def asks_for_help(argv: list[str]) -> bool:
    """``python -m mltheory.portal``, ``... help [command]``, ``... [command] --help/-h``."""
    return len(argv) < 2 or argv[1] in HELP_WORDS or any(a in ("--help", "-h") for a in argv[2:])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "python -m mltheory.portal"  # how usage lines name the program
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltheory.portal.settings")
    if asks_for_help(argv) and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "help-only-" + secrets.token_urlsafe(32)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    except OperationalError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        sys.stderr.write(
            f"error: the database cannot be used ({message}); check DATABASE_URL "
            "(or MLT_PORTAL_DATA_DIR for the default SQLite file).\n"
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
