/** The page's stylesheet and icon, served by the service itself (the CSP allows nothing else). */

export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, sans-serif; color: #1b1f24; background: #fff; }
body { margin: 0 auto; max-width: 110rem; padding: 0 1rem 2rem; }
header p { color: #444; margin-top: 0; }
a { color: #0645ad; }
h1 { margin-bottom: .25rem; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 24rem; gap: 1.5rem; align-items: start; }
@media (max-width: 60rem) { main { grid-template-columns: 1fr; } }
main > section { min-width: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; color: #444; padding: .25rem 0; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #d8dde3; text-align: left; vertical-align: top; }
thead th { background: #f2f4f7; white-space: nowrap; }
th a { color: inherit; }
.name { font-weight: 600; overflow-wrap: anywhere; min-width: 12rem; max-width: 28rem; }
time { white-space: nowrap; }
.where { display: block; font-weight: 400; color: #555; font-size: .85em; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.none { color: #555; }
.target { color: #555; font-size: .85em; }
.mark { font-size: .8em; font-weight: 600; }
.low { color: #a4000f; }
tr.fail { background: #fff0f0; }
tr.partial { background: #fff8e6; }
.result { font-weight: 600; }
.result.fail { color: #a4000f; }
.result.partial { color: #7a4d00; }
.result.pass { color: #1a6b2a; }
.ok { color: #1a6b2a; font-weight: 600; }
.bad { color: #a4000f; font-weight: 600; }
.counts a { margin-right: .25rem; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0; }
.pager { margin: .75rem 0; }
.pager [aria-disabled] { color: #555; }
.panel { border: 1px solid #d8dde3; border-radius: 6px; padding: 0 1rem 1rem; background: #fafbfc; }
.panel dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; }
.panel dt { color: #444; }
.panel dd { margin: 0; overflow-wrap: anywhere; }
table.compact { font-size: .8rem; margin-top: .5rem; }
`;

export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1a6b2a"/><path d="M4 8l3 3 5-6" stroke="#fff" stroke-width="2" fill="none"/></svg>`;
