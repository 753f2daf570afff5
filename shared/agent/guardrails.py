"""Whether a customer message goes straight to a person, and why: the hard escalation rules.

Checks run in the order of escalation-rules.md: the YAML pattern rules as listed (each read one
sentence at a time, so a request is told from a mention), then profanity, shouting and
frustration; the first that applies gives the reason. Matching runs on
a normalised copy of the text, so spacing, zero-width or look-alike characters cannot hide
a rule's words, and nothing a customer writes can switch a rule off. `matched` names the
rule, pattern or list word that fired, never the customer's own text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from shared.agent.frustration import Frustration, frustration
from shared.agent.reasons import ReasonCode
from shared.agent.rules import EscalationRules, PatternRule
from shared.agent.sentiment import sentiment

# Words on better_profanity's default list that are everyday words, names, identities or
# technical terms in a support conversation ("kill the sync", "penetration test", "naked
# domain", "Willy", "dummy data", "xxx-xxxx"), so they do not count as swearing; "_" joins
# the words of a phrase.
_EVERYDAY_WORDS = (
    "arian aryan asanchez breasts cow_girl cow_girls dog_style dong drunk dummy enlargement "
    "facial fat flange foobar gai gay gays god guido hemp heroin hiv hoare homey jack_off kill "
    "knob len lesbians lmao lmfao loin loins massa maxi murder nad naked napalm nappy niggle "
    "nipple nipples omg opium oral orally organ ovary paddy pastie pasty pawn penetrate "
    "penetration pms pollock pot pubic queer queers rectal reich revue rum sandbar seaman seamen "
    "semen sex sexual slave slope sniper spac sperm strip stroke stupid tampon testes testicle "
    "testis three_some thrust transsexual ugly unwed urinal urine uterus virgin vodka vomit "
    "vulgar wang weed weiner whiz willies willy womb woody xx xxx"
)
_NOT_SWEARING = frozenset(word.replace("_", " ") for word in _EVERYDAY_WORDS.split())
_SPLIT_ENTRY = re.compile(r"[\s._-]+")
_TOKEN = re.compile(r"[a-z0-9@$*!+]+")
_MODEL_NUMBER = re.compile(r"[a-z]+[0-9]+")  # "a55", "s3": a product, not leetspeak

# Letters written with look-alikes from other scripts (Cyrillic, Greek, small capitals):
# NFKC keeps them apart from Latin, so "refund" with a Cyrillic "e" (U+0435) would slip by.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһпАВЕКМНОРСТХУІЈЅαεικνορτυχγΑΒΕΖΗΙΚΜΝΟΡΤΥΧıɑᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ",
    "aeopcyxijsdqwhnABEKMHOPCTXYIJSaeikvoptuxyABEZHIKMNOPTYXiaabcdefghijklmnoprstuvwyz",
)
_HIDDEN = frozenset({"Cf", "Mn", "Me"})  # zero-width, bidi controls, soft hyphen, accents
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" ?\n\s*")
_WRAPPED = re.compile(r"\n(?=[a-z])")  # a line broken mid-sentence, as e-mail clients do
# "r e f u n d", "r.e.f.u.n.d", "s-h-i-t": three or more single characters spelled apart
_SPELLED_OUT = re.compile(r"(?<![^\W_])(?:[^\W_][ .\-_*·•/]){2,}[^\W_](?![^\W_])")
_SPELLING_GAPS = re.compile(r"[ .\-_*·•/]")
# "r3fund", "pr1ce", "l4wyer", "1awyer" read as letters for the rules; "sha256", "3rd",
# "300mb", "A55" and e-mail addresses stay as they are.
_WORD = re.compile(r"[a-z0-9@$]+(?:\.[a-z0-9@$]+)*", re.IGNORECASE)
_LEETSPEAK = re.compile(r"[a-z][0-9@$]+[a-z]|^[0-9@$][a-z]{3}", re.IGNORECASE)
_LEET = str.maketrans("013457@$", "oieastas")
_HAS_DIGIT_OR_SIGN = re.compile(r"[013457@$]")


@dataclass(frozen=True, slots=True)
class Assessment:
    """The guardrail's verdict on one message: `reason` is None when the agent may answer.

    `sentiment` is VADER's plain score (0..1, kept in agent_metrics for comparison);
    `frustration` is what the negative_sentiment rule reads, with its signals.
    """

    reason: ReasonCode | None
    sentiment: float
    frustration: Frustration
    matched: str | None = None

    @property
    def soft(self) -> bool:
        """Whether a model that reads the whole conversation may judge this case itself."""
        return self.reason == "negative_sentiment"


def assess(text: str, rules: EscalationRules) -> Assessment:
    """Apply the hard rules to one message (subject and body), first applicable reason wins."""
    plain = normalise(text)
    spelled = _SPELLED_OUT.sub(lambda m: _SPELLING_GAPS.sub("", m.group()), plain)
    unleeted = _WORD.sub(_unleet, spelled) if _HAS_DIGIT_OR_SIGN.search(spelled) else spelled
    score = sentiment(plain)
    upset = frustration(plain, rules.frustration)
    sentences = [s for variant in _distinct(plain, unleeted) for s in _sentences(variant)]
    for rule in rules.rules:
        matched = _rule_match(rule, sentences, rules.request_cues)
        if matched is not None:
            return Assessment(rule.reason, score, upset, f"{rule.reason}: {matched}")
    for variant in _distinct(plain, spelled):
        word = _swear_word(variant)
        if word is not None:
            return Assessment("profanity", score, upset, f"profanity: {word}")
    upper = sum(map(str.isupper, plain))
    letters = upper + sum(map(str.islower, plain))
    shout = rules.shouting
    if letters >= shout.min_letters and upper >= shout.uppercase_ratio * letters:
        return Assessment(
            "shouting", score, upset, f"shouting: {upper} of {letters} letters upper-case"
        )
    threshold = rules.frustration.threshold
    if upset.score >= threshold:
        return Assessment(
            "negative_sentiment",
            score,
            upset,
            f"frustration {upset.score:.2f} >= {threshold} ({upset.explain()})",
        )
    return Assessment(None, score, upset)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(text: str) -> list[str]:
    """The text cut after ., ! and ? and at line breaks: the unit a rule reads intent in."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _rule_match(
    rule: PatternRule, sentences: list[str], request_cues: tuple[re.Pattern[str], ...]
) -> str | None:
    """What made ``rule`` apply (its pattern, and the request cue if one was needed), or None."""
    for sentence in sentences:
        if any(mention.search(sentence) for mention in rule.mentions):
            continue
        for pattern in rule.patterns:
            if pattern.search(sentence):
                return pattern.pattern
        for word in rule.when_requested:
            if word.search(sentence):
                cue = next((c for c in request_cues if c.search(sentence)), None)
                if cue is not None:
                    return f"{word.pattern} with request {cue.pattern}"
    return None


