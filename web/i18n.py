"""Languages: zh_CN by default, English on request (kept in the session); catalogs compiled on demand."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from babel import Locale, support
from flask import Flask, current_app, session
from flask_babel import Babel, Domain, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
log = logging.getLogger(__name__)


def select_locale() -> str:
    wanted = session.get("lang")
    languages = current_app.config["LANGUAGES"]
    return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def localized(labels: Mapping[str, str]) -> str:
    """The text of a label an extension gives per language, for the reader's (English, else any, when it has
    none)."""
    return labels.get(select_locale()) or labels.get("en") or next(iter(labels.values()), "")


def ensure_compiled(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write each .mo that is missing or older than its .po; returns the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        try:
            with mo.open("wb") as target:
                write_mo(target, catalog)
        except OSError as exc:  # a read-only install: the packaged .mo files are used as they are
            log.warning("cannot compile %s: %s", po, exc)
            continue
        written.append(mo)
    return written


class CatalogDomain(Domain):
    """Loads the catalog folder named by our language code.

    Babel expands zh_CN to zh_Hans_CN, for which gettext finds no folder `zh_CN`; the folder keeps the
    name people and `pybabel` use.
    """

    def __init__(self, languages: tuple[str, ...], directory: Path = TRANSLATIONS):
        super().__init__(translation_directories=[str(directory)], domain="messages")
        self.folders = {str(Locale.parse(code)): code for code in languages}

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        folder = self.folders.get(str(locale), str(locale))
        cache = self.get_translations_cache(None)
        if folder not in cache:
            cache[folder] = support.Translations.load(self.translation_directories[0], [folder], "messages")
        return cache[folder]


def init_app(app: Flask) -> None:
    ensure_compiled()
    babel = Babel(app, locale_selector=select_locale)
    babel.domain_instance = CatalogDomain(tuple(app.config["LANGUAGES"]))

    @app.context_processor
    def _languages():
        return {"current_language": select_locale()}
