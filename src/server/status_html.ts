/**
 * The status page at `/`: {@linkcode StatusData} as one small server-rendered HTML5 document, with inline
 * CSS and no JavaScript, so it works in any browser, `curl` and a text browser. Every dynamic string goes
 * through {@linkcode escapeHtml}, the one escape function (a target name, label or URL comes from a config
 * file or an upstream's error message, and must never become markup).
 *
 * The DOM is a contract (docs/OPERATIONS.md, "Status page"; a headless-browser test reads it):
 * `table#targets` with one `tr[data-target]` per target and the cells `td.name`, `td.url`, `td.labels`,
 * `td.up` (`up`, `down` or `never scraped`), `td.last-scrape`, `td.duration`, `td.series-read`,
 * `td.series-written`, `td.last-error` and `td.last-success`; `section#config`; `section#modules` with one
 * `form.probe[data-module]` per module.
 *
 * @module
 */

import type { ModuleView, StatusData, TargetView } from "./status.ts";
import { STATUS_API_PATH } from "./status.ts";

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values: `&`, `<`, `>`, `"`
 * and `'`.
 */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Where the page may load from: nothing but its own inline style, and forms only to itself. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The status page as a Response. */
export function statusPage(data: StatusData): Response {
  return new Response(statusHtml(data), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": CONTENT_SECURITY_POLICY,
    },
  });
}

/** The status page's HTML. */
export function statusHtml(data: StatusData): string {
  const metrics = escapeHtml(data.telemetryPath);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prom-exporter</title>
<style>${STYLE}</style>
</head>
<body>
<h1>prom-exporter</h1>
<p>Version ${escapeHtml(data.version)} · status at ${escapeHtml(data.generatedAt)}</p>
<nav><a href="${metrics}">Metrics</a> · <a href="${STATUS_API_PATH}">Status as JSON</a> · <a href="/-/healthy">Health</a> · <a href="/-/ready">Ready</a></nav>
<section id="targets-section">
<h2>Targets</h2>
${targetsTable(data.targets)}
</section>
${configSection(data)}
${modulesSection(data.modules)}
</body>
</html>
`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.5em 0 .5em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.url,td.labels,td.last-error{word-break:break-all}code{font-size:.95em}
td[data-state=up]{background:#e3f6e3}td[data-state=down]{background:#fbe3e3}td[data-state=never]{color:#777}
td.duration,td.series-read,td.series-written{text-align:right}
form.probe{margin:.3em 0}form.probe input[type=text]{width:28em;max-width:100%}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
`.trim();

function targetsTable(targets: readonly TargetView[]): string {
  if (targets.length === 0) return `<p>No static targets.</p>`;
  const rows = targets.map(targetRow).join("\n");
  return `<table id="targets">
<thead><tr><th>Name</th><th>URL</th><th>Labels</th><th>State</th><th>Last scrape</th><th>Duration (s)</th><th>Series read</th><th>Series written</th><th>Last error</th><th>Last success</th><th>Scrape now</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function targetRow(t: TargetView): string {
  const name = escapeHtml(t.name);
  const state = t.health === "never scraped" ? "never" : t.health;
  const labels = Object.entries(t.labels).map(([k, v]) => `<code>${escapeHtml(`${k}="${v}"`)}</code>`).join(
    " ",
  );
  const error = t.lastError === null ? "" : escapeHtml(`${t.lastError.reason}: ${t.lastError.message}`);
  const http = t.http === null ? "" : ` title="${escapeHtml(t.http)}"`;
  return `<tr data-target="${name}">` +
    `<td class="name">${name}</td>` +
    `<td class="url"${http}><code>${escapeHtml(t.url)}</code></td>` +
    `<td class="labels">${labels}</td>` +
    `<td class="up" data-state="${state}">${escapeHtml(t.health)}</td>` +
    `<td class="last-scrape">${time(t.lastScrape)}</td>` +
    `<td class="duration">${t.durationSeconds === null ? "" : t.durationSeconds.toFixed(3)}</td>` +
    `<td class="series-read">${count(t.seriesRead)}</td>` +
    `<td class="series-written">${count(t.seriesWritten)}</td>` +
    `<td class="last-error">${error}</td>` +
    `<td class="last-success">${time(t.lastSuccess)}</td>` +
    `<td class="links"><a href="${escapeHtml(t.links.metrics)}">metrics</a> · ` +
    `<a href="${escapeHtml(t.links.debug)}">debug</a></td></tr>`;
}

function configSection(data: StatusData): string {
  const { file, lastReload, lastReloadSuccessful, lastAttempt, lastError } = data.config;
  const result = lastReloadSuccessful
    ? "success"
    : `failed at ${time(lastAttempt)}: ${escapeHtml(lastError ?? "")} (the previous config is still serving)`;
  return `<section id="config">
<h2>Configuration</h2>
<dl>
<dt>Config file</dt><dd class="config-file">${
    file === null ? "none (flags only)" : `<code>${escapeHtml(file)}</code>`
  }</dd>
<dt>Last successful load</dt><dd class="last-reload">${time(lastReload)}</dd>
<dt>Last reload result</dt><dd class="reload-result">${result}</dd>
</dl>
</section>`;
}

function modulesSection(modules: readonly ModuleView[]): string {
  const forms = modules.map((m) => {
    const name = escapeHtml(m.name);
    const http = m.http === null ? "" : ` <small>${escapeHtml(m.http)}</small>`;
    return `<form class="probe" data-module="${name}" method="get" action="/probe">` +
      `<input type="hidden" name="module" value="${name}">` +
      `<strong>${name}</strong>${http} ` +
      `<label>Target <input type="text" name="target" required placeholder="https://host:port/path"></label> ` +
      `<label><input type="checkbox" name="debug" value="true"> debug</label> ` +
      `<button type="submit">Probe</button></form>`;
  }).join("\n");
  return `<section id="modules">
<h2>Probe modules</h2>
${modules.length === 0 ? "<p>No modules.</p>" : forms}
</section>`;
}

function time(iso: string | null): string {
  return iso === null ? "" : `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso)}</time>`;
}

function count(n: number | null): string {
  return n === null ? "" : String(n);
}
