// Reads back from Temporal which activities a workflow and its children scheduled, with what
// input and in how many attempts: what a test needs to tell a retry from a repeated step.
import { type Client, defaultPayloadConverter } from '@temporalio/client';

/** One activity as a workflow history records it. */
export interface ScheduledActivity {
  workflowId: string;
  name: string;
  input: unknown;
  /** The attempt that ended it; above 1 when a retry was needed (a killed worker, say). */
  attempt: number;
}

/** Every activity `workflowId` and its child workflows scheduled, in order per workflow. */
export async function scheduledActivities(
  client: Client,
  workflowId: string,
): Promise<ScheduledActivity[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byEventId = new Map<string, ScheduledActivity>();
  const children: string[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const payload = scheduled.input?.payloads?.[0];
      byEventId.set(String(event.eventId), {
        workflowId,
        name: scheduled.activityType?.name ?? '',
        input: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
        attempt: 1,
      });
    }
    const started = event.activityTaskStartedEventAttributes;
    const activity = started && byEventId.get(String(started.scheduledEventId));
    if (activity) activity.attempt = started.attempt ?? 1;
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child) children.push(child);
  }
  const own = [...byEventId.values()];
  const theirs = await Promise.all(children.map((id) => scheduledActivities(client, id)));
  return [...own, ...theirs.flat()];
}
