"""cannery: tell whether a customer-service reply is canned.

A thin layer over the Rust crate: `Index` holds a brand's past replies (and, by default, the
built-in stock corpus), `Index.score` scores one draft and returns a plain dict,
`Index.score_many` and `Index.score_frame` score many drafts in parallel with the GIL released,
and `cannery.spark` runs the same on PySpark. Every score is the crate's, equal to what the
`cannery` command gives on the same rows; spans are Python string offsets.

>>> import cannery
>>> report = cannery.Index.stock().score(
...     "Thank you for your message. You can find our policies by clicking this link.")
>>> report["verdict"]
'canned'
"""

from ._cannery import MAX_INPUT_BYTES, CanneryError, Index, __version__

__all__ = ["Index", "CanneryError", "MAX_INPUT_BYTES", "__version__"]
