import { defaultPayloadConverter } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';

import {
  buildReportModel,
  collectSamples,
  type HistorySamples,
  renderReport,
} from '../../../report';
import { devicesStatus } from './status-fixture';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function at(iso: string): { seconds: number; nanos: number } {
  return { seconds: Date.parse(iso) / 1000, nanos: 0 };
}

/** protobufjs types ids and times as Long; decoded histories carry numbers just as well. */
function event(fields: Record<string, unknown>): HistoryEvent {
  return fields as HistoryEvent;
}

function payloads(value: unknown): { payloads: temporal.api.common.v1.IPayload[] } {
  return { payloads: [defaultPayloadConverter.toPayload(value)] };
}

function emptySamples(): HistorySamples {
  return { weights: [], analyses: [], signals: [] };
}

describe('collectSamples', () => {
  const events: HistoryEvent[] = [
    event({
      eventId: 5,
      eventTime: at('2026-12-04T13:30:00Z'),
      activityTaskScheduledEventAttributes: {
        input: payloads({ weights: { legacy: 95, iotCore: 5 } }),
      },
    }),
    event({
      eventId: 7,
      eventTime: at('2026-12-04T13:30:02Z'),
      activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads(null) },
    }),
    event({
      eventId: 9,
      eventTime: at('2026-12-04T13:31:00Z'),
      activityTaskCompletedEventAttributes: {
        scheduledEventId: 8,
        result: payloads({
          outcome: 'Pass',
          metrics: [{ name: 'm', value: 1, threshold: 2 }, { bogus: 1 }],
        }),
      },
    }),
    event({
      eventId: 10,
      eventTime: at('2026-12-04T13:32:00Z'),
      workflowExecutionSignaledEventAttributes: {
        signalName: 'approve',
        input: payloads({ by: 'alice', reason: 'ok', gate: 'g1' }),
      },
    }),
    event({
      eventId: 11,
      eventTime: at('2026-12-04T13:33:00Z'),
      childWorkflowExecutionStartedEventAttributes: {
        workflowExecution: { workflowId: 'm-1-devices' },
      },
    }),
  ];

  it('takes weights when the activity that set them completed', () => {
    const samples = emptySamples();
    collectSamples(events, samples, true);
    expect(samples.weights).toEqual([{ at: '2026-12-04T13:30:02.000Z', legacy: 95, iotCore: 5 }]);
  });

  it('keeps only well-formed metrics of an analysis result', () => {
    const samples = emptySamples();
    collectSamples(events, samples, true);
    expect(samples.analyses).toEqual([
      { at: '2026-12-04T13:31:00.000Z', metrics: [{ name: 'm', value: 1, threshold: 2 }] },
    ]);
  });

  it('records signals on the migration itself and returns the child workflow ids', () => {
    const samples = emptySamples();
    expect(collectSamples(events, samples, true)).toEqual(['m-1-devices']);
    expect(samples.signals).toEqual([
      { at: '2026-12-04T13:32:00.000Z', signal: 'approve', by: 'alice', reason: 'ok', gate: 'g1' },
    ]);
    const childSamples = emptySamples();
    collectSamples(events, childSamples, false);
    expect(childSamples.signals).toEqual([]);
  });
});

describe('renderReport', () => {
  const status = devicesStatus({ plan: 'fleet <a> & "b"' });
  const model = buildReportModel({
    id: 'm-1',
    execution: 'RUNNING',
    status,
    samples: {
      weights: [{ at: '2026-12-04T13:30:00.000Z', legacy: 95, iotCore: 5 }],
      analyses: [],
      signals: [],
    },
    generatedAt: new Date('2026-12-04T14:10:00Z'),
  });
  const html = renderReport(model);

  it('is self-contained: no scripts, links or external sources', () => {
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
    expect(html).toContain('<svg');
  });

  it('draws the weights from start through each change to the current value', () => {
    expect(model.weights.map((w) => w.iotCore)).toEqual([0, 5, 10]);
  });

  it('writes out each weight change, since a 1 % step is invisible on the axis', () => {
    expect(html).toMatch(
      /class="step">0%<\/text>.*class="step">5%<\/text>.*class="step">10%<\/text>/s,
    );
  });

  it('charts every metric of the last analysis against its threshold', () => {
    expect(html).toContain('<h3>iot-connect-success-ratio</h3>');
    expect(html).toContain('threshold 98 (breach below)');
    expect(html).toContain('threshold 500 (breach above)');
  });

  it('puts the gate, approvals and rollbacks on the timeline', () => {
    expect(html).toMatch(/<tr class="approval">.*Approved by alice: backends look healthy/);
    expect(html).toMatch(/<tr class="rollback">.*Rollback 25 to 10 by analysis/);
    expect(html).toMatch(/<tr class="gate">.*waiting at gate devices-10/);
  });

  it('escapes text taken from the plan and the operators', () => {
    expect(html).toContain('fleet &lt;a&gt; &amp; &quot;b&quot;');
    expect(html).not.toContain('fleet <a>');
  });
});
