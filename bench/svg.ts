/**
 * The scaling curves as an SVG (docs/benchmarks.svg), written as text: four panels, CPU (% of a
 * core) and RSS (MB) against the number of watched addresses and against the spoofing rate, one
 * line per process. Log-scaled x axes (the points are 1…4,096 and 1k…50k). Pure: no I/O.
 */
import type { CurvesResult } from './scenarios/curves.js';

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const W = 420;
const H = 260;
const M = { left: 56, right: 26, top: 30, bottom: 44 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (v >= 1000 && v % 1000 === 0 ? `${v / 1000}k` : Number(v.toPrecision(4)).toLocaleString('en-US'));

/** A round upper bound for the y axis and its 5 ticks. */
function yTicks(max: number): number[] {
  const top = max > 0 ? max * 1.1 : 1;
  const step = 10 ** Math.floor(Math.log10(top / 5));
  const nice = [1, 2, 2.5, 3, 4, 5, 10].map((m) => m * step).find((s) => s * 5 >= top) ?? step * 10;
  return [0, 1, 2, 3, 4, 5].map((i) => Number((i * nice).toPrecision(6)));
}

function panel(p: Panel, ox: number, oy: number): string {
  const xs = [...new Set(p.series.flatMap((s) => s.points.map(([x]) => x)))].filter((x) => x > 0).sort((a, b) => a - b);
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const ticks = yTicks(Math.max(0, ...ys));
  const yMax = ticks[ticks.length - 1]!;
  const lx = (x: number) => Math.log10(x);
  const [x0, x1] = xs.length > 1 ? [lx(xs[0]!), lx(xs[xs.length - 1]!)] : [0, 1];
  const px = (x: number) => ox + M.left + ((lx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => oy + H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of ticks) {
    out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const x of xs) out.push(`<text x="${px(x).toFixed(1)}" y="${oy + H - M.bottom + 16}" text-anchor="middle">${fmt(x)}</text>`);
  out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${py(0)}" y2="${py(0)}" stroke="#444"/>`);
  out.push(`<text x="${ox + W / 2}" y="${oy + H - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14},${oy + H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => x > 0 && Number.isFinite(y));
    if (pts.length) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${fmt(x)} → ${y}`)}</title></circle>`);
    }
    const ly = oy + M.top + 4 + 14 * i;
    out.push(`<rect x="${ox + M.left + 8}" y="${ly - 8}" width="10" height="3" fill="${s.color}"/><text x="${ox + M.left + 22}" y="${ly - 3}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Lays panels out two per row. */
export function renderSvg(title: string, panels: readonly Panel[]): string {
  const rows = Math.ceil(panels.length / 2);
  const width = 2 * W;
  const height = rows * H + 30;
  const body = panels.map((p, i) => panel(p, (i % 2) * W, 30 + Math.floor(i / 2) * H)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

const DUPIP = '#1f77b4';
const ARPWATCH = '#d62728';

/** The four panels of the scaling curves. */
export function curvesSvg(c: CurvesResult, subtitle: string): string {
  const a = c.addresses;
  const r = c.rates;
  return renderSvg(`dupip scaling curves (${subtitle})`, [
    { title: 'CPU vs watched addresses (idle)', xLabel: 'own addresses (log)', yLabel: '% of a core', series: [
      { name: 'dupip', color: DUPIP, points: a.map((p) => [p.addresses, p.dupip.schedCorePercent]) },
      { name: 'arpwatch', color: ARPWATCH, points: a.map((p) => [p.addresses, p.arpwatch.schedCorePercent]) },
    ] },
    { title: 'RSS vs watched addresses (idle)', xLabel: 'own addresses (log)', yLabel: 'RSS, MB', series: [
      { name: 'dupip', color: DUPIP, points: a.map((p) => [p.addresses, p.dupip.rssMaxMb]) },
      { name: 'arpwatch', color: ARPWATCH, points: a.map((p) => [p.addresses, p.arpwatch.rssMaxMb]) },
    ] },
    { title: 'CPU vs spoofing rate', xLabel: 'frames/s requested (log)', yLabel: '% of a core', series: [
      { name: 'dupip', color: DUPIP, points: r.map((p) => [p.flood.requestedRate, p.dupip.corePercent]) },
      { name: 'arpwatch', color: ARPWATCH, points: r.map((p) => [p.flood.requestedRate, p.arpwatch.corePercent]) },
    ] },
    { title: 'RSS vs spoofing rate', xLabel: 'frames/s requested (log)', yLabel: 'RSS max, MB', series: [
      { name: 'dupip', color: DUPIP, points: r.map((p) => [p.flood.requestedRate, p.dupip.rssMaxMb]) },
      { name: 'arpwatch', color: ARPWATCH, points: r.map((p) => [p.flood.requestedRate, p.arpwatch.rssMaxMb]) },
    ] },
  ]);
}
