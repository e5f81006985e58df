/** Colours and the style sheet of the HTML report: levels colour-coded, readable on a phone and printed. */

/** Danger level 0..5: grey, green, olive, orange, red-orange, red (as the alert mails). */
export const LEVEL_COLOURS = ['#777777', '#2e7d32', '#9e9d24', '#ef6c00', '#d84315', '#b71c1c'] as const;

export const PAGE_CSS = `
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:14px;color:#222;margin:0 auto;padding:12px;max-width:1100px;line-height:1.35;overflow-wrap:break-word}
h1{font-size:20px;margin:4px 0;overflow-wrap:anywhere}
h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #ccc;padding-bottom:2px}
h3{font-size:14px;margin:10px 0 4px}
.meta{color:#555;margin:0 0 8px}
table{border-collapse:collapse;margin:4px 0 10px}
th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;max-width:100%}
.grid{display:flex;flex-wrap:wrap;gap:8px 24px}
.grid>div{min-width:0;max-width:100%}
figure{margin:6px 0 12px;max-width:100%}
figure svg,figure img{max-width:100%;height:auto;display:block}
figcaption{font-weight:600;margin-bottom:4px}
.dl{display:inline-block;min-width:2.6em;padding:1px 5px;border-radius:3px;color:#fff;font-weight:600;text-align:center}
.dl0{background:#777777}.dl1{background:#2e7d32}.dl2{background:#9e9d24}.dl3{background:#ef6c00}.dl4{background:#d84315}.dl5{background:#b71c1c}
.mono,code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:6px;margin:4px 0}
details{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:2px 8px}
details>summary{cursor:pointer;padding:3px 0}
details[open]>summary{border-bottom:1px solid #eee;margin-bottom:4px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
dl.kv dt{color:#555}
dl.kv dd{margin:0;word-break:break-word}
.note{color:#555;font-style:italic}
@media (max-width:600px){body{padding:6px;font-size:13px}th,td{padding:2px 4px}dl.kv{grid-template-columns:1fr}dl.kv dt{font-weight:600}}
@media print{body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}figure,tr,details{break-inside:avoid}
 .dl{-webkit-print-color-adjust:exact;print-color-adjust:exact}details::details-content{content-visibility:visible;display:block}
 a{color:inherit;text-decoration:none}}
`;
