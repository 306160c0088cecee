import { type AnalysisSample, type WeightSample } from './report-model';

/** A marker on the shared timeline: a gate, an approval, a rollback, any decision. */
export interface TimelineMark {
  at: string;
  label: string;
  kind: 'gate' | 'approval' | 'rollback' | 'decision' | 'signal';
}

/** The time span every chart on the page shares, so marks line up across charts. */
export interface TimeAxis {
  startMs: number;
  endMs: number;
}

const WIDTH = 900;
const PLOT_LEFT = 60;
// Room on the right for the last time label, which is centred on the plot edge.
const PLOT_RIGHT = WIDTH - 40;

const MARK_COLOURS: Record<TimelineMark['kind'], string> = {
  gate: '#b07d00',
  approval: '#1a7f37',
  rollback: '#cf222e',
  decision: '#6e7781',
  signal: '#8250df',
};

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function xOf(axis: TimeAxis, at: string): number {
  const span = Math.max(1, axis.endMs - axis.startMs);
  const fraction = (Date.parse(at) - axis.startMs) / span;
  return PLOT_LEFT + Math.min(1, Math.max(0, fraction)) * (PLOT_RIGHT - PLOT_LEFT);
}

function timeLabels(axis: TimeAxis, bottom: number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const ms = axis.startMs + fraction * (axis.endMs - axis.startMs);
    const x = PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT);
    const label = new Date(ms).toISOString().slice(11, 19);
    return `<text x="${x.toFixed(1)}" y="${bottom + 14}" text-anchor="middle" class="tick">${label}Z</text>`;
  });
  return ticks.join('');
}

function markLines(axis: TimeAxis, marks: TimelineMark[], top: number, bottom: number): string {
  return marks
    .map((mark) => {
      const x = xOf(axis, mark.at).toFixed(1);
      const colour = MARK_COLOURS[mark.kind];
      return (
        `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="${colour}" ` +
        `stroke-dasharray="3 3"><title>${escapeXml(`${mark.at} ${mark.label}`)}</title></line>`
      );
    })
    .join('');
}

/**
 * The DNS weight to IoT Core over time as a step line (a weight holds until the next change),
 * with every gate, approval and rollback drawn as a dashed line and listed by number below.
 */
export function weightChart(
  axis: TimeAxis,
  weights: WeightSample[],
  marks: TimelineMark[],
): string {
  const top = 20;
  const bottom = 200;
  const yOf = (percent: number): number => bottom - (percent / 100) * (bottom - top);
  const points: string[] = [];
  const labels: string[] = [];
  let previous: number | undefined;
  for (const sample of weights) {
    const total = sample.legacy + sample.iotCore;
    const percent = total > 0 ? (sample.iotCore / total) * 100 : 0;
    const x = xOf(axis, sample.at);
    if (previous !== undefined) points.push(`${x.toFixed(1)},${yOf(previous).toFixed(1)}`);
    points.push(`${x.toFixed(1)},${yOf(percent).toFixed(1)}`);
    // Small steps (1 %, 2 %) are invisible on a 0-100 axis, so each change is written out.
    if (percent !== previous) {
      labels.push(
        `<text x="${(x + 3).toFixed(1)}" y="${(yOf(percent) - 5).toFixed(1)}" class="step">` +
          `${round(percent)}%</text>`,
      );
    }
    previous = percent;
  }
  const grid = [0, 25, 50, 75, 100]
    .map(
      (p) =>
        `<line x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${yOf(p)}" y2="${yOf(p)}" class="grid"/>` +
        `<text x="${PLOT_LEFT - 6}" y="${yOf(p) + 4}" text-anchor="end" class="tick">${p}%</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} 230" role="img" ` +
    `aria-label="DNS weight to IoT Core over time">${grid}` +
    markLines(axis, marks, top, bottom) +
    `<polyline points="${points.join(' ')}" fill="none" stroke="#0969da" stroke-width="2.5"/>` +
    labels.join('') +
    timeLabels(axis, bottom) +
    `</svg>`
  );
}

/**
 * One metric's values over time against its threshold (a red line), with the same marks as the
 * weight chart. Points without data are drawn as hollow circles on the axis.
 */
export function metricChart(
  axis: TimeAxis,
  name: string,
  analyses: AnalysisSample[],
  marks: TimelineMark[],
): string {
  const series = analyses.flatMap((analysis) =>
    analysis.metrics.filter((m) => m.name === name).map((metric) => ({ at: analysis.at, metric })),
  );
  const top = 15;
  const bottom = 135;
  const values = series.flatMap(({ metric }) => [
    metric.threshold,
    metric.value ?? metric.threshold,
  ]);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high === low) [low, high] = [low - 1, high + 1];
  const pad = (high - low) * 0.1;
  [low, high] = [low - pad, high + pad];
  const yOf = (value: number): number => bottom - ((value - low) / (high - low)) * (bottom - top);
  const latest = series[series.length - 1]?.metric;
  const threshold = latest?.threshold ?? 0;
  const line = series
    .filter(({ metric }) => metric.value !== null)
    .map(
      ({ at, metric }) => `${xOf(axis, at).toFixed(1)},${yOf(metric.value as number).toFixed(1)}`,
    )
    .join(' ');
  const dots = series
    .map(({ at, metric }) => {
      const x = xOf(axis, at).toFixed(1);
      const breach = metric.outcome === 'Breach';
      const fill = metric.value === null ? 'none' : breach ? '#cf222e' : '#0969da';
      const y = metric.value === null ? bottom : yOf(metric.value);
      const value = metric.value === null ? 'no data' : String(metric.value);
      return (
        `<circle cx="${x}" cy="${y.toFixed(1)}" r="3.5" fill="${fill}" stroke="#0969da">` +
        `<title>${escapeXml(`${at} ${name}=${value} (${metric.outcome})`)}</title></circle>`
      );
    })
    .join('');
  const thresholdY = yOf(threshold).toFixed(1);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} 160" role="img" ` +
    `aria-label="${escapeXml(name)} against its threshold">` +
    `<text x="${PLOT_LEFT - 6}" y="${yOf(high - pad) + 4}" text-anchor="end" class="tick">${round(high - pad)}</text>` +
    `<text x="${PLOT_LEFT - 6}" y="${yOf(low + pad) + 4}" text-anchor="end" class="tick">${round(low + pad)}</text>` +
    markLines(axis, marks, top, bottom) +
    `<line x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${thresholdY}" y2="${thresholdY}" ` +
    `stroke="#cf222e" stroke-width="1.5"/>` +
    `<text x="${PLOT_RIGHT}" y="${Number(thresholdY) - 4}" text-anchor="end" class="threshold">` +
    `threshold ${round(threshold)} (breach ${latest?.breachWhen ?? '?'})</text>` +
    `<polyline points="${line}" fill="none" stroke="#0969da" stroke-width="2"/>${dots}` +
    timeLabels(axis, bottom) +
    `</svg>`
  );
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
