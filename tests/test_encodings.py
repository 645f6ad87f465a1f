"""Legacy encodings on real sentences (the opening of a privacy policy or of a statute),
encoded here and decoded by lexnorm with the real charset-normalizer: the right text, or a
clear rejection, never mojibake with `status = ok`."""

from __future__ import annotations

import codecs

import pytest

from stages.ingest import read_document

RUSSIAN = (
    "Настоящая Политика конфиденциальности описывает, как мы собираем, используем и защищаем ваши "
    "персональные данные. Используя наш сервис, вы соглашаетесь с условиями настоящей Политики.\n"
)
RUSSIAN_2 = (
    "Мы уважаем вашу частную жизнь и обязуемся защищать персональные данные каждого пользователя. "
    "Данная политика применяется ко всей информации, которую мы получаем через сайт.\n"
)
GREEK = (
    "Η παρούσα Πολιτική Απορρήτου περιγράφει τον τρόπο με τον οποίο συλλέγουμε, χρησιμοποιούμε και "
    "προστατεύουμε τα προσωπικά σας δεδομένα. Χρησιμοποιώντας την υπηρεσία μας, αποδέχεστε τους όρους "
    "της παρούσας Πολιτικής.\n"
)
HEBREW = "מדיניות פרטיות זו מתארת כיצד אנו אוספים, משתמשים ומגנים על המידע האישי שלך. השימוש בשירות מהווה הסכמה לתנאי מדיניות זו.\n"
JAPANESE = (
    "本プライバシーポリシーは、当社がお客様の個人情報をどのように収集、利用、保護するかを説明するものです。"
    "本サービスをご利用いただくことにより、お客様は本ポリシーに同意したものとみなされます。\n"
)
TRADITIONAL = "本條例旨在保障個人資料的私隱，並規定資料使用者收集、持有、處理及使用個人資料的方式。任何人違反本條例的規定，即屬犯罪。\n"
SIMPLIFIED = "本协议受中华人民共和国法律管辖。因本协议引起的或与本协议有关的任何争议，双方应友好协商解决；协商不成的，提交仲裁委员会仲裁。\n"
FRENCH = (
    "La présente politique de confidentialité décrit la manière dont nous collectons, utilisons et protégeons "
    "vos données personnelles. « Données » désigne toute information — y compris l’adresse électronique — "
    "relative à une personne. Ça s’applique à toute opération effectuée.\n"
)
GERMAN = (
    "Diese Datenschutzerklärung beschreibt, wie wir Ihre personenbezogenen Daten erheben, verwenden und schützen. "
    "Die Vergütung beträgt jährlich 500 € für die Übermittlung.\n"
)
SPANISH = (
    "Esta Política de Privacidad describe cómo recopilamos, utilizamos y protegemos sus datos personales. "
    "Al utilizar nuestros servicios, usted acepta la recopilación y el uso de información de acuerdo con esta "
    "política. El año de vigencia comienza en la fecha de firma.\n"
)
ENGLISH = "This Agreement is governed by the laws of England. " * 40 + "The “Supplier” shall pay – within 30 days – the fee.\n"
POLISH = (
    "Niniejsza Polityka prywatności opisuje, w jaki sposób zbieramy, wykorzystujemy i chronimy Twoje dane osobowe. "
    "Korzystając z naszych usług, zgadzasz się na zbieranie i wykorzystywanie informacji zgodnie z niniejszą polityką.\n"
)


def read(tmp_path, data: bytes):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    return read_document(path, tmp_path)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (RUSSIAN, "cp1251"),
        (GREEK, "cp1253"),
        (HEBREW, "cp1255"),
        (JAPANESE, "euc_jp"),
        (RUSSIAN_2, "koi8_r"),
    ],
)
def test_non_western_legacy_encodings_read_right(tmp_path, text, encoding):
    """charset-normalizer names these right; lexnorm used to read them as cp1252 anyway."""
    doc = read(tmp_path, text.encode(encoding))
    assert doc.ok, doc.error
    assert doc.text == text, f"read as {doc.encoding}: {doc.text[:60]!r}"
    assert doc.encoding != "cp1252"


@pytest.mark.parametrize(
    ("text", "encoding", "read_as"),
    [
        (FRENCH, "cp1252", "cp1252"),
        (GERMAN, "cp1252", "cp1252"),
        (SPANISH, "cp1252", "cp1252"),  # charset-normalizer says cp1250 (ñ read as ń): cp1252 is preferred
        (ENGLISH, "cp1252", "cp1252"),
        (POLISH, "cp1250", "cp1250"),  # ... unless the guess reads a language more coherently
        (SIMPLIFIED, "gb18030", "gb18030"),
        (TRADITIONAL, "big5", "big5"),
        (JAPANESE, "shift_jis", "cp932"),
        (GREEK, "utf-16", "utf-16-le"),
    ],
)
def test_the_encodings_lexnorm_always_read_still_read_right(tmp_path, text, encoding, read_as):
    doc = read(tmp_path, text.encode(encoding))
    assert doc.ok, doc.error
    assert (doc.text, doc.encoding) == (text, read_as)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("Договор аренды", "cp1251"), ("Ελλάδα", "cp1253"), ("שלום עולם", "cp1255"), ("Привет мир", "koi8_r")],
)
def test_short_non_utf8_text_that_no_guess_can_settle_is_rejected_not_garbled(tmp_path, text, encoding):
    doc = read(tmp_path, text.encode(encoding))
    assert doc.status == "rejected" and "too few to tell which encoding" in doc.error and "UTF-8" in doc.error


def test_short_western_text_is_cp1252(tmp_path):
    for text in ("Café crème", "naïve", "Ñandú año", "1. Vergütung\n1.1 Die Vergütung beträgt 500 €.\n"):
        doc = read(tmp_path, text.encode("cp1252"))
        assert doc.ok and doc.text == text, (text, doc.encoding, doc.text, doc.error)


def test_an_english_contract_naming_a_russian_company_in_cp1251_is_not_garbled(tmp_path):
    text = "This Agreement is made between the parties. " * 50 + "The Buyer is ООО Ромашка, a company in Moscow.\n"
    doc = read(tmp_path, text.encode("cp1251"))
    assert (doc.ok and doc.text == text) or (doc.status == "rejected" and "encoding" in doc.error), doc.text[-40:]


def cesu8(text: str) -> bytes:
    """CESU-8: each UTF-16 code unit encoded as UTF-8 on its own."""
    units = text.encode("utf-16-le")
    return "".join(chr(int.from_bytes(units[i : i + 2], "little")) for i in range(0, len(units), 2)).encode(
        "utf-8", "surrogatepass"
    )


def test_cesu8_surrogate_pairs_are_joined(tmp_path):
    text = "1. Scope\nThis notice 📄 applies to all users 😀 of the service.\n"
    data = cesu8(text)
    assert b"\xed\xa0" in data  # an encoded surrogate, invalid in UTF-8
    doc = read(tmp_path, data)
    assert doc.ok and doc.text == text and doc.encoding == "cesu-8"


def test_cesu8_surrogate_that_does_not_pair_is_rejected(tmp_path):
    data = b"1. Scope\nThis notice applies " + "\ud83d".encode("utf-8", "surrogatepass") + b" to all users.\n"
    doc = read(tmp_path, data)
    assert doc.status == "rejected" and "surrogates" in doc.error


def test_a_bom_still_decides(tmp_path):
    doc = read(tmp_path, codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be"))
    assert doc.ok and doc.text == RUSSIAN and doc.encoding == "utf-16-be"
