"""The strict loader refuses a key given twice in any mapping at any depth (PyYAML keeps the
last one silently), and is otherwise PyYAML's safe loader."""

import pytest
import yaml

from tcd.loading.yamlfile import DuplicateKeyError, StrictLoader


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "outer:\n  inner: 1\n  inner: 2\n",
        "list:\n  - {x: 1, x: 2}\n",
        "base: &b {k: 1}\nother:\n  <<: *b\n  j: 1\n  j: 2\n",
    ],
    ids=["top", "nested", "in a list", "beside a merge key"],
)
def test_a_key_given_twice_is_refused_at_any_depth(text):
    with pytest.raises(DuplicateKeyError, match="appears twice"):
        yaml.load(text, Loader=StrictLoader)


def test_a_merged_key_given_again_is_not_a_duplicate():
    text = "base: &b {kind: tv, size_inch: 43}\nother:\n  <<: *b\n  size_inch: 55\n"
    assert yaml.load(text, Loader=StrictLoader) == yaml.safe_load(text)


def test_unknown_tags_are_still_refused():
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("a: !python/object:os.system x\n", Loader=StrictLoader)
