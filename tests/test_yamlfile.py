"""The strict loader builds what PyYAML's safe loader builds (its direct walk of the nodes must
not change a value), refuses duplicate keys at any depth, and leaves the rest to PyYAML."""

import datetime as dt

import pytest
import yaml

from tcd.loading.yamlfile import DuplicateKeyError, StrictLoader

SAME_AS_SAFE_LOAD = {
    "scalars": "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '07:00'\ng: 07:00\nh: 0x1F\ni: 1_000\n"
    "j: 2025-10-09\nk: 2025-10-09 08:30:00\nl: yes\nm: ''\nn: '1'\no: .inf\n",
    "nesting": "pcs:\n  - count: 2\n    os: Debian 12\n  - {count: 1, ram_gb: 8}\nempty: []\n",
    "aliases": "base: &b {kind: tv, size_inch: 55}\ncopies: [*b, *b]\n",
    "merge keys": "base: &b {kind: tv}\nother:\n  <<: *b\n  size_inch: 43\n",
    "keys of every kind": "1: one\ntrue: yes\n2025-01-01: date\nnull: nothing\n",
    "a list at the top": "- 1\n- two\n",
    "explicit tags": "a: !!str 12\nb: !!int '12'\nc: !!set {x, y}\n",
}


@pytest.mark.parametrize("text", SAME_AS_SAFE_LOAD.values(), ids=SAME_AS_SAFE_LOAD.keys())
def test_builds_what_safe_load_builds(text):
    assert yaml.load(text, Loader=StrictLoader) == yaml.safe_load(text)


def test_aliases_are_the_same_object_as_with_pyyaml():
    data = yaml.load("base: &b [1]\ncopies: [*b, *b]\n", Loader=StrictLoader)
    assert data["copies"][0] is data["copies"][1] is data["base"]
    assert isinstance(yaml.load("d: 2025-10-09", Loader=StrictLoader)["d"], dt.date)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "outer:\n  inner: 1\n  inner: 2\n",
        "list:\n  - {x: 1, x: 2}\n",
        "base: &b {k: 1}\nother:\n  <<: *b\n  j: 1\n  j: 2\n",  # the merge path, too
    ],
)
def test_a_key_given_twice_is_refused_at_any_depth(text):
    with pytest.raises(DuplicateKeyError, match="appears twice"):
        yaml.load(text, Loader=StrictLoader)


def test_unknown_tags_are_still_refused():
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("a: !python/object:os.system x\n", Loader=StrictLoader)
