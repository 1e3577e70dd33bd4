"""Every user-visible string is marked, extracted, and translated three times."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("nl", "fr", "de")


def catalogue(lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def message_ids(cat):
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """What the source marks for translation today."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
            "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
            "-o", str(pot), ".",
        ],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return message_ids(read_po(f))


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_has_every_marked_string(lang, extracted):
    missing = extracted - message_ids(catalogue(lang))

    assert not missing, f"run `make extract-messages`; missing in {lang}: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete_and_not_fuzzy(lang):
    cat = catalogue(lang)
    untranslated = [
        m.id
        for m in cat
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]

    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_their_placeholders(lang):
    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = []
    for m in catalogue(lang):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(placeholder.findall(ids[-1])) | set(placeholder.findall(ids[0]))
        for string in strings:
            if not set(placeholder.findall(string)) <= wanted:
                wrong.append(ids[0])
    assert wrong == []


def test_french_punctuation_is_typographic():
    # A plain space before ":" or "?" lets a narrow screen start a line with
    # it; French typography puts a no-break space there.
    # Also one apostrophe throughout: the typographic one.
    loose = re.compile(r" [:;?!»]|« |(?<=\w)'(?=\w)")
    wrong = [
        string
        for m in catalogue("fr")
        if m.id
        for string in (m.string if isinstance(m.string, tuple) else (m.string,))
        if loose.search(string)
    ]
    assert wrong == []


class TextFinder(HTMLParser):
    """Collects text outside Jinja expressions, tags and trans blocks."""

    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__()
        self.found = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and re.search(r"[A-Za-zÀ-ÿ]{2,}", data):
            self.found.append(data.strip())


JINJA = re.compile(
    r"{%-?\s*trans\b.*?endtrans\s*-?%}|{{.*?}}|{%.*?%}|{#.*?#}", flags=re.S
)
# Words that are the same in every language: proper names and units.
ALLOWED = {"eID", "itsme", "LMB", "Nederlands", "Français", "Deutsch"}


def test_templates_have_no_unmarked_text():
    offenders = []
    for path in sorted((ROOT / "app" / "templates").rglob("*.html")):
        finder = TextFinder()
        finder.feed(JINJA.sub(" ", path.read_text(encoding="utf-8")))
        for text in finder.found:
            if text not in ALLOWED:
                offenders.append(f"{path.relative_to(ROOT)}: {text[:60]!r}")

    assert offenders == []


def test_email_templates_have_no_unmarked_text():
    """E-mail and SMS bodies: every word inside {% trans %} or {{ _() }}."""
    offenders = []
    for path in sorted((ROOT / "app" / "templates" / "emails").glob("*.txt")):
        text = JINJA.sub(" ", path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            for word in re.findall(r"[A-Za-zÀ-ÿ]{2,}", line):
                if word not in ALLOWED:
                    offenders.append(f"{path.relative_to(ROOT)}: {line.strip()[:60]!r}")
                    break

    assert offenders == []
