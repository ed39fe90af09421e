"""Draws a paper (minutes, resolution) as DOCX and PDF from the same fields.

DOCX: a Word template under templates/ (built by templates/make_templates.py) filled with
docxtpl, so that a secretary can still edit it, and a committee can bring its own. PDF: the HTML
template beside it rendered by WeasyPrint with DejaVu Serif embedded (it covers every Vietnamese
letter; the PDF prints the same on any machine).

Heavy (docxtpl and WeasyPrint take about a second to import): handlers import this module inside
the function that needs it, never at start-up; drawing runs in a thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from weasyprint import HTML

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def write_docx(fields: dict[str, Any], template: Path, path: Path) -> None:
    document = DocxTemplate(str(template))
    document.render(fields, autoescape=True)  # user text with & or < stays text
    document.save(str(path))


def write_pdf(fields: dict[str, Any], html_template: Path, path: Path) -> None:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(html_template.parent)), autoescape=True)
    html = environment.get_template(html_template.name).render(**fields)
    HTML(string=html, base_url=str(html_template.parent)).write_pdf(str(path))


def draw(fields: dict[str, Any], name: str, docx: Path, pdf: Path, template: Path | None = None) -> None:
    """Write both files of paper `name` ("bien_ban", "nghi_quyet"); `template` replaces the DOCX one."""
    write_docx(fields, template or TEMPLATES / f"{name}.docx", docx)
    write_pdf(fields, TEMPLATES / f"{name}.html", pdf)
