import { DEFAULT_PORTS } from './config';
import {
  renderIotCoreBrokerConfig,
  renderLegacyBrokerConfig,
  type BrokerLayout,
  type TlsLayout,
} from './mosquitto-config';

/**
 * Inside a container a broker listens on all of the container's own interfaces; the compose
 * file publishes each port on the host's 127.0.0.1 only.
 */
const CONTAINER_BIND = '0.0.0.0';

const CONTAINER_TLS: TlsLayout = {
  caFile: '/mosquitto/certs/ca.crt',
  certFile: '/mosquitto/certs/server.crt',
  keyFile: '/mosquitto/certs/server.key',
};

/**
 * The certificates are mounted from the host with the owner-only modes the sandbox gives them,
 * so the broker keeps the container's root user instead of dropping to `mosquitto`.
 */
function containerLayout(port: number): BrokerLayout {
  return { bind: CONTAINER_BIND, port, dataDir: '/mosquitto/data', runAsUser: 'root' };
}

/** The legacy broker's configuration as docker-compose.yml mounts it. */
export function dockerLegacyBrokerConfig(): string {
  return renderLegacyBrokerConfig(containerLayout(DEFAULT_PORTS.legacyMqtt));
}

/** The IoT Core stand-in's configuration as docker-compose.yml mounts it. */
export function dockerIotCoreBrokerConfig(): string {
  return renderIotCoreBrokerConfig(containerLayout(DEFAULT_PORTS.iotCoreMqtts), CONTAINER_TLS);
}
