"""Helpers for the hosted Connect pages' tests: sessions made through the public API, and a
tiny browser that reads a page's forms and presses buttons by their visible label."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.connect.flow.flow import make_session

CALLBACK = "myapp://nova/flatpeak/complete"
LONDON = {
    "address_line1": "1 High Street",
    "city": "London",
    "post_code": "SW1A 1AA",
    "country_code": "GB",
}


def create_session(client, tenant, *, address: dict | None = None, callback=CALLBACK) -> str:
    """A Connect session (its token) for a new location; the location has only a city and
    country unless `address` is given, so the flow starts at the address page."""
    postal = address or {"city": "London", "country_code": "GB"}
    return make_session(client, tenant.test, postal, callback_url=callback)


@dataclass
class Button:
    label: str
    name: str | None
    value: str | None


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and filled-in values
    inputs: list[dict[str, str]] = field(default_factory=list)  # every non-hidden control
    buttons: list[Button] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}
        self._form: Form | None = None
        self._button: dict[str, Any] | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._select: str | None = None
        self.h1: list[str] = []
        self._in_h1 = False
        self._hidden: list[str] = []  # open aria-hidden elements: not part of a name

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if a.get("aria-hidden") == "true" or self._hidden:
            self._hidden.append(tag)
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get"))
            self.forms.append(self._form)
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "label":
            self._label_for, self._label_text = a.get("for"), []
        elif tag == "input" and self._form is not None:
            kind = a.get("type", "text")
            if kind == "hidden":
                self._form.fields[a["name"]] = a.get("value", "")
            else:
                self._form.inputs.append(a)
                if kind == "radio":
                    if "checked" in a:
                        self._form.fields[a["name"]] = a.get("value", "")
                else:
                    self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and self._form is not None:
            self._select = a["name"]
            self._form.inputs.append(a)
            self._form.fields.setdefault(a["name"], "")
        elif tag == "option" and self._form is not None and self._select and "selected" in a:
            self._form.fields[self._select] = a.get("value", "")
        elif tag == "button":
            self._button = {"name": a.get("name"), "value": a.get("value"), "text": []}

    def handle_endtag(self, tag):
        if self._hidden:
            self._hidden.pop()
        if tag == "form":
            self._form = None
        elif tag == "h1":
            self._in_h1 = False
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        elif tag == "select":
            self._select = None
        elif tag == "button" and self._button is not None:
            label = " ".join("".join(self._button["text"]).split())
            button = Button(label, self._button["name"], self._button["value"])
            if self._form is not None:
                self._form.buttons.append(button)
            self._button = None

    def handle_data(self, data):
        if self._hidden:
            return
        if self._button is not None:
            self._button["text"].append(data)
        if self._label_for is not None:
            self._label_text.append(data)
        if self._in_h1:
            self.h1[-1] += data


@dataclass
class Page:
    status: int
    html: str
    headers: Any
    forms: list[Form]
    labels: dict[str, str]  # input id -> its label's text
    h1: list[str]

    @classmethod
    def of(cls, response) -> Page:
        parser = _Parser()
        parser.feed(response.text)
        return cls(
            response.status_code,
            response.text,
            response.headers,
            parser.forms,
            parser.labels,
            [" ".join(h.split()) for h in parser.h1],
        )

    @property
    def route(self) -> str:
        routes = {form.fields.get("route") for form in self.forms} - {None}
        assert len(routes) == 1, routes
        return routes.pop()

    def field_for(self, label: str) -> str:
        """The name of the control whose label starts with `label`."""
        ids = [i for i, text in self.labels.items() if text.startswith(label)]
        assert len(ids) == 1, (label, self.labels)
        for form in self.forms:
            for control in form.inputs:
                if control.get("id") == ids[0]:
                    return control["name"]
        raise AssertionError(f"no control labelled {label!r}")

    def radio_value(self, label: str) -> tuple[str, str]:
        ids = [i for i, text in self.labels.items() if text == label]
        assert len(ids) == 1, (label, self.labels)
        for form in self.forms:
            for control in form.inputs:
                if control.get("id") == ids[0]:
                    return control["name"], control["value"]
        raise AssertionError(f"no radio labelled {label!r}")

    def button_labels(self) -> list[str]:
        return [button.label for form in self.forms for button in form.buttons]


def show(client, token: str, **params) -> Page:
    response = client.get("/connect/web", params={"fp_cot": token, **params})
    return Page.of(response)


def press(
    client,
    page: Page,
    label: str,
    *,
    fill: dict[str, str] | None = None,
    choose: str | None = None,
    headers=None,
):
    """Submit the form holding the button labelled `label`, with `fill` keyed by the fields'
    labels and the radio labelled `choose` checked. Answers the raw response."""
    for form in page.forms:
        for button in form.buttons:
            if button.label == label:
                data = dict(form.fields)
                for key, value in (fill or {}).items():
                    data[page.field_for(key)] = value
                if choose is not None:
                    name, option = page.radio_value(choose)
                    data[name] = option
                if button.name:
                    data[button.name] = button.value or ""
                return client.post(
                    form.action, data=data, headers=headers or {}, follow_redirects=False
                )
    raise AssertionError(f"no button {label!r} in {page.button_labels()}")


def follow(client, response) -> Page:
    """The page a 303 after a post leads to."""
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    location = response.headers["location"]
    assert location.startswith("/connect/web?"), location
    return Page.of(client.get(location))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def csp(page_or_response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    policy = page_or_response.headers["content-security-policy"]
    found = {}
    for part in policy.split(";"):
        name, _, sources = part.strip().partition(" ")
        found[name] = sources
    return found


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