def normalise(text: str) -> str:
    """Compatibility forms folded (NFKC), hidden marks dropped, look-alikes made Latin,
    runs of spaces collapsed. Line breaks stay, since patterns stop at them, unless the
    next line goes on in lower case ("talk to a\\nhuman" in a wrapped e-mail)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        kept = "".join(c for c in decomposed if unicodedata.category(c) not in _HIDDEN)
        text = unicodedata.normalize("NFKC", kept).translate(_LOOKALIKES)
    text = _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()
    return _WRAPPED.sub(" ", text)


def _unleet(word: re.Match[str]) -> str:
    text = word.group()
    return text.translate(_LEET) if "." not in text and _LEETSPEAK.search(text) else text


def _distinct(first: str, second: str) -> tuple[str, ...]:
    return (first,) if first == second else (first, second)


@dataclass(frozen=True, slots=True)
class _SwearList:
    by_shape: dict[str, tuple[tuple[str, ...], ...]]  # shape of an entry's first word -> entries
    shape: dict[int, str]  # str.translate table: every character to its look-alike class
    reads_as: dict[str, str]  # a written character -> itself and the letters it stands for


@cache
def _swear_list() -> _SwearList:
    """better_profanity's default list and its leetspeak table, read once on first use."""
    from better_profanity import profanity
    from better_profanity.utils import get_complete_path_of_file, read_wordlist

    reads_as: dict[str, str] = {"!": "!i", "+": "+t"}
    for letter, written in profanity.CHARS_MAPPING.items():
        for char in written:
            reads_as[char] = reads_as.get(char, char) + letter
    classes: dict[str, str] = {}  # characters that may stand for each other share a class
    for char, letters in reads_as.items():
        members = {char, *letters}.union(*(classes.get(c, c) for c in {char, *letters}))
        for member in members:
            classes[member] = "".join(sorted(members))
    shape = str.maketrans({char: members[0] for char, members in classes.items()})
    by_shape: dict[str, list[tuple[str, ...]]] = {}
    for entry in read_wordlist(get_complete_path_of_file("profanity_wordlist.txt")):
        words = tuple(word for word in _SPLIT_ENTRY.split(entry.lower()) if word)
        if words and " ".join(words) not in _NOT_SWEARING:
            by_shape.setdefault(words[0].translate(shape), []).append(words)
    return _SwearList({k: tuple(v) for k, v in by_shape.items()}, shape, reads_as)


def _swear_word(text: str) -> str | None:
    """The list word or phrase the text contains, leetspeak ("sh1t", "f*ck") included.

    Whole words only, as better_profanity does, so "Scunthorpe" or "class" never match.
    Unlike it, one dictionary look-up per word finds the candidates (words of the same shape
    once look-alikes are merged) instead of comparing every word with the whole list.
    """
    swears = _swear_list()
    tokens = [_forms(token) for token in _TOKEN.findall(text.lower())]
    for index, forms in enumerate(tokens):
        for form in forms:
            for entry in swears.by_shape.get(form.translate(swears.shape), ()):
                following = tokens[index + 1 : index + len(entry)]
                if (
                    _stands_for(form, entry[0], swears.reads_as)
                    and len(following) == len(entry) - 1
                    and all(
                        any(_stands_for(f, word, swears.reads_as) for f in later)
                        for word, later in zip(entry[1:], following, strict=True)
                    )
                ):
                    return " ".join(entry)
    return None


def _forms(token: str) -> tuple[str, ...]:
    """The token as written and without "!", "*", "+" around it; nothing for a number."""
    if not any(c.isalpha() for c in token):
        return ()
    stripped = token.strip("!*+")
    return (token, stripped) if stripped and stripped != token else (token,)


def _stands_for(written: str, word: str, reads_as: dict[str, str]) -> bool:
    """Whether `written` spells `word`, character by character ("sh1t" spells "shit").

    A model number such as "A55" or "S3" stands only for itself, not for a word."""
    if written == word:
        return True
    if len(written) != len(word) or _MODEL_NUMBER.fullmatch(written):
        return False
    return all(w == c or c in reads_as.get(w, w) for w, c in zip(written, word, strict=True))
