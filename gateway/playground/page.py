"""The playground page, rendered on the server: plain HTML with every value escaped, one stylesheet
and one script from the gateway's own static route (no build step, no external URL)."""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable
from html import escape

from gateway.toolkit.samples import Sample

__all__ = ["STATIC_FILES", "render_page", "static_file"]

# The only files the static route serves, with their media types.
STATIC_FILES = {"playground.js": "text/javascript; charset=utf-8", "playground.css": "text/css; charset=utf-8"}


@functools.cache
def static_file(name: str) -> bytes:
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (importlib.resources.files("gateway.playground") / "static" / name).read_bytes()


def _options(values: Iterable[str], selected: str) -> str:
    return "".join(f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(value)}</option>'
                   for value in values)


def _sample_options(samples: list[Sample]) -> str:
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.format, []).append(sample)
    parts = ['<option value="">(paste your own message)</option>']
    for name, members in groups.items():
        options = "".join(f'<option value="{escape(sample.path)}">{escape(sample.case.input.name)}</option>'
                          for sample in members)
        parts.append(f'<optgroup label="{escape(name)}">{options}</optgroup>')
    return "".join(parts)


def render_page(samples: list[Sample], sources: Iterable[str], default_source: str, default_version: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nordgate playground</title>
<link rel="stylesheet" href="/playground/static/playground.css">
<script src="/playground/static/playground.js" defer></script>
</head>
<body>
<header><h1>nordgate playground</h1>
<p>Try a booking message: see the FHIR it becomes, where every code came from, and how it compares with
a sample's expected output. Nothing is stored.</p></header>
<main>
<form id="preview-form">
  <div class="row">
    <label for="sample">Sample <span class="hint">({len(samples)} under samples/)</span></label>
    <select id="sample" name="sample">{_sample_options(samples)}</select>
  </div>
  <div class="row">
    <label for="message">Message (crm:scheduling or Elvis XML, Norwegian group-appointment JSON)</label>
    <textarea id="message" name="message" rows="11" spellcheck="false" required></textarea>
  </div>
  <div class="row inline">
    <label for="source">Source</label>
    <select id="source" name="source">{_options(sorted(sources), default_source)}</select>
    <label for="fhir-version">FHIR version</label>
    <select id="fhir-version" name="fhirVersion">{_options(["4.0", "5.0"], default_version)}</select>
    <button type="submit" id="run">Run preview</button>
  </div>
  <p id="given" class="hint" hidden></p>
</form>
<section id="result" aria-live="polite" hidden>
  <h2>Result <span id="format" class="badge"></span></h2>
  <div id="outcome" class="outcome" role="alert" hidden>
    <p><strong>Refused: HTTP <span id="outcome-status"></span></strong>
       <code id="outcome-code"></code></p>
    <p id="outcome-text"></p>
    <p class="hint">at <code id="outcome-location"></code></p>
  </div>
  <div id="summary"></div>
  <div id="comparison" hidden>
    <h3>Compared with the expected file</h3>
    <p id="comparison-summary"></p>
    <ul id="differences"></ul>
  </div>
  <details id="trace-box" open>
    <summary><h3>Trace: where each code and identifier came from</h3></summary>
    <table id="trace">
      <thead><tr><th scope="col">Resource</th><th scope="col">FHIR path</th><th scope="col">Value</th>
        <th scope="col">From (message)</th><th scope="col">By</th></tr></thead>
      <tbody></tbody>
    </table>
  </details>
  <details id="fhir-box" open>
    <summary><h3>FHIR output</h3></summary>
    <pre id="fhir"></pre>
  </details>
</section>
</main>
</body>
</html>
"""
