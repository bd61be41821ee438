"""Read and validate the YAML files shipped in personas/data, with errors that name file and field."""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.yaml_lines import safe_load as bounded_yaml

M = TypeVar("M", bound=BaseModel)


class PersonaDataError(ValueError):
    """A shipped persona data file is malformed; the message names the file and field to fix."""


def load_data_file(filename: str, model: type[M]) -> M:
    """Parse personas/data/<filename> into ``model``, naming the file and field when it is wrong."""
    path = resources.files("personas") / "data" / filename
    try:
        raw = bounded_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PersonaDataError(f"personas/data/{filename}: YAML syntax error: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise PersonaDataError(
            f"personas/data/{filename}: field '{field}': {first['msg']}; fix the file and retry"
        ) from exc
