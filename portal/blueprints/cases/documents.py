"""The routes of the case documents (portal/web/documents.py renders them): each form of a
case as PDF for the staff who may see the case, the archive dossier, the month's 汇总清单,
and the enterprise's two forms (受理登记表, 服务反馈评价单). The office and the workbench
register the staff's beside their case pages, the enterprise portal its own two.

A case is loaded exactly as its page loads it (`load_case`: outside the user's scope it is
404), and every download is audited like a view of the case, as an export (Shantou 五(一)
"对企业问题诉求信息……负有保密义务"; DOMAIN.md Confidentiality "every export and view of a case
is recorded").
"""

from __future__ import annotations

from flask_login import current_user

from portal.domain.ledger import month_range
from portal.domain.models import Role
from portal.extensions import db, limiter
from portal.web import documents
from portal.web.auditing import audit_request
from portal.web.guards import requires
from portal.web.loading import load_case
from portal.web.months import month_in_query
from portal.web.pdf import pdf_response

EXPORT = "export"
# A PDF costs a second of CPU: each signed-in user may ask for this many a minute, in all.
PDF_LIMIT = limiter.shared_limit(
    "60 per minute", scope="documents", key_func=lambda: f"user:{current_user.get_id()}"
)


def _document_view(document: documents.Document, *, for_enterprise: bool):
    def view(number: str):
        case = load_case(number, current_user, action=EXPORT, detail=document.key)
        data = documents.document_pdf(
            case, document, for_enterprise=for_enterprise, viewer=current_user
        )
        return pdf_response(data, f"{document.title}{case.number}.pdf")

    view.__name__ = f"document_{document.key}"
    view.__doc__ = f"{document.title} of one case, as PDF."
    return view


def register_staff(bp, *roles: Role) -> None:
    """Every form of a case, its dossier and the month's summary list, on `bp` (the office
    or the workbench), for the roles that see its case pages."""
    for document in documents.DOCUMENTS:
        bp.add_url_rule(
            f"/cases/<case_number:number>/{document.slug}.pdf",
            endpoint=f"document_{document.key}",
            view_func=requires(*roles)(PDF_LIMIT(_document_view(document, for_enterprise=False))),
        )

    @bp.get("/cases/<case_number:number>/dossier.pdf")
    @requires(*roles)
    @PDF_LIMIT
    def dossier(number: str):
        case = load_case(number, current_user, action=EXPORT, detail="dossier")
        return pdf_response(
            documents.dossier_pdf(case, current_user),
            f"{documents.DOSSIER_TITLE}{case.number}.pdf",
            download=True,
        )

    @bp.get("/summary-list.pdf")
    @requires(*roles)
    @PDF_LIMIT
    def summary_list():
        """汇总清单 (Haimen 附件2) of the cases received in a month that the user may see."""
        year, month, _error = month_in_query()
        first, last = month_range(year, month)
        cases = documents.summary_cases(current_user, first, last)
        period = f"{year}年{month}月"
        audit_request(
            EXPORT,
            object_type="summary_list",
            object_id=f"{year}-{month:02d}",
            result="ok",
            detail=f"{len(cases)} rows: " + " ".join(c.number for c in cases),
        )
        db.session.commit()
        return pdf_response(
            documents.summary_pdf(current_user, cases, period),
            f"{documents.SUMMARY_TITLE}{period}.pdf",
            download=True,
        )


def register_enterprise(bp) -> None:
    """The forms the enterprise may have of its own case: 受理登记表 and 服务反馈评价单."""
    for document in documents.DOCUMENTS:
        if document.for_enterprise:
            bp.add_url_rule(
                f"/cases/<case_number:number>/{document.slug}.pdf",
                endpoint=f"document_{document.key}",
                view_func=requires(Role.ENTERPRISE)(
                    PDF_LIMIT(_document_view(document, for_enterprise=True))
                ),
            )
