"""The API documentation page renders the OpenAPI document with Swagger UI from npm (no CDN, CSP intact)."""
from __future__ import annotations

from playwright.sync_api import expect


def test_api_docs_page_lists_the_operations(live_server, page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_text("Kompis API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/tasks/{task_id}/complete")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
