/** What a Mosquitto configuration needs to know about where it runs. */
export interface BrokerLayout {
  bind: string;
  port: number;
  /** Folder for the persistence database (sessions and queued messages survive a restart). */
  dataDir: string;
  /**
   * Run as this user. Mosquitto started as root drops to the `mosquitto` user, which cannot read
   * the sandbox's files; the sandbox names its own user instead. Omitted in the Docker files.
   */
  runAsUser?: string;
}

/** Where the IoT Core stand-in finds its certificates. */
export interface TlsLayout {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** IoT Core accepts payloads up to 128 KiB; the rest of the packet is topic and properties. */
export const IOT_CORE_MAX_PAYLOAD_BYTES = 128 * 1024;
const IOT_CORE_MAX_PACKET_BYTES = IOT_CORE_MAX_PAYLOAD_BYTES + 4 * 1024;

/**
 * The legacy broker: plain MQTT 3.1.1 and 5 with shared subscriptions, as most self-managed
 * fleets run it.
 */
export function renderLegacyBrokerConfig(layout: BrokerLayout): string {
  return [
    '# fleetshift sandbox: the legacy, self-managed broker.',
    ...userLine(layout),
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${withSlash(layout.dataDir)}`,
    'autosave_interval 1',
    'max_queued_messages 100000',
    'sys_interval 5',
    '',
    `listener ${layout.port} ${layout.bind}`,
    'protocol mqtt',
    '',
  ].join('\n');
}

/**
 * The IoT Core stand-in: TLS only, a client certificate from the customer's CA required, QoS 1
 * at most and packets no larger than IoT Core takes.
 */
export function renderIotCoreBrokerConfig(layout: BrokerLayout, tls: TlsLayout): string {
  return [
    '# fleetshift sandbox: stand-in for AWS IoT Core (TLS, client certificates, QoS <= 1).',
    ...userLine(layout),
    'per_listener_settings false',
    'allow_anonymous false',
    'persistence true',
    `persistence_location ${withSlash(layout.dataDir)}`,
    'autosave_interval 1',
    'max_queued_messages 100000',
    `max_packet_size ${IOT_CORE_MAX_PACKET_BYTES}`,
    'sys_interval 5',
    '',
    `listener ${layout.port} ${layout.bind}`,
    'protocol mqtt',
    // max_qos belongs to a listener: placed above one, Mosquitto opens a default listener.
    'max_qos 1',
    `cafile ${tls.caFile}`,
    `certfile ${tls.certFile}`,
    `keyfile ${tls.keyFile}`,
    'require_certificate true',
    'use_identity_as_username true',
    'tls_version tlsv1.2',
    '',
  ].join('\n');
}

function withSlash(dir: string): string {
  return dir.endsWith('/') ? dir : `${dir}/`;
}

function userLine(layout: BrokerLayout): string[] {
  return layout.runAsUser ? [`user ${layout.runAsUser}`] : [];
}
