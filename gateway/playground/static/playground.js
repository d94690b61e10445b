// nordgate playground: plain JavaScript, no libraries. Every value from a message or an answer is
// shown with textContent, never parsed as HTML: messages are untrusted.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let picked = null; // the details of the chosen sample: {path, name, options, expected}

  function show(element, visible) { element.hidden = !visible; }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // Long paths may wrap after "/" and "." (a zero-width space), not in the middle of a name.
  function breakable(text) { return text.replace(/([/.])/g, "$1\u200b"); }

  function valueText(value) {
    if (value === null || typeof value !== "object") return String(value);
    const code = value.code !== undefined ? value.code : value.value;
    const display = value.display ? " (" + value.display + ")" : "";
    return value.system + " | " + code + display;
  }

  function byText(by) {
    const parts = [];
    if (by.conceptMap) parts.push("ConceptMap " + by.conceptMap + " " + by.entry + (by.kept ? " (" + by.kept + ")" : ""));
    if (by.identifierSystem) parts.push("identifier system " + by.identifierSystem + " in " + by.table);
    if (by.namingSystem) parts.push("NamingSystem " + by.namingSystem + " (" + by.declared + ")");
    if (by.codeSystem) parts.push("CodeSystem " + by.codeSystem + " (" + by.declared + ")");
    if (by.rule) parts.push("rule: " + by.rule);
    return parts.join("; ");
  }

  function showTrace(trace) {
    const body = $("trace").querySelector("tbody");
    body.replaceChildren();
    for (const entry of trace) {
      const row = document.createElement("tr");
      // "Appointment/331504a8…": the whole id is in the tooltip; the table stays readable.
      const [type, id] = entry.resource.split("/");
      cell(row, type + "/" + (id || "").slice(0, 8) + "…").title = entry.resource;
      cell(row, breakable(entry.path), "mono");
      cell(row, valueText(entry.value), "mono");
      cell(row, breakable(entry.source || ""), "mono");
      cell(row, byText(entry.by || {}));
      body.appendChild(row);
    }
  }

  function showSummary(bundle) {
    const summary = $("summary");
    summary.replaceChildren();
    const list = document.createElement("ul");
    for (const item of bundle.entry || []) {
      const resource = item.resource || {};
      const li = document.createElement("li");
      li.className = "resource";
      li.textContent = resource.resourceType + "/" + resource.id;
      if (resource.status || resource.participantStatus) {
        const status = document.createElement("span");
        status.className = "status";
        status.textContent = "status: " + (resource.status || resource.participantStatus);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(status);
      }
      list.appendChild(li);
    }
    summary.appendChild(list);
  }

  function showOutcome(status, outcome) {
    const issue = (outcome.issue || [])[0] || {};
    const coding = ((issue.details || {}).coding || [])[0] || {};
    $("outcome-status").textContent = String(status) + " " + (issue.code || "");
    $("outcome-code").textContent = coding.code || "";
    $("outcome-text").textContent = (issue.details || {}).text || issue.diagnostics || "";
    $("outcome-location").textContent = (issue.location || []).join(", ") || "(whole message)";
    show($("outcome"), true);
  }

  async function compare(actual) {
    const box = $("comparison");
    if (!picked) { show(box, false); return; }
    const answer = await fetch("/playground/compare", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({sample: picked.path, actual: actual}),
    });
    const result = await answer.json();
    const list = $("differences");
    list.replaceChildren();
    if (!answer.ok) {
      $("comparison-summary").textContent = "could not compare: " + answer.status;
    } else if (result.passed) {
      $("comparison-summary").textContent = "No differences against " + picked.name.replace(/\.(xml|json)$/, "") + ".expected.json";
      $("comparison-summary").className = "ok";
    } else {
      $("comparison-summary").textContent = result.differences.length + " difference(s) against the expected file:";
      $("comparison-summary").className = "bad";
      for (const difference of result.differences) {
        const li = document.createElement("li");
        li.className = "mono";
        li.textContent = difference.text;
        list.appendChild(li);
      }
    }
    show(box, true);
  }

  async function run(event) {
    event.preventDefault();
    const button = $("run");
    button.disabled = true;
    const request = {message: $("message").value, source: $("source").value, fhirVersion: $("fhir-version").value};
    if (picked) {
      request.given = picked.options.given;
      request.name = picked.name;
    }
    try {
      const answer = await fetch("/preview/session", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(request),
      });
      const body = await answer.json();
      show($("result"), true);
      show($("outcome"), false);
      $("summary").replaceChildren();
      showTrace([]);
      if (answer.ok) {
        $("format").textContent = body.format;
        showSummary(body.bundle);
        showTrace(body.trace);
        $("fhir").textContent = JSON.stringify(body.bundle, null, 2);
        await compare(body.bundle);
      } else {
        $("format").textContent = "refused";
        showOutcome(answer.status, body);
        $("fhir").textContent = JSON.stringify(body, null, 2);
        await compare(body);
      }
    } catch (error) {
      show($("result"), true);
      showOutcome("(no answer)", {issue: [{details: {text: String(error)}}]});
    } finally {
      button.disabled = false;
    }
  }

  async function pick() {
    const path = $("sample").value;
    picked = null;
    show($("given"), false);
    if (!path) return;
    const answer = await fetch("/playground/samples/" + path.split("/").map(encodeURIComponent).join("/"));
    if (!answer.ok) return;
    picked = await answer.json();
    $("message").value = picked.message;
    $("source").value = picked.options.source;
    $("fhir-version").value = picked.options.fhirVersion;
    const given = picked.options.given.map((item) => item.name);
    $("given").textContent = given.length ? "Applied first (given): " + given.join(", ") : "";
    show($("given"), given.length > 0);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("preview-form").addEventListener("submit", run);
    $("sample").addEventListener("change", pick);
    // A message edited after picking a sample is still compared with that sample's expected file.
  });
})();
