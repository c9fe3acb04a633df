"""Fill a Kompis task form in the browser the way a person does, from {field name: value}."""
from __future__ import annotations


def fill_form(page, data: dict) -> None:
    """Text, numbers and dates are typed; yes/no and choices are clicked; selects are chosen."""
    form = page.locator("form.task-form")
    for name, value in data.items():
        controls = form.locator(f'[name="{name}"]')
        kind = controls.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.endswith(":radio"):
            text = "true" if value is True else "false" if value is False else str(value)
            form.locator(f'input[name="{name}"][value="{text}"]').check()
        elif kind.endswith(":checkbox"):
            for item in value if isinstance(value, list) else [value]:
                form.locator(f'input[name="{name}"][value="{item}"]').check()
        elif kind.startswith("select"):
            controls.first.select_option(str(value))
        else:
            controls.first.fill(str(value))


def complete(page, data: dict, button: str = "Slutför") -> None:
    """Fill and submit; fail with the page's own field errors if the server refused the form."""
    fill_form(page, data)
    page.locator("form.task-form").get_by_role("button", name=button).click()
    page.wait_for_load_state()
    refused = page.locator(".has-error")
    if refused.count():
        details = [f"{el.get_attribute('data-field')}: {el.locator('.form-error').inner_text()}"
                   for el in refused.all()]
        raise AssertionError(f"the form was refused: {details}")
