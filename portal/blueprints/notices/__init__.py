from flask import Blueprint

bp = Blueprint("notices", __name__)


@bp.app_context_processor
def _unread():
    """`unread_notices()` for the header: one count, only when a page asks for it."""
    from flask_login import current_user

    from portal.domain.notify import unread_count
    from portal.extensions import db

    def unread_notices() -> int:
        return unread_count(db.session, current_user) if current_user.is_authenticated else 0

    return {"unread_notices": unread_notices}


from portal.blueprints.notices import views  # noqa: E402,F401  (routes register on import)
