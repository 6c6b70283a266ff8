"""Paginators: objects that know where the next page starts and when to stop.

Shaped after meltano's ``BaseAPIPaginator``: ``current`` is the token for the
next request, ``advance(page)`` moves on, ``finished`` says stop. A paginator
that is handed the same token twice raises instead of looping forever.

- ``OffsetPaginator``: 1-based start position + page size (QuickBooks
  ``STARTPOSITION``/``MAXRESULTS``). A short or empty page ends the scan.
- ``CursorPaginator``: an opaque next-page token from the response
  (Business Central ``@odata.nextLink``, Intacct ``resultId``); no token ends it.

``paginate(fetch, paginator)`` drives either one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

from billpay.sync.ports import ConnectorError

Item = TypeVar("Item")
Token = TypeVar("Token")


@dataclass
class Page(Generic[Item]):
    """One page as fetched: its items, the raw body, and the next-page token if any."""

    items: Sequence[Item]
    body: Any = None
    next_token: Any = None


class PaginationLoopError(ConnectorError):
    """The platform handed back a page token it had already given (a loop)."""

    def __init__(self, token: object) -> None:
        super().__init__(
            "platform_pagination_loop",
            "The accounting platform returned the same page twice; billpay stopped reading to "
            "avoid an endless loop. Please try the sync again later.",
            kind="transient",
            raw={"token": repr(token)},
        )


class BaseAPIPaginator(Generic[Token]):
    """Override point: subclass and implement ``next_token`` (and ``has_more`` if needed)."""

    def __init__(self, start: Token) -> None:
        self.current: Token = start
        self.finished = False
        self.pages = 0
        self._seen: set[Any] = {start} if start is not None else set()

    def has_more(self, page: Page) -> bool:
        """Whether another page should be requested after ``page``."""
        return self.next_token(page) is not None

    def next_token(self, page: Page) -> Token | None:
        """The token for the page after ``page``; None when there is none."""
        raise NotImplementedError

    def advance(self, page: Page) -> None:
        self.pages += 1
        if not self.has_more(page):
            self.finished = True
            return
        token = self.next_token(page)
        if token is None:
            self.finished = True
            return
        if token in self._seen:
            raise PaginationLoopError(token)
        self._seen.add(token)
        self.current = token


class OffsetPaginator(BaseAPIPaginator[int]):
    """1-based offsets: stop after a page shorter than ``page_size`` (including empty)."""

    def __init__(self, page_size: int, start: int = 1) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        super().__init__(start)
        self.page_size = page_size

    def has_more(self, page: Page) -> bool:
        return len(page.items) >= self.page_size

    def next_token(self, page: Page) -> int | None:
        return self.current + self.page_size


class CursorPaginator(BaseAPIPaginator[Any]):
    """Opaque next-page tokens taken from ``Page.next_token``."""

    def __init__(self) -> None:
        super().__init__(None)

    def next_token(self, page: Page) -> Any:
        return page.next_token


@dataclass
class PaginationStats:
    pages: int = 0
    items: int = 0
    first_body: Any = field(default=None, repr=False)


def paginate(
    fetch: Callable[[Any], Page[Item]],
    paginator: BaseAPIPaginator,
    *,
    max_pages: int = 100_000,
    stats: PaginationStats | None = None,
) -> Iterator[Item]:
    """Yield every item of every page; ``fetch(token)`` returns one ``Page``."""
    while not paginator.finished:
        if paginator.pages >= max_pages:
            raise PaginationLoopError(f"more than {max_pages} pages")
        page = fetch(paginator.current)
        if stats is not None:
            if stats.pages == 0:
                stats.first_body = page.body
            stats.pages += 1
            stats.items += len(page.items)
        yield from page.items
        paginator.advance(page)
