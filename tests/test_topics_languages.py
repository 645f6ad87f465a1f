"""Topics in every supported language (issue 14): each language is read by its own pattern
set of the taxonomy, on its own words. Small hand-written clauses in each language, scored
by the real topic stage."""

from __future__ import annotations

import pytest

from stages.records import Clause
from stages.topics import _script, pattern_sets, score_clause, taxonomy

LANGUAGES = ("en", "zh", "de", "fr", "es", "ja")


def topics_of(text: str, lang: str, heading: str | None = None) -> set[str]:
    threshold, _ = taxonomy()
    clause = Clause(
        doc_id="t", clause_id="1", parent_id=None, level=1, seq=0, label="1", number_inferred=False,
        heading=heading, text=text, lang=lang, char_start=0, char_end=len(text),
    )  # fmt: skip
    return {topic for topic, score in score_clause(clause).items() if score.score >= threshold}


def test_every_topic_has_patterns_in_every_language_set():
    _, topics = taxonomy()
    assert set(LANGUAGES) <= pattern_sets()
    for topic in topics.values():
        assert set(topic.patterns) == pattern_sets(), topic.id
        for code, patterns in topic.patterns.items():
            assert patterns, f"{topic.id} has an empty pattern set for {code}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_language_with_a_set_is_read_by_its_own(lang):
    assert _script(lang) == lang


def test_a_language_without_a_set_falls_back_to_its_record():
    assert _script("ko") == "en"  # Korean names no set of its own
    assert _script(None) == "en"


CASES = [
    ("de", "Dieser Vertrag unterliegt schweizerischem Recht unter Ausschluss des Kollisionsrechts.", None, {"governing_law"}),
    ("de", "Ausschliesslicher Gerichtsstand für alle Streitigkeiten aus diesem Vertrag ist Zürich.", None, {"dispute_resolution"}),
    ("de", "Der Anbieter haftet nicht für mittelbare Schäden und entgangenen Gewinn.", None, {"liability_limitation"}),
    ("de", "Die Parteien behandeln alle Informationen vertraulich.", "Geheimhaltung", {"confidentiality"}),
    ("de", "Minderjährige benötigen die Zustimmung ihrer Erziehungsberechtigten.", None, {"minors"}),
    ("de", "Der Nutzer darf die Software nicht dekompilieren oder zurückentwickeln.", None, {"prohibited_conduct"}),
    ("de", "Der Vertrag kann mit einer Frist von drei Monaten gekündigt werden.", None, {"termination"}),
    ("de", "Der Anbieter hat die Änderung rechtzeitig angekündigt.", None, {"amendments"}),  # angekündigt is no termination
    ("de", "Personendaten werden nur mit Einwilligung der betroffenen Person bearbeitet.", None, {"personal_data_privacy"}),
    ("de", "Der Vorstand tagt zweimal im Jahr.", None, set()),
    ("fr", "Le présent contrat est régi par le droit suisse.", "Droit applicable", {"governing_law"}),
    ("fr", "Le for juridique exclusif est Lausanne; les tribunaux compétents tranchent tout litige.", None, {"dispute_resolution"}),
    ("fr", "Le traitement des données personnelles respecte la vie privée des utilisateurs.", None, {"personal_data_privacy"}),
    ("fr", "Aucune des parties ne sera tenue responsable des retards dus à un cas de force majeure.", None, {"force_majeure", "liability_limitation"}),
    ("fr", "Chaque partie peut résilier le contrat moyennant un préavis de trois mois.", None, {"termination"}),
    ("fr", "Le comité se réunit deux fois par an.", None, set()),
    ("es", "Este contrato se regirá por las leyes de España.", "Ley aplicable", {"governing_law"}),
    ("es", "Las partes se someten a los juzgados y tribunales de Madrid para cualquier controversia.", None, {"dispute_resolution"}),
    ("es", "Ninguna parte podrá ceder este contrato sin el consentimiento previo de la otra.", "Cesión", {"assignment"}),
    ("es", "La información confidencial no será divulgada a terceros.", None, {"confidentiality"}),
    ("es", "Los menores de edad necesitan la autorización de sus padres o tutores.", None, {"minors"}),
    ("es", "La junta se reúne dos veces al año.", None, set()),
    ("ja", "本契約は、日本法に準拠し、これに従って解釈される。", "準拠法", {"governing_law"}),
    ("ja", "本契約に関する一切の紛争については、東京地方裁判所を第一審の専属的合意管轄裁判所とする。", None, {"dispute_resolution"}),
    ("ja", "各当事者は、相手方の秘密情報を第三者に開示してはならない。", "秘密保持", {"confidentiality"}),
    ("ja", "未成年者が本サービスを利用する場合は、法定代理人の同意を得なければならない。", None, {"minors"}),
    ("ja", "当社は、利用者の個人情報を適切に管理する。", None, {"personal_data_privacy"}),
    ("ja", "取締役会は、年に二回開催する。", None, set()),
    ("en", "This Agreement shall be governed by the laws of the State of New York.", None, {"governing_law"}),
    ("zh", "本协议的订立、执行和解释均适用中华人民共和国法律。", None, {"governing_law"}),
]


@pytest.mark.parametrize("lang,text,heading,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_topics_of_hand_written_clauses(lang, text, heading, expected):
    assert topics_of(text, lang, heading) == expected
