/**
 * The admin UI's static files, served at /admin/assets/<name>: our stylesheet (a TS string, no
 * build step) and uPlot's ready-made browser build from node_modules (about 50 KB of script,
 * 2 KB of CSS) for the charts. Pages link them with assetUrl(name), which adds the content's hash:
 * such a URL never changes meaning, so the browser keeps it for a year (`immutable`); a new
 * version of the file gets a new URL. Pages that need a script of their own add it here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ANALYTICS_CHARTS_JS } from './analytics-charts.ts';

export interface AdminAsset {
  contentType: string;
  /** The file's bytes, read once. */
  body(): Buffer;
}

/** Cache-Control of an asset asked for with its current hash, and of one asked for without it. */
export const ASSET_CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
export const ASSET_CACHE_REVALIDATE = 'public, max-age=0, must-revalidate';

const ADMIN_CSS = `
:root{--fg:#1d2330;--muted:#5d6675;--line:#dde1e8;--bg:#f5f6f8;--card:#fff;--accent:#1f5fbf;--ok:#1d7a3c;--warn:#a15c00;--bad:#b3261e;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}a{color:var(--accent)}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .6rem;padding:.55rem 1rem;background:#17233a;color:#fff}
header.top .brand{font-weight:600;color:#fff;text-decoration:none;white-space:nowrap}
header.top nav{display:flex;flex-wrap:wrap;gap:.1rem;flex:1}
header.top nav a{color:#cfd8ea;text-decoration:none;padding:.3rem .35rem;border-radius:4px;font-size:.86em;white-space:nowrap}
header.top nav a.current,header.top nav a:hover{background:#2c3c5c;color:#fff}
header.top .who{display:flex;align-items:center;gap:.45rem;font-size:.84em;color:#cfd8ea;white-space:nowrap}
header.top .who a{color:#cfd8ea}header.top .who a.current{color:#fff;font-weight:600;text-decoration:none}
header.top form{margin:0}header.top button{background:transparent;color:#fff;border:1px solid #6d7ea0;border-radius:4px;padding:.2rem .6rem;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:1rem 1.2rem 3rem}
h1{font-size:1.45rem;margin:.3rem 0 1rem}h2{font-size:1.1rem;margin:1.6rem 0 .6rem}
.muted{color:var(--muted)}.small{font-size:.88em}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);margin:.3rem 0 1rem}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;font-weight:600;font-size:.9em}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85em;font-weight:600;white-space:nowrap}
.badge.ok{background:#e3f3e8;color:var(--ok)}.badge.warn{background:#fdf0dc;color:var(--warn)}.badge.bad{background:#fbe4e2;color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.8rem;margin:.5rem 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem}
.card .big{font-size:1.7rem;font-weight:600}
.problems{list-style:none;padding:0;margin:.3rem 0 1rem}
.problems li{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--bad);padding:.5rem .8rem;margin:.4rem 0;border-radius:4px}
.problems li.warn{border-left-color:var(--warn)}.problems .fix{color:var(--muted);margin-top:.2rem}
.notice{background:#e8f0fc;border:1px solid #bcd0f0;padding:.6rem .9rem;border-radius:4px;margin:.5rem 0 1rem}
.notice.bad{background:#fbe4e2;border-color:#f0b9b4}
form.inline{display:inline;margin:0}
button,.button{font:inherit;background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.35rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#e6eaf0;color:var(--fg)}
input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #b8c0cc;border-radius:4px;background:#fff}
label{display:block;margin:.6rem 0 .2rem;font-weight:600;font-size:.92em}
.login{max-width:360px;margin:8vh auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.4rem 1.6rem}
.login input{width:100%}.login button{width:100%;margin-top:1rem;padding:.5rem}
.login .langs{text-align:right;font-size:.9em}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
pre{background:#f0f2f5;border:1px solid var(--line);padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-word}
.filters{display:flex;flex-wrap:wrap;gap:.5rem .8rem;align-items:flex-end;margin:.5rem 0 1rem}
.filters label{margin:0 0 .15rem}
.chart{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem;margin:.5rem 0 1rem;overflow-x:auto}
.nowrap{white-space:nowrap}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.3rem 0 1rem;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.why{margin:.3rem 0 .8rem;padding-left:1.3rem}ul.plain{margin:0;padding-left:1rem}
.actions{margin:.5rem 0 1rem;display:flex;flex-wrap:wrap;gap:.6rem}
.pager{margin:.5rem 0 1rem;display:flex;gap:1rem}
.excerpt{overflow-wrap:anywhere}
tr.failed td{background:#fff1f0}
.scroll{overflow-x:auto}table.hops{font-size:.88em}table.hops td{overflow-wrap:anywhere}table.hops td.text{white-space:pre-wrap;min-width:14rem}table.hops td.answer{min-width:12rem;max-width:28rem}
details summary{cursor:pointer;color:var(--accent);font-size:.88em}details pre{max-height:28rem;font-size:.82em}
.dialogue{display:flex;flex-direction:column;gap:.6rem;margin:.5rem 0 1rem}
.bubble{max-width:72%;border-radius:10px;padding:.5rem .8rem;border:1px solid var(--line);background:var(--card)}
.bubble.client{align-self:flex-start;background:#f1f8ff;border-color:#9cc6f5}
.bubble.operator{align-self:flex-end;background:#eefbf0;border-color:#8fd19e}
.bubble.system{align-self:center;font-size:.9em}
.bubble .who{font-weight:600;font-size:.82em;color:var(--muted)}
.bubble .text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}.bubble .text.empty{color:var(--muted);font-style:italic}
.bubble .meta{font-size:.8em;color:var(--muted)}
.outcome-delivered{color:var(--ok)}.outcome-failed{color:var(--bad);font-weight:600}.outcome-pending{color:var(--warn)}.outcome-unknown{color:var(--muted)}
`;

function text(contentType: string, content: string): AdminAsset {
  const bytes = Buffer.from(content.trimStart(), 'utf8');
  return { contentType, body: () => bytes };
}

const requireHere = createRequire(import.meta.url);

/** A file of an installed package, read at its first request (a missing package is a 500 naming it, not a failed start). */
function packageFile(contentType: string, specifier: string): AdminAsset {
  let bytes: Buffer | null = null;
  return { contentType, body: () => (bytes ??= readFileSync(requireHere.resolve(specifier))) };
}

export const ADMIN_ASSETS: Record<string, AdminAsset> = {
  'admin.css': text('text/css; charset=utf-8', ADMIN_CSS),
  'uplot.js': packageFile('text/javascript; charset=utf-8', 'uplot/dist/uPlot.iife.min.js'),
  'uplot.css': packageFile('text/css; charset=utf-8', 'uplot/dist/uPlot.min.css'),
  'analytics.js': text('text/javascript; charset=utf-8', ANALYTICS_CHARTS_JS),
};

const hashes = new Map<string, string>();

/** The content hash of an asset (12 hex), computed once. */
export function assetHash(name: string): string {
  let h = hashes.get(name);
  if (h === undefined) {
    const asset = ADMIN_ASSETS[name];
    if (!asset) throw new Error(`assetHash: no admin asset "${name}" (src/admin/assets.ts)`);
    h = createHash('sha256').update(asset.body()).digest('hex').slice(0, 12);
    hashes.set(name, h);
  }
  return h;
}

/** The URL of an asset with its content hash: `/admin/assets/admin.css?v=3f2a…`. */
export function assetUrl(name: string): string {
  return `/admin/assets/${name}?v=${assetHash(name)}`;
}
