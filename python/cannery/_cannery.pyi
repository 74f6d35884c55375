"""Type stubs of the Rust extension module (the docstrings are the extension's own)."""

import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, TypedDict, Union

import pandas

__version__: str
MAX_INPUT_BYTES: int

_Path = Union[str, "os.PathLike[str]"]

class CanneryError(Exception):
    """An error from cannery; `kind` is "io", "foreign", "version", "corrupt" or "invalid_input"."""

    kind: str

class Span(TypedDict):
    start: int
    end: int
    text: str
    support: int
    stock: bool
    example: Optional[str]

class Neighbour(TypedDict):
    id: str
    similarity: float
    count: int
    text: str

class TemplateMatch(TypedDict):
    id: int
    text: str
    similarity: float
    count: int
    name: Optional[str]

class Report(TypedDict):
    canned: float
    personalisation: float
    verdict: str
    language: Optional[str]
    mode: str
    spans: list[Span]
    nearest: list[Neighbour]
    template: Optional[TemplateMatch]
    truncated: bool
    left_out: bool
    signals: dict[str, Any]

class Template(TypedDict):
    id: int
    text: str
    count: int
    share: float
    variants: int
    examples: list[str]
    groups: list[Tuple[str, int]]
    name: Optional[str]
    first_seen: Optional[int]
    last_seen: Optional[int]

class Index:
    def __init__(
        self,
        replies: Union[Iterable[Mapping[str, Any]], "pandas.DataFrame", None] = None,
        *,
        id: str = "id",
        text: str = "text",
        group: Optional[str] = "brand",
        message: Optional[str] = "in_reply_to_text",
        time: Optional[str] = None,
        stock_corpus: bool = True,
        threads: int = 1,
    ) -> None: ...
    @staticmethod
    def stock() -> "Index": ...
    @staticmethod
    def load(path: _Path) -> "Index": ...
    @staticmethod
    def from_bytes(data: bytes) -> "Index": ...
    def save(self, path: _Path) -> None: ...
    def to_bytes(self) -> bytes: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str) -> bool: ...
    def ids(self) -> list[str]: ...
    @property
    def verdict_thresholds(self) -> Tuple[float, float]: ...
    def set_verdict_thresholds(self, canned_at: float, personal_at: float) -> None: ...
    def insert(
        self,
        id: str,
        text: str,
        *,
        group: Optional[str] = None,
        message: Optional[str] = None,
        time: Any = None,
    ) -> None: ...
    def merge(self, other: "Index") -> None: ...
    def templates(self, min_support: int = 2) -> list[Template]: ...
    def template_ids(self, min_support: int = 2) -> list[Optional[int]]: ...
    def score(
        self,
        text: str,
        message: Optional[str] = None,
        name: Optional[str] = None,
        group: Optional[str] = None,
        *,
        exclude_id: Optional[str] = None,
    ) -> Report: ...
    def score_many(
        self,
        texts: Iterable[str],
        messages: Optional[Iterable[Optional[str]]] = None,
        names: Optional[Iterable[Optional[str]]] = None,
        groups: Optional[Iterable[Optional[str]]] = None,
        ids: Optional[Iterable[Union[str, int, None]]] = None,
        *,
        exclude_self: bool = False,
        threads: int = 0,
    ) -> list[Report]: ...
    def score_frame(
        self,
        frame: "pandas.DataFrame",
        *,
        text: str = "text",
        message: Optional[str] = None,
        name: Optional[str] = None,
        id: Optional[str] = None,
        group: Optional[str] = None,
        exclude_self: bool = False,
        threads: int = 0,
    ) -> "pandas.DataFrame": ...

__all__: Sequence[str]
