import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** A received message, reduced to what tests assert on. */
export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties?: mqtt.IPublishPacket['properties'];
}

/** A connected test client that records what it receives. */
export interface RecordingClient {
  client: MqttClient;
  received: Received[];
}

/** Connects a client that fails fast instead of reconnecting, and records every message. */
export async function connectRecording(
  url: string,
  options: IClientOptions = {},
): Promise<RecordingClient> {
  const client = await mqtt.connectAsync(url, {
    clientId: `test-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    received.push({
      topic,
      payload: payload.toString(),
      qos: packet.qos,
      retain: packet.retain,
      properties: packet.properties,
    });
  });
  return { client, received };
}

/** Waits until `condition` holds, failing with `what` after `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
