import { type MigrationStatus } from '../../workflows/api';
import { type FleetSnapshot } from '../dataplane';

/**
 * One line of live progress: phase, step, weights, where devices are, rates, and messages sent
 * and not yet arrived (in flight now; only what is still missing at the end is lost).
 */
export function progressLine(
  elapsedSeconds: number,
  status: MigrationStatus,
  fleet: FleetSnapshot,
  undelivered: number,
): string {
  const step = status.step ? ` step ${status.step.index + 1}/${status.step.count}` : '';
  const gate = status.waitingGate ? ` gate ${status.waitingGate.gate}` : '';
  const onIot = share(fleet.connected['iot-core'], fleet.devices);
  const onLegacy = share(fleet.connected.legacy, fleet.devices);
  return [
    `${String(elapsedSeconds).padStart(4)}s`,
    `${status.phase}/${status.state}${step}${gate}`,
    `dns ${status.dnsWeights.legacy}/${status.dnsWeights.iotCore}`,
    `devices legacy ${onLegacy} iot ${onIot}`,
    `${fleet.sentPerSecond} msg/s`,
    `in flight ${undelivered}`,
  ].join(' | ');
}

function share(part: number, total: number): string {
  return total === 0 ? '0%' : `${Math.round((100 * part) / total)}%`;
}
