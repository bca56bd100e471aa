// `timeline -o html`: the Gantt SVG in one self-contained page (no scripts, no external assets).
import type { GanttModel } from "./gantt-model.js";
import { ganttSvg, headline } from "./gantt-svg.js";
import { escapeXml as x, formatDuration } from "./text.js";

const PAGE_STYLE = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;background:#fafafa}
header{padding:12px 16px;border-bottom:1px solid #ddd;background:#fff}
h1{font-size:16px;margin:0 0 4px}
p{margin:0;color:#555;font-size:13px}
.chart{overflow:auto;max-height:calc(100vh - 70px);background:#fff}
.chart svg{display:block}
`;

export function timelinePage(model: GanttModel): string {
  const { summary } = model;
  const facts = [
    `${summary.units} units`,
    `${summary.completed} completed`,
    summary.failed ? `${summary.failed} failed` : "",
    summary.notRun ? `${summary.notRun} not run` : "",
    `last activity at +${formatDuration(model.end)}`,
    Number.isFinite(model.origin) ? `first registration ${new Date(model.origin).toISOString()}` : "",
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${x(headline(model))}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>${x(headline(model))}</h1><p>${x(facts.join(" · "))}</p></header>
<div class="chart">
${ganttSvg(model)}</div>
</body>
</html>
`;
}
