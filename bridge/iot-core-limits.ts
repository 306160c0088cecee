/** Why a message was not forwarded but put in the dead-letter store. A closed vocabulary. */
export type DeadLetterReason =
  | 'payload-too-large'
  | 'topic-too-long'
  | 'topic-too-deep'
  | 'system-topic'
  | 'expired'
  | 'downstream-refused';

/** Every dead-letter reason, for metrics that should show zeros too. */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'payload-too-large',
  'topic-too-long',
  'topic-too-deep',
  'system-topic',
  'expired',
  'downstream-refused',
];

/** One sentence per reason, for logs and the dead-letter record. */
export const DEAD_LETTER_MESSAGES: Record<DeadLetterReason, string> = {
  'payload-too-large': 'payload is larger than IoT Core accepts (128 KiB)',
  'topic-too-long': 'topic is longer than IoT Core accepts (256 bytes)',
  'topic-too-deep': 'topic has more than 7 slashes (IoT Core allows 8 levels)',
  'system-topic': 'topics starting with $ are reserved and never forwarded',
  expired: 'the message expiry interval ran out inside the bridge',
  'downstream-refused': 'the downstream broker answered the publish with a failure code',
};

/** What AWS IoT Core accepts on publish (its documented defaults; not adjustable by AWS). */
export const IOT_CORE_LIMITS = {
  maxPayloadBytes: 128 * 1024,
  maxTopicBytes: 256,
  maxTopicSlashes: 7,
} as const;

/**
 * Why IoT Core would refuse a publish, or undefined if it accepts it. Sending a refused message
 * anyway makes IoT Core drop the connection, and a naive client then retries it forever.
 */
export function iotCoreRefusal(topic: string, payloadBytes: number): DeadLetterReason | undefined {
  if (topic.startsWith('$')) return 'system-topic';
  if (payloadBytes > IOT_CORE_LIMITS.maxPayloadBytes) return 'payload-too-large';
  if (Buffer.byteLength(topic, 'utf8') > IOT_CORE_LIMITS.maxTopicBytes) return 'topic-too-long';
  if (slashes(topic) > IOT_CORE_LIMITS.maxTopicSlashes) return 'topic-too-deep';
  return undefined;
}

function slashes(topic: string): number {
  let count = 0;
  for (let i = 0; i < topic.length; i += 1) if (topic.charCodeAt(i) === 47) count += 1;
  return count;
}
