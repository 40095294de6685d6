"""``/support/v1/solutions/search`` (recommended solutions) and ``/support/v1/articles/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext, get_context, get_session
from m365bridge.cloud.knowledge import service
from m365bridge.cloud.knowledge.access import Caller, authenticate
from m365bridge.cloud.knowledge.ratelimit import RateLimiter
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.cloud.knowledge.schemas import ArticleOut, SolutionOut, SolutionSearch, SolutionsOut
from m365bridge.shared.errors import NotFound

router = APIRouter(prefix="/support/v1", tags=["recommended solutions"])
LIMITER_KEY = "knowledge.rate_limiter"


def caller(
    request: Request,
    context: CloudContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
    authorization: str | None = Header(None),
) -> Caller:
    """Authenticate, then count the call against the caller's rate limit (per tenant or per address)."""
    who = authenticate(context, session, authorization)
    limiter: RateLimiter = context.extras.setdefault(LIMITER_KEY, RateLimiter())
    settings = context.settings
    if who.public_only:
        address = request.client.host if request.client else "unknown"
        limiter.hit(f"address:{address}", settings.solutions_public_rate_limit)
    else:
        limiter.hit(f"tenant:{who.tenant_id}", settings.solutions_tenant_rate_limit)
    return who


def _search(context: CloudContext, session: Session, who: Caller, text: str, top: int) -> SolutionsOut:
    solutions = service.recommend(context, session, text, top=top, tenant_id=who.tenant_id)
    return SolutionsOut(
        value=[SolutionOut(**vars(solution)) for solution in solutions], public_only=who.public_only
    )


@router.post("/solutions/search", response_model=SolutionsOut)
def search_solutions(
    body: SolutionSearch,
    who: Caller = Depends(caller),
    context: CloudContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> SolutionsOut:
    """Recommended articles for an incident's text, best first."""
    return _search(context, session, who, body.text, body.top)


@router.get("/solutions/search", response_model=SolutionsOut)
def search_solutions_get(
    q: str = Query(min_length=1, max_length=4000),
    top: int = Query(10, ge=1, le=50),
    who: Caller = Depends(caller),
    context: CloudContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
) -> SolutionsOut:
    """The same search as the POST form, for a search box."""
    return _search(context, session, who, q, top)


@router.get("/articles/{article_id:path}", response_model=ArticleOut)
def get_article(
    article_id: str,
    context: CloudContext = Depends(get_context),
    session: Session = Depends(get_session, scope="function"),
    authorization: str | None = Header(None),
) -> ArticleOut:
    """One article; a tenant's private article only for that tenant's token."""
    who = authenticate(context, session, authorization)
    article = ArticleRepository(session).get(article_id)
    own = who.tenant_id is not None and article is not None and article.tenant_id == who.tenant_id
    if article is None or not (article.public or own):
        raise NotFound(f"no article {article_id!r}; search /support/v1/solutions/search for one")
    return ArticleOut(
        id=article.id,
        title=article.title,
        description=article.description,
        body=article.body,
        services=article.services,
        link=service.article_link(context, article.id, article.source_url),
        attribution=article.attribution,
        public=article.public,
        updated_at=article.updated_at,
    )
