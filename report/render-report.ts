import { phaseProgress } from '../cli/phase-progress';
import { type ReportModel } from './report-model';
import {
  escapeXml,
  metricChart,
  type TimeAxis,
  type TimelineMark,
  weightChart,
} from './svg-charts';

/** The marks every chart shares: the gate waited on, decisions and rollbacks, numbered. */
export function timelineMarks(model: ReportModel): TimelineMark[] {
  const { status } = model;
  const marks: TimelineMark[] = [
    ...status.decisions.map((d) => ({
      at: d.at,
      label: `${d.kind} by ${d.by}: ${d.reason}`,
      kind:
        d.kind === 'Approved' || d.kind === 'ApprovalRemembered'
          ? ('approval' as const)
          : ('decision' as const),
    })),
    ...status.rollbacks.map((r) => ({
      at: r.at,
      label: `Rollback ${r.from} to ${r.to} by ${r.by}: ${r.reason}`,
      kind: 'rollback' as const,
    })),
  ];
  if (status.waitingGate) {
    marks.push({
      at: status.waitingGate.since,
      label: `waiting at gate ${status.waitingGate.gate}`,
      kind: 'gate',
    });
  }
  return marks.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function timeAxis(model: ReportModel): TimeAxis {
  const times = [
    model.status.startedAt,
    model.status.updatedAt,
    ...model.weights.map((w) => w.at),
    ...model.analyses.map((a) => a.at),
    ...timelineMarks(model).map((m) => m.at),
  ]
    .map((at) => Date.parse(at))
    .filter(Number.isFinite);
  return { startMs: Math.min(...times), endMs: Math.max(...times) };
}

/**
 * LIMITATION: the device share drawn is the share the DNS weights steer to IoT Core, not the
 * share of devices measured connected there; devices follow a weight only as their DNS answers
 * expire and they reconnect.
 *
 * One self-contained HTML page for one migration: summary, phase progress, the DNS weight
 * over time, each analysis metric against its threshold, and the decisions, approvals and
 * rollbacks on the same time axis. Inline CSS and SVG only, so the file works offline.
 */
export function renderReport(model: ReportModel): string {
  const { status } = model;
  const axis = timeAxis(model);
  const marks = timelineMarks(model);
  const metricNames = [...new Set(model.analyses.flatMap((a) => a.metrics.map((m) => m.name)))];
  const e = escapeXml;

  const phases = phaseProgress(status)
    .map(
      (p) =>
        `<tr><td>${p.phase}</td><td><div class="bar"><div style="width:${(p.fraction * 100).toFixed(0)}%"></div></div></td>` +
        `<td>${Math.round(p.fraction * 100)}%</td><td>${e(p.note)}</td></tr>`,
    )
    .join('');
  const gate = status.waitingGate
    ? `waiting at <b>${e(status.waitingGate.gate)}</b> since ${e(status.waitingGate.since)}`
    : 'none waiting';
  const metrics = metricNames
    .map((name) => `<h3>${e(name)}</h3>${metricChart(axis, name, model.analyses, marks)}`)
    .join('');
  const events = marks
    .map(
      (m, i) =>
        `<tr class="${m.kind}"><td>${i + 1}</td><td>${e(m.at)}</td><td>${m.kind}</td><td>${e(m.label)}</td></tr>`,
    )
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>fleetshift migration ${e(model.id)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;max-width:960px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 2px}
.summary td{padding:2px 12px 2px 0}.muted{color:#6e7781}
.bar{width:240px;height:10px;background:#eaeef2;border-radius:5px}.bar div{height:10px;background:#0969da;border-radius:5px}
.grid{stroke:#eaeef2}.step{font-size:11px;fill:#0969da}.tick{font-size:11px;fill:#6e7781}.threshold{font-size:11px;fill:#cf222e}
table.events{border-collapse:collapse;width:100%}table.events td{border-top:1px solid #eaeef2;padding:3px 8px 3px 0}
tr.rollback td:nth-child(3){color:#cf222e}tr.approval td:nth-child(3){color:#1a7f37}tr.gate td:nth-child(3){color:#b07d00}
</style></head><body>
<h1>Migration ${e(model.id)}</h1>
<div class="muted">plan ${e(status.plan)} · report generated ${e(model.generatedAt)}</div>
<table class="summary">
<tr><td>phase / state</td><td><b>${status.phase} / ${status.state}</b>${status.step ? `, step ${status.step.index + 1}/${status.step.count}` : ''}</td></tr>
<tr><td>Temporal execution</td><td>${e(model.execution)}</td></tr>
<tr><td>DNS weights</td><td>legacy ${status.dnsWeights.legacy} · iot-core ${status.dnsWeights.iotCore}</td></tr>
<tr><td>gate</td><td>${gate}</td></tr>
${status.endReason ? `<tr><td>ended</td><td>${e(status.endReason)}</td></tr>` : ''}
</table>
<h2>Phases</h2><table class="summary">${phases}</table>
<h2>DNS weight to IoT Core (device share steered to IoT Core)</h2>
${weightChart(axis, model.weights, marks)}
<h2>Analysis metrics against their thresholds</h2>
${metrics || '<p class="muted">no analysis has run yet</p>'}
<h2>Gates, approvals and rollbacks</h2>
${events ? `<table class="events">${events}</table>` : '<p class="muted">none yet</p>'}
</body></html>
`;
}
