/**
 * The demo's self-contained HTML report: text, tables and the SVG figures inline, no scripts, no
 * external resources.
 */

/** A section of the report. */
export interface ReportSection {
  readonly title: string;
  /** Paragraphs (plain text; escaped). */
  readonly text?: readonly string[];
  /** A table: header and rows (plain text; escaped). */
  readonly table?: { readonly header: readonly string[]; readonly rows: readonly (readonly (string | number)[])[] };
  /** SVG figures, inlined as they are, each with a caption. */
  readonly figures?: readonly { readonly svg: string; readonly caption: string }[];
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `body{font:15px/1.5 Helvetica,Arial,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0;display:inline-block;vertical-align:top}figcaption{font-size:.9em;color:#555;max-width:520px}
.summary{background:#f6f8fa;border:1px solid #dde;padding:.6em 1em}code{background:#f2f2f2;padding:0 .2em}`;

/** The whole page. */
export function renderReport(title: string, summary: readonly string[], sections: readonly ReportSection[]): string {
  const body = sections.map((s) => {
    const parts = [`<h2>${escapeHtml(s.title)}</h2>`];
    for (const p of s.text ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
    if (s.table !== undefined) {
      parts.push(
        `<table><thead><tr>${s.table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${s.table.rows
          .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    }
    for (const f of s.figures ?? []) parts.push(`<figure>${f.svg}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`);
    return `<section>${parts.join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<div class="summary">${summary.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</div>
${body.join('\n')}
</body></html>
`;
}
