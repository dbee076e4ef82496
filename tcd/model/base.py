"""The one base class every input model derives from."""

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """A piece of hand-edited input: a typo in a key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
